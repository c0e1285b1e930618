import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSecretStore, MemorySecretStore, type SecretCipher } from '../../src/stores/secret-store.js';
import { MemoryLogger } from '../../../gateway/src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A reversible stand-in for safeStorage: enough to prove the stored bytes are the sealed ones. */
const rotate = (text: string): string =>
  text.replace(/[a-z]/gi, (c) =>
    String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + (c === c.toLowerCase() ? 97 : 65)),
  );
const rot13: SecretCipher = {
  name: 'test-rot13',
  seal: async (plain) => Buffer.from(rotate(plain)).toString('base64'),
  open: async (sealed) => rotate(Buffer.from(sealed, 'base64').toString('utf8')),
};

describe('MemorySecretStore', () => {
  it('gets, sets and deletes', async () => {
    const store = new MemorySecretStore();
    expect(await store.get('a')).toBeUndefined();
    await store.set('a', 'x');
    expect(await store.get('a')).toBe('x');
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
  });
});

describe('FileSecretStore', () => {
  const path = (): string => join(dir, 'secrets.json');

  it('persists sealed values in a 0600 file and reads them back', async () => {
    const store = new FileSecretStore({ path: path(), logger: new MemoryLogger(), cipher: rot13 });
    await store.set('pw', 'hunter2-password');
    await store.dispose();
    const text = await readFile(path(), 'utf8');
    expect(text).not.toContain('hunter2-password');
    expect(text).toContain('test-rot13');
    if (process.platform !== 'win32') expect((await stat(path())).mode & 0o777).toBe(0o600);
    const again = new FileSecretStore({ path: path(), logger: new MemoryLogger(), cipher: rot13 });
    expect(await again.get('pw')).toBe('hunter2-password');
    await again.delete('pw');
    expect(
      await new FileSecretStore({ path: path(), logger: new MemoryLogger(), cipher: rot13 }).get('pw'),
    ).toBeUndefined();
  });

  it('ignores, with a warning, a value sealed by another cipher or that cannot be opened', async () => {
    const plain = new FileSecretStore({ path: path(), logger: new MemoryLogger() });
    await plain.set('pw', 'abc');
    await plain.dispose();
    const logger = new MemoryLogger();
    const sealed = new FileSecretStore({ path: path(), logger, cipher: rot13 });
    expect(await sealed.get('pw')).toBeUndefined();
    expect(logger.records.some((r) => r.level === 'warn' && r.message.includes('another cipher'))).toBe(true);

    const broken: SecretCipher = {
      name: 'plain',
      seal: async (p) => p,
      open: async () => {
        throw new Error('keychain reset');
      },
    };
    const logger2 = new MemoryLogger();
    expect(
      await new FileSecretStore({ path: path(), logger: logger2, cipher: broken }).get('pw'),
    ).toBeUndefined();
    expect(logger2.records.some((r) => r.message.includes('cannot be decrypted'))).toBe(true);
    expect(JSON.stringify(logger2.records)).not.toContain('abc');
  });

  it('serializes concurrent writes', async () => {
    const store = new FileSecretStore({ path: path(), logger: new MemoryLogger() });
    await Promise.all([store.set('a', '1'), store.set('b', '2'), store.set('c', '3'), store.delete('b')]);
    await store.dispose();
    const again = new FileSecretStore({ path: path(), logger: new MemoryLogger() });
    expect([await again.get('a'), await again.get('b'), await again.get('c')]).toEqual(['1', undefined, '3']);
  });

  it('does not treat inherited object keys as secrets', async () => {
    const store = new FileSecretStore({ path: path(), logger: new MemoryLogger() });
    expect(await store.get('constructor')).toBeUndefined();
    expect(await store.get('__proto__')).toBeUndefined();
  });
});
