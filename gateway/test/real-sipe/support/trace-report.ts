// The SIP evidence of a real-sipe scenario: the front end's trace (both legs: sipe ↔ front end,
// front end ↔ gateway or Kamailio), one line per message with what matters for RCC — method or
// status, CSeq, Via branch (sipe sends none in-dialog), tags, Route / Record-Route, Contact,
// Session-Expires, the answering node, and the CSTA body's element with its key values.
import type { SipRequest, SipResponse } from '../../../src/sip/index.js';
import type { TraceEntry } from './lync-front-end.js';

/** Short form of a header value: long tokens cut in the middle. */
function short(value: string, max = 28): string {
  return value.length <= max ? value : `${value.slice(0, max - 9)}…${value.slice(-8)}`;
}

function tagOf(value: string | undefined): string {
  const match = /;\s*tag=([^;>\s]+)/i.exec(value ?? '');
  return match?.[1] ?? '-';
}

/** The CSTA (or other XML) body in a few words: root element and the values a client reads. */
export function bodySummary(message: SipRequest | SipResponse): string {
  const text = message.body.toString('utf8');
  if (text.trim() === '') return '';
  const root = /<(?:[\w-]+:)?([\w-]+)[\s>/]/.exec(text.replace(/^<\?xml[^>]*\?>\s*/, ''))?.[1] ?? '?';
  const pick = (name: string): string | undefined =>
    new RegExp(`<(?:[\\w-]+:)?${name}>([^<]*)<`).exec(text)?.[1];
  const details: string[] = [];
  for (const name of [
    'systemStatus',
    'monitorCrossRefID',
    'callID',
    'deviceID',
    'callingDevice',
    'calledDirectoryNumber',
  ]) {
    const value = pick(name);
    if (value !== undefined) details.push(`${name}=${value}`);
  }
  if (root === 'CSTAErrorCode') {
    const error = /<CSTAErrorCode[^>]*>\s*<(?:[\w-]+:)?([\w-]+)>([^<]*)</.exec(text);
    if (error !== null) details.push(`${error[1]}=${error[2]}`);
  }
  return `[${root}${details.length > 0 ? ` ${details.join(' ')}` : ''}]`;
}

export function describeMessage(message: SipRequest | SipResponse): string {
  const parts: string[] = [];
  if (message.isRequest) parts.push(`${message.method} ${message.uri}`);
  else parts.push(`${message.status} ${message.reason}`);
  parts.push(`CSeq:${message.header('cseq') ?? '?'}`);
  const via = message.headers.getAll('via')[0] ?? '';
  const branch = /;\s*branch=([^;,\s]+)/i.exec(via)?.[1];
  if (message.isRequest) parts.push(`via-branch:${branch === undefined ? 'NONE' : short(branch, 18)}`);
  parts.push(
    `from-tag:${short(tagOf(message.header('from')), 14)} to-tag:${short(tagOf(message.header('to')), 14)}`,
  );
  const routes = message.headers.getAll('route');
  if (routes.length > 0) parts.push(`Route:${routes.join(',')}`);
  else if (message.isRequest && tagOf(message.header('to')) !== '-') parts.push('Route:none');
  const recordRoutes = message.headers.getAll('record-route');
  if (recordRoutes.length > 0) parts.push(`RR:${recordRoutes.join(',')}`);
  const contact = message.header('contact');
  if (contact !== undefined && (message.isRequest ? message.method === 'INVITE' : true))
    parts.push(`Contact:${short(contact, 60)}`);
  const expires = message.header('session-expires');
  if (expires !== undefined) parts.push(`Session-Expires:${expires}`);
  const server = message.header('server');
  if (server !== undefined && /Deskline|Kamailio/i.test(server)) parts.push(`Server:${server}`);
  const warning = message.header('warning');
  if (warning !== undefined) parts.push(`Warning:${warning}`);
  const body = bodySummary(message);
  if (body !== '') parts.push(body);
  return parts.join('  ');
}

function callIdOf(entry: TraceEntry): string {
  return entry.message.header('call-id') ?? '';
}

/** The Call-IDs of sipe's RCC dialogs: INVITEs from sipe with a CSTA body. */
export function rccCallIds(trace: readonly TraceEntry[]): Set<string> {
  const ids = new Set<string>();
  for (const e of trace)
    if (e.leg === 'sipe→fe' && e.message.isRequest && e.message.method === 'INVITE') ids.add(callIdOf(e));
  return ids;
}

/** One line per message of the RCC dialog(s), in order, with time and leg. */
export function renderRccTrace(trace: readonly TraceEntry[], options: { fromMs?: number } = {}): string {
  const ids = rccCallIds(trace);
  const lines: string[] = [];
  let others = 0;
  for (const e of trace) {
    if (options.fromMs !== undefined && e.at < options.fromMs) continue;
    if (!ids.has(callIdOf(e))) {
      others++;
      continue;
    }
    const at = `+${(e.at / 1000).toFixed(3)}s`.padStart(10);
    lines.push(`${at} ${e.leg}${e.local ? ' (front end)' : ''}  ${describeMessage(e.message)}`);
  }
  if (others > 0) lines.push(`  (${others} sign-in / presence messages outside the RCC dialog not shown)`);
  return lines.join('\n');
}

/** Every message byte for byte, for the trace file. */
export function renderFullTrace(trace: readonly TraceEntry[]): string {
  return trace
    .map(
      (e) =>
        `===== +${(e.at / 1000).toFixed(3)}s ${e.leg} ${e.peer}${e.local ? ' (front end)' : ''}\n${e.bytes.toString('utf8')}`,
    )
    .join('\n');
}
