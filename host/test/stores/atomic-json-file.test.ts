import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AtomicJsonFile } from '../../src/stores/atomic-json-file.js';
import { MemoryLogger } from '../../../gateway/src/index.js';
import { FaultyFs } from './support/faulty-fs.js';

const Doc = z.object({ version: z.literal(1), name: z.string(), count: z.number().int() });
type Doc = z.infer<typeof Doc>;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(options: { fs?: FaultyFs; logger?: MemoryLogger } = {}): {
  file: AtomicJsonFile<Doc>;
  logger: MemoryLogger;
} {
  const logger = options.logger ?? new MemoryLogger();
  const file = new AtomicJsonFile<Doc>({
    path: join(dir, 'doc.json'),
    schema: Doc,
    logger,
    ...(options.fs ? { fs: options.fs } : {}),
  });
  return { file, logger };
}

const doc = (name: string, count = 1): Doc => ({ version: 1, name, count });

describe('AtomicJsonFile', () => {
  it('loads nothing on first run, then round-trips what it saved', async () => {
    const { file } = open();
    expect(await file.load()).toEqual({ value: undefined, source: 'none', problems: [] });
    expect((await file.save(doc('a'))).ok).toBe(true);
    const again = open().file;
    expect(await again.load()).toEqual({ value: doc('a'), source: 'current', problems: [] });
  });

  it('writes the file with mode 0600 and keeps the previous good copy as .bak', async () => {
    const { file } = open();
    await file.load();
    await file.save(doc('first'));
    await file.save(doc('second'));
    if (process.platform !== 'win32') expect((await stat(join(dir, 'doc.json'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, 'doc.json'), 'utf8'))).toEqual(doc('second'));
    expect(JSON.parse(await readFile(join(dir, 'doc.json.bak'), 'utf8'))).toEqual(doc('first'));
    expect((await readdir(dir)).sort()).toEqual(['doc.json', 'doc.json.bak']);
  });

  it('falls back to the last good copy when the file is truncated, with a warning', async () => {
    const { file } = open();
    await file.load();
    await file.save(doc('good', 1));
    await file.save(doc('newer', 2));
    const text = await readFile(join(dir, 'doc.json'), 'utf8');
    await writeFile(join(dir, 'doc.json'), text.slice(0, text.length / 2));
    const { file: reopened, logger } = open();
    const loaded = await reopened.load();
    expect(loaded.value).toEqual(doc('good', 1));
    expect(loaded.source).toBe('backup');
    expect(loaded.problems[0]).toMatch(/doc\.json: not valid JSON/);
    expect(logger.records.some((r) => r.level === 'warn' && r.message.includes('last good copy'))).toBe(true);
  });

  it('names the bad fields of a file that fails the schema', async () => {
    await writeFile(join(dir, 'doc.json'), JSON.stringify({ version: 1, name: 'x', count: 'many' }));
    const { file, logger } = open();
    const loaded = await file.load();
    expect(loaded.source).toBe('none');
    expect(loaded.problems).toEqual([expect.stringMatching(/^doc\.json: invalid: count: /)]);
    expect(logger.records.find((r) => r.level === 'warn')?.fields['problems']).toEqual(loaded.problems);
  });

  it('a damaged file never replaces the good backup on the next save', async () => {
    const { file } = open();
    await file.load();
    await file.save(doc('good'));
    await file.save(doc('newer'));
    await writeFile(join(dir, 'doc.json'), '{"version":1,');
    const reopened = open().file;
    expect((await reopened.load()).value).toEqual(doc('good'));
    // Saving now must not rotate the damaged file into .bak.
    await reopened.save(doc('after'));
    expect(JSON.parse(await readFile(join(dir, 'doc.json.bak'), 'utf8'))).toEqual(doc('good'));
    expect(JSON.parse(await readFile(join(dir, 'doc.json'), 'utf8'))).toEqual(doc('after'));
  });

  it('removes temp files left by an interrupted save, and never reads them', async () => {
    await writeFile(join(dir, 'doc.json.999.1.tmp'), JSON.stringify(doc('half-saved')));
    await writeFile(join(dir, 'other.txt'), 'not ours');
    const { file } = open();
    expect((await file.load()).value).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual(['other.txt']);
  });

  describe('a failure at any step of a save loses nothing', () => {
    const steps: Array<{ step: 'writeFileSynced' | 'rename' | 'fsyncDir'; nth: number; expected: string }> = [
      { step: 'writeFileSynced', nth: 1, expected: 'previous' }, // the temp file cannot be written
      { step: 'rename', nth: 1, expected: 'previous' }, // current → .bak fails
      { step: 'rename', nth: 2, expected: 'previous' }, // temp → current fails: only .bak is left
      { step: 'fsyncDir', nth: 1, expected: 'next' }, // renamed already: the new value is what is there
    ];
    for (const { step, nth, expected } of steps) {
      it(`${step} #${nth}`, async () => {
        const fs = new FaultyFs();
        const { file } = open({ fs });
        await file.load();
        expect((await file.save(doc('previous'))).ok).toBe(true);
        fs.failAt(step, nth);
        const result = await file.save(doc('next'));
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe('INTERNAL');
          expect(result.error.message).toMatch(/doc\.json could not be saved/);
        }
        const loaded = await open().file.load();
        expect(loaded.value).toEqual(doc(expected));
        // No temp file is left behind.
        expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
        // And the next save works and is what loads.
        expect((await file.save(doc('later'))).ok).toBe(true);
        expect((await open().file.load()).value).toEqual(doc('later'));
      });
    }
  });

  it('coalesces saves made while one is in flight, and every caller hears when its value is durable', async () => {
    const fs = new FaultyFs();
    const { file } = open({ fs });
    await file.load();
    const saves = Array.from({ length: 20 }, (_, i) => file.save(doc('n', i)));
    const results = await Promise.all(saves);
    expect(results.every((r) => r.ok)).toBe(true);
    // The first write starts at once; the other 19 collapse into one.
    expect(fs.count('writeFileSynced')).toBe(2);
    expect((await open().file.load()).value).toEqual(doc('n', 19));
  });

  it('flush waits for pending saves; dispose refuses later ones', async () => {
    const { file } = open();
    await file.load();
    void file.save(doc('x', 7));
    await file.flush();
    expect(JSON.parse(await readFile(join(dir, 'doc.json'), 'utf8'))).toEqual(doc('x', 7));
    await file.dispose();
    const refused = await file.save(doc('y'));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe('DISPOSED');
  });
});
