// The CUCM cluster model the CTI Manager simulator serves (docs/simulator.md, docs/cti-link.md §4–5):
// users, devices, lines, line appearances (device × line, many-to-many) and far-end rules.
//
// Two layers:
//  - ClusterConfig: plain data, what a cluster file parses to (cluster-file.ts), what the demo
//    cluster and generateCluster() produce. JSON-shaped so it can be validated and printed.
//  - ClusterModel: the indexed, immutable form the call model and the CTI server read. Built by
//    buildClusterModel(), which checks everything that needs more than one record at a time
//    (references, duplicates, limits) and names the offending field path in every message.
import {
  BUSY_TRIGGER,
  lineKey,
  NO_ANSWER_RING_MS,
  ok,
  validateCluster,
  type ClusterConfig,
  type ClusterLimits,
  type DeviceModel,
  type FarEndBehaviour,
  type Licence,
  type Result,
  type ValidatedCluster,
} from '../../gateway/src/protocol.js';

// The configuration types, formats and the validator are the engine's (gateway/src/cti-link/
// cluster-file.ts): one schema for the simulator and the `file` directory provider.
export {
  applyE164Mask,
  appearanceId,
  BUSY_TRIGGER,
  clusterInvalid,
  DEFAULT_ANSWER_AFTER_MS,
  DEFAULT_LIMITS,
  DEVICE_MODEL_NAMES,
  DEVICE_MODELS,
  DEVICE_NAME_RE,
  DIALABLE_RE,
  DN_RE,
  E164_MASK_RE,
  formatIssues,
  formatPath,
  isDeviceModel,
  lineKey,
  NO_ANSWER_RING_MS,
  PARTITION_RE,
  SIP_URI_RE,
  USER_ID_RE,
  type ClusterConfig,
  type ClusterIssue,
  type ClusterLimits,
  type DeviceConfig,
  type DeviceLineConfig,
  type DeviceModel,
  type FarEndBehaviour,
  type FarEndRuleConfig,
  type LineConfig,
  type Licence,
  type UserConfig,
} from '../../gateway/src/protocol.js';

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

export class ClusterModel {
  readonly name: string;
  readonly defaultAnswerAfterMs: number;
  readonly limits: ClusterLimits;
  /** In cluster-file order. */
  readonly users: readonly UserRecord[];
  readonly devices: readonly DeviceRecord[];
  readonly lines: readonly LineRecord[];
  readonly farEndRules: readonly FarEndRule[];
  /** The validated configuration it was built from (clusterDirectory() reads its records). */
  readonly validated: ValidatedCluster;
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
    validated: ValidatedCluster;
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
    this.validated = parts.validated;
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

// ---------------------------------------------------------------- building

/**
 * Validates a configuration (gateway/src/cti-link/cluster-file.ts: references, duplicates, limits,
 * every problem named by its field path) and indexes it into the model the call model reads.
 */
export function buildClusterModel(config: ClusterConfig): Result<ClusterModel> {
  const validated = validateCluster(config);
  if (!validated.ok) return validated;
  const cluster = validated.value;
  const lines: LineRecord[] = [];
  const linesByKey = new Map<string, LineRecord>();
  const linesByDn = new Map<string, LineRecord[]>();
  const linesByE164 = new Map<string, LineRecord>();
  for (const l of cluster.lines) {
    const record: LineRecord = {
      key: l.key,
      dn: l.dn,
      partition: l.partition,
      label: l.label,
      e164: l.e164,
      autoAnswerMs: l.config.autoAnswerMs,
      noAnswerRingMs: l.config.noAnswerRingMs ?? NO_ANSWER_RING_MS,
      busyTrigger: l.config.busyTrigger ?? BUSY_TRIGGER,
      appearances: [],
    };
    lines.push(record);
    linesByKey.set(l.key, record);
    if (l.e164 !== undefined && !linesByE164.has(l.e164)) linesByE164.set(l.e164, record);
    const sameDn = linesByDn.get(l.dn);
    if (sameDn === undefined) linesByDn.set(l.dn, [record]);
    else sameDn.push(record);
  }
  const devices: DeviceRecord[] = [];
  const devicesByName = new Map<string, DeviceRecord>();
  const appearancesById = new Map<string, AppearanceRecord>();
  for (const d of cluster.devices) {
    const device: DeviceRecord = {
      name: d.config.name,
      model: d.config.model,
      description: d.config.description,
      ctiAllowed: d.config.ctiAllowed,
      appearances: [],
    };
    devices.push(device);
    devicesByName.set(device.name, device);
    for (const a of d.appearances) {
      const line = linesByKey.get(a.line.key) as LineRecord;
      const appearance: AppearanceRecord = { id: a.id, device, line, index: a.index, label: a.label };
      device.appearances.push(appearance);
      line.appearances.push(appearance);
      appearancesById.set(a.id, appearance);
    }
  }
  const users: UserRecord[] = [];
  const usersById = new Map<string, UserRecord>();
  for (const u of cluster.users) {
    const user: UserRecord = {
      id: u.config.id,
      displayName: u.config.displayName,
      licence: u.config.licence,
      sipUri: u.config.sipUri,
      controlledDevices: u.controlledDevices.map((name) => devicesByName.get(name) as DeviceRecord),
    };
    users.push(user);
    usersById.set(user.id, user);
  }
  const farEndRules: FarEndRule[] = cluster.farEnds.map((f) => ({
    match: f.match,
    behaviour: f.config.behaviour,
    answerAfterMs: f.config.answerAfterMs ?? config.defaultAnswerAfterMs,
  }));
  return ok(
    new ClusterModel({
      name: config.name,
      defaultAnswerAfterMs: config.defaultAnswerAfterMs,
      limits: config.limits,
      users,
      devices,
      lines,
      farEndRules,
      validated: cluster,
      usersById,
      devicesByName,
      linesByKey,
      appearancesById,
      linesByDn,
      linesByE164,
    }),
  );
}
