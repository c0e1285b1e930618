// The troubleshooter (core/troubleshoot.ts) for the user signed in at the desk, in plain words
// for the Health screen: each check keeps its technical finding as `detail` (device names,
// addresses — the administrator's), and gains a title and a sentence a user can act on
// (docs/ui.md §2 Health). Checks that only concern Microsoft clients (line URI, TLS peer, dial
// rules) are not run here; checks the core adds later pass through with their own words.
import type { TroubleshootReport } from '../../core/troubleshoot.js';
import type {
  DeskStateView,
  TroubleshootCheckView,
  TroubleshootView,
} from '../../../../common/src/api/views.js';

type Status = TroubleshootCheckView['status'];
type Words = { title: string; text: (status: Status, detail: string) => string };

const ASK = 'Ask your administrator';

/** Plain words for the core's checks, by the core's check name. */
const CHECK_WORDS: Readonly<Record<string, Words & { id: string }>> = {
  directory: {
    id: 'directory',
    title: "The phone system's list of users",
    text: (s) =>
      s === 'ok'
        ? 'Deskline has the list of users and phones.'
        : 'Deskline has not received the list of users and phones from the phone system yet.',
  },
  user: {
    id: 'user',
    title: 'Your user ID',
    text: (s) =>
      s === 'ok'
        ? 'The phone system knows you.'
        : `The phone system does not know your user ID. Check it in Settings, or ${ASK.toLowerCase()} which one to use.`,
  },
  licence: {
    id: 'licence',
    title: 'Your licence',
    text: (s) =>
      s === 'ok'
        ? 'You have a licence to control your phone from a computer.'
        : `You have no licence to control your phone from a computer. ${ASK} to assign one.`,
  },
  'line appearances': {
    id: 'lines',
    title: 'Your lines',
    text: (s, detail) =>
      s === 'ok'
        ? `${detail.split(', ').length === 1 ? 'One line' : `${detail.split(', ').length} lines`} on the phones you may control.`
        : `No line is set up on a phone you may control. ${ASK} to associate your phone with your user.`,
  },
  'CTI control': {
    id: 'ctiControl',
    title: 'Control from a computer',
    text: (s) =>
      s === 'ok'
        ? 'Every phone of yours may be controlled from a computer.'
        : s === 'warning'
          ? 'Some of your phones do not allow control from a computer: their lines cannot be used here.'
          : `None of your phones allows control from a computer. ${ASK} to turn on "Allow Control of Device from CTI" for your phone.`,
  },
  'CTI connections': {
    id: 'link',
    title: 'Link to the phone system',
    text: (s) =>
      s === 'ok'
        ? 'Every connection to the phone system is up.'
        : s === 'warning'
          ? 'Some connections to the phone system are down; calls can still be controlled.'
          : 'No connection to the phone system is up: calls cannot be controlled from here.',
  },
};

/** The directory source's findings on the user's entry, and its verdict on the entry. */
const SOURCE_FINDING = /^(\w+ entry: |directory entry$)/;

const STATUS_ORDER: readonly Status[] = ['fail', 'warning', 'ok', 'skipped'];
const worstOf = (statuses: readonly Status[]): Status =>
  STATUS_ORDER.find((s) => statuses.includes(s)) ?? 'ok';

/** Checks of the core that concern Microsoft clients only. */
const NOT_FOR_THE_DESK = new Set(['line URI', 'TLS peer', 'dial rules']);

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The troubleshooter's report, plus the desk's own checks (lines watched, the line session). */
export function troubleshootView(
  userId: string,
  report: TroubleshootReport,
  desk: Pick<DeskStateView, 'lines' | 'session' | 'selectedLineId'>,
  at: number,
): TroubleshootView {
  const checks: TroubleshootCheckView[] = [];
  // The directory source's own findings on the user's entry ("ldap entry: line server", …) are
  // the administrator's: one check when one of them is not ok, else kept in the directory's detail.
  const entry = report.checks.filter((c) => SOURCE_FINDING.test(c.check));
  const entryStatus = worstOf(entry.map((c) => c.status));
  for (const check of report.checks) {
    if (NOT_FOR_THE_DESK.has(check.check) || SOURCE_FINDING.test(check.check)) continue;
    if (check.check === 'directory' && entry.length > 0 && entryStatus === 'ok') {
      checks.push({
        id: 'directory',
        status: check.status,
        title: CHECK_WORDS['directory']?.title ?? 'Directory',
        text: CHECK_WORDS['directory']?.text(check.status, check.detail) ?? check.detail,
        detail: [check.detail, ...entry.map((c) => `${c.check}: ${c.detail}`)].join('; '),
      });
      continue;
    }
    const words = CHECK_WORDS[check.check];
    checks.push({
      id: words?.id ?? check.check.replace(/\s+(\w)/g, (_, c: string) => c.toUpperCase()),
      status: check.status,
      title: words?.title ?? capitalise(check.check),
      text: words?.text(check.status, check.detail) ?? capitalise(check.detail),
      detail: check.detail,
    });
  }
  if (entry.length > 0 && entryStatus !== 'ok')
    checks.push({
      id: 'directoryEntry',
      status: entryStatus,
      title: 'Your entry in the directory',
      text: `Your entry in the company directory is not set up for controlling your phone from here. ${ASK} to check it.`,
      detail: entry
        .filter((c) => c.status !== 'ok')
        .map((c) => `${c.check}: ${c.detail}`)
        .join('; '),
    });
  const controllable = desk.lines.filter((l) => l.controllable);
  if (controllable.length > 0) {
    const left = controllable.filter((l) => l.watched === false);
    const watchedStatus: Status =
      desk.selectedLineId === null ? 'skipped' : left.length > 0 ? 'warning' : 'ok';
    checks.push({
      id: 'watching',
      status: watchedStatus,
      title: 'Lines watched',
      text:
        watchedStatus === 'skipped'
          ? 'No line chosen yet: choose the line to dial from.'
          : left.length > 0
            ? `${controllable.length - left.length} of ${controllable.length} lines are watched: calls on the others do not show here. ${ASK} to raise the limit.`
            : `Calls on ${controllable.length === 1 ? 'your line' : `all ${controllable.length} lines`} show here.`,
      detail:
        left.length > 0
          ? `not monitored (users.maxMonitorsPerUser): ${left.map((l) => l.id).join(', ')}`
          : `monitored: ${controllable
              .filter((l) => l.watched === true)
              .map((l) => l.id)
              .join(', ')}`,
    });
    const session = desk.session;
    const sessionStatus: Status =
      session.state === 'active'
        ? 'ok'
        : session.state === 'noLine'
          ? 'skipped'
          : session.state === 'failed'
            ? 'fail'
            : 'warning';
    checks.push({
      id: 'session',
      status: sessionStatus,
      title: 'Your line',
      text:
        sessionStatus === 'ok'
          ? 'Deskline controls your line.'
          : sessionStatus === 'skipped'
            ? 'No line chosen yet.'
            : sessionStatus === 'fail'
              ? 'Deskline could not take control of your line.'
              : 'Deskline is reconnecting to your line.',
      detail: `desk session ${session.state}${session.reason === undefined ? '' : `: ${session.reason}`}`,
    });
  }
  const problem = checks.find((c) => c.status === 'fail') ?? checks.find((c) => c.status === 'warning');
  const verdict = checks.some((c) => c.status === 'fail') ? 'problem' : 'ok';
  return {
    userId,
    verdict,
    summary:
      problem === undefined ? 'Everything needed to control your phone from here is in place.' : problem.text,
    checks,
    at,
  };
}
