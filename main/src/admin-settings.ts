// The Administrator part of the settings (docs/desktop.md "Settings: You and Administrator"):
// the phone system the app connects to, its credentials, the optional SIP listener and the
// update feed. An organisation ships them in one file per machine, written by an
// administrator and only readable by users:
//   Linux    /etc/deskline/admin.yaml
//   macOS    /Library/Application Support/Deskline/admin.yaml
//   Windows  %ProgramData%\Deskline\admin.yaml
// With the file present, every Administrator setting is locked to it (the ones it leaves out
// take their defaults) and the user's own part ("You": user ID, favourites, theme, start at
// login, shortcuts) stays theirs. Without it, the Administrator settings can be edited in the
// app (a trial, the demo). A file with an error locks them too and keeps the phone system
// unused until it is fixed — the message names the field — rather than silently falling back
// to something the administrator did not choose.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DeskApiError } from '../../common/src/api/contract.js';
import { CtiAddress, type AdministratorView, type SettingsView } from '../../common/src/api/views.js';
import { MAX_CTI_NODES } from '../../common/src/limits.js';
import { DEFAULT_CHECK_INTERVAL_MS, type UpdatePolicy } from './updates.js';

export const ADMIN_FILE_NAME = 'admin.yaml';
/** Unpackaged builds only (development, the e2e tests): a packaged app's policy cannot be
 *  moved by an environment variable. */
export const ADMIN_FILE_ENV = 'DESKLINE_ADMIN_FILE';
/** Code of an update refused because the administrator file sets the field. */
export const SETTING_LOCKED = 'SETTING_LOCKED';
/** Longest administrator file read (it is a few lines). */
const MAX_ADMIN_FILE_BYTES = 64 * 1024;

/** The settings fields the administrator part holds (SettingsView names). */
export const ADMIN_FIELDS = [
  'ctiAddresses',
  'applicationUser',
  'hasPassword',
  'heartbeatIntervalSec',
  'sipListenerEnabled',
] as const satisfies ReadonlyArray<keyof SettingsView>;
export type AdminField = (typeof ADMIN_FIELDS)[number];

/** Where the administrator file lives on each OS (machine-wide, writable by administrators only). */
export function adminFilePath(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
): string {
  switch (platform) {
    case 'win32':
      return join(env['ProgramData'] || env['PROGRAMDATA'] || 'C:\\ProgramData', 'Deskline', ADMIN_FILE_NAME);
    case 'darwin':
      return join('/Library/Application Support/Deskline', ADMIN_FILE_NAME);
    default:
      return join('/etc/deskline', ADMIN_FILE_NAME);
  }
}

export function resolveAdminFilePath(options: {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  packaged: boolean;
}): string {
  const override = options.env[ADMIN_FILE_ENV];
  if (!options.packaged && override !== undefined && override !== '') return override;
  return adminFilePath(options.platform, options.env);
}

// ------------------------------------------------------------------ the file's schema

/** Update feeds must be https: the feed's checksums come from the same server (loopback
 *  excepted, for a local test feed). */
const FeedUrl = z
  .string()
  .url('expected a URL')
  .refine((value) => {
    const url = new URL(value);
    return (
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && /^(127\.0\.0\.1|localhost|\[::1\])$/.test(url.hostname))
    );
  }, 'must be an https URL (an update over plain http could be replaced on the way)');

const AdminFileSchema = z
  .object({
    version: z.literal(1, 'the only version is 1'),
    cti: z
      .object({
        addresses: z
          .array(CtiAddress)
          .max(MAX_CTI_NODES, `at most ${MAX_CTI_NODES} CTI Manager addresses`)
          .superRefine((addresses, ctx) => {
            const seen = new Set<string>();
            addresses.forEach((address, index) => {
              if (seen.has(address.toLowerCase()))
                ctx.addIssue({ code: 'custom', path: [index], message: `duplicate address ${address}` });
              seen.add(address.toLowerCase());
            });
          })
          .optional(),
        applicationUser: z.string().min(1).max(128).optional(),
        password: z.string().min(1).max(256).optional(),
        passwordFile: z.string().min(1).max(1024).optional(),
        heartbeatIntervalSec: z.number().int().min(1).max(300).optional(),
      })
      .strict()
      .refine((cti) => !(cti.password !== undefined && cti.passwordFile !== undefined), {
        message: 'password and passwordFile: give one, not both',
      })
      .optional(),
    sipListener: z.object({ enabled: z.boolean() }).strict().optional(),
    updates: z
      .object({
        enabled: z.boolean().optional(),
        url: FeedUrl.optional(),
        channel: z.enum(['latest', 'beta', 'alpha']).optional(),
        autoDownload: z.boolean().optional(),
        checkIntervalHours: z.number().min(1).max(168).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AdminFile = z.infer<typeof AdminFileSchema>;

export interface AdminSettings {
  /** The administrator's values of the Administrator fields (defaults where the file is silent). */
  settings: Pick<SettingsView, Exclude<AdminField, 'hasPassword'>>;
  password: string | undefined;
  updates: Omit<UpdatePolicy, 'feed'> & { url?: string; channel: string };
}

export type AdminLoad =
  | { state: 'absent'; file: string }
  | { state: 'managed'; file: string; admin: AdminSettings }
  | { state: 'invalid'; file: string; problem: string };

const DEFAULT_HEARTBEAT_SEC = 30;

/** Reads and validates the administrator file. Never throws: every failure is a `problem`
 *  naming the file and the field. */
export async function loadAdminFile(file: string): Promise<AdminLoad> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_ADMIN_FILE_BYTES)
      return { state: 'invalid', file, problem: `${file}: larger than ${MAX_ADMIN_FILE_BYTES / 1024} KiB` };
    text = bytes.toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'absent', file };
    return { state: 'invalid', file, problem: `${file}: cannot be read (${code ?? String(error)})` };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 10 });
  } catch (error) {
    return {
      state: 'invalid',
      file,
      problem: `${file}: not valid YAML (${(error as Error).message.split('\n')[0]})`,
    };
  }
  const parsed = AdminFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue !== undefined && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return { state: 'invalid', file, problem: `${file}: ${where}: ${issue?.message ?? 'invalid'}` };
  }
  const value = parsed.data;
  let password = value.cti?.password;
  const passwordFile = value.cti?.passwordFile;
  if (passwordFile !== undefined) {
    const path = isAbsolute(passwordFile) ? passwordFile : join(dirname(file), passwordFile);
    try {
      password = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return {
        state: 'invalid',
        file,
        problem: `${file}: cti.passwordFile: ${path} cannot be read (${code})`,
      };
    }
    if (password === '')
      return { state: 'invalid', file, problem: `${file}: cti.passwordFile: ${path} is empty` };
  }
  const updates = value.updates ?? {};
  return {
    state: 'managed',
    file,
    admin: {
      settings: {
        ctiAddresses: value.cti?.addresses ?? [],
        applicationUser: value.cti?.applicationUser ?? '',
        heartbeatIntervalSec: value.cti?.heartbeatIntervalSec ?? DEFAULT_HEARTBEAT_SEC,
        sipListenerEnabled: value.sipListener?.enabled ?? false,
      },
      password,
      updates: {
        enabled: updates.enabled ?? true,
        channel: updates.channel ?? 'latest',
        autoDownload: updates.autoDownload ?? true,
        checkIntervalMs:
          updates.checkIntervalHours === undefined
            ? DEFAULT_CHECK_INTERVAL_MS
            : updates.checkIntervalHours * 3_600_000,
        ...(updates.url === undefined ? {} : { url: updates.url }),
      },
    },
  };
}

// ------------------------------------------------------------------ applying it

export function administratorView(load: AdminLoad): AdministratorView {
  switch (load.state) {
    case 'absent':
      return { file: load.file, state: 'absent', locked: [] };
    case 'managed':
      return { file: load.file, state: 'managed', locked: [...ADMIN_FIELDS] };
    case 'invalid':
      return { file: load.file, state: 'invalid', locked: [...ADMIN_FIELDS], problem: load.problem };
    default: {
      const never: never = load;
      throw new Error(`unexpected administrator state ${JSON.stringify(never)}`);
    }
  }
}

/** The settings as the app runs with them and the UI shows them: the user's, with the
 *  administrator's part laid over when a file manages it. */
export function effectiveSettings(user: SettingsView, load: AdminLoad): SettingsView {
  const administrator = administratorView(load);
  if (load.state !== 'managed') return { ...user, administrator };
  return {
    ...user,
    ...load.admin.settings,
    hasPassword: load.admin.password !== undefined,
    administrator,
  };
}

/** The password the engine signs in with. */
export function effectivePassword(userPassword: string | undefined, load: AdminLoad): string | undefined {
  return load.state === 'managed' ? load.admin.password : userPassword;
}

/** Refuses a settings patch that touches a field the administrator file holds. */
export function lockedFieldsProblem(
  patch: Record<string, unknown>,
  load: AdminLoad,
): DeskApiError | undefined {
  if (load.state === 'absent') return undefined;
  const touched = Object.keys(patch).filter(
    (key) =>
      patch[key] !== undefined && (key === 'password' || (ADMIN_FIELDS as readonly string[]).includes(key)),
  );
  if (touched.length === 0) return undefined;
  return new DeskApiError(
    SETTING_LOCKED,
    `Set by your administrator, so it cannot be changed here: ${touched.join(', ')} (${load.file})`,
  );
}

/** The update policy: the administrator's, else the packaged feed with the defaults. */
export function updatePolicyFor(load: AdminLoad): UpdatePolicy {
  if (load.state !== 'managed')
    return {
      enabled: load.state === 'absent',
      autoDownload: true,
      checkIntervalMs: DEFAULT_CHECK_INTERVAL_MS,
    };
  const { url, channel, ...rest } = load.admin.updates;
  return url === undefined ? rest : { ...rest, feed: { url, channel } };
}
