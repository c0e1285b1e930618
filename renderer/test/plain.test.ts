// Plain words and numbers for people (docs/ui.md §8): what reaches an end-user screen.
import { describe, expect, it } from 'vitest';
import type { LineAppearanceView } from '../../common/src/api/views.js';
import { formatNumber, numberTitle, peopleNumber } from '../src/lib/phone.js';
import { isJargon, phoneName, plainError, plainLineReason, plainSessionReason } from '../src/lib/plain.js';

const line = (extra: Partial<LineAppearanceView> = {}): LineAppearanceView => ({
  id: 'SEP00AABB000017:1017',
  deviceName: 'SEP00AABB000017',
  deviceModel: 'Cisco 7821',
  deviceDescription: 'Grace Green - lab bench',
  dn: '1017',
  partition: 'INTERNAL',
  lineUri: 'tel:1017',
  label: 'Grace Green (lab)',
  shared: false,
  sharedWith: [],
  controllable: false,
  notControllableReason:
    'CTI control is not allowed on SEP00AABB000017 (ask your administrator to enable "Allow Control of Device from CTI")',
  ...extra,
});

describe('numbers for people', () => {
  it('groups E.164 numbers the way their country writes them, keeping E.164 for the tooltip', () => {
    expect(peopleNumber('+14085550199')).toEqual({ text: '+1 408 555 0199', e164: '+14085550199' });
    expect(formatNumber('+442071234567')).toBe('+44 20 7123 4567');
    expect(formatNumber('+33142685300')).toBe('+33 1 42 68 53 00');
    expect(numberTitle('+442071234567')).toBe('E.164: +442071234567');
  });

  it('leaves extensions, short codes and impossible numbers as they are', () => {
    expect(peopleNumber('1002')).toEqual({ text: '1002' });
    expect(numberTitle('1002')).toBeUndefined();
    expect(formatNumber('*86')).toBe('*86');
    expect(formatNumber('+1408555012')).toBe('+1408555012');
    expect(formatNumber('')).toBe('');
  });
});

describe('plain words', () => {
  it('recognises what only an administrator reads', () => {
    for (const text of [
      'connect ECONNREFUSED 10.1.1.10:2748',
      'CTI Manager cucm1.example.com:2748 is not connected',
      'Cannot hold: operation: invalidObjectState',
      'line SEP00AABB000001 is not yours',
      'desk.makeCall: number: too long',
      'MakeCall to CTI Manager x timed out after 5000 ms',
      'the line 1001 in partition INTERNAL',
    ])
      expect(isJargon(text), text).toBe(true);
    for (const text of [
      'the call is not in a state that allows this',
      'incomplete: North American numbers are +1 and 10 digits (9 so far)',
      'the phone system does not accept that number as a forwarding destination',
      'Choose the line to control first',
    ])
      expect(isJargon(text), text).toBe(false);
  });

  it('keeps an engine message written for people, with its own "Cannot …:" prefix', () => {
    const error = {
      code: 'CTI_ERROR',
      message:
        'Cannot change forwarding: the phone system does not accept that number as a forwarding destination',
    };
    expect(plainError(error, 'ignored')).toEqual({ text: error.message });
    expect(
      plainError({ code: 'INVALID_STATE', message: 'Choose the line to control first' }, 'hold'),
    ).toEqual({
      text: 'Cannot hold: Choose the line to control first',
      detail: 'INVALID_STATE: Choose the line to control first',
    });
  });

  it('replaces jargon by what the code means, keeping the original as detail', () => {
    expect(
      plainError(
        { code: 'CTI_NOT_CONNECTED', message: 'CTI Manager 10.1.1.10:2748 is not connected' },
        'hold',
      ),
    ).toEqual({
      text: 'Cannot hold: the link to the phone system is down. Your calls go on, but cannot be controlled from here until it is back',
      detail: 'CTI_NOT_CONNECTED: CTI Manager 10.1.1.10:2748 is not connected',
    });
    expect(plainError({ code: 'CTI_ERROR', message: 'Cannot transfer: operation: generic' }).text).toBe(
      'Cannot transfer: the phone system refused it',
    );
    expect(plainError({ code: 'INTERNAL', message: 'desk.hold failed unexpectedly' }).text).toBe(
      'Something went wrong inside Deskline',
    );
    expect(plainError({ code: 'WHATEVER', message: 'connect ECONNREFUSED 127.0.0.1:9' }).text).toBe(
      'Something went wrong',
    );
  });

  it('drops the contract method and field path of a validation message', () => {
    expect(
      plainError({ code: 'INVALID_ARGUMENT', message: 'desk.makeCall: number: a number is required' }),
    ).toEqual({
      text: 'A number is required',
      detail: 'INVALID_ARGUMENT: desk.makeCall: number: a number is required',
    });
  });

  it('says why a line cannot be controlled without device names or CTI words', () => {
    const user = { userId: 'grace', displayName: 'Grace Green', licence: 'CUWL' as const };
    expect(plainLineReason(line(), user)).toEqual({
      text: 'Your administrator has not allowed this phone to be controlled from a computer.',
      detail: line().notControllableReason,
    });
    expect(plainLineReason(line(), { ...user, licence: null }).text).toBe(
      'You have no licence to control phones from Deskline. Ask your administrator to assign one.',
    );
    expect(plainLineReason(line({ notControllableReason: 'The phone is switched off' }), user)).toEqual({
      text: 'The phone is switched off',
    });
  });

  it('names a phone by its description, never its device name', () => {
    expect(phoneName(line())).toBe('Grace Green - lab bench');
    expect(phoneName(line({ deviceDescription: '' }))).toBe('Cisco 7821');
    expect(phoneName(line({ deviceDescription: 'SEP00AABB000017' }))).toBe('Cisco 7821');
  });

  it('puts a session reason in plain words', () => {
    expect(plainSessionReason({ state: 'active' })).toBeUndefined();
    expect(
      plainSessionReason({ state: 'recovering', reason: 'no healthy CTI connection: connect ECONNREFUSED' }),
    ).toEqual({
      text: 'Deskline is reconnecting to the phone system. Calls on your phone go on meanwhile.',
      detail: 'no healthy CTI connection: connect ECONNREFUSED',
    });
    expect(plainSessionReason({ state: 'failed', reason: 'the phone was unplugged' })).toEqual({
      text: 'The phone was unplugged',
    });
  });
});
