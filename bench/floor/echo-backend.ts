// The floor's backend (bench/floor/floor-server.ts): stands where the CTI Manager simulator stands
// for the gateway, in its own process, and sends every byte back as it arrives — the floor's
// frames come back whole and in order, so each request gets its round trip and nothing else.
//
//   node bench-echo.mjs       prints `ECHO {"address":"127.0.0.1:<port>"}` once listening (port 0)
import { createServer } from 'node:net';

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`ECHO ${JSON.stringify({ address: `127.0.0.1:${port}` })}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
