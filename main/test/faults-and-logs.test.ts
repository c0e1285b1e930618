// Log files with rotation, the crash log, and the main-process fault handler — the handler in
// a real Node process that throws and rejects, which must keep running (docs/desktop.md
// "Logs and crashes").
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../gateway/src/index.js';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { FAULTS_PER_MINUTE, FaultHandler, NOTIFY_EVERY_MS, type ProcessLike } from '../src/fault-handler.js';
import {
  CRASH_LOG_MAX_BYTES,
  CrashLog,
  LOG_ROTATED_FILES,
  logFileName,
  openAppLog,
} from '../src/log-files.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('log files', () => {
  it('names files logrotate style', () => {
    expect([null, 1, 5].map(logFileName)).toEqual(['deskline.log', 'deskline.1.log', 'deskline.5.log']);
  });

  it('writes JSON lines and rotates by size, keeping at most five old files', async () => {
    const log = openAppLog(dir, { rotateSize: '2K' });
    for (let i = 0; i < 400; i += 1) {
      log.logger.info({ i, password: 'hunter2' }, 'a line of the log that takes some room');
      // Let the stream rotate between bursts, as a running app does.
      if (i % 40 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await log.dispose();
    const files = (await readdir(dir)).sort();
    expect(files).toContain('deskline.log');
    expect(files).toContain('deskline.1.log');
    expect(files.filter((file) => file.startsWith('deskline')).length).toBeLessThanOrEqual(
      LOG_ROTATED_FILES + 1,
    );
    const last = (await readFile(join(dir, 'deskline.log'), 'utf8')).trim().split('\n').at(-1) ?? '';
    const record = JSON.parse(last) as { i: number; msg: string; password: string };
    expect(record).toMatchObject({ i: 399, msg: 'a line of the log that takes some room' });
    // Secrets never reach a file.
    expect(record.password).toBe('[redacted]');
  });

  it('the crash log appends records and rolls over at its size', async () => {
    const crash = new CrashLog(dir);
    crash.append({ kind: 'uncaughtException', message: 'first' });
    crash.append({ kind: 'unhandledRejection', message: 'second' });
    const lines = (await readFile(crash.path, 'utf8')).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual([
      'first',
      'second',
    ]);
    await writeFile(crash.path, 'x'.repeat(CRASH_LOG_MAX_BYTES));
    crash.append({ message: 'after the roll' });
    expect(existsSync(join(dir, 'crash.1.log'))).toBe(true);
    expect((await readFile(crash.path, 'utf8')).trim()).toBe('{"message":"after the roll"}');
  });
});

describe('FaultHandler', () => {
  function setup() {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    const crash: Array<Record<string, unknown>> = [];
    const notices: string[] = [];
    const handler = new FaultHandler({
      logger,
      clock,
      version: '0.1.0',
      crashLog: { append: (record) => void crash.push(record) },
      notify: (message) => void notices.push(message),
    });
    const target = new EventEmitter();
    const uninstall = handler.install(target as unknown as ProcessLike);
    return { clock, logger, crash, notices, handler, target, uninstall };
  }

  it('logs, records and tells the user once per burst; the listeners keep the process alive', () => {
    const { crash, notices, target, logger, clock, uninstall } = setup();
    target.emit('uncaughtException', new Error('boom'), 'uncaughtException');
    target.emit('unhandledRejection', 'nobody caught this');
    expect(crash.map((record) => [record['kind'], record['message']])).toEqual([
      ['uncaughtException', 'boom'],
      ['unhandledRejection', 'nobody caught this'],
    ]);
    expect(crash[0]?.['stack']).toMatch(/Error: boom/);
    expect(crash[0]?.['detail']).toEqual({ origin: 'uncaughtException' });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/carried on/);
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(2);
    clock.advance(NOTIFY_EVERY_MS);
    target.emit('uncaughtException', new Error('again'), 'uncaughtException');
    expect(notices).toHaveLength(2);
    uninstall();
    expect(target.listenerCount('uncaughtException')).toBe(0);
    expect(target.listenerCount('unhandledRejection')).toBe(0);
  });

  it('a storm is counted, not written: at most FAULTS_PER_MINUTE records a minute', () => {
    const { crash, target, clock, handler, logger } = setup();
    for (let i = 0; i < FAULTS_PER_MINUTE + 30; i += 1) target.emit('unhandledRejection', new Error(`e${i}`));
    expect(crash).toHaveLength(FAULTS_PER_MINUTE);
    expect(handler.count).toBe(FAULTS_PER_MINUTE + 30);
    clock.advance(60_000);
    target.emit('unhandledRejection', new Error('later'));
    expect(crash).toHaveLength(FAULTS_PER_MINUTE + 1);
    expect(logger.records.some((r) => r.message.includes('more faults') && r.fields['dropped'] === 30)).toBe(
      true,
    );
  });

  it('a renderer that died is recorded with its reason and the user is told the window was reopened', () => {
    const { crash, notices, handler } = setup();
    handler.record('rendererGone', new Error('renderer gone: crashed'), { reason: 'crashed', exitCode: 139 });
    expect(crash[0]).toMatchObject({ kind: 'rendererGone', detail: { reason: 'crashed', exitCode: 139 } });
    expect(notices[0]).toMatch(/window stopped unexpectedly/);
  });

  it('in a real process: a throw and a rejection are recorded and the process carries on', async () => {
    const script = join(dir, 'faulty.ts');
    const handlerModule = join(root, 'main', 'src', 'fault-handler.ts');
    const logsModule = join(root, 'main', 'src', 'log-files.ts');
    await writeFile(
      script,
      [
        `import { FaultHandler } from ${JSON.stringify(handlerModule)};`,
        `import { CrashLog, openAppLog } from ${JSON.stringify(logsModule)};`,
        `const log = openAppLog(${JSON.stringify(dir)});`,
        'const handler = new FaultHandler({',
        `  logger: log.logger, crashLog: new CrashLog(${JSON.stringify(dir)}), version: '0.1.0',`,
        '  clock: { now: () => Date.now(), monotonic: () => performance.now(), setTimeout, clearTimeout } as never,',
        '  notify: (message: string) => console.log(`notice: ${message}`),',
        '});',
        'handler.install(process);',
        "setTimeout(() => { throw new Error('thrown in a timer'); }, 10);",
        "setTimeout(() => { void Promise.reject(new Error('rejected, never handled')); }, 20);",
        "setTimeout(async () => { console.log('still running'); await log.dispose(); process.exit(0); }, 100);",
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain('still running');
    expect(stdout.match(/notice: /g)).toHaveLength(1);
    const records = (await readFile(join(dir, 'crash.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; message: string });
    expect(records.map((r) => [r.kind, r.message])).toEqual([
      ['uncaughtException', 'thrown in a timer'],
      ['unhandledRejection', 'rejected, never handled'],
    ]);
    expect(await readFile(join(dir, 'deskline.log'), 'utf8')).toContain('fault: the app carries on');
  }, 30_000);
});
