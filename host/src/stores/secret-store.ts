// The SecretStore port: where the CTI application user's password lives, never in the
// settings JSON and never in a log. Electron main implements the cipher with `safeStorage`
// (OS keychain / DPAPI / libsecret); the headless shell uses the in-memory store or the
// 0600 file without a cipher.
import { z } from 'zod';
import { DesklineError, wrapError, type Logger } from '../../../gateway/src/index.js';
import { AtomicJsonFile } from './atomic-json-file.js';
import type { DurableFs } from './durable-fs.js';

export interface SecretStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** Name of the CTI application user's password in the store. */
export const CTI_PASSWORD_SECRET = 'cti.applicationUser.password';

export class MemorySecretStore implements SecretStore {
  private readonly secrets = new Map<string, string>();
  async get(name: string): Promise<string | undefined> {
    return this.secrets.get(name);
  }
  async set(name: string, value: string): Promise<void> {
    this.secrets.set(name, value);
  }
  async delete(name: string): Promise<void> {
    this.secrets.delete(name);
  }
}

/** Turns a secret into what is stored and back (Electron: safeStorage.encryptStringAsync, base64). */
export interface SecretCipher {
  /** Stable name written beside each value, so a value sealed by another cipher is refused, not misread. */
  readonly name: string;
  seal(plain: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

/** No encryption: the file's 0600 mode is the only protection (headless shell, tests). */
export const plainCipher: SecretCipher = {
  name: 'plain',
  seal: async (plain) => plain,
  open: async (sealed) => sealed,
};

const SecretFile = z.object({
  version: z.literal(1),
  secrets: z.record(z.string(), z.object({ cipher: z.string(), value: z.string() })),
});
type SecretFile = z.infer<typeof SecretFile>;

/** Secrets in one JSON file, mode 0600, saved atomically like the settings. */
export class FileSecretStore implements SecretStore {
  private readonly file: AtomicJsonFile<SecretFile>;
  private readonly cipher: SecretCipher;
  private readonly logger: Logger;
  private data: SecretFile | undefined;
  /** set/delete read-modify-write the file: they run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: { path: string; logger: Logger; cipher?: SecretCipher; fs?: DurableFs }) {
    this.cipher = options.cipher ?? plainCipher;
    this.logger = options.logger;
    this.file = new AtomicJsonFile({
      path: options.path,
      schema: SecretFile,
      logger: options.logger,
      mode: 0o600,
      ...(options.fs ? { fs: options.fs } : {}),
    });
  }

  async get(name: string): Promise<string | undefined> {
    const secrets = (await this.loaded()).secrets;
    const entry = Object.prototype.hasOwnProperty.call(secrets, name) ? secrets[name] : undefined;
    if (entry === undefined) return undefined;
    if (entry.cipher !== this.cipher.name) {
      this.logger.warn(
        { secret: name, cipher: entry.cipher },
        'secrets: stored with another cipher; ignored',
      );
      return undefined;
    }
    try {
      return await this.cipher.open(entry.value);
    } catch (error) {
      // e.g. the OS keychain was reset: the sealed value can no longer be opened.
      this.logger.warn(
        { secret: name, err: wrapError(error).message },
        'secrets: cannot be decrypted; ignored',
      );
      return undefined;
    }
  }

  set(name: string, value: string): Promise<void> {
    return this.serial(async () => {
      const data = await this.loaded();
      const sealed = { cipher: this.cipher.name, value: await this.cipher.seal(value) };
      await this.commit({ version: 1, secrets: { ...data.secrets, [name]: sealed } });
    });
  }

  delete(name: string): Promise<void> {
    return this.serial(async () => {
      const data = await this.loaded();
      if (!Object.prototype.hasOwnProperty.call(data.secrets, name)) return;
      const secrets = { ...data.secrets };
      delete secrets[name];
      await this.commit({ version: 1, secrets });
    });
  }

  async dispose(): Promise<void> {
    await this.file.dispose();
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async commit(next: SecretFile): Promise<void> {
    const saved = await this.file.save(next);
    if (!saved.ok) throw new DesklineError(saved.error.code, saved.error.message);
    this.data = next;
  }

  private async loaded(): Promise<SecretFile> {
    if (this.data === undefined) this.data = (await this.file.load()).value ?? { version: 1, secrets: {} };
    return this.data;
  }
}
