// Plain words on end-user screens (docs/ui.md §8). The engine's messages are written for
// people where it can, but some carry what only an administrator reads: socket errors
// (ECONNREFUSED), CTI Manager addresses, CSTA values (invalidObjectState), device names
// (SEP00AABB000001), contract method names. Those are replaced here by a sentence chosen from
// the error's stable code; the original stays available as `detail` (a tooltip, or the
// Health screen). Pure, so it is unit-tested without a browser.
import type { ErrorView } from '../../../common/src/api/contract.js';
import type {
  DeskAccessCode,
  DeskAccessView,
  DeskStateView,
  LineAppearanceView,
  LineUnavailableCode,
} from '../../../common/src/api/views.js';

export interface Plain {
  text: string;
  /** The technical original, when `text` is not it (for a tooltip). */
  detail?: string;
}

/** What only an administrator reads. Each pattern is a kind of token, not a message. */
const JARGON: readonly RegExp[] = [
  /\bE[A-Z]{4,}\b/, // socket errors: ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH
  /\b(?:CTI|CSTA|SIP|RCC|TCP|TLS|DN)\b/, // protocol words
  /\bSEP[0-9A-F]{12}\b/i, // Cisco device names
  /\b[a-z]+(?:[A-Z][a-z0-9]+)+\b/, // camelCase identifiers: CSTA values, field names
  /\b\d{1,3}(?:\.\d{1,3}){3}\b/, // IPv4 addresses
  /\b(?:desk|app)\.[a-z][A-Za-z]+\b/, // contract method names
  /\b[\w.-]+:\d{2,5}\b/, // host:port
  /\b\d+ ms\b/, // timer values
  /\bpartition\b/i,
  // ECMA-269 §9.3 error classes, as the engine spells an unknown CSTA error ("operation: generic")
  /\b(?:operation|security|stateIncompatibility|systemResourceAvailability|subscribedResourceAvailability|performanceManagement|privateData|unspecified): \w+/,
];

export const isJargon = (text: string): boolean => JARGON.some((pattern) => pattern.test(text));

/** What an error code means to a person: used when the engine's message is jargon. */
const CODE_WORDS: Readonly<Record<string, string>> = {
  CTI_NOT_CONNECTED:
    'the link to the phone system is down. Your calls go on, but cannot be controlled from here until it is back',
  NO_HEALTHY_CTI_CONNECTION:
    'the link to the phone system is down. Your calls go on, but cannot be controlled from here until it is back',
  CTI_CONNECTION_CLOSED:
    'the link to the phone system dropped. Deskline is reconnecting; your calls go on meanwhile',
  CTI_TIMEOUT: 'the phone system did not answer in time',
  CTI_SESSION_REFUSED: 'the phone system refused Deskline. Ask your administrator to check its settings',
  NOT_LICENSED: 'you have no licence to control your phone from Deskline. Ask your administrator for one',
  CTI_CONTROL_DISALLOWED: 'your administrator has not allowed this phone to be controlled from a computer',
  LINE_NOT_OWNED: 'that line is not one of yours',
  UNKNOWN_USER: 'the phone system does not know your user ID. Check it in Settings',
  UNKNOWN_LINE: 'that line is no longer on your phone',
  SESSION_STALE: 'Deskline is reconnecting to your line. Try again in a moment',
  TIMEOUT: 'Deskline did not answer in time. Check whether it happened before trying again',
  CONNECTION_LOST:
    'the connection to Deskline dropped while doing it. Check whether it happened before trying again',
  DISPOSED: 'Deskline is closing',
  INVALID_RESPONSE: 'something went wrong inside Deskline',
  INTERNAL: 'something went wrong inside Deskline',
  STORAGE_FAILED: 'Deskline could not save it',
  SENDER_REFUSED: 'this window is not allowed to do that',
  CTI_ERROR: 'the phone system refused it',
  LINE_CALL_LIMIT: 'this line already has as many calls as it can take; end or transfer one first',
  LIMIT_EXCEEDED: 'Deskline has reached a limit your administrator set',
  NUMBER_INVALID: 'that number cannot be dialled',
  URI_INVALID: 'that number cannot be dialled',
  INVALID_STATE: 'that is not possible right now',
  INVALID_ARGUMENT: 'that is not possible',
};

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** "desk.makeCall: number: a number is required" → "a number is required" (parseRequest's format). */
const stripMethod = (message: string): string =>
  message.replace(/^(?:desk|app)\.[A-Za-z]+: (?:[A-Za-z0-9.]+: )?/, '');

/**
 * A refused action or a host notice in plain words. `action` names what the user tried
 * ("hold", "make the call") when the message does not say it already.
 */
export function plainError(error: ErrorView, action?: string): Plain {
  const original = error.message;
  // The engine writes "Cannot <action>: <why>" (gateway desk session): keep its own words.
  const prefixed = /^(Cannot [^:]{1,60}): (.+)$/s.exec(original);
  const prefix = prefixed?.[1] ?? (action === undefined ? undefined : `Cannot ${action}`);
  const why = stripMethod(prefixed?.[2] ?? original);
  const sentence =
    !isJargon(why) && why.trim() !== '' ? why : (CODE_WORDS[error.code] ?? 'something went wrong');
  const text = prefix === undefined ? capitalise(sentence) : `${prefix}: ${sentence}`;
  return text === original ? { text } : { text, detail: `${error.code}: ${original}` };
}

/** What each code of LineAppearanceView.unavailable means to a person. */
const LINE_UNAVAILABLE_WORDS: Readonly<Record<LineUnavailableCode, string>> = {
  notLicensed: 'You have no licence to control phones from Deskline. Ask your administrator to assign one.',
  ctiControlDisallowed: 'Your administrator has not allowed this phone to be controlled from a computer.',
};

/** Why a line cannot be controlled, in plain words: from its code when the engine gives one
 *  (the administrator's detail goes to the tooltip), else from its text. */
export function plainLineReason(line: LineAppearanceView, user: DeskStateView['user']): Plain {
  if (line.unavailable !== undefined)
    return { text: LINE_UNAVAILABLE_WORDS[line.unavailable.code], detail: line.unavailable.detail };
  const original = line.notControllableReason ?? 'This line cannot be controlled';
  let text: string;
  if (user !== null && user.licence === null) text = LINE_UNAVAILABLE_WORDS.notLicensed;
  else if (isJargon(original) || original.includes(line.deviceName))
    text = LINE_UNAVAILABLE_WORDS.ctiControlDisallowed;
  else text = original;
  return text === original ? { text } : { text, detail: original };
}

/** The one "no access" screen (docs/ui.md §2): why the user has no line to control, and what
 *  to ask the administrator. */
export interface AccessWords {
  title: string;
  why: string;
  ask: string;
}

const ACCESS_WORDS: Readonly<Record<DeskAccessCode, AccessWords>> = {
  directoryNotLoaded: {
    title: 'Waiting for the phone system',
    why: 'Deskline has not received the list of users and phones from the phone system yet.',
    ask: 'This usually takes a few seconds. If it lasts, ask your administrator to check the link to the phone system (Health shows it).',
  },
  unknownUser: {
    title: 'The phone system does not know you',
    why: 'There is no user with your user ID on the phone system.',
    ask: 'Ask your administrator which user ID to use, and set it in Settings.',
  },
  notLicensed: {
    title: 'No licence to control your phone',
    why: 'You have no licence to control your phone from a computer.',
    ask: 'Ask your administrator to assign you a licence that includes phone control from a computer.',
  },
  noLines: {
    title: 'No phone line for you',
    why: 'No phone line is set up on a phone you may control.',
    ask: 'Ask your administrator to associate your desk phone with your user.',
  },
  ctiControlDisallowed: {
    title: 'Your phone cannot be controlled from a computer',
    why: 'None of your phones allows control from a computer.',
    ask: 'Ask your administrator to allow your phone to be controlled from a computer.',
  },
};

export const accessWords = (access: DeskAccessView): AccessWords => ACCESS_WORDS[access.code];

/** The line session's reason (a callout on the Calls screen), in plain words. */
export function plainSessionReason(state: DeskStateView['session']): Plain | undefined {
  const original = state.reason;
  if (original === undefined || original.trim() === '') return undefined;
  if (!isJargon(original)) return { text: capitalise(original) };
  const text =
    state.state === 'recovering'
      ? 'Deskline is reconnecting to the phone system. Calls on your phone go on meanwhile.'
      : 'The phone system did not let Deskline control this line.';
  return { text, detail: original };
}

/** The phone a line is on, as its owner knows it: description, else model. Never its device name. */
export function phoneName(line: LineAppearanceView): string {
  const description = line.deviceDescription.trim();
  if (description !== '' && !isJargon(description)) return description;
  return line.deviceModel;
}
