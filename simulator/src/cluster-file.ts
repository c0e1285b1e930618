// The cluster file: a YAML description of a CUCM cluster for the simulator (see
// examples/cluster.example.yaml, which documents every field, and docs/simulator.md).
//
// Loading is two steps, both reporting every problem as `<field path>: <what is wrong>`:
//  1. shape and formats, with zod (unknown fields are errors: a typo must not silently fall back);
//  2. what spans records (duplicates, references, limits), in buildClusterModel().
import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DesklineError, ErrorCode, wrapError, err, ok, type Result } from '../../gateway/src/protocol.js';
import {
  buildClusterModel,
  clusterInvalid,
  DEFAULT_ANSWER_AFTER_MS,
  DEFAULT_LIMITS,
  DEVICE_MODEL_NAMES,
  DEVICE_NAME_RE,
  DN_RE,
  E164_MASK_RE,
  formatPath,
  isDeviceModel,
  PARTITION_RE,
  SIP_URI_RE,
  USER_ID_RE,
  type ClusterConfig,
  type ClusterIssue,
  type ClusterModel,
  type DeviceModel,
} from './model.js';

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

/** YAML text → the indexed cluster model, every problem named by its field path. */
export function loadClusterYaml(source: string): Result<ClusterModel> {
  const config = parseClusterYaml(source);
  return config.ok ? buildClusterModel(config.value) : config;
}

/** Reads and loads a cluster file from disk. */
export async function loadClusterFile(path: string): Promise<Result<ClusterModel>> {
  try {
    const info = await stat(path);
    if (!info.isFile())
      return err(new DesklineError(ErrorCode.ConfigInvalid, `cluster file ${path} is not a regular file`));
    if (info.size > MAX_CLUSTER_FILE_BYTES)
      return err(
        new DesklineError(
          ErrorCode.ConfigInvalid,
          `cluster file ${path} is larger than ${MAX_CLUSTER_FILE_BYTES} bytes`,
        ),
      );
    const source = await readFile(path, 'utf8');
    const model = loadClusterYaml(source);
    if (model.ok) return model;
    return err(
      new DesklineError(ErrorCode.ConfigInvalid, `${path}: ${model.error.message}`, {
        cause: model.error,
        detail: model.error.detail === undefined ? undefined : { ...model.error.detail },
      }),
    );
  } catch (cause) {
    return err(wrapError(cause, ErrorCode.ConfigInvalid, `cannot read cluster file ${path}`));
  }
}
