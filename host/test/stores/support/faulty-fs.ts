// A DurableFs that behaves like the real one until told to fail at a step (docs/architecture.md §4.8:
// fakes before mocks). Each call is recorded, so tests can say "fail the 2nd rename".
import { nodeDurableFs, type DurableFs } from '../../../src/stores/durable-fs.js';

export type FsStep = 'readFile' | 'writeFileSynced' | 'rename' | 'unlink' | 'fsyncDir' | 'mkdir' | 'readdir';

export class FaultyFs implements DurableFs {
  readonly calls: Array<{ step: FsStep; args: string[] }> = [];
  private failure: { step: FsStep; nth: number; seen: number; error: Error } | undefined;

  constructor(private readonly inner: DurableFs = nodeDurableFs) {}

  /** The nth (1-based) call of `step` from now on rejects with `error` (EIO by default). */
  failAt(
    step: FsStep,
    nth = 1,
    error: Error = Object.assign(new Error(`EIO: injected failure at ${step}`), { code: 'EIO' }),
  ): void {
    this.failure = { step, nth, seen: 0, error };
  }

  count(step: FsStep): number {
    return this.calls.filter((call) => call.step === step).length;
  }

  private check(step: FsStep, args: string[]): void {
    this.calls.push({ step, args });
    const failure = this.failure;
    if (failure === undefined || failure.step !== step) return;
    failure.seen += 1;
    if (failure.seen === failure.nth) {
      this.failure = undefined;
      throw failure.error;
    }
  }

  async readFile(path: string): Promise<Buffer> {
    this.check('readFile', [path]);
    return this.inner.readFile(path);
  }
  async writeFileSynced(path: string, data: Uint8Array, mode: number): Promise<void> {
    this.check('writeFileSynced', [path]);
    return this.inner.writeFileSynced(path, data, mode);
  }
  async rename(from: string, to: string): Promise<void> {
    this.check('rename', [from, to]);
    return this.inner.rename(from, to);
  }
  async unlink(path: string): Promise<void> {
    this.check('unlink', [path]);
    return this.inner.unlink(path);
  }
  async fsyncDir(dir: string): Promise<void> {
    this.check('fsyncDir', [dir]);
    return this.inner.fsyncDir(dir);
  }
  async mkdir(dir: string, mode: number): Promise<void> {
    this.check('mkdir', [dir]);
    return this.inner.mkdir(dir, mode);
  }
  async readdir(dir: string): Promise<string[]> {
    this.check('readdir', [dir]);
    return this.inner.readdir(dir);
  }
}
