// Bodies as Microsoft clients send them (shapes of gateway/test/vectors/ms-rcc, VERBATIM where
// pidgin-sipe's are), and a gateway with SIP listeners on the demo cluster.
import { decodeCsta, type CstaMessage } from '../../../src/csta/index.js';
import type { Gateway } from '../../../src/gateway.js';
import type { HostedGateway } from '../../../../host/src/demo.js';
import type { GatewayConfigInput } from '../../../src/config/config.js';
import { SipRawClient, type RawSession } from '../../support/sip-raw-client.js';
import type { SipRequest, SipResponse } from '../../../src/sip/index.js';
import { demoGateway } from '../desk/helpers.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const LCS = 'http://schemas.microsoft.com/Lcs/2005/04/RCCExtension';

export const ALICE_LINE = 'tel:1001;phone-context=dialstring;partition=INTERNAL';

export const body = {
  requestSystemStatus: (line: string, ns = NS): string =>
    `<?xml version="1.0"?><RequestSystemStatus xmlns="${ns}"><extensions><privateData><private><lcs:line xmlns:lcs="${LCS}">${line}</lcs:line></private></privateData></extensions></RequestSystemStatus>`,
  getCstaFeatures: (line: string): string =>
    `<?xml version="1.0"?><GetCSTAFeatures xmlns="${NS}"><extensions><privateData><private><lcs:line xmlns:lcs="${LCS}">${line}</lcs:line></private></privateData></extensions></GetCSTAFeatures>`,
  monitorStart: (line: string): string =>
    `<?xml version="1.0"?><MonitorStart xmlns="${NS}"><monitorObject><deviceObject>${line}</deviceObject></monitorObject></MonitorStart>`,
  monitorStop: (id: string): string =>
    `<?xml version="1.0"?><MonitorStop xmlns="${NS}"><monitorCrossRefID>${id}</monitorCrossRefID></MonitorStop>`,
  makeCall: (line: string, to: string): string =>
    `<?xml version="1.0"?><MakeCall xmlns="${NS}"><callingDevice>${line}</callingDevice><calledDirectoryNumber>${to}</calledDirectoryNumber><autoOriginate>doNotPrompt</autoOriginate></MakeCall>`,
  clearConnection: (callId: string, device: string): string =>
    `<?xml version="1.0"?><ClearConnection xmlns="${NS}"><connectionToBeCleared><callID>${callId}</callID><deviceID>${device}</deviceID></connectionToBeCleared></ClearConnection>`,
  twoCalls: (type: string, held: string, active: string, device: string): string =>
    `<?xml version="1.0"?><${type} xmlns="${NS}"><heldCall><callID>${held}</callID><deviceID>${device}</deviceID></heldCall><activeCall><callID>${active}</callID><deviceID>${device}</deviceID></activeCall></${type}>`,
  consultationCall: (callId: string, device: string, to: string): string =>
    `<?xml version="1.0"?><ConsultationCall xmlns="${NS}"><existingCall><callID>${callId}</callID><deviceID>${device}</deviceID></existingCall><consultedDevice>${to}</consultedDevice></ConsultationCall>`,
  setForwarding: (device: string, on: boolean, to: string): string =>
    `<?xml version="1.0"?><SetForwarding xmlns="${NS}"><device>${device}</device><forwardingType>forwardImmediate</forwardingType><activateForward>${on}</activateForward><forwardDN>${to}</forwardDN></SetForwarding>`,
};

export async function sipGateway(overrides: Partial<GatewayConfigInput> = {}): Promise<HostedGateway> {
  return demoGateway({
    sip: {
      domain: 'gw.deskline.test',
      tcp: [{ host: '127.0.0.1', port: 0 }],
      ws: [{ host: '127.0.0.1', port: 0 }],
      ...(overrides.sip ?? {}),
    },
    ...overrides,
  });
}

export function listener(gateway: Gateway, transport: 'TCP' | 'WS'): { host: string; port: number } {
  const found = gateway.sip?.listenerAddresses().find((l) => l.transport === transport);
  if (found === undefined) throw new Error(`no ${transport} listener`);
  const colon = found.address.lastIndexOf(':');
  return { host: found.address.slice(0, colon), port: Number(found.address.slice(colon + 1)) };
}

export function csta(message: SipRequest | SipResponse): CstaMessage {
  const decoded = decodeCsta(message.body);
  if (!decoded.ok) throw decoded.error;
  return decoded.value.message;
}

export async function rawClient(gateway: Gateway, transport: 'TCP' | 'WS' = 'TCP'): Promise<SipRawClient> {
  const { host, port } = listener(gateway, transport);
  return SipRawClient.connect({ transport, host, port });
}

export async function openRcc(client: SipRawClient, user: string, line: string): Promise<RawSession> {
  return client.openSession({
    uri: 'sip:1001@gw.deskline.test',
    from: `<sip:${user}@deskline.example>`,
    body: body.requestSystemStatus(line),
  });
}

/** Waits for the next event INFO from the gateway and decodes it. */
export async function nextEvent(client: SipRawClient, type?: string): Promise<CstaMessage> {
  for (;;) {
    const request = await client.nextRequest('INFO');
    const message = csta(request);
    if (type === undefined || message.type === type) return message;
  }
}
