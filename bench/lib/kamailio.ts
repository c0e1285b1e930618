// Kamailio as the benchmarks run it (Debian's kamailio 5.6):
//   - the yardstick relay (bench/kamailio/kamailio.cfg) in front of a SIPp UAS (relay-uas.xml);
//   - the load balancer of the deployment (deploy/kamailio/kamailio.cfg, dispatcher over N
//     gateway processes) for the scale-out benchmark.
// Both with the TLSF allocator (`-x tlsf -X tlsf`): Debian's build defaults to q_malloc, the
// debugging allocator, several times dearer per request (bench/kamailio/kamailio.cfg says more).
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { runCommand, startChild, type Child } from './children.js';
import { REPO_ROOT, type BenchContext } from './context.js';
import { descendantsOf } from './proc-stats.js';
import { SCENARIO_RELAY_UAS } from './flow.js';
import { sleep, until } from './services.js';
import { freePort } from './sipp.js';

export const KAMAILIO_RELAY_CFG = join(REPO_ROOT, 'bench/kamailio/kamailio.cfg');
export const KAMAILIO_BALANCER_CFG = join(REPO_ROOT, 'deploy/kamailio/kamailio.cfg');

/** Shared memory for the relay: 2 s of finished transactions at ~15 KB each (measured here with
 *  kamcmd tm.stats and core.shmmem: ~8,500 waiting transactions held ~120 MiB at 3,000 INFO/s),
 *  so 768 MB covers ~25,000 transactions/s. Reserved, not touched: TLSF only writes the pages it
 *  hands out. The run reports the peak used (`shmMaxUsedBytes`). */
export const KAMAILIO_SHM_MB = 768;
/** The balancer keeps the deployment's tm timers (wait 5 s): 5 s of finished transactions in
 *  both directions (client requests and gateway events) at ~15 KB each is ~750 MB at 10,000
 *  transactions/s. Reserved, not touched (TLSF writes only the pages it hands out). */
export const BALANCER_SHM_MB = 1536;
const KAMAILIO_PKG_MB = 16;

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface KamailioProcess {
  child: Child;
  port: number;
  /** Every Kamailio process (main and forked workers), named for the process monitor. */
  pids(): Record<string, number>;
  /** Peak shared memory in use since start (kamcmd core.shmmem max_used), or null without ctl. */
  shmMaxUsedBytes(): Promise<number | null>;
  stop(): Promise<void>;
}

async function startKamailio(
  ctx: BenchContext,
  name: string,
  cfg: string,
  workers: number,
  shmMb: number,
  extra: readonly string[],
  ctlSocket: string | null,
): Promise<KamailioProcess> {
  const dir = join(ctx.workDir, name);
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const child = startChild(
    name,
    'kamailio',
    [
      '-f',
      cfg,
      '-DD',
      '-E',
      '-x',
      'tlsf',
      '-X',
      'tlsf',
      '-m',
      String(shmMb),
      '-M',
      String(KAMAILIO_PKG_MB),
      '-n',
      String(workers),
      '-N',
      String(workers),
      '-P',
      join(dir, 'kamailio.pid'),
      '-Y',
      dir,
      '-w',
      dir,
      ...extra.map((e) => e.replace('{PORT}', String(port))),
      ...(ctlSocket === null ? [] : ['-A', `CTL_SOCKET="unix:${ctlSocket}"`]),
    ],
    { cwd: dir, captureStdout: false },
  );
  await until(async () => await portOpen(port), 20_000, `${name} listening`);
  // Workers are forked once the listeners are up; let them all exist before we name them.
  await sleep(300);
  return {
    child,
    port,
    pids() {
      const out: Record<string, number> = { [name]: child.pid };
      descendantsOf(child.pid).forEach((pid, i) => (out[`${name}-${i}`] = pid));
      return out;
    },
    async shmMaxUsedBytes() {
      if (ctlSocket === null) return null;
      const r = await runCommand('kamcmd', ['-s', `unix:${ctlSocket}`, 'core.shmmem']);
      const m = /max_used:\s*(\d+)/.exec(r.stdout);
      return m === null ? null : Number(m[1]);
    },
    async stop() {
      await child.stop();
    },
  };
}

export interface RelayYardstick {
  kamailio: KamailioProcess;
  uas: Child;
}

/** The yardstick: Kamailio relaying to a SIPp UAS. */
export async function startRelayYardstick(ctx: BenchContext, workers: number): Promise<RelayYardstick> {
  const uasPort = await freePort();
  const uasDir = join(ctx.workDir, 'uas');
  await mkdir(uasDir, { recursive: true });
  const uas = startChild(
    'sipp-uas',
    'sipp',
    [
      '-sf',
      SCENARIO_RELAY_UAS,
      '-t',
      't1',
      '-p',
      String(uasPort),
      '-i',
      '127.0.0.1',
      '-nostdin',
      '-timer_resol',
      '1',
      '-max_recv_loops',
      '10000',
      '-trace_err',
      '-error_file',
      'errors.log',
    ],
    { cwd: uasDir, captureStdout: false },
  );
  await until(async () => await portOpen(uasPort), 20_000, 'the SIPp UAS listening');
  const kamailio = await startKamailio(
    ctx,
    'kamailio',
    KAMAILIO_RELAY_CFG,
    workers,
    KAMAILIO_SHM_MB,
    ['-l', 'tcp:127.0.0.1:{PORT}', '-A', `UAS_URI="sip:127.0.0.1:${uasPort};transport=tcp"`],
    join(ctx.workDir, 'kamailio-ctl.sock'),
  );
  return { kamailio, uas };
}

/** The deployment's load balancer (deploy/kamailio/kamailio.cfg) over the given gateway SIP ports. */
export async function startBalancer(
  ctx: BenchContext,
  name: string,
  gateways: readonly { id: string; port: number }[],
  workers: number,
): Promise<KamailioProcess> {
  const list = join(ctx.workDir, `${name}-dispatcher.list`);
  await writeFile(
    list,
    `# generated for this benchmark run: set 1 = the gateway processes\n${gateways
      .map((g) => `1 sip:127.0.0.1:${g.port};transport=tcp 0 0 node=${g.id}`)
      .join('\n')}\n`,
  );
  return startKamailio(
    ctx,
    name,
    KAMAILIO_BALANCER_CFG,
    workers,
    BALANCER_SHM_MB,
    [
      '-A',
      'LISTEN_TCP=tcp:127.0.0.1:{PORT}',
      '-A',
      `DISPATCHER_LIST="${list}"`,
      '-A',
      `CHILDREN=${workers}`,
      // warn: at info the balancer logs every dispatched INVITE (a benchmark measures relaying,
      // not syslog writes), as the gateway runs at warn here.
      '-A',
      'LOG_LEVEL=1',
      '-A',
      'PROBE_INTERVAL=5',
    ],
    null,
  );
}
