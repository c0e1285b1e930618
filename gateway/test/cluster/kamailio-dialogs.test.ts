// Kamailio's own handling of RCC dialogs (deploy/kamailio/kamailio.cfg), for clients that behave
// like pidgin-sipe (rcc-clients/sipe-like-client.ts): the nodes are small test UASes
// (test-node.ts), so what is checked is the balancer alone:
//   - re-INVITEs are Record-Routed, so that a client that rebuilds its route set from every answer
//     to its re-INVITE keeps the balancer in it;
//   - an in-dialog request whose node is gone (connection refused) goes to a live node instead of
//     being answered 408 — that node can take the session over (docs/msrcc.md);
//   - a client request that arrives without a route set (it was lost) is routed by its
//     Request-URI — the node's Contact, or the gateway's Server URI — instead of 404 Not Here.
// The same with real gateway nodes and the real pidgin-sipe: gateway/test/real-sipe/.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SipeLikeClient } from '../rcc-clients/sipe-like-client.js';
import { SIPE } from '../rcc-clients/sipe-cluster.js';
import { TestCluster, type KamailioInstance } from './cluster.js';
import { runningChildren } from './processes.js';
import { TestNode } from './test-node.js';

const SERVER_URI = 'sip:73124@deskline.test';
const MAKE_CALL = `<?xml version="1.0"?><MakeCall xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><callingDevice>${SIPE.line}</callingDevice><calledDirectoryNumber>tel:+3222220220</calledDirectoryNumber><autoOriginate>doNotPrompt</autoOriginate></MakeCall>`;

let cluster: TestCluster | undefined;
let kamailio: KamailioInstance | undefined;
let nodes: TestNode[] = [];
let client: SipeLikeClient | undefined;

beforeAll(async () => {
  // Only for its Kamailio launcher: no gateway node, the simulator idles.
  cluster = await TestCluster.start({ nodes: 0, users: 1 });
}, 60_000);

afterAll(async () => {
  await cluster?.dispose();
  expect(runningChildren()).toBe(0);
}, 30_000);

afterEach(async () => {
  client?.close();
  await kamailio?.stop();
  await Promise.all(nodes.map((n) => n.kill().catch(() => undefined)));
  client = undefined;
  kamailio = undefined;
  nodes = [];
});

/** Two test nodes behind a fresh Kamailio (round-robin, probing every second), and sipe signed in. */
async function setUp(): Promise<{
  c: SipeLikeClient;
  holder: TestNode;
  other: TestNode;
  k: KamailioInstance;
}> {
  if (cluster === undefined) throw new Error('no cluster');
  nodes = [await TestNode.start('n1'), await TestNode.start('n2')];
  kamailio = await cluster.startKamailio(`kamailio-dialogs-${Date.now()}`, {
    probeIntervalSec: 1,
    dispatcher: nodes.map((n) => n.dispatcherEntry),
  });
  client = await SipeLikeClient.connect({
    host: '127.0.0.1',
    port: kamailio.port,
    user: SIPE.user,
    serverUri: SERVER_URI,
    line: SIPE.line,
  });
  const answer = await client.invite();
  expect(answer.status).toBe(200);
  const holder = nodes.find((n) => n.got('INVITE').length === 1);
  if (holder === undefined) throw new Error('no node got the INVITE');
  const other = nodes.find((n) => n !== holder)!;
  expect(client.routes).toEqual([`<sip:127.0.0.1:${kamailio.port};transport=tcp;lr>`]);
  return { c: client, holder, other, k: kamailio };
}

const server = (response: { header(name: string): string | undefined }): string =>
  response.header('server') ?? '';

describe('Kamailio and clients that rebuild their route set (pidgin-sipe)', () => {
  it('a re-INVITE is Record-Routed: the node sees the balancer in it, and the client keeps its route set', async () => {
    const { c, holder, k } = await setUp();
    const refreshed = await c.refresh();
    expect(refreshed.status).toBe(200);
    const reInvite = holder.got('INVITE')[1];
    expect(reInvite?.headers.getAll('record-route')).toEqual([`<sip:127.0.0.1:${k.port};transport=tcp;lr>`]);
    expect(c.routes).toEqual([`<sip:127.0.0.1:${k.port};transport=tcp;lr>`]);
    // ... so its next requests still pass the balancer and reach the node of the dialog.
    const made = await c.info(MAKE_CALL);
    expect(made.status).toBe(200);
    expect(holder.got('INFO')).toHaveLength(1);
    expect(holder.got('ACK').map((a) => a.header('cseq'))).toEqual(['1 ACK', '1 ACK']);
  });

  it('a request whose node is gone is re-dispatched to a live node; the next refresh moves the dialog there', async () => {
    const { c, holder, other, k } = await setUp();
    await holder.kill();
    const made = await c.info(MAKE_CALL);
    expect(`${made.status} ${server(made)}`).toBe(`200 Deskline/${other.name}`);
    // The Request-URI is still the dialog's remote target (the dead node's Contact).
    expect(other.got('INFO')[0]?.uri).toBe(holder.contact);
    expect(
      k.child.lines.some((l) => /in-dialog INFO from alice re-dispatched to gateway node/.test(l)),
      k.child.tail(),
    ).toBe(true);
    const refreshed = await c.refresh();
    expect(`${refreshed.status} ${server(refreshed)}`).toBe(`200 Deskline/${other.name}`);
    expect(c.remoteTarget).toBe(other.contact);
    expect(c.routes).toEqual([`<sip:127.0.0.1:${k.port};transport=tcp;lr>`]);
    await c.info(MAKE_CALL);
    expect(other.got('INFO').map((r) => r.uri)).toEqual([holder.contact, other.contact]);
  });

  it('a client that lost its route set is routed by its Request-URI (the node of the dialog, or any live node), not refused with 404', async () => {
    const { c, holder } = await setUp();
    // A node that answers the refresh without Record-Route: sipe keeps no route at all.
    holder.copyRecordRoute = false;
    expect((await c.refresh()).status).toBe(200);
    expect(c.routes).toEqual([]);
    expect(c.remoteTarget).toBe(holder.contact);
    const toNode = await c.info(MAKE_CALL);
    expect(`${toNode.status} ${server(toNode)}`).toBe(`200 Deskline/${holder.name}`);

    // An answer with neither Record-Route nor Contact (a 481): sipe's requests then go to the
    // Server URI itself, with a To tag and no Route.
    holder.reInviteStatus = 481;
    expect((await c.refresh()).status).toBe(481);
    expect(c.remoteTarget).toBeUndefined();
    const toService = await c.info(MAKE_CALL);
    expect(toService.status).toBe(200);
    expect(server(toService)).toMatch(/^Deskline\/n[12]$/);
  });
});
