// The user's settings (the SettingsView of the contract), persisted as JSON in the app's
// data directory through AtomicJsonFile: atomic replace, previous good copy kept, damaged
// files fall back with a warning that names the bad fields. The password never enters the
// JSON: it goes to the SecretStore port, and the view only says whether one is stored.
//
// File format (`settings.json`):
//   { "version": 1, "settings": { "ctiAddresses": [...], "applicationUser": "...", ... },
//     "lines": { "<user id, lower case>": "<line appearance id>" } }
// `lines` is the line each user last chose to dial from (docs/ui.md §2 Lines): app state beside
// the settings, not a setting the Settings screen shows; absent in older files.
// Fields missing from the file take their defaults (a file written by an older version);
// a field present with a bad value makes the file invalid (fall back to `settings.json.bak`).
import { join } from 'node:path';
import { z } from 'zod';
import { SettingsPatch, SettingsView } from '../../../common/src/api/views.js';
import { DesklineError, ErrorCode, type Logger, err, ok, type Result } from '../../../gateway/src/index.js';
import { acceleratorProblem } from '../../../common/src/accelerator.js';
import { AtomicJsonFile, describeIssues, type LoadSource } from './atomic-json-file.js';
import type { DurableFs } from './durable-fs.js';
import { CTI_PASSWORD_SECRET, type SecretStore } from './secret-store.js';

export const SETTINGS_FILE = 'settings.json';

/** What the file holds: the view without `hasPassword` (derived from the SecretStore) and
 *  `administrator` (the desktop app's administrator file, never stored here). */
export type StoredSettings = Omit<SettingsView, 'hasPassword' | 'administrator'>;
export type SettingsField = keyof SettingsView;

export const DEFAULT_SETTINGS: Readonly<StoredSettings> = Object.freeze({
  ctiAddresses: [],
  applicationUser: '',
  heartbeatIntervalSec: 30,
  userId: '',
  favourites: [],
  sipListenerEnabled: false,
  startAtLogin: false,
  theme: 'system',
  globalShortcut: 'CommandOrControl+Shift+D',
  dialShortcut: '',
});

/** Rules beyond the view's field schemas, shared by the file and by updates. */
function checkStoredSettings(settings: StoredSettings, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  settings.ctiAddresses.forEach((address, index) => {
    const key = address.toLowerCase();
    if (seen.has(key))
      ctx.addIssue({
        code: 'custom',
        path: ['ctiAddresses', index],
        message: `duplicate address ${address}`,
      });
    seen.add(key);
  });
  const problem = acceleratorProblem(settings.globalShortcut);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['globalShortcut'], message: problem });
  const dial = settings.dialShortcut ?? '';
  const dialProblem = acceleratorProblem(dial);
  if (dialProblem !== undefined)
    ctx.addIssue({ code: 'custom', path: ['dialShortcut'], message: dialProblem });
  else if (dial !== '' && dial.toLowerCase() === settings.globalShortcut.toLowerCase())
    ctx.addIssue({
      code: 'custom',
      path: ['dialShortcut'],
      message: 'is already the shortcut that shows Deskline',
    });
}

const StoredView = SettingsView.omit({ hasPassword: true, administrator: true });
const StoredSettingsSchema = StoredView.superRefine(checkStoredSettings);

/** Users whose chosen line is remembered, at most (the oldest is forgotten first). */
export const REMEMBERED_LINES_LIMIT = 32;

interface SettingsDocument {
  version: 1;
  settings: StoredSettings;
  lines?: Record<string, string> | undefined;
}

const RememberedLines = z
  .record(z.string().min(1).max(128), z.string().min(1).max(256))
  .refine((lines) => Object.keys(lines).length <= REMEMBERED_LINES_LIMIT, {
    message: `at most ${REMEMBERED_LINES_LIMIT} users`,
  });

const SettingsDocumentSchema = z
  .object({
    version: z.literal(1),
    // Partial: a field added by a later version is absent from an older file and takes its default.
    settings: StoredView.partial(),
    lines: RememberedLines.optional(),
  })
  .transform((file, ctx): SettingsDocument => {
    const checked = StoredSettingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...file.settings });
    if (!checked.success) {
      for (const issue of checked.error.issues)
        ctx.addIssue({ code: 'custom', path: ['settings', ...issue.path], message: issue.message });
      return z.NEVER;
    }
    return { version: 1, settings: checked.data, ...(file.lines === undefined ? {} : { lines: file.lines }) };
  });

const PatchSchema = SettingsPatch.strict();
/** `changed` names the fields that changed; it holds 'hasPassword' whenever the stored password
 *  changed (even from one password to another), so the engine knows to sign in again. */
export type SettingsChangeListener = (settings: SettingsView, changed: ReadonlySet<SettingsField>) => void;

export interface SettingsStoreOptions {
  /** The app's data directory (Electron: app.getPath('userData')). */
  dir: string;
  secrets: SecretStore;
  logger: Logger;
  fs?: DurableFs;
}

export class SettingsStore {
  private current: StoredSettings;
  private hasPassword: boolean;
  /** User ID (lower case) → the line appearance last chosen to dial from. */
  private lines: Record<string, string>;
  private readonly listeners = new Set<SettingsChangeListener>();
  /** Updates run one at a time, so a failed save can restore exactly what was there. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly file: AtomicJsonFile<SettingsDocument>,
    private readonly secrets: SecretStore,
    private readonly logger: Logger,
    initial: StoredSettings,
    lines: Record<string, string>,
    hasPassword: boolean,
    /** Where the settings came from at open (for the UI's notice on a fallback). */
    readonly loadedFrom: LoadSource,
    readonly loadProblems: readonly string[],
  ) {
    this.current = initial;
    this.lines = lines;
    this.hasPassword = hasPassword;
  }

  static async open(options: SettingsStoreOptions): Promise<SettingsStore> {
    const logger = options.logger.child({ component: 'settings' });
    const file = new AtomicJsonFile<SettingsDocument>({
      path: join(options.dir, SETTINGS_FILE),
      schema: SettingsDocumentSchema,
      logger,
      mode: 0o600,
      ...(options.fs ? { fs: options.fs } : {}),
    });
    const loaded = await file.load();
    const hasPassword = (await options.secrets.get(CTI_PASSWORD_SECRET)) !== undefined;
    return new SettingsStore(
      file,
      options.secrets,
      logger,
      loaded.value?.settings ?? { ...DEFAULT_SETTINGS },
      { ...loaded.value?.lines },
      hasPassword,
      loaded.source,
      loaded.problems,
    );
  }

  get(): SettingsView {
    return { ...this.current, hasPassword: this.hasPassword };
  }

  /** The CTI application user's password, for the engine's config only. */
  password(): Promise<string | undefined> {
    return this.secrets.get(CTI_PASSWORD_SECRET);
  }

  /** Validates and applies a patch; `password: ''` removes the stored password. Bad input
   *  (naming the field) or a failed save changes nothing. */
  update(patch: unknown): Promise<Result<SettingsView>> {
    const run = this.queue.then(() => this.applyUpdate(patch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The line `userId` last chose to dial from, if any. */
  rememberedLine(userId: string): string | undefined {
    const key = userId.toLowerCase();
    return Object.prototype.hasOwnProperty.call(this.lines, key) ? this.lines[key] : undefined;
  }

  /** Remembers the line `userId` chose (saved; a failed save changes nothing). */
  rememberLine(userId: string, lineId: string): Promise<Result<void>> {
    const run = this.queue.then(async (): Promise<Result<void>> => {
      if (this.disposed) return err(new DesklineError(ErrorCode.Disposed, 'settings store disposed'));
      const key = userId.toLowerCase();
      if (this.lines[key] === lineId) return ok(undefined);
      const { [key]: _previous, ...others } = this.lines;
      const kept = Object.entries(others).slice(-(REMEMBERED_LINES_LIMIT - 1));
      const next = { ...Object.fromEntries(kept), [key]: lineId };
      const saved = await this.file.save({ version: 1, settings: this.current, lines: next });
      if (!saved.ok) return saved;
      this.lines = next;
      this.logger.info({}, 'settings: chosen line remembered');
      return ok(undefined);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  onChange(listener: SettingsChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async flush(): Promise<void> {
    await this.queue;
    await this.file.flush();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.queue;
    await this.file.dispose();
    this.listeners.clear();
  }

  private async applyUpdate(raw: unknown): Promise<Result<SettingsView>> {
    if (this.disposed) return err(new DesklineError(ErrorCode.Disposed, 'settings store disposed'));
    const parsed = PatchSchema.safeParse(raw);
    if (!parsed.success)
      return err(new DesklineError(ErrorCode.InvalidArgument, `settings: ${describeIssues(parsed.error)}`));
    const { password, ...fields } = parsed.data;
    const defined = Object.fromEntries(
      Object.entries(fields).filter(([, value]) => value !== undefined),
    ) as Partial<StoredSettings>;
    const merged = StoredSettingsSchema.safeParse({ ...this.current, ...defined });
    if (!merged.success)
      return err(new DesklineError(ErrorCode.InvalidArgument, `settings: ${describeIssues(merged.error)}`));
    const next = merged.data;

    const changed = new Set<SettingsField>();
    for (const key of Object.keys(next) as Array<keyof StoredSettings>) {
      if (JSON.stringify(next[key]) !== JSON.stringify(this.current[key])) changed.add(key);
    }

    const fieldsChanged = changed.size > 0;
    // The secret first: if it cannot be stored, nothing has changed yet.
    const previousPassword = password === undefined ? undefined : await this.secrets.get(CTI_PASSWORD_SECRET);
    if (password !== undefined) {
      try {
        if (password === '') await this.secrets.delete(CTI_PASSWORD_SECRET);
        else await this.secrets.set(CTI_PASSWORD_SECRET, password);
      } catch (error) {
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'settings: password could not be stored',
        );
        return err(new DesklineError(ErrorCode.Internal, 'the password could not be stored'));
      }
      if ((password === '' ? undefined : password) !== previousPassword) changed.add('hasPassword');
    }

    if (fieldsChanged) {
      const saved = await this.file.save({
        version: 1,
        settings: next,
        ...(Object.keys(this.lines).length === 0 ? {} : { lines: this.lines }),
      });
      if (!saved.ok) {
        if (password !== undefined) await this.restorePassword(previousPassword);
        return err(saved.error);
      }
    }
    this.current = next;
    if (password !== undefined) this.hasPassword = password !== '';
    // Never log values: a field could be personal, the password is not here at all.
    if (changed.size > 0) this.logger.info({ changed: [...changed] }, 'settings: saved');
    const view = this.get();
    if (changed.size > 0) for (const listener of this.listeners) this.notify(listener, view, changed);
    return ok(view);
  }

  private async restorePassword(previous: string | undefined): Promise<void> {
    try {
      if (previous === undefined) await this.secrets.delete(CTI_PASSWORD_SECRET);
      else await this.secrets.set(CTI_PASSWORD_SECRET, previous);
    } catch {
      this.logger.error({}, 'settings: password could not be restored after a failed save');
    }
  }

  private notify(
    listener: SettingsChangeListener,
    view: SettingsView,
    changed: ReadonlySet<SettingsField>,
  ): void {
    try {
      listener(view, changed);
    } catch (error) {
      this.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'settings: change listener threw',
      );
    }
  }
}
