// A gateway in front of a CTI Manager simulator whose cluster holds the line of pidgin-sipe's
// own example (gateway/test/vectors/ms-rcc/README.md: `tel:73124;phone-context=dialstring;
// partition=BE_BRS_INT`, far end `tel:+3222220220`), so that the VERBATIM bodies can be sent
// byte for byte — no line URI substituted. The gateway is configured as in production
// (cti.addresses + application user), not in demo mode, with the default numbering rules.
import { createGateway, type Gateway } from '../../src/gateway.js';
import { startSimulator, type ClusterConfig, type Simulator } from '../../../simulator/src/index.js';
import { DEFAULT_LIMITS } from '../../../simulator/src/model.js';
import { MemoryLogger } from '../../src/util/logger.js';

/** The values written in the comments of pidgin-sipe src/core/sip-csta.{c,h}. */
export const SIPE = {
  line: 'tel:73124;phone-context=dialstring;partition=BE_BRS_INT',
  /** What CUPS reports as the device in events (no partition); sipe sends it back in ClearConnection. */
  eventDevice: 'tel:73124;phone-context=dialstring',
  callId: '0_99f261b4',
  monitorCrossRefId: '99fda87c',
  /** The From of the vector's INVITE (CONSTRUCTED headers around the VERBATIM body). */
  user: 'sip:alice@company.local',
} as const;

const APPLICATION_USER = 'rcc-test';
const APPLICATION_PASSWORD = 'not-a-real-secret';

export function sipeClusterConfig(): ClusterConfig {
  return {
    name: 'pidgin-sipe example site',
    defaultAnswerAfterMs: 300,
    limits: { ...DEFAULT_LIMITS },
    lines: [
      { dn: '73124', partition: 'BE_BRS_INT', label: 'Alice (sipe example)', e164Mask: '+3222273124' },
      { dn: '73125', partition: 'BE_BRS_INT', label: 'Colleague' },
    ],
    devices: [
      {
        name: 'SEP00AABB073124',
        model: 'Cisco 8865',
        description: 'Alice - desk',
        ctiAllowed: true,
        lines: [{ dn: '73124', partition: 'BE_BRS_INT' }],
      },
      {
        name: 'SEP00AABB073125',
        model: 'Cisco 8865',
        description: 'Colleague - desk',
        ctiAllowed: true,
        lines: [{ dn: '73125', partition: 'BE_BRS_INT' }],
      },
    ],
    users: [
      {
        id: 'alice',
        displayName: 'Alice',
        licence: 'CUWL',
        sipUri: SIPE.user,
        controlledDevices: ['SEP00AABB073124'],
      },
      {
        id: 'colleague',
        displayName: 'Colleague',
        licence: 'CUWL',
        sipUri: 'sip:colleague@company.local',
        controlledDevices: ['SEP00AABB073125'],
      },
    ],
    // sipe's example number answers quickly, so that the suite stays short.
    farEnds: [{ match: '^\\+3222220220$', behaviour: 'answer', answerAfterMs: 300 }],
  };
}

export interface SipeSite {
  readonly simulator: Simulator;
  readonly gateway: Gateway;
  readonly logger: MemoryLogger;
  dispose(): Promise<void>;
}

/** Simulator (one node) + gateway with a TCP listener, as in production (not demo mode). */
export async function sipeSite(): Promise<SipeSite> {
  const logger = new MemoryLogger();
  const simulator = await startSimulator({
    cluster: sipeClusterConfig(),
    nodes: 1,
    host: '127.0.0.1',
    port: 0,
    adminPort: null,
    applicationUser: APPLICATION_USER,
    applicationPassword: APPLICATION_PASSWORD,
    logger: logger.child({ component: 'cucm-sim' }),
  });
  try {
    const gateway = await createGateway({
      config: {
        sip: { domain: 'gw.deskline.test', tcp: [{ host: '127.0.0.1', port: 0 }] },
        cti: {
          addresses: simulator.nodes.map((n) => n.address),
          applicationUser: APPLICATION_USER,
          password: APPLICATION_PASSWORD,
          heartbeatIntervalMs: 1000,
          reconnectInitialMs: 100,
          reconnectMaxMs: 500,
          requestTimeoutMs: 2000,
        },
        http: { port: null },
      },
      logger,
    });
    return {
      simulator,
      gateway,
      logger,
      async dispose(): Promise<void> {
        await gateway.dispose();
        await simulator.dispose();
      },
    };
  } catch (cause) {
    await simulator.dispose();
    throw cause;
  }
}
