// The per-user troubleshooter (docs/architecture.md §6): why can this user (not) use remote call control?
// Every check says what it looked at and what it found, in the order an admin would check:
// user → licence → line appearances → CTI control → line URI → CTI connections → TLS peer.
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
  const report: TroubleshootReport = { input, verdict: 'ok', checks };

  if (directory.loadedAt === 0)
    add('directory', 'fail', 'the user directory has not been loaded from any CTI Manager yet');
  else
    add(
      'directory',
      'ok',
      `${directory.size.users} users, ${directory.size.appearances} line appearances, loaded ${new Date(directory.loadedAt).toISOString()}`,
    );

  const user =
    input.user.includes(':') || input.user.includes('@')
      ? directory.userBySipUri(input.user, options.identity)
      : directory.userById(input.user);
  if (user === undefined) {
    add(
      'user',
      'fail',
      `no CUCM user matches ${JSON.stringify(input.user)} (identity mapping: ${options.identity})`,
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
