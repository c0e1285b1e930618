// Health: the troubleshooter for the signed-in user (desk.troubleshoot: each check in plain
// words, the technical finding beside it), then each CTI Manager address with its state,
// connection ID, heartbeat RTT, uptime, failures and sessions; a banner when the link as a
// whole is degraded or down.
import { useEffect, useState } from 'react';
import type {
  CtiNodeState,
  CtiNodeView,
  TroubleshootCheckView,
  TroubleshootView,
} from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { ActionButton, ActionGroup } from '../components/ActionButton.js';
import { useNow } from '../app/use-desk.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { Sparkline } from '../components/Sparkline.js';
import { formatRtt, formatUptime } from '../lib/format.js';

export const NODE_STATE_LABEL: Readonly<Record<CtiNodeState, string>> = {
  connecting: 'Connecting',
  up: 'Up',
  degraded: 'Degraded',
  down: 'Down',
  disabled: 'Disabled',
};

function NodeCard({ node, now }: { node: CtiNodeView; now: number }) {
  return (
    <article className="card node-card" data-state={node.state} aria-label={`CTI Manager ${node.address}`}>
      <header className="node-head">
        <span className="dot" data-state={node.state} aria-hidden="true" />
        <span className="node-address">{node.address}</span>
        <span className="node-state">{NODE_STATE_LABEL[node.state]}</span>
        {node.index === 0 ? (
          <span className="tag">Primary</span>
        ) : (
          <span className="tag">#{node.index + 1}</span>
        )}
      </header>
      <div className="node-body">
        <dl className="stats">
          <div>
            <dt>Connection ID</dt>
            <dd className="mono">{node.connectionId ?? '—'}</dd>
          </div>
          <div>
            <dt>Heartbeat RTT</dt>
            <dd>{formatRtt(node.rttMs)}</dd>
          </div>
          <div>
            <dt>Uptime</dt>
            <dd>{node.upSince === undefined ? '—' : formatUptime(now - node.upSince)}</dd>
          </div>
          <div>
            <dt>Sessions</dt>
            <dd>{node.sessions}</dd>
          </div>
          <div>
            <dt>Failures</dt>
            <dd>{node.failures}</dd>
          </div>
          <div>
            <dt>Missed heartbeats</dt>
            <dd>{node.missedHeartbeats}</dd>
          </div>
        </dl>
        <Sparkline values={node.rttHistory} label={`Heartbeat round-trip time to ${node.address}`} />
      </div>
      {node.lastError === undefined ? null : (
        <p className="node-error">
          <Icon name="alert" /> {node.lastError}
        </p>
      )}
    </article>
  );
}

const CHECK_WORD: Readonly<Record<TroubleshootCheckView['status'], string>> = {
  ok: 'OK',
  warning: 'Warning',
  fail: 'Problem',
  skipped: 'Not checked',
};

function Troubleshooter() {
  const { api, run, state } = useDeskContext();
  const [report, setReport] = useState<TroubleshootView | null>(null);
  const check = async (): Promise<void> => {
    const result = await run((a) => a.desk.troubleshoot({}), 'check your setup');
    if (result.ok) setReport(result.value);
  };
  // Checked when the screen opens, and again when the line's session changes.
  const session = state.session.state;
  useEffect(() => {
    let alive = true;
    api.desk.troubleshoot({}).then(
      (view) => alive && setReport(view),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [api, session]);
  return (
    <section className="troubleshooter" aria-labelledby="troubleshoot-heading">
      <h2 id="troubleshoot-heading">Your setup</h2>
      {report === null ? (
        <p className="muted">Checking…</p>
      ) : (
        <>
          <p className="troubleshoot-summary" data-verdict={report.verdict}>
            <Icon name={report.verdict === 'ok' ? 'check' : 'alert'} /> {report.summary}
          </p>
          <ul className="checks" aria-label="Checks">
            {report.checks.map((c) => (
              <li key={c.id} className="check" data-status={c.status} data-check={c.id}>
                <Icon name={c.status === 'ok' ? 'check' : c.status === 'skipped' ? 'close' : 'alert'} />
                <div className="check-body">
                  <p className="check-title">
                    <span className="visually-hidden">{CHECK_WORD[c.status]}: </span>
                    {c.title}
                  </p>
                  <p className="check-text">{c.text}</p>
                  <p className="check-detail mono">{c.detail}</p>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
      <ActionGroup label="Troubleshooter" className="list-actions">
        <ActionButton label="Check again" action="troubleshoot" variant="quiet" icon="undo" onPress={check} />
      </ActionGroup>
    </section>
  );
}

export function HealthScreen() {
  const { state } = useDeskContext();
  const { cti } = state;
  const now = useNow(
    cti.nodes.some((n) => n.upSince !== undefined),
    1000,
  );
  const upCount = cti.nodes.filter((n) => n.state === 'up').length;
  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>Health</ScreenHeading>
      {cti.overall === 'up' ? null : (
        <div className="banner" role="alert" data-state={cti.overall}>
          <Icon name="alert" />
          <p>
            {cti.overall === 'down'
              ? 'No CTI Manager is reachable: calls cannot be controlled.'
              : `CTI link degraded: ${upCount} of ${cti.nodes.length} CTI Managers up.`}
          </p>
        </div>
      )}
      <p className="muted" data-state={cti.overall}>
        Overall:{' '}
        <strong>{cti.overall === 'up' ? 'Up' : cti.overall === 'degraded' ? 'Degraded' : 'Down'}</strong> ·{' '}
        {cti.nodes.length} {cti.nodes.length === 1 ? 'address' : 'addresses'}
      </p>
      <Troubleshooter />
      <h2 className="section-heading">Links to the phone system</h2>
      <div className="node-list">
        {cti.nodes.map((node) => (
          <NodeCard key={`${node.index}:${node.address}`} node={node} now={now} />
        ))}
      </div>
    </section>
  );
}
