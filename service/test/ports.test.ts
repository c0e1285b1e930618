// The one-line hint when a port is taken: which port, which listener, which flag moves it.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { inUseHint, portInUse } from '../src/ports.js';
import { DesklineError, ErrorCode, wrapError } from '../../gateway/src/index.js';

function listenError(port: number): Promise<Error> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', resolve);
    server.listen({ host: '127.0.0.1', port }, () => {
      server.close();
      resolve(new Error('the port was free'));
    });
  });
}

describe('port in use', () => {
  it('finds the port in a real EADDRINUSE, however deeply it was wrapped', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const raw = await listenError(port);
      expect(portInUse(raw)).toBe(port);
      const wrapped = wrapError(raw, ErrorCode.ConfigInvalid, 'shell: cannot listen on 127.0.0.1:0');
      expect(portInUse(wrapped)).toBe(port);
      expect(portInUse(new DesklineError(ErrorCode.ConfigInvalid, 'outer', { cause: wrapped }))).toBe(port);
    } finally {
      holder.close();
    }
    expect(portInUse(new Error('connect ECONNREFUSED 127.0.0.1:2748'))).toBeUndefined();
    expect(
      portInUse(
        new Error('cannot start the SIP listeners: listen EADDRINUSE: address already in use 127.0.0.1:5060'),
      ),
    ).toBe(5060);
  });

  it('names the flag in one line', () => {
    const hint = inUseHint(9090, 'http-port', 'health and metrics');
    expect(hint).toBe(
      'port 9090 is already in use (health and metrics): choose another with --http-port <port>, or stop what holds it',
    );
    expect(hint).not.toContain('\n');
  });
});
