// The built-in demo cluster (what `npm start` and `--demo` run on) and a generator of large
// clusters for benchmarks. Names and numbers are fictitious.
import { unwrap } from '../../gateway/src/protocol.js';
import {
  buildClusterModel,
  DEFAULT_ANSWER_AFTER_MS,
  DEFAULT_LIMITS,
  type ClusterConfig,
  type ClusterModel,
  type DeviceConfig,
  type LineConfig,
  type UserConfig,
} from './model.js';

export {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  DEMO_NUMBERING_RULES,
  DEMO_USER_ID,
} from './demo-facts.js';

/** Far ends of the demo cluster with a fixed behaviour, for trying the failure paths. */
export const DEMO_NUMBERS = {
  /** Answers after the default delay (no rule matches it). */
  answers: '+14085550100',
  /** Always busy. */
  busy: '+14085550199',
  /** Rings for ever. */
  noAnswer: '+14085550188',
  /** Answers after 15 s. */
  slowAnswer: '+14085550177',
  /** Premium-rate numbers are not obtainable. */
  invalid: '+19005550100',
} as const;

const INTERNAL = 'INTERNAL';
const MASK = '+1408555XXXX';

const line = (dn: string, label: string, extra: Partial<LineConfig> = {}): LineConfig => ({
  dn,
  partition: INTERNAL,
  label,
  e164Mask: MASK,
  ...extra,
});

const device = (
  name: string,
  model: DeviceConfig['model'],
  description: string,
  dns: string[],
  ctiAllowed = true,
): DeviceConfig => ({
  name,
  model,
  description,
  ctiAllowed,
  lines: dns.map((dn) => ({ dn, partition: INTERNAL })),
});

/**
 * The demo cluster. Invariants the tests check:
 *  - 8 users, one without an IM and Presence licence (Frank);
 *  - 12 devices of 8 models;
 *  - a shared line: Dave's 1004 on his 9971 and on his assistant Carol's 8851 (Carol's own 1003,
 *    on her desk phone and her softphone, is technically shared too);
 *  - Carol has three line appearances on two devices (1003 + 1004 on her desk phone, 1003 on her softphone);
 *  - Grace's lab phone does not allow control from CTI;
 *  - Bob's line, the help desk and the board room answer by themselves, so a lone demo user sees calls connect;
 *  - far ends that are always busy, never answer, answer slowly, or are not obtainable (DEMO_NUMBERS).
 */
export function demoClusterConfig(): ClusterConfig {
  const lines: LineConfig[] = [
    line('1001', 'Alice Archer'),
    line('1002', 'Bob Baker', { autoAnswerMs: 2_000 }),
    line('1003', 'Carol Chen'),
    line('1004', 'Dave Diaz'),
    line('1005', 'Emma Evans'),
    line('1006', 'Frank Foster'),
    line('1007', 'Grace Green'),
    line('1017', 'Grace Green (lab)'),
    line('1008', 'Henry Hughes', { noAnswerRingMs: 8_000 }),
    line('1200', 'Help Desk', { autoAnswerMs: 1_500 }),
    line('1300', 'Board Room', { autoAnswerMs: 1_000 }),
    { dn: '1900', partition: 'LOBBY', label: 'Lobby' },
  ];
  const devices: DeviceConfig[] = [
    device('SEP00AABB000001', 'Cisco 8865', 'Alice Archer - desk', ['1001']),
    device('SEP00AABB000002', 'Cisco 8851', 'Bob Baker - desk', ['1002']),
    device('SEP00AABB000004', 'Cisco 9971', 'Dave Diaz - office', ['1004']),
    {
      name: 'SEP00AABB000003',
      model: 'Cisco 8851',
      description: 'Carol Chen - desk',
      ctiAllowed: true,
      lines: [
        { dn: '1003', partition: INTERNAL },
        { dn: '1004', partition: INTERNAL, label: 'Dave (shared)' },
      ],
    },
    device('SEP00AABB000013', 'Cisco IP Communicator', 'Carol Chen - softphone', ['1003']),
    device('SEP00AABB000005', 'Cisco 7841', 'Emma Evans - reception', ['1005', '1200']),
    device('SEP00AABB000006', 'Cisco 7841', 'Frank Foster - desk', ['1006']),
    device('SEP00AABB000007', 'Cisco 8865', 'Grace Green - desk', ['1007']),
    device('SEP00AABB000017', 'Cisco 7821', 'Grace Green - lab bench', ['1017'], false),
    device('SEP00AABB000008', 'Cisco 8845', 'Henry Hughes - desk', ['1008']),
    device('SEP00AABB000030', 'Cisco 8861', 'Board room', ['1300']),
    {
      name: 'SEP00AABB000040',
      model: 'Cisco 7821',
      description: 'Lobby courtesy phone',
      ctiAllowed: true,
      lines: [{ dn: '1900', partition: 'LOBBY' }],
    },
  ];
  const user = (
    id: string,
    displayName: string,
    licence: UserConfig['licence'],
    controlledDevices: string[],
  ): UserConfig => ({
    id,
    displayName,
    licence,
    sipUri: `sip:${id}@deskline.example`,
    controlledDevices,
  });
  const users: UserConfig[] = [
    user('alice', 'Alice Archer', 'CUWL', ['SEP00AABB000001']),
    user('bob', 'Bob Baker', 'UCL', ['SEP00AABB000002']),
    user('carol', 'Carol Chen', 'UCL', ['SEP00AABB000003', 'SEP00AABB000013']),
    user('dave', 'Dave Diaz', 'CUWL', ['SEP00AABB000004']),
    user('emma', 'Emma Evans', 'UCL', ['SEP00AABB000005', 'SEP00AABB000040']),
    user('frank', 'Frank Foster', null, ['SEP00AABB000006']),
    user('grace', 'Grace Green', 'CUWL', ['SEP00AABB000007', 'SEP00AABB000017']),
    user('henry', 'Henry Hughes', 'UCL', ['SEP00AABB000008', 'SEP00AABB000030']),
  ];
  return {
    name: 'Deskline demo cluster',
    defaultAnswerAfterMs: DEFAULT_ANSWER_AFTER_MS,
    limits: { ...DEFAULT_LIMITS },
    lines,
    devices,
    users,
    farEnds: [
      { match: '^\\+?14085550199$', behaviour: 'busy' },
      { match: '^\\+?14085550188$', behaviour: 'noAnswer' },
      { match: '^\\+?14085550177$', behaviour: 'answer', answerAfterMs: 15_000 },
      { match: '^\\+?1?900', behaviour: 'invalid' },
    ],
  };
}

export function demoCluster(): ClusterModel {
  return unwrap(buildClusterModel(demoClusterConfig()));
}

export interface GenerateClusterOptions {
  users: number;
  /** Every user's line answers by itself after this delay (benchmarks want calls to connect). */
  autoAnswerMs?: number;
  /** Far ends answer after this delay. Default DEFAULT_ANSWER_AFTER_MS. */
  farEndAnswerAfterMs?: number;
  /** Every n-th user's line also appears on the previous user's phone (shared lines). 0 = none. */
  sharedEvery?: number;
  /** Every n-th user has no IM and Presence licence. 0 = none. */
  unlicensedEvery?: number;
}

/** The directory number of generated user i (0-based). */
export function generatedDn(i: number): string {
  return String(1_000_000 + i);
}

/** The device name of generated user i (0-based): SEP + 12 hex digits. */
export function generatedDeviceName(i: number): string {
  return `SEP0A${(i + 1).toString(16).toUpperCase().padStart(10, '0')}`;
}

/**
 * A large, regular cluster for benchmarks: user i ("user<i>") controls one Cisco 8865 with line
 * generatedDn(i). Built with plain loops and no validation beyond buildClusterModel's, so
 * 100,000 users take well under a second.
 */
export function generateCluster(options: GenerateClusterOptions): ClusterConfig {
  const n = Math.max(0, Math.floor(options.users));
  if (n > 8_999_999) throw new RangeError('generateCluster: at most 8,999,999 users (7-digit DNs)');
  const lines: LineConfig[] = new Array<LineConfig>(n);
  const devices: DeviceConfig[] = new Array<DeviceConfig>(n);
  const users: UserConfig[] = new Array<UserConfig>(n);
  const sharedEvery = options.sharedEvery ?? 0;
  const unlicensedEvery = options.unlicensedEvery ?? 0;
  for (let i = 0; i < n; i++) {
    const dn = generatedDn(i);
    const name = generatedDeviceName(i);
    const id = `user${i}`;
    lines[i] =
      options.autoAnswerMs === undefined
        ? { dn, partition: INTERNAL, label: `User ${i}`, e164Mask: '+1650XXXXXXX' }
        : {
            dn,
            partition: INTERNAL,
            label: `User ${i}`,
            e164Mask: '+1650XXXXXXX',
            autoAnswerMs: options.autoAnswerMs,
          };
    devices[i] = {
      name,
      model: 'Cisco 8865',
      description: `User ${i} - desk`,
      ctiAllowed: true,
      lines: [{ dn, partition: INTERNAL }],
    };
    users[i] = {
      id,
      displayName: `User ${i}`,
      licence: unlicensedEvery > 0 && i % unlicensedEvery === unlicensedEvery - 1 ? null : 'CUWL',
      sipUri: `sip:${id}@bench.example`,
      controlledDevices: [name],
    };
    if (sharedEvery > 0 && i > 0 && i % sharedEvery === 0)
      (devices[i - 1] as DeviceConfig).lines.push({ dn, partition: INTERNAL });
  }
  return {
    name: `generated (${n} users)`,
    defaultAnswerAfterMs: options.farEndAnswerAfterMs ?? DEFAULT_ANSWER_AFTER_MS,
    limits: { ...DEFAULT_LIMITS },
    lines,
    devices,
    users,
    farEnds: [],
  };
}
