// A line URI is read one way (docs/numbering.md §3): the line the session-opening INVITE
// names through the configured `numbering.lineUri` rewrites is the line a later MonitorStart or
// MakeCall names in any spelling of the same URI. Before numbering/line-uri.ts, the INVITE
// went through the rewrites and MonitorStart did not, so one URI resolved to two lines.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../../host/src/demo.js';
import type { SipRawClient } from '../../support/sip-raw-client.js';
import { body, csta, openRcc, rawClient, sipGateway } from './helpers.js';

let gateway: HostedGateway | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await gateway?.dispose();
  client = gateway = undefined;
});

/** A Berlin site whose DIDs +49 30 555 1xxx map to the extensions 1xxx (the demo lines' E.164
 *  masks are North American: only the rewrite connects these URIs to the lines). */
const BERLIN_NUMBERING = {
  lineUri: {
    rewrites: [{ name: 'berlin-did', match: '^\\+493055510(\\d{2})$', replace: '10$1' }],
    defaultPartition: 'INTERNAL',
  },
};

describe('line URIs through the numbering rules, at INVITE and after it', () => {
  it('MonitorStart naming the session line in another spelling monitors that line', async () => {
    gateway = await sipGateway({ numbering: BERLIN_NUMBERING });
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', 'tel:+49305551001');
    expect(session.inviteResponse.status).toBe(200);
    // The same URI with RFC 3966 visual separators: the same line.
    const started = csta(await session.info(body.monitorStart('tel:+49-30-555-1001')));
    expect(started.type).toBe('MonitorStartResponse');
    expect((await session.bye()).status).toBe(200);
  });

  it("MakeCall from the user's other line, named by its DID, calls from that line", async () => {
    gateway = await sipGateway({ numbering: BERLIN_NUMBERING });
    client = await rawClient(gateway);
    // Carol's desk phone has her 1003 and Dave's shared 1004.
    const session = await openRcc(client, 'carol', 'tel:+49305551003');
    expect(session.inviteResponse.status).toBe(200);
    const made = csta(
      await session.info(body.makeCall('tel:+49305551004', 'tel:1002;phone-context=dialstring')),
    );
    expect(made.type).toBe('MakeCallResponse');
    expect((await session.bye()).status).toBe(200);
  });
});
