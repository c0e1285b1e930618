// The per-user troubleshooter (docs/architecture.md §6, docs/real-deployments.md §5): why can this
// user (not) use remote call control? Every check says what it looked at and what it found, in the
// order an admin would check: which directory source answered → what it found about the user's entry
// (its own per-user findings: LDAP's line server, RCC bit, licence group, line URI …) → user →
// licence → line appearances → CTI control → line URI → the call server's device IDs → CTI
// connections → TLS peer.
import type { DirectorySourceKind, UserFinding } from '../directory/provider.js';
import type { SessionCore } from './session-core.js';
import { explain, explainLineUri, type NumberingRules } from '../numbering/index.js';
import { isTrustedPeer } from '../sip/index.js';

export type CheckStatus = 'ok' | 'warning' | 'fail' | 'skipped';

export interface TroubleshootCheck {
  check: string;
  status: CheckStatus;
  detail: string;
}

export interface TroubleshootInput {
  /** CUCM user ID or the user's SIP URI (as Lync's From header carries it). */
  user: string;
  /** The Line URI the user's client is provisioned with. */
  lineUri?: string;
  /** A number to test the dial rules with. */
  number?: string;
  /** Certificate names the client's front end (Lync pool, load balancer) presents. */
  tlsPeerNames?: readonly string[];
}

export interface TroubleshootReport {
  input: TroubleshootInput;
  verdict: 'ok' | 'fail';
  /** Which directory provider answered, and from where. */
  directory: {
    source: DirectorySourceKind;
    /** The configured source (CTI Managers, the file, the LDAP URLs). */
    configured: string;
    /** Where the directory in force came from (a node, the file, the LDAP server that answered). */
    answeredFrom: string | null;
    state: string;
    loadedAt: number | null;
    alarms: string[];
  };
  /** The directory source's own findings about the user's entry, when it has one. */
  finding?: { entry: string; included: boolean; checks: { check: string; ok: boolean; detail: string }[] };
  checks: TroubleshootCheck[];
  dialRules?: ReturnType<typeof explain>;
  lineUriRules?: ReturnType<typeof explainLineUri>;
}

export function troubleshoot(
  core: SessionCore,
  rules: NumberingRules,
  options: { identity: 'userPart' | 'sipUri'; trustedPeers: readonly string[] },
  input: TroubleshootInput,
): TroubleshootReport {
  const checks: TroubleshootCheck[] = [];
  const add = (check: string, status: CheckStatus, detail: string): void => {
    checks.push({ check, status, detail });
  };
  const directory = core.directory;
  const provider = core.directoryProvider;
  const status = provider.status();
  const snapshot = provider.current();
  const report: TroubleshootReport = {
    input,
    verdict: 'ok',
    directory: {
      source: status.kind,
      configured: status.source,
      answeredFrom: snapshot?.meta.source ?? null,
      state: status.state,
      loadedAt: snapshot?.meta.loadedAt ?? null,
      alarms: status.alarms.map((a) => a.message),
    },
    checks,
  };
  const sourceWords = SOURCE_WORDS[status.kind];

  if (directory.loadedAt === 0)
    add(
      'directory',
      'fail',
      `the ${sourceWords} (${status.source}) has not given a directory yet${status.lastError === undefined ? '' : `: ${status.lastError.message}`}`,
    );
  else
    add(
      'directory',
      status.alarms.length > 0 ? 'warning' : 'ok',
      `${sourceWords} (directory.source: ${status.kind}), from ${snapshot?.meta.source ?? directory.source}: ${directory.size.users} users, ${directory.size.appearances} line appearances, loaded ${new Date(directory.loadedAt).toISOString()}${
        status.alarms.length > 0
          ? `; the last load was not taken: ${status.alarms.map((a) => a.message).join('; ')}`
          : ''
      }`,
    );

  const user =
    input.user.includes(':') || input.user.includes('@')
      ? directory.userBySipUri(input.user, options.identity)
      : directory.userById(input.user);
  const finding = findingOf(snapshot?.findings, user?.id ?? userIdOf(input.user));
  if (finding !== undefined) {
    report.finding = {
      entry: finding.entry,
      included: finding.included,
      checks: finding.checks.map((c) => ({ check: c.check, ok: c.ok, detail: c.detail })),
    };
    // The source's own reasons, as it judged the entry (LDAP: the line server, the RCC bit, the
    // licence group, the line URI; a file: licence, devices, CTI control).
    for (const c of finding.checks)
      add(`${status.kind} entry: ${c.check}`, c.ok ? 'ok' : finding.included ? 'warning' : 'fail', c.detail);
    if (!finding.included)
      add(
        'directory entry',
        'fail',
        `${finding.entry} is in the ${sourceWords} but is not a user of this gateway`,
      );
  }
  if (user === undefined) {
    add(
      'user',
      'fail',
      finding !== undefined && !finding.included
        ? `${JSON.stringify(input.user)} is not a user of this gateway: see the ${status.kind} entry checks`
        : `no user in the ${sourceWords} matches ${JSON.stringify(input.user)} (identity mapping: ${options.identity})`,
    );
  } else {
    add(
      'user',
      'ok',
      `${user.id} (${user.displayName})${user.sipUri === undefined ? '' : `, SIP URI ${user.sipUri}`}`,
    );
    if (user.licence === null)
      add('licence', 'fail', 'no IM and Presence licence (UCL or CUWL): remote call control is refused');
    else add('licence', 'ok', `${user.licence}`);
    const appearances = directory.appearancesOfUser(user);
    if (appearances.length === 0)
      add(
        'line appearances',
        'fail',
        `no line appearances on the user's controlled devices (${user.controlledDevices.join(', ') || 'none'})`,
      );
    else
      add(
        'line appearances',
        'ok',
        appearances.map((a) => `${a.id}${a.line.appearances.length > 1 ? ' (shared)' : ''}`).join(', '),
      );
    const disallowed = [
      ...new Set(appearances.filter((a) => !a.device.ctiAllowed).map((a) => a.device.name)),
    ];
    if (disallowed.length > 0)
      add(
        'CTI control',
        appearances.some((a) => a.device.ctiAllowed) ? 'warning' : 'fail',
        `"Allow Control of Device from CTI" is off on ${disallowed.join(', ')}`,
      );
    else if (appearances.length > 0) add('CTI control', 'ok', 'allowed on every controlled device');

    if (input.lineUri !== undefined) {
      const explained = explainLineUri(input.lineUri, rules);
      report.lineUriRules = explained;
      if (!explained.result.ok) add('line URI', 'fail', explained.result.error.message);
      else {
        const key = explained.result.value;
        const resolved = core.authorizeLine(user, key.dn, key.partition);
        if (resolved.ok)
          add(
            'line URI',
            'ok',
            `${input.lineUri} → DN ${key.dn}${key.partition === undefined ? '' : ` in ${key.partition}`} → ${resolved.value.appearance.id}`,
          );
        else add('line URI', 'fail', `${input.lineUri} → DN ${key.dn}: ${resolved.error.message}`);
      }
    } else add('line URI', 'skipped', 'no line URI given');
  }

  if (user !== undefined) deviceIdCheck(core, user, add);

  const health = core.pool.health();
  const up = health.nodes.filter((n) => n.state === 'up' || n.state === 'degraded');
  add(
    'CTI connections',
    up.length === 0 ? 'fail' : up.length < health.nodes.length ? 'warning' : 'ok',
    health.nodes.map((n) => `${n.address} ${n.state}`).join(', '),
  );

  if (input.tlsPeerNames !== undefined) {
    if (options.trustedPeers.length === 0)
      add('TLS peer', 'warning', 'no trusted peers configured: any TLS client is accepted');
    else if (isTrustedPeer(input.tlsPeerNames, options.trustedPeers))
      add('TLS peer', 'ok', `${input.tlsPeerNames.join(', ')} matches the trusted peers`);
    else
      add(
        'TLS peer',
        'fail',
        `${input.tlsPeerNames.join(', ')} is not among the trusted peers (${options.trustedPeers.join(', ')})`,
      );
  }

  if (input.number !== undefined) {
    report.dialRules = explain(input.number, rules);
    const result = report.dialRules.result;
    add(
      'dial rules',
      result.valid ? 'ok' : 'fail',
      result.valid
        ? `${input.number} dials ${result.dialString}${result.rule === undefined ? '' : ` (rule ${result.rule})`}`
        : (result.reason ?? 'not dialable'),
    );
  }

  report.verdict = checks.some((c) => c.status === 'fail') ? 'fail' : 'ok';
  return report;
}

const SOURCE_WORDS: Readonly<Record<DirectorySourceKind, string>> = {
  cti: "CTI Managers' directory",
  file: 'directory file',
  ldap: 'LDAP directory',
};

/** The user ID a troubleshooter input names: itself, or a SIP URI's user part. */
function userIdOf(input: string): string {
  const text = input.replace(/^<|>$/g, '');
  const colon = text.indexOf(':');
  const at = text.indexOf('@');
  if (colon < 0 && at < 0) return text;
  return decodeURIComponent(text.slice(colon + 1, at < 0 ? undefined : at));
}

function findingOf(
  findings: ReadonlyMap<string, UserFinding> | undefined,
  userId: string,
): UserFinding | undefined {
  return findings?.get(userId.toLowerCase());
}

/** Standard profile (docs/cti-link.md §7): the call server's ID of each of the user's lines, and
 *  whether the connected CTI Managers listed it. */
function deviceIdCheck(
  core: SessionCore,
  user: Parameters<SessionCore['authorizeUser']>[0],
  add: (check: string, status: CheckStatus, detail: string) => void,
): void {
  const connections = core.pool.connections;
  const ids = connections[0]?.linkProfile.deviceIds;
  if (ids === undefined) return;
  const appearances = core.directory.appearancesOfUser(user);
  if (appearances.length === 0) return;
  const parts: string[] = [];
  let missing = false;
  for (const appearance of appearances) {
    const wire = ids.toWire(appearance.id);
    if (wire === undefined) {
      parts.push(`${appearance.id} → no device ID`);
      missing = true;
      continue;
    }
    const checked = connections.filter((c) => c.listedDevices !== undefined);
    const unlisted = checked.filter((c) => c.listedDevices?.has(wire) !== true).map((c) => c.addressText);
    if (unlisted.length > 0) missing = true;
    parts.push(
      `${appearance.id} → ${wire}${
        checked.length === 0
          ? ' (no CTI Manager has listed its devices)'
          : unlisted.length === 0
            ? ' (listed by the CTI Manager)'
            : ` (not listed by ${unlisted.join(', ')}: check cti.deviceIds)`
      }`,
    );
  }
  add('CTI device IDs', missing ? 'warning' : 'ok', parts.join(', '));
}

const MARKS: Readonly<Record<CheckStatus, string>> = {
  ok: 'ok  ',
  warning: 'warn',
  fail: 'FAIL',
  skipped: 'skip',
};

/** The report as an operator reads it in a terminal (the CLI's `--troubleshoot`): one line per
 *  check, the verdict last. */
export function formatTroubleshootReport(report: TroubleshootReport): string {
  const d = report.directory;
  const lines = [
    `troubleshooting ${report.input.user}${report.input.lineUri === undefined ? '' : ` with line ${report.input.lineUri}`}`,
    `directory: ${d.source} (${d.configured}), answered by ${d.answeredFrom ?? 'nobody yet'}, ${d.state}`,
  ];
  for (const alarm of d.alarms) lines.push(`  alarm: ${alarm}`);
  const width = Math.max(...report.checks.map((c) => c.check.length));
  for (const c of report.checks) lines.push(`[${MARKS[c.status]}] ${c.check.padEnd(width)}  ${c.detail}`);
  lines.push(
    report.verdict === 'ok'
      ? 'verdict: ok — this user may control this line'
      : 'verdict: FAIL — see the checks marked FAIL',
  );
  return lines.join('\n');
}
