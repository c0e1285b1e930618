// The contract's domain API: validation both ways, and error codes that survive Electron's
// contextBridge (which keeps only an Error's message).
import { describe, expect, it } from 'vitest';
import { createDomainApi, errorViewOf, parseRequest, type Envelope } from '../src/api/contract.js';

describe('domain API', () => {
  it('throws the engine error with its code, and recovers the code from the message when asked to carry it there', async () => {
    const invoke = async (): Promise<Envelope<unknown>> => ({
      ok: false,
      error: { code: 'NOT_LICENSED', message: 'no licence' },
    });
    const plain = createDomainApi(invoke);
    await expect(plain.desk.getState({})).rejects.toMatchObject({
      code: 'NOT_LICENSED',
      message: 'no licence',
    });
    const bridged = createDomainApi(invoke, { codeInMessage: true });
    const error = await bridged.desk.getState({}).catch((e: unknown) => e);
    // What contextBridge hands the renderer: a plain Error with the message only.
    const copied = new Error((error as Error).message);
    expect(errorViewOf(copied)).toEqual({ code: 'NOT_LICENSED', message: 'no licence' });
    expect(errorViewOf(new Error('plain'))).toEqual({ code: 'INTERNAL', message: 'plain' });
  });

  it('rejects a response that does not match the contract', async () => {
    const api = createDomainApi(async () => ({ ok: true, value: { nonsense: 1 } }));
    await expect(api.desk.getCtiHealth({})).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('validates requests at the host boundary and names the field', () => {
    expect(parseRequest('desk.makeCall', { number: '' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(parseRequest('desk.digits', { callId: 'c', digits: 'x;rm -rf' })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('digits') },
    });
    expect(parseRequest('desk.makeCall', { number: '1002', extra: true })).toMatchObject({ ok: false });
    expect(parseRequest('desk.makeCall', { number: '1002' })).toEqual({
      ok: true,
      value: { number: '1002' },
    });
  });
});
