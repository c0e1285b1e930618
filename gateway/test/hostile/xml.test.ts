// Hostile CSTA XML against the whole gateway, over TCP and WebSocket: the corpus of
// gateway/test/vectors/csta-hostile (billion laughs, external and parameter entities, DOCTYPEs,
// 10,000-deep nesting, invalid and overlong UTF-8, UTF-16, Latin-1, broken structure, wrong
// fields) as the body of an in-dialog INFO and of a session-opening INVITE. Each INFO gets
// 200 OK with a CSTAErrorCode naming the class, and a Warning naming the problem (the gateway's
// documented rule for CSTA refusals); each INVITE gets 400 with the same. Nothing is expanded,
// nothing is executed, no state changes, and the sessions already open keep working.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csta } from '../faces/msrcc/helpers.js';
import { Rig } from '../fault/harness.js';
import {
  connect,
  engineState,
  expectState,
  expectWorking,
  rawInfo,
  rawInvite,
  signIn,
  signOut,
  warningText,
  type EngineState,
  type SignedIn,
} from './helpers.js';

const DIR = new URL('../vectors/csta-hostile/', import.meta.url);
interface HostileCase {
  readonly file?: string;
  readonly code: string;
  readonly messageContains?: string;
}
const CORPUS = (JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as HostileCase[]).filter(
  (c): c is HostileCase & { file: string } => c.file !== undefined,
);

/** The CSTA error class and value each decode failure becomes (core/csta-errors.ts, one table for every face). */
const EXPECTED: Record<string, { errorClass: string; value: string }> = {
  XML_FORBIDDEN_CONSTRUCT: { errorClass: 'operation', value: 'generic' },
  XML_TOO_DEEP: { errorClass: 'operation', value: 'generic' },
  XML_TOO_LARGE: { errorClass: 'operation', value: 'generic' },
  XML_ENCODING: { errorClass: 'operation', value: 'generic' },
  XML_MALFORMED: { errorClass: 'operation', value: 'generic' },
  CSTA_UNKNOWN_MESSAGE: { errorClass: 'operation', value: 'invalidObjectType' },
  CSTA_MISSING_FIELD: { errorClass: 'operation', value: 'valueOutOfRange' },
  CSTA_INVALID_FIELD: { errorClass: 'operation', value: 'valueOutOfRange' },
};

/** The Warning carries the reason with its quotes replaced (msrcc-front warning()). */
const asWarning = (text: string): string => text.replace(/["\\\r\n]/g, "'");

describe.each(['TCP', 'WS'] as const)('hostile XML over %s', (transport) => {
  let rig: Rig;
  let alice: SignedIn;
  let bystander: SignedIn;
  let before: EngineState;
  beforeAll(async () => {
    rig = await Rig.start();
    alice = await signIn(rig, transport, 'alice');
    // Someone on the other transport, who must never notice.
    bystander = await signIn(rig, transport === 'TCP' ? 'WS' : 'TCP', 'carol');
    before = engineState(rig);
  });
  afterAll(async () => {
    await rig.abandon();
  });

  it.each(CORPUS.map((c) => [c.file, c] as const))(
    'INFO with %s → 200 + CSTAErrorCode, nothing changes',
    async (_file, c) => {
      const response = await rawInfo(alice, readFileSync(new URL(c.file, DIR)));
      expect(response.status).toBe(200);
      expect(csta(response)).toEqual({ type: 'CSTAErrorCode', ...EXPECTED[c.code] });
      if (c.messageContains !== undefined)
        expect(warningText(response)).toContain(asWarning(c.messageContains));
      expect(engineState(rig)).toEqual(before);
    },
  );

  it.each(CORPUS.map((c) => [c.file, c] as const))(
    'INVITE with %s → 400 + CSTAErrorCode, no session',
    async (_file, c) => {
      const client = await connect(rig, transport);
      try {
        const response = await rawInvite(client, 'dave', readFileSync(new URL(c.file, DIR)));
        expect(response.status).toBe(400);
        expect(csta(response)).toEqual({ type: 'CSTAErrorCode', ...EXPECTED[c.code] });
        if (c.messageContains !== undefined)
          expect(warningText(response)).toContain(asWarning(c.messageContains));
        expect(engineState(rig)).toEqual(before);
      } finally {
        await client.close();
      }
    },
  );

  it('a re-INVITE with a hostile body is refused (400) and the session is kept', async () => {
    const response = await alice.session.reInvite(readFileSync(new URL('billion-laughs.xml', DIR)));
    expect(response.status).toBe(400);
    expect(warningText(response)).toContain('DOCTYPE');
    expect(engineState(rig)).toEqual(before);
  });

  it('a body declared as another charset, or in another content type, is refused without being read', async () => {
    const latin1 = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><MakeCall xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><callingDevice>tel:1001</callingDevice><calledDirectoryNumber>Jos\xe9</calledDirectoryNumber></MakeCall>',
      'latin1',
    );
    const refused = await rawInfo(alice, latin1, 'application/csta+xml; charset=ISO-8859-1');
    expect(refused.status).toBe(200);
    expect(csta(refused)).toMatchObject({ type: 'CSTAErrorCode', errorClass: 'operation' });
    // RFC 3261 §8.2.3: a body type we do not understand → 415 with Accept, before any parsing.
    const other = await rawInfo(alice, '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', 'application/xml');
    expect(other.status).toBe(415);
    expect(other.header('accept')).toBe('application/csta+xml');
    expect(engineState(rig)).toEqual(before);
  });

  if (transport === 'WS') {
    it('a text WebSocket message that is not UTF-8 fails that connection (RFC 6455 §8.1), and only that one', async () => {
      const victim = await signIn(rig, 'WS', 'dave');
      const built = victim.session.build('INFO', {
        body: readFileSync(new URL('invalid-utf8.xml', DIR)),
        headers: [['Content-Disposition', 'signal;handling=required']],
      });
      victim.client.sendBytes(built.bytes, { binary: false });
      await victim.client.closed();
      // Its session goes with it (a WebSocket peer cannot be called back); nobody else is touched.
      await expectState(rig, before, 'after the failed connection');
    });
  }

  it('afterwards both sessions still work, and sign out cleanly', async () => {
    await expectWorking(alice);
    await expectWorking(bystander);
    await expectState(rig, before, 'after the calls');
    await signOut(alice);
    await signOut(bystander);
    await rig.expectGatewayIdle();
    await rig.expectNoCalls();
    await rig.finish();
  });
});
