// The CTI Manager simulator as a benchmark child process, on a generated cluster.
//
//   node --import tsx bench/processes/simulator.ts --users N [--nodes K] [--admin] [--auto-answer-ms MS]
//
// Why not `npm run cucm-sim -- --cluster FILE`: that reads a YAML cluster file, and the file for
// 100,000 users is ~25 MB of YAML that takes far longer to parse and validate than the benchmark
// it serves. This entry builds the same cluster in memory with generateCluster() (the simulator's
// own generator, docs/simulator.md) and starts it with startSimulator(), exactly as the CLI does.
// The simulator runs in its own process so that the gateway's CPU and RSS, read from /proc, are
// the gateway's alone.
//
// The CTI application password comes from the environment (BENCH_CTI_PASSWORD), never argv.
// Prints one line `SIMULATOR {json}` with the node addresses and the admin URL, then serves until
// SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { generateCluster, startSimulator } from '../../simulator/src/index.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      nodes: { type: 'string', default: '1' },
      admin: { type: 'boolean', default: false },
      'auto-answer-ms': { type: 'string' },
    },
    strict: true,
  });
  const users = Number(values.users);
  const nodes = Number(values.nodes);
  if (!Number.isInteger(users) || users < 1) throw new Error('--users N (a positive integer) is required');
  const password = process.env['BENCH_CTI_PASSWORD'];
  if (password === undefined || password === '') throw new Error('BENCH_CTI_PASSWORD is not set');
  const autoAnswerMs = values['auto-answer-ms'] === undefined ? undefined : Number(values['auto-answer-ms']);
  const cluster = generateCluster({ users, ...(autoAnswerMs === undefined ? {} : { autoAnswerMs }) });
  const sim = await startSimulator({
    cluster,
    nodes,
    host: '127.0.0.1',
    port: 0,
    adminPort: values.admin ? 0 : null,
    applicationUser: 'bench',
    applicationPassword: password,
  });
  process.stdout.write(
    `SIMULATOR ${JSON.stringify({ nodes: sim.nodes.map((n) => n.address), adminUrl: sim.adminUrl ?? null, users })}\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.dispose().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((cause: unknown) => {
  process.stderr.write(`bench simulator: ${cause instanceof Error ? cause.message : String(cause)}\n`);
  process.exit(1);
});
