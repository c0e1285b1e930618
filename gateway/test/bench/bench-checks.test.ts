// The benchmark harness's honesty rules (docs/benchmarks.md, "Rules that keep the figures
// honest"), proved against real processes: SIPp running bench/sipp/rcc-uac.xml against the Node
// relay floor (bench/floor/), which here answers every Nth INFO with a 200 carrying a
// CSTAErrorCode. Such an answer must fail its call, and its call's requests must not count as
// throughput; the probe must count it as a failure; and a target judged on a run with failures
// is not met, whatever the figure. No timing is asserted (benchmarks are not tests).
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadProcess } from '../../../bench/load/load-process.js';
import { RccRequestKind } from '../../../bench/load/rcc-load-client.js';
import { killAllChildrenNow } from '../../../bench/lib/children.js';
import { createContext } from '../../../bench/lib/context.js';
import { DIAL, FlowRunner, requestsPerCall, SCENARIO_FLOW, UserCursor } from '../../../bench/lib/flow.js';
import { ProcessMonitor } from '../../../bench/lib/proc-stats.js';
import { startFloorProcess, type FloorProcess } from '../../../bench/lib/services.js';
import { spreadOf } from '../../../bench/lib/stats.js';
import { computeTargets } from '../../../bench/lib/targets.js';
import type { BenchResult } from '../../../bench/lib/results.js';
import type { YardstickFigures } from '../../../bench/yardstick.js';

const ERROR_EVERY = 37;
const LOOPS = 3;

let floor: FloorProcess | undefined;
let probe: LoadProcess | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterAll(async () => {
  await probe?.stop();
  await floor?.child.stop();
  await floor?.echo.stop();
  killAllChildrenNow();
  await cleanup?.();
});

describe('benchmark harness: a 200 carrying a CSTAErrorCode never counts', () => {
  it('fails the SIPp call and leaves its requests out of the throughput', async () => {
    const made = await createContext('yardstick', {
      quick: true,
      outDir: tmpdir(),
      keepWorkDir: false,
      log: () => undefined,
      runId: 'test',
    });
    cleanup = made.cleanup;
    floor = await startFloorProcess({ errorEvery: ERROR_EVERY });
    const monitor = new ProcessMonitor({ floor: floor.child.pid }).start();
    const perCall = requestsPerCall(LOOPS);
    const runner = new FlowRunner(made.ctx, {
      name: 'checks',
      target: `${floor.sip.host}:${floor.sip.port}`,
      monitor,
      users: new UserCursor(1000),
      server: 'floor',
    });
    const calls = 30;
    const step = await runner.step('errors', SCENARIO_FLOW, {
      rate: 200,
      limit: 5,
      calls,
      offered: null,
      requestsPerCall: perCall,
      variables: { loops: LOOPS, dial: DIAL },
    });
    monitor.stop();
    // 30 calls × 10 INFOs, one refused in every 37: about 8 calls fail their check.
    expect(step.calls.failed).toBeGreaterThan(0);
    expect(step.calls.successful + step.calls.failed).toBe(calls);
    expect(step.calls.failures['FailedRegexpDoesntMatch']).toBe(step.calls.failed);
    // SIPp timed the refused answers too; the harness counts only successful calls' requests.
    expect(step.cstaRequests).toBe(step.calls.successful * perCall);
    expect(step.cstaAnswered).toBeGreaterThan(step.cstaRequests);
  }, 60_000);

  it('makes the probe count the answer as a failure', async () => {
    if (floor === undefined) throw new Error('the floor did not start');
    probe = await LoadProcess.start('probe-checks');
    await probe.connect(floor.sip.host, floor.sip.port, 'bench.example', 1);
    // MonitorStart may itself be the refused INFO: open one session at a time until 3 are open.
    let open = 0;
    for (let i = 0; open < 3 && i < 10; i++) {
      const r = await probe.open([{ id: `user${i}`, dn: `100${i}` }], 1, true);
      open += r.succeeded;
    }
    expect(open).toBe(3);
    const report = await probe.requests(150, 1500, [
      RccRequestKind.SnapshotDevice,
      RccRequestKind.GetDoNotDisturb,
    ]);
    expect(report.failed).toBeGreaterThan(0);
    expect(Object.keys(report.failures).some((k) => k.startsWith('CSTA error'))).toBe(true);
    expect(report.succeeded + report.failed + report.skipped).toBe(report.attempted);
    expect(report.latencyMs.length).toBe(report.succeeded);
  }, 60_000);
});

describe('benchmark targets', () => {
  const spread = (v: number) => spreadOf([v]);
  const yardstick = (failedCalls: number): BenchResult => {
    const leg = { failedCalls, probeFailed: 0, clientBoundRounds: 0 };
    const figures = {
      fixedRate: 4000,
      legs: { gateway: leg, kamailio: { ...leg, failedCalls: 0 }, floor: { ...leg, failedCalls: 0 } },
      ratios: {
        maxGatewayOverKamailio: spread(0.9),
        maxGatewayOverFloor: spread(0.5),
        cpuGatewayOverKamailioAtFixed: spread(1.2),
        cpuGatewayOverFloorAtFixed: spread(1.4),
      },
      gcAtFixed: { share: spread(0.05), mainThreadShare: spread(0.03) },
    } as unknown as YardstickFigures;
    return { benchmark: 'yardstick', quick: false, targets: [], figures } as unknown as BenchResult;
  };

  it('judges the medians against the limits', () => {
    const rows = computeTargets({ yardstick: yardstick(0) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get('cpu-vs-floor')?.met).toBe(true);
    expect(byId.get('max-vs-kamailio')?.met).toBe(true);
    expect(byId.get('cpu-vs-kamailio')?.met).toBe(true);
    expect(byId.get('gc-share')?.met).toBe(true);
    // Benchmarks that did not run are "not measured", never met.
    expect(byId.get('marginal-memory')?.met).toBeNull();
    expect(byId.get('throughput')?.met).toBeNull();
  });

  it('does not meet a target whose steps had failed calls, and gives the gap when missed', () => {
    const rows = computeTargets({ yardstick: yardstick(3) });
    const cpu = rows.find((r) => r.id === 'cpu-vs-floor');
    expect(cpu?.met).toBe(false);
    expect(cpu?.measured).toContain('failed');
    const missed = computeTargets({
      yardstick: {
        ...yardstick(0),
        figures: {
          ...(yardstick(0).figures as YardstickFigures),
          gcAtFixed: { share: spread(0.33), mainThreadShare: spread(0.12) },
        },
      },
    }).find((r) => r.id === 'gc-share');
    expect(missed?.met).toBe(false);
    expect(missed?.gap).toBe('3.3× the limit');
  });
});
