// The CUCM cluster model the CTI Manager simulator serves (docs/simulator.md, docs/cti-link.md §4–5):
// users, devices, lines, line appearances (device × line, many-to-many) and far-end rules.
//
// Two layers:
//  - ClusterConfig: plain data, what a cluster file parses to (cluster-file.ts), what the demo
//    cluster and generateCluster() produce. JSON-shaped so it can be validated and printed.
//  - ClusterModel: the indexed, immutable form the call model and the CTI server read. Built by
//    buildClusterModel(), which checks everything that needs more than one record at a time
//    (references, duplicates, limits) and names the offending field path in every message.
import { DesklineError, ErrorCode, err, ok, type Result } from '../../gateway/src/protocol.js';

// ---------------------------------------------------------------- configuration (plain data)

/** IM and Presence licence (Cisco: UCL or CUWL). A user without one cannot use RCC. */
export type Licence = 'UCL' | 'CUWL';

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

// ---------------------------------------------------------------- the indexed model

export interface LineRecord {
  /** `<dn>/<partition>`. */
  readonly key: string;
  readonly dn: string;
  readonly partition: string;
  readonly label: string;
  readonly e164: string | undefined;
  readonly autoAnswerMs: number | undefined;
  readonly noAnswerRingMs: number;
  readonly busyTrigger: number;
  /** In device order of the cluster file. */
  readonly appearances: AppearanceRecord[];
}

export interface AppearanceRecord {
  /** The CTI device ID: `<deviceName>/<dn>/<partition>` (docs/cti-link.md §5). */
  readonly id: string;
  readonly device: DeviceRecord;
  readonly line: LineRecord;
  /** 1-based button index on the device. */
  readonly index: number;
  readonly label: string;
}

export interface DeviceRecord {
  readonly name: string;
  readonly model: DeviceModel;
  readonly description: string;
  readonly ctiAllowed: boolean;
  readonly appearances: AppearanceRecord[];
}

export interface UserRecord {
  readonly id: string;
  readonly displayName: string;
  readonly licence: Licence | null;
  readonly sipUri: string;
  readonly controlledDevices: readonly DeviceRecord[];
}

export interface FarEndRule {
  readonly match: RegExp;
  readonly behaviour: FarEndBehaviour;
  readonly answerAfterMs: number;
}

export interface ClusterSummary {
  name: string;
  users: number;
  licensedUsers: number;
  devices: number;
  lines: number;
  appearances: number;
  sharedLines: number;
  ctiDisallowedDevices: number;
  farEndRules: number;
}

/** A line reached by a dialled number, or the far-end rule that applies to a number outside the cluster. */
export type Destination =
  { kind: 'line'; line: LineRecord } | { kind: 'external'; number: string; rule: FarEndRule };

export function appearanceId(deviceName: string, dn: string, partition: string): string {
  return `${deviceName}/${dn}/${partition}`;
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

export class ClusterModel {
  readonly name: string;
  readonly defaultAnswerAfterMs: number;
  readonly limits: ClusterLimits;
  /** In cluster-file order. */
  readonly users: readonly UserRecord[];
  readonly devices: readonly DeviceRecord[];
  readonly lines: readonly LineRecord[];
  readonly farEndRules: readonly FarEndRule[];
  private readonly usersById: ReadonlyMap<string, UserRecord>;
  private readonly devicesByName: ReadonlyMap<string, DeviceRecord>;
  private readonly linesByKey: ReadonlyMap<string, LineRecord>;
  private readonly appearancesById: ReadonlyMap<string, AppearanceRecord>;
  /** DN → lines with that DN (one per partition). */
  private readonly linesByDn: ReadonlyMap<string, readonly LineRecord[]>;
  private readonly linesByE164: ReadonlyMap<string, LineRecord>;
  private readonly defaultRule: FarEndRule;

  /** Use buildClusterModel(); the constructor trusts its (already checked) input. */
  constructor(parts: {
    name: string;
    defaultAnswerAfterMs: number;
    limits: ClusterLimits;
    users: UserRecord[];
    devices: DeviceRecord[];
    lines: LineRecord[];
    farEndRules: FarEndRule[];
    usersById: Map<string, UserRecord>;
    devicesByName: Map<string, DeviceRecord>;
    linesByKey: Map<string, LineRecord>;
    appearancesById: Map<string, AppearanceRecord>;
    linesByDn: Map<string, LineRecord[]>;
    linesByE164: Map<string, LineRecord>;
  }) {
    this.name = parts.name;
    this.defaultAnswerAfterMs = parts.defaultAnswerAfterMs;
    this.limits = parts.limits;
    this.users = parts.users;
    this.devices = parts.devices;
    this.lines = parts.lines;
    this.farEndRules = parts.farEndRules;
    this.usersById = parts.usersById;
    this.devicesByName = parts.devicesByName;
    this.linesByKey = parts.linesByKey;
    this.appearancesById = parts.appearancesById;
    this.linesByDn = parts.linesByDn;
    this.linesByE164 = parts.linesByE164;
    this.defaultRule = { match: /^/, behaviour: 'answer', answerAfterMs: parts.defaultAnswerAfterMs };
  }

  user(id: string): UserRecord | undefined {
    return this.usersById.get(id);
  }
  device(name: string): DeviceRecord | undefined {
    return this.devicesByName.get(name);
  }
  line(dn: string, partition: string): LineRecord | undefined {
    return this.linesByKey.get(lineKey(dn, partition));
  }
  /** The appearance with this CTI device ID (`<deviceName>/<dn>/<partition>`). */
  appearance(id: string): AppearanceRecord | undefined {
    return this.appearancesById.get(id);
  }
  appearanceCount(): number {
    return this.appearancesById.size;
  }

  /**
   * What a dialled number reaches. CUCM resolves digits through the caller's calling search space;
   * the simulator has no CSS, so a DN present in several partitions resolves to the caller's own
   * partition first, then to the first such line in the cluster file. E.164 numbers reach the line
   * whose external mask produces them (with or without the leading "+").
   */
  resolve(dialled: string, callerPartition?: string): Destination {
    const byDn = this.linesByDn.get(dialled);
    if (byDn !== undefined && byDn.length > 0) {
      const own =
        callerPartition === undefined ? undefined : byDn.find((l) => l.partition === callerPartition);
      return { kind: 'line', line: own ?? (byDn[0] as LineRecord) };
    }
    const byE164 =
      this.linesByE164.get(dialled) ??
      (dialled.startsWith('+') ? undefined : this.linesByE164.get(`+${dialled}`));
    if (byE164 !== undefined) return { kind: 'line', line: byE164 };
    return { kind: 'external', number: dialled, rule: this.farEndRule(dialled) };
  }

  /** The first far-end rule matching the number, else "answer after defaultAnswerAfterMs". */
  farEndRule(number: string): FarEndRule {
    for (const rule of this.farEndRules) if (rule.match.test(number)) return rule;
    return this.defaultRule;
  }

  summary(): ClusterSummary {
    let licensed = 0;
    for (const u of this.users) if (u.licence !== null) licensed++;
    let shared = 0;
    for (const l of this.lines) if (l.appearances.length > 1) shared++;
    let disallowed = 0;
    for (const d of this.devices) if (!d.ctiAllowed) disallowed++;
    return {
      name: this.name,
      users: this.users.length,
      licensedUsers: licensed,
      devices: this.devices.length,
      lines: this.lines.length,
      appearances: this.appearancesById.size,
      sharedLines: shared,
      ctiDisallowedDevices: disallowed,
      farEndRules: this.farEndRules.length,
    };
  }
}

// ---------------------------------------------------------------- building and cross-checking

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

/**
 * Indexes a configuration whose fields are individually well-formed (the cluster-file schema
 * checks formats) and checks what spans records: duplicate users, devices and lines, references
 * to unknown devices or lines, line-key and shared-line limits, E.164 collisions. Formats are
 * re-checked cheaply too, so a config built in code (demo, generator, tests) cannot bypass them.
 */
export function buildClusterModel(config: ClusterConfig): Result<ClusterModel> {
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

  const lines: LineRecord[] = [];
  const linesByKey = new Map<string, LineRecord>();
  const linesByDn = new Map<string, LineRecord[]>();
  const linesByE164 = new Map<string, LineRecord>();
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
    const record: LineRecord = {
      key,
      dn: c.dn,
      partition: c.partition,
      label: c.label,
      e164,
      autoAnswerMs: c.autoAnswerMs,
      noAnswerRingMs: c.noAnswerRingMs ?? NO_ANSWER_RING_MS,
      busyTrigger: c.busyTrigger ?? BUSY_TRIGGER,
      appearances: [],
    };
    lines.push(record);
    linesByKey.set(key, record);
    if (e164 !== undefined && !linesByE164.has(e164)) linesByE164.set(e164, record);
    const sameDn = linesByDn.get(c.dn);
    if (sameDn === undefined) linesByDn.set(c.dn, [record]);
    else sameDn.push(record);
  }

  const devices: DeviceRecord[] = [];
  const devicesByName = new Map<string, DeviceRecord>();
  const appearancesById = new Map<string, AppearanceRecord>();
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
    const device: DeviceRecord = {
      name: c.name,
      model: c.model,
      description: c.description,
      ctiAllowed: c.ctiAllowed,
      appearances: [],
    };
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
      if (appearancesById.has(id)) {
        issue(refAt(), `line ${ref.dn} in partition ${ref.partition} already appears on this device`);
        continue;
      }
      if (line.appearances.length >= limits.maxAppearancesPerLine) {
        issue(
          refAt(),
          `line ${ref.dn} in partition ${ref.partition} would have more than ${limits.maxAppearancesPerLine} appearances (limits.maxAppearancesPerLine)`,
        );
        continue;
      }
      const appearance: AppearanceRecord = { id, device, line, index: j + 1, label: ref.label ?? line.label };
      device.appearances.push(appearance);
      line.appearances.push(appearance);
      appearancesById.set(id, appearance);
    }
  }

  const users: UserRecord[] = [];
  const usersById = new Map<string, UserRecord>();
  const sipUris = new Map<string, number>();
  for (let i = 0; i < config.users.length; i++) {
    const c = config.users[i] as UserConfig;
    const at = (): string => `users[${i}]`;
    if (!USER_ID_RE.test(c.id)) issue(`${at()}.id`, 'must be 1 to 128 letters, digits, ".", "_", "@" or "-"');
    if (!SIP_URI_RE.test(c.sipUri))
      issue(`${at()}.sipUri`, 'must be a SIP URI such as sip:alice@example.com');
    if (usersById.has(c.id)) {
      const first = config.users.findIndex((u) => u.id === c.id);
      issue(`${at()}.id`, `duplicate user id ${c.id} (already users[${first}])`);
      continue;
    }
    const lowerUri = c.sipUri.toLowerCase();
    const uriOwner = sipUris.get(lowerUri);
    if (uriOwner !== undefined)
      issue(`${at()}.sipUri`, `${c.sipUri} is already the SIP URI of users[${uriOwner}]`);
    else sipUris.set(lowerUri, i);
    const controlled: DeviceRecord[] = [];
    for (let j = 0; j < c.controlledDevices.length; j++) {
      const name = c.controlledDevices[j] as string;
      const device = devicesByName.get(name);
      if (device === undefined) issue(`${at()}.controlledDevices[${j}]`, `unknown device ${name}`);
      // A user controls a few devices: a linear check beats a Set per user at 100,000 users.
      else if (controlled.includes(device))
        issue(`${at()}.controlledDevices[${j}]`, `device ${name} is listed twice`);
      else controlled.push(device);
    }
    const user: UserRecord = {
      id: c.id,
      displayName: c.displayName,
      licence: c.licence,
      sipUri: c.sipUri,
      controlledDevices: controlled,
    };
    users.push(user);
    usersById.set(c.id, user);
  }

  const farEndRules: FarEndRule[] = [];
  for (let i = 0; i < config.farEnds.length; i++) {
    const c = config.farEnds[i] as FarEndRuleConfig;
    let match: RegExp;
    try {
      match = new RegExp(c.match);
    } catch (cause) {
      issue(
        `farEnds[${i}].match`,
        `not a valid regular expression: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
      continue;
    }
    farEndRules.push({
      match,
      behaviour: c.behaviour,
      answerAfterMs: c.answerAfterMs ?? config.defaultAnswerAfterMs,
    });
  }

  if (issues.length > 0) return err(clusterInvalid(issues));
  return ok(
    new ClusterModel({
      name: config.name,
      defaultAnswerAfterMs: config.defaultAnswerAfterMs,
      limits,
      users,
      devices,
      lines,
      farEndRules,
      usersById,
      devicesByName,
      linesByKey,
      appearancesById,
      linesByDn,
      linesByE164,
    }),
  );
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
