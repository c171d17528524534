/**
 * The case's place in the workflow (route /cases/:id): its state, the three stage gates with
 * who signed them and when, the next steps with what is missing and who may act, buttons for
 * the caller's steps with one comment box, and the transition history. A refusal (role, four
 * eyes, something missing) is shown in words from the server's answer.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { formatTime, personName } from '../cases/format.js';
import { getWorkflow, postTransition, signGate } from './api.js';
import { GATE_NAMES, type GateName, type WorkflowView } from './types.js';
import { aRole, explainRefusal, GATE_LABELS, rolesText, stateLabel } from './words.js';
import { GATE_STATES, gateSignableIn, gateSignedBy, gateSigners } from './rules.js';
import './workflow.css';

export interface WorkflowPanelProps {
  caseId: string;
  role: string;
  versionOf: (jobId: string | null) => number | null;
  /** Changes when the case changed elsewhere (live row, job end): the panel reloads. */
  reloadKey: string | number;
  /** Called after this panel changed the case. */
  onChanged: () => void;
  /** Each workflow as loaded (the page shows the approved version's label from it). */
  onLoaded?: (wf: WorkflowView) => void;
}

/** The states in which a gate is signed on its own, in words. */
function gateStates(g: GateName): string {
  return GATE_STATES[g].map((s) => `“${stateLabel(s)}”`).join(' or ');
}

export function WorkflowPanel(p: WorkflowPanelProps) {
  const [wf, setWf] = useState<WorkflowView | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    let stale = false;
    getWorkflow(p.caseId).then(
      (w) => {
        if (stale) return;
        setWf(w);
        setLoadError(null);
        p.onLoaded?.(w);
      },
      (e: Error) => {
        if (stale) return;
        // A server without the workflow routes: the panel says so and the rest of the page works.
        setWf(null);
        setLoadError(e instanceof ApiError && e.status === 404 ? 'this server has no workflow yet' : e.message);
      },
    );
    return () => {
      stale = true;
    };
  }, [p.caseId, p.reloadKey, tick]);

  const act = useCallback(
    async (what: string, run: () => Promise<unknown>) => {
      setBusy(true);
      setRefusal(null);
      setDone(null);
      try {
        await run();
        setDone(what);
        setComment('');
        setTick((t) => t + 1);
        p.onChanged();
      } catch (e) {
        setRefusal(explainRefusal(e, p.role));
        setTick((t) => t + 1);
      } finally {
        setBusy(false);
      }
    },
    [p],
  );

  if (wf === undefined && !loadError) {
    return (
      <section aria-labelledby="wf-h" className="workflow" aria-busy="true">
        <h2 id="wf-h">Workflow</h2>
        <p>Loading…</p>
      </section>
    );
  }
  if (!wf) {
    return (
      <section aria-labelledby="wf-h" className="workflow">
        <h2 id="wf-h">Workflow</h2>
        <p role="alert">The workflow could not be loaded: {loadError}</p>
      </section>
    );
  }

  // The server picks the version steps and gates act on (the approved one, else the latest succeeded).
  const mv = wf.modelVersion ?? null;
  const version = mv ? p.versionOf(mv.id) : null;
  const signers = gateSigners();
  // A comment box only while something can still be done.
  const open = wf.next.length > 0 || GATE_NAMES.some((g) => !wf.gates[g]?.signed && gateSignableIn(g, wf.state));
  return (
    <section aria-labelledby="wf-h" className="workflow" data-testid="workflow-panel">
      <h2 id="wf-h">Workflow</h2>
      <p className="wf-state">
        State:{' '}
        <strong data-testid="workflow-state" data-state={wf.state}>
          {stateLabel(wf.state)}
        </strong>
      </p>
      {open && (
        <>
          <label className="wf-comment">
            Comment (recorded with the step or gate you sign next)
            <textarea ref={box} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} data-testid="workflow-comment" />
          </label>
        </>
      )}
      {mv && (
        <p className="hint" data-testid="workflow-version" data-ok={mv.ok ? 'true' : 'false'}>
          Steps and gates apply to {version ? `model version ${version}` : 'the latest model version'}
          {mv.ok ? '.' : `, which does not pass its checks: ${mv.problems.join('; ')}.`}
        </p>
      )}
      <h3>Stage gates</h3>
      <p className="hint">All three are signed before printing can start.</p>
      <ul className="wf-gates" data-testid="workflow-gates">
        {GATE_NAMES.map((g: GateName) => {
          const s = wf.gates[g];
          const who = signers[g];
          return (
            <li key={g} data-testid={`gate-status-${g}`} data-signed={s?.signed ? 'true' : 'false'}>
              <span className={s?.signed ? 'wf-signed' : 'wf-unsigned'} aria-hidden="true">
                {s?.signed ? '✔' : '○'}
              </span>{' '}
              <strong>{GATE_LABELS[g]}</strong>:{' '}
              {s?.signed ? (
                <>
                  signed by {personName(s.by ?? null)}
                  {s.at ? `, ${formatTime(s.at)}` : ''}
                  {s.modelVersionId && p.versionOf(s.modelVersionId) ? ` (model version ${p.versionOf(s.modelVersionId)})` : ''}
                </>
              ) : gateSignableIn(g, wf.state) ? (
                <>
                  not signed{' '}
                  <button
                    type="button"
                    data-testid={`gate-${g}`}
                    disabled={busy || !who.includes(p.role)}
                    aria-describedby={`gate-who-${g}`}
                    onClick={() => void act(`Signed: ${GATE_LABELS[g]}.`, () => signGate(p.caseId, g, comment.trim() || undefined))}
                  >
                    Sign “{GATE_LABELS[g]}”
                  </button>
                  <span id={`gate-who-${g}`} className="hint">
                    Signed by {aRole(who)}.{who.includes(p.role) ? '' : ` Not your role (${p.role}).`}
                  </span>
                </>
              ) : (
                <>
                  not signed{' '}
                  <span className="hint">
                    {gateSignedBy(g) ? `(signed by approving the model: ${rolesText(who)})` : `(${aRole(who)} signs it in ${gateStates(g)})`}
                  </span>
                </>
              )}
            </li>
          );
        })}
      </ul>
      <h3>Next steps</h3>
      {wf.next.length === 0 ? (
        <p>No further step: the case is closed.</p>
      ) : (
        <ul className="wf-next">
          {wf.next.map((n) => {
            const why = `wf-why-${n.to}`;
            return (
              <li key={n.to} data-testid={`next-${n.to}`} data-allowed={n.allowed ? 'true' : 'false'}>
                <button
                  type="button"
                  className={n.allowed ? 'primary' : undefined}
                  data-testid={`transition-${n.to}`}
                  disabled={busy || !n.allowed}
                  aria-describedby={why}
                  onClick={() => {
                    if (n.comment && !comment.trim()) {
                      setDone(null);
                      setRefusal(`“${n.label}” needs a comment: say why in the comment box.`);
                      box.current?.focus();
                      return;
                    }
                    void act(`${n.label}: the case is now ${stateLabel(n.to).toLowerCase()}.`, () => postTransition(p.caseId, n.to, comment.trim() || undefined));
                  }}
                >
                  {n.label}
                  {n.comment ? ' (with comment)' : ''}
                </button>
                <span id={why} className="wf-why">
                  {n.auto ? 'Automatic; by hand: ' : 'Who can act: '}
                  {rolesText(n.roles)}.
                  {n.missing.length > 0 ? <span className="wf-missing" data-testid={`missing-${n.to}`}> Missing: {n.missing.join('; ')}.</span> : null}
                  {!n.allowed && n.missing.length === 0 && !n.roles.includes(p.role) ? ` Not your role (${p.role}).` : null}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {refusal && (
        <p role="alert" data-testid="workflow-error">
          {refusal}
        </p>
      )}
      <p role="status" data-testid="workflow-done">
        {done}
      </p>
      <h3>History</h3>
      {wf.history.length === 0 ? (
        <p>No step taken yet.</p>
      ) : (
        <ol className="wf-history" data-testid="workflow-history">
          {wf.history.map((h, i) => (
            <li key={i}>
              {stateLabel(h.from)} → <strong>{stateLabel(h.to)}</strong> by {h.by ? personName(h.by) : 'the system'}, {formatTime(h.at)}
              {h.comment ? <>: “{h.comment}”</> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
