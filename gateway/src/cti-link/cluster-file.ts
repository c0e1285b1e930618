// The cluster file (docs/simulator.md §2, docs/directory.md "File"): a YAML description of a CUCM
// cluster — users, licences, devices, lines, line appearances, and the simulator's far ends. ONE
// schema and ONE validator serve both sides of the CTI link: the simulator builds its cluster model
// from it, and the engine's `file` directory provider reads users, licences, lines and devices from
// it (docs/architecture.md "Layers": the simulator sees this file through gateway/src/protocol.ts).
//
// Loading is two steps, both reporting every problem as `<field path>: <what is wrong>`, the row
// named by its index (`users[1].controlledDevices[0]: unknown device SEP00AABB0000FF`):
//  1. shape and formats, with zod (unknown fields are errors: a typo must not silently fall back);
//  2. what spans records (duplicates, references, limits), in validateCluster().
import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DesklineError, ErrorCode, wrapError } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import {
  appearanceDeviceId,
  type DirectoryDevice,
  type DirectoryUser,
  type Licence,
} from './directory-codec.js';

// ---------------------------------------------------------------- configuration (plain data)

/** Phone models the simulator knows, with the line keys each offers in its default mode. */
export const DEVICE_MODELS = {
  'Cisco 7821': { maxLines: 2 },
  'Cisco 7841': { maxLines: 4 },
  'Cisco 8811': { maxLines: 5 },
  'Cisco 8841': { maxLines: 5 },
  'Cisco 8845': { maxLines: 5 },
  'Cisco 8851': { maxLines: 5 },
  'Cisco 8861': { maxLines: 5 },
  'Cisco 8865': { maxLines: 5 },
  'Cisco 9951': { maxLines: 5 },
  'Cisco 9971': { maxLines: 6 },
  'Cisco IP Communicator': { maxLines: 8 },
} as const satisfies Record<string, { maxLines: number }>;
export type DeviceModel = keyof typeof DEVICE_MODELS;
export const DEVICE_MODEL_NAMES = Object.keys(DEVICE_MODELS) as DeviceModel[];

export function isDeviceModel(value: string): value is DeviceModel {
  return Object.hasOwn(DEVICE_MODELS, value);
}

/** How a number outside the cluster behaves when called. */
export type FarEndBehaviour = 'answer' | 'busy' | 'noAnswer' | 'invalid';

export interface FarEndRuleConfig {
  /** A regular expression tested against the number as dialled. */
  match: string;
  behaviour: FarEndBehaviour;
  /** For `answer`: how long the far end rings before answering. Default: `defaultAnswerAfterMs`. */
  answerAfterMs?: number;
}

export interface LineConfig {
  /** Directory number. */
  dn: string;
  /** Route partition; must not contain "/" or spaces (it is part of the CTI device ID). */
  partition: string;
  /** Alerting name / default label of the line's appearances. */
  label: string;
  /** CUCM "external phone number mask": X's are replaced by the DN's trailing digits (`+1408555XXXX`). */
  e164Mask?: string;
  /** When set, the line's first free appearance answers by itself after this delay (intercom-style auto answer). */
  autoAnswerMs?: number;
  /** How long the line rings before no-answer forwarding applies. Default NO_ANSWER_RING_MS. */
  noAnswerRingMs?: number;
  /** Calls an appearance may hold before it counts as busy (CUCM "busy trigger"). Default BUSY_TRIGGER. */
  busyTrigger?: number;
}

export interface DeviceLineConfig {
  dn: string;
  partition: string;
  /** Per-appearance label (CUCM "line text label"); default: the line's label. */
  label?: string;
}

export interface DeviceConfig {
  /** `SEP` + the phone's MAC address, 12 upper-case hex digits. */
  name: string;
  model: DeviceModel;
  description: string;
  /** CUCM "Allow Control of Device from CTI". */
  ctiAllowed: boolean;
  /** Line appearances in button order (index 1 first). */
  lines: DeviceLineConfig[];
}

export interface UserConfig {
  id: string;
  displayName: string;
  licence: Licence | null;
  sipUri: string;
  controlledDevices: string[];
}

export interface ClusterLimits {
  /** A line may appear on at most this many devices. */
  maxAppearancesPerLine: number;
  /** Parties in one conference (CUCM "Maximum Ad Hoc Conference"). */
  maxConferenceParties: number;
}

export interface ClusterConfig {
  name: string;
  /** How long a far end with no matching rule (or an `answer` rule without a delay) rings before answering. */
  defaultAnswerAfterMs: number;
  limits: ClusterLimits;
  lines: LineConfig[];
  devices: DeviceConfig[];
  users: UserConfig[];
  farEnds: FarEndRuleConfig[];
}

export const DEFAULT_ANSWER_AFTER_MS = 3_000;
/** CUCM's default "Forward No Answer Timer" is 12 s. */
export const NO_ANSWER_RING_MS = 12_000;
/** CUCM's default busy trigger on a line appearance. */
export const BUSY_TRIGGER = 2;
export const DEFAULT_LIMITS: ClusterLimits = { maxAppearancesPerLine: 10, maxConferenceParties: 8 };

// Field formats, shared with the cluster-file schema so both say the same thing.
export const DEVICE_NAME_RE = /^SEP[0-9A-F]{12}$/;
export const DN_RE = /^\+?[0-9*#]{1,24}$/;
export const PARTITION_RE = /^[A-Za-z0-9_.-]{1,50}$/;
export const E164_MASK_RE = /^\+?[0-9X]{1,24}$/;
export const USER_ID_RE = /^[A-Za-z0-9._@-]{1,128}$/;
export const SIP_URI_RE = /^sip:[^@\s<>"]+@[^@\s<>"]+$/;
/** A dialable number: what MakeCall, forwarding and inbound calls accept as a party. */
export const DIALABLE_RE = /^\+?[0-9*#]{1,32}$/;

// ---------------------------------------------------------------- problems

/** One problem found in a cluster configuration: the field path and what is wrong with it. */
export interface ClusterIssue {
  path: string;
  message: string;
}

export function formatIssues(issues: readonly ClusterIssue[], limit = 20): string {
  const shown = issues.slice(0, limit).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  if (issues.length > limit) shown.push(`... and ${issues.length - limit} more`);
  return shown.join('\n');
}

export function clusterInvalid(issues: readonly ClusterIssue[]): DesklineError {
  return new DesklineError(
    ErrorCode.ConfigInvalid,
    `invalid cluster configuration:\n${formatIssues(issues)}`,
    {
      detail: { issues: issues.slice(0, 100) },
    },
  );
}

/** Formats a zod-style path (`['devices', 3, 'lines', 0, 'partition']`) as `devices[3].lines[0].partition`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** CTI device ID of a line appearance in this model: `<deviceName>/<dn>/<partition>` (docs/cti-link.md §5). */
export function appearanceId(deviceName: string, dn: string, partition: string): string {
  return appearanceDeviceId(deviceName, dn, partition);
}

export function lineKey(dn: string, partition: string): string {
  return `${dn}/${partition}`;
}

/** Applies a CUCM external phone number mask: each X takes the DN's digit at that position from the right. */
export function applyE164Mask(mask: string, dn: string): string {
  const x = mask.indexOf('X');
  if (x < 0) return mask;
  const digits = dn.startsWith('+') ? dn.slice(1) : dn;
  const chars = mask.split('');
  let from = digits.length - 1;
  for (let i = chars.length - 1; i >= x; i--)
    if (chars[i] === 'X') chars[i] = from >= 0 ? (digits[from--] as string) : '0';
  return chars.join('');
}

// ---------------------------------------------------------------- the file (step 1: shape)

/** A cluster file bigger than this is refused before parsing (a 100,000-user file is about 30 MB). */
export const MAX_CLUSTER_FILE_BYTES = 128 * 1024 * 1024;
const MAX_DELAY_MS = 3_600_000;

const text = (what: string, max = 200) =>
  z
    .string({ error: `must be a string (${what})` })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

// DNs are strings on purpose: YAML reads 01234 as a number and loses the zero.
const Dn = z
  .string({ error: 'must be a quoted string such as "1001" (unquoted numbers lose leading zeros and "+")' })
  .regex(DN_RE, { error: 'must be 1 to 24 digits (optionally with a leading "+", "*" or "#")' });

const Partition = z.string({ error: 'must be a string such as INTERNAL' }).superRefine((value, ctx) => {
  // docs/cti-link.md §5: the partition ends the CTI device ID `<device>/<dn>/<partition>`.
  if (/[/\s]/.test(value)) ctx.addIssue({ code: 'custom', message: 'must not contain "/" or spaces' });
  else if (!PARTITION_RE.test(value))
    ctx.addIssue({ code: 'custom', message: 'must be 1 to 50 letters, digits, ".", "_" or "-"' });
});

const DelayMs = z
  .number({ error: 'must be a number of milliseconds' })
  .int({ error: 'must be a whole number of milliseconds' })
  .min(0, { error: 'must not be negative' })
  .max(MAX_DELAY_MS, { error: `must be at most ${MAX_DELAY_MS} ms (one hour)` });

const Line = z.strictObject({
  dn: Dn,
  partition: Partition,
  label: text('the line label'),
  e164Mask: z
    .string({ error: 'must be a quoted string such as "+1408555XXXX"' })
    .regex(E164_MASK_RE, { error: 'must be digits and X, optionally with a leading "+"' })
    .optional(),
  autoAnswerMs: DelayMs.optional(),
  noAnswerRingMs: DelayMs.min(1000, { error: 'must be at least 1000 ms' }).optional(),
  busyTrigger: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(10, { error: 'must be at most 10' })
    .optional(),
});

const DeviceLine = z.strictObject({
  dn: Dn,
  partition: Partition,
  label: text('the label on this device').optional(),
});

const Model = z
  .string({ error: 'must be a string such as "Cisco 8865"' })
  .refine((value): value is DeviceModel => isDeviceModel(value), {
    error: (issue) => `unknown model "${String(issue.input)}" (known: ${DEVICE_MODEL_NAMES.join(', ')})`,
  });

const Device = z.strictObject({
  name: z.string({ error: 'must be a string such as SEP00AABB000001' }).regex(DEVICE_NAME_RE, {
    error: 'must be "SEP" followed by 12 upper-case hexadecimal digits (the MAC address)',
  }),
  model: Model,
  description: z
    .string({ error: 'must be a string' })
    .max(128, { error: 'must be at most 128 characters' })
    .default(''),
  ctiAllowed: z.boolean({ error: 'must be true or false' }).default(true),
  lines: z
    .array(DeviceLine, { error: 'must be a list of line appearances' })
    .min(1, { error: 'a device needs at least one line appearance' }),
});

const User = z.strictObject({
  id: z
    .string({ error: 'must be a string' })
    .regex(USER_ID_RE, { error: 'must be 1 to 128 letters, digits, ".", "_", "@" or "-"' }),
  displayName: text('the name shown to people', 128),
  licence: z.enum(['UCL', 'CUWL', 'none'], {
    error: 'must be UCL, CUWL or none (no IM and Presence licence: no RCC)',
  }),
  sipUri: z
    .string({ error: 'must be a string' })
    .regex(SIP_URI_RE, { error: 'must be a SIP URI such as sip:alice@example.com' }),
  controlledDevices: z
    .array(z.string({ error: 'must be a device name' }), { error: 'must be a list of device names' })
    .default([]),
});

const FarEnd = z
  .strictObject({
    match: z
      .string({ error: 'must be a regular expression, as a string' })
      .min(1, { error: 'must not be empty' })
      .max(200, { error: 'must be at most 200 characters' }),
    behaviour: z.enum(['answer', 'busy', 'noAnswer', 'invalid'], {
      error: 'must be answer, busy, noAnswer or invalid',
    }),
    answerAfterMs: DelayMs.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.answerAfterMs !== undefined && rule.behaviour !== 'answer')
      ctx.addIssue({
        code: 'custom',
        path: ['answerAfterMs'],
        message: `only applies to behaviour "answer" (this rule is "${rule.behaviour}")`,
      });
    try {
      new RegExp(rule.match);
    } catch (cause) {
      ctx.addIssue({
        code: 'custom',
        path: ['match'],
        message: `not a valid regular expression: ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
  });

const Limits = z.strictObject({
  maxAppearancesPerLine: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(100, { error: 'must be at most 100' })
    .default(DEFAULT_LIMITS.maxAppearancesPerLine),
  maxConferenceParties: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(3, { error: 'must be at least 3' })
    .max(64, { error: 'must be at most 64' })
    .default(DEFAULT_LIMITS.maxConferenceParties),
});

export const ClusterFileSchema = z.strictObject({
  name: text('the cluster name', 128).default('cluster'),
  defaultAnswerAfterMs: DelayMs.default(DEFAULT_ANSWER_AFTER_MS),
  limits: Limits.default({ ...DEFAULT_LIMITS }),
  lines: z.array(Line, { error: 'must be a list of lines' }),
  devices: z.array(Device, { error: 'must be a list of devices' }),
  users: z.array(User, { error: 'must be a list of users' }),
  farEnds: z.array(FarEnd, { error: 'must be a list of far-end rules' }).default([]),
});

/** Validates already-parsed data (YAML or JSON) as a cluster configuration: shape and formats only. */
export function parseClusterConfig(data: unknown): Result<ClusterConfig> {
  // reportInput: a missing field is told apart from a wrong one ("is required").
  const parsed = ClusterFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) return err(clusterInvalid(parsed.error.issues.map(toIssue)));
  const v = parsed.data;
  return ok({
    name: v.name,
    defaultAnswerAfterMs: v.defaultAnswerAfterMs,
    limits: v.limits,
    lines: v.lines,
    devices: v.devices,
    users: v.users.map((u) => ({ ...u, licence: u.licence === 'none' ? null : u.licence })),
    farEnds: v.farEnds,
  });
}

function toIssue(issue: z.core.$ZodIssue): ClusterIssue {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys')
    return {
      path,
      message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
    };
  if (issue.code === 'invalid_type' && 'input' in issue && issue.input === undefined)
    return { path, message: 'is required' };
  return { path, message: issue.message };
}

/** Parses cluster-file YAML text into a validated configuration (YAML syntax errors carry line:column). */
export function parseClusterYaml(source: string): Result<ClusterConfig> {
  let doc;
  try {
    // uniqueKeys: a key given twice is a mistake, not an override.
    doc = parseDocument(source, { uniqueKeys: true, prettyErrors: true });
  } catch (cause) {
    return err(wrapError(cause, ErrorCode.ConfigInvalid, 'cluster file is not valid YAML'));
  }
  if (doc.errors.length > 0) {
    const issues: ClusterIssue[] = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      // The first line of yaml's message, without the position it repeats at its end.
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return { path: at === undefined ? '' : `line ${at.line}:${at.col}`, message };
    });
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        `cluster file is not valid YAML:\n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`,
        { detail: { issues } },
      ),
    );
  }
  let data: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    return err(wrapError(cause, ErrorCode.ConfigInvalid, 'cluster file is not valid YAML'));
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return err(
      clusterInvalid([
        { path: '', message: 'the cluster file must be a mapping with lines, devices and users' },
      ]),
    );
  return parseClusterConfig(data);
}

/** Reads and parses a cluster file from disk: shape and formats (step 1). Errors name the file;
 *  a file that cannot be read at all says so in `detail.unreadable`. */
export async function readClusterFile(path: string): Promise<Result<ClusterConfig>> {
  const unreadable = (message: string, cause?: unknown): Result<ClusterConfig> =>
    err(new DesklineError(ErrorCode.ConfigInvalid, message, { cause, detail: { unreadable: true } }));
  let source: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) return unreadable(`cluster file ${path} is not a regular file`);
    if (info.size > MAX_CLUSTER_FILE_BYTES)
      return unreadable(`cluster file ${path} is larger than ${MAX_CLUSTER_FILE_BYTES} bytes`);
    source = await readFile(path, 'utf8');
  } catch (cause) {
    return unreadable(`cannot read cluster file ${path}: ${wrapError(cause).message}`, cause);
  }
  const config = parseClusterYaml(source);
  if (config.ok) return config;
  return err(
    new DesklineError(ErrorCode.ConfigInvalid, `${path}: ${config.error.message}`, {
      cause: config.error,
      detail: config.error.detail === undefined ? undefined : { ...config.error.detail },
    }),
  );
}

// ---------------------------------------------------------------- step 2: what spans records

/** A line of a validated cluster, with its computed key and E.164 number. */
export interface ClusterLine {
  /** `<dn>/<partition>`. */
  readonly key: string;
  readonly dn: string;
  readonly partition: string;
  readonly label: string;
  readonly e164: string | undefined;
  readonly config: LineConfig;
}

/** A line appearance (device × line) of a validated cluster. */
export interface ClusterAppearance {
  /** `<deviceName>/<dn>/<partition>`. */
  readonly id: string;
  readonly line: ClusterLine;
  /** 1-based button index on the device. */
  readonly index: number;
  readonly label: string;
}

export interface ClusterDevice {
  readonly config: DeviceConfig;
  readonly appearances: readonly ClusterAppearance[];
}

export interface ClusterUser {
  readonly config: UserConfig;
  /** Device names, known and listed once each. */
  readonly controlledDevices: readonly string[];
}

export interface ClusterFarEnd {
  readonly config: FarEndRuleConfig;
  readonly match: RegExp;
}

/** A configuration whose records agree with each other, in file order. */
export interface ValidatedCluster {
  readonly config: ClusterConfig;
  readonly lines: readonly ClusterLine[];
  readonly devices: readonly ClusterDevice[];
  readonly users: readonly ClusterUser[];
  readonly farEnds: readonly ClusterFarEnd[];
}

/**
 * Checks what spans records — duplicate users, devices and lines, references to unknown devices or
 * lines, line-key and shared-line limits, E.164 collisions, SIP URIs given twice — and indexes the
 * result. Formats are re-checked cheaply too, so a configuration built in code (demo, generator,
 * tests) cannot bypass them. Every problem is reported, not only the first.
 */
export function validateCluster(config: ClusterConfig): Result<ValidatedCluster> {
  const issues: ClusterIssue[] = [];
  const issue = (path: string, message: string): void => {
    if (issues.length < 1000) issues.push({ path, message });
  };
  const limits = config.limits;
  // A cluster has a handful of partitions and many lines: check each name once.
  const goodPartitions = new Set<string>();
  const partitionOk = (partition: string, path: () => string): boolean => {
    if (goodPartitions.has(partition)) return true;
    if (!checkPartition(partition, path, issue)) return false;
    goodPartitions.add(partition);
    return true;
  };

  const lines: ClusterLine[] = [];
  const linesByKey = new Map<string, ClusterLine>();
  const appearancesPerLine = new Map<string, number>();
  const linesByE164 = new Map<string, ClusterLine>();
  for (let i = 0; i < config.lines.length; i++) {
    const c = config.lines[i] as LineConfig;
    const at = (): string => `lines[${i}]`;
    if (!DN_RE.test(c.dn))
      issue(`${at()}.dn`, 'must be 1 to 24 digits (optionally with a leading "+", "*" or "#")');
    partitionOk(c.partition, () => `lines[${i}].partition`);
    const key = lineKey(c.dn, c.partition);
    if (linesByKey.has(key)) {
      // Error path only: find where it was first defined.
      const first = config.lines.findIndex((l) => l.dn === c.dn && l.partition === c.partition);
      issue(
        `${at()}.dn`,
        `duplicate directory number ${c.dn} in partition ${c.partition} (already lines[${first}])`,
      );
      continue;
    }
    let e164: string | undefined;
    if (c.e164Mask !== undefined) {
      if (!E164_MASK_RE.test(c.e164Mask))
        issue(`${at()}.e164Mask`, 'must be digits and X, optionally with a leading "+"');
      else {
        e164 = applyE164Mask(c.e164Mask, c.dn);
        const clash = linesByE164.get(e164);
        if (clash !== undefined)
          issue(
            `${at()}.e164Mask`,
            `gives ${e164}, already the number of line ${clash.dn} in partition ${clash.partition}`,
          );
      }
    }
    const line: ClusterLine = { key, dn: c.dn, partition: c.partition, label: c.label, e164, config: c };
    lines.push(line);
    linesByKey.set(key, line);
    if (e164 !== undefined && !linesByE164.has(e164)) linesByE164.set(e164, line);
  }

  const devices: ClusterDevice[] = [];
  const devicesByName = new Map<string, ClusterDevice>();
  const appearanceIds = new Set<string>();
  for (let i = 0; i < config.devices.length; i++) {
    const c = config.devices[i] as DeviceConfig;
    const at = (): string => `devices[${i}]`;
    if (!DEVICE_NAME_RE.test(c.name))
      issue(`${at()}.name`, 'must be "SEP" followed by 12 upper-case hexadecimal digits (the MAC address)');
    if (!isDeviceModel(c.model))
      issue(`${at()}.model`, `unknown model "${String(c.model)}" (known: ${DEVICE_MODEL_NAMES.join(', ')})`);
    if (devicesByName.has(c.name)) {
      const first = config.devices.findIndex((d) => d.name === c.name);
      issue(`${at()}.name`, `duplicate device name ${c.name} (already devices[${first}])`);
      continue;
    }
    const maxLines = isDeviceModel(c.model) ? DEVICE_MODELS[c.model].maxLines : Infinity;
    if (c.lines.length > maxLines)
      issue(
        `${at()}.lines`,
        `a ${c.model} has ${maxLines} line keys, but ${c.lines.length} line appearances are configured`,
      );
    const appearances: ClusterAppearance[] = [];
    const device: ClusterDevice = { config: c, appearances };
    devices.push(device);
    devicesByName.set(c.name, device);
    for (let j = 0; j < c.lines.length; j++) {
      const ref = c.lines[j] as DeviceLineConfig;
      const refAt = (): string => `devices[${i}].lines[${j}]`;
      if (!partitionOk(ref.partition, () => `devices[${i}].lines[${j}].partition`)) continue;
      const line = linesByKey.get(lineKey(ref.dn, ref.partition));
      if (line === undefined) {
        issue(refAt(), `line ${ref.dn} in partition ${ref.partition} is not defined in lines`);
        continue;
      }
      const id = appearanceId(c.name, ref.dn, ref.partition);
      if (appearanceIds.has(id)) {
        issue(refAt(), `line ${ref.dn} in partition ${ref.partition} already appears on this device`);
        continue;
      }
      const count = appearancesPerLine.get(line.key) ?? 0;
      if (count >= limits.maxAppearancesPerLine) {
        issue(
          refAt(),
          `line ${ref.dn} in partition ${ref.partition} would have more than ${limits.maxAppearancesPerLine} appearances (limits.maxAppearancesPerLine)`,
        );
        continue;
      }
      appearancesPerLine.set(line.key, count + 1);
      appearanceIds.add(id);
      appearances.push({ id, line, index: j + 1, label: ref.label ?? line.label });
    }
  }

  const users: ClusterUser[] = [];
  const userIds = new Map<string, number>();
  const sipUris = new Map<string, number>();
  for (let i = 0; i < config.users.length; i++) {
    const c = config.users[i] as UserConfig;
    const at = (): string => `users[${i}]`;
    if (!USER_ID_RE.test(c.id)) issue(`${at()}.id`, 'must be 1 to 128 letters, digits, ".", "_", "@" or "-"');
    if (!SIP_URI_RE.test(c.sipUri))
      issue(`${at()}.sipUri`, 'must be a SIP URI such as sip:alice@example.com');
    const firstId = userIds.get(c.id);
    if (firstId !== undefined) {
      issue(`${at()}.id`, `duplicate user id ${c.id} (already users[${firstId}])`);
      continue;
    }
    userIds.set(c.id, i);
    const lowerUri = c.sipUri.toLowerCase();
    const uriOwner = sipUris.get(lowerUri);
    if (uriOwner !== undefined)
      issue(`${at()}.sipUri`, `${c.sipUri} is already the SIP URI of users[${uriOwner}]`);
    else sipUris.set(lowerUri, i);
    const controlled: string[] = [];
    for (let j = 0; j < c.controlledDevices.length; j++) {
      const name = c.controlledDevices[j] as string;
      if (!devicesByName.has(name)) issue(`${at()}.controlledDevices[${j}]`, `unknown device ${name}`);
      // A user controls a few devices: a linear check beats a Set per user at 100,000 users.
      else if (controlled.includes(name))
        issue(`${at()}.controlledDevices[${j}]`, `device ${name} is listed twice`);
      else controlled.push(name);
    }
    users.push({ config: c, controlledDevices: controlled });
  }

  const farEnds: ClusterFarEnd[] = [];
  for (let i = 0; i < config.farEnds.length; i++) {
    const c = config.farEnds[i] as FarEndRuleConfig;
    try {
      farEnds.push({ config: c, match: new RegExp(c.match) });
    } catch (cause) {
      issue(
        `farEnds[${i}].match`,
        `not a valid regular expression: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
    }
  }

  if (issues.length > 0) return err(clusterInvalid(issues));
  return ok({ config, lines, devices, users, farEnds });
}

function checkPartition(
  partition: string,
  path: () => string,
  issue: (path: string, message: string) => void,
): boolean {
  // docs/cti-link.md §5: the partition is the last part of `<device>/<dn>/<partition>`.
  if (/[/\s]/.test(partition)) {
    issue(path(), 'must not contain "/" or spaces');
    return false;
  }
  if (!PARTITION_RE.test(partition)) {
    issue(path(), 'must be 1 to 50 letters, digits, ".", "_" or "-"');
    return false;
  }
  return true;
}

/** The directory records of a validated cluster (docs/cti-link.md §4): what the simulator serves
 *  as `dl:directory` and what the `file` directory provider loads. */
export function clusterDirectory(cluster: ValidatedCluster): {
  users: DirectoryUser[];
  devices: DirectoryDevice[];
} {
  const users: DirectoryUser[] = cluster.users.map((u) => ({
    id: u.config.id,
    displayName: u.config.displayName,
    licence: u.config.licence,
    sipUri: u.config.sipUri,
    controlledDevices: [...u.controlledDevices],
  }));
  const devices: DirectoryDevice[] = cluster.devices.map((d) => ({
    name: d.config.name,
    model: d.config.model,
    description: d.config.description,
    ctiAllowed: d.config.ctiAllowed,
    lines: d.appearances.map((a) =>
      a.line.e164 === undefined
        ? { index: a.index, dn: a.line.dn, partition: a.line.partition, label: a.label }
        : { index: a.index, dn: a.line.dn, partition: a.line.partition, label: a.label, e164: a.line.e164 },
    ),
  }));
  return { users, devices };
}
