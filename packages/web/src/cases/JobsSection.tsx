/** A case's jobs, the running one live with stage and percent, failures with their reason, and "Start convert". */
import { useState } from 'react';
import { formatTime, percentOf } from './format.js';
import type { JobDetail } from './types.js';
import { PendingLink } from '../upload/PendingLink.js';

export function JobsSection(props: { caseId: string; jobs: JobDetail[]; live: JobDetail | null; canStart: boolean; files: number; onStart: () => Promise<void> }) {
  const { jobs, live, canStart, files } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const merged = jobs.map((j) => (live && live.id === j.id ? { ...j, ...live } : j));
  const active = merged.some((j) => j.state === 'queued' || j.state === 'running');
  const anySucceeded = merged.some((j) => j.state === 'succeeded');
  // A first convert, or another try after every earlier one failed or was cancelled.
  const offerStart = files > 0 && !active && !anySucceeded;

  async function start() {
    setBusy(true);
    setError(null);
    try {
      await props.onStart();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="jobs-h">
      <h2 id="jobs-h">Jobs</h2>
      {merged.length === 0 ? <p>{files > 0 ? 'Not converted yet.' : 'No files uploaded yet: upload the CT series first.'}</p> : null}
      {files === 0 && <PendingLink caseId={props.caseId} />}
      {merged.length > 0 && (
        <table className="jobs-table">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Started</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {merged.map((j, i) => (
              <tr key={j.id} data-testid="job-row" data-job-id={j.id} data-state={j.state}>
                <td>
                  {j.kind} #{i + 1}
                </td>
                <td>{formatTime(j.createdAt)}</td>
                <td>
                  <JobState j={j} n={i + 1} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {offerStart && (
        <p>
          {canStart ? (
            <button type="button" className="primary" onClick={() => void start()} disabled={busy} data-testid="start-convert">
              {busy ? 'Starting…' : merged.length ? 'Start convert again' : 'Start convert'}
            </button>
          ) : (
            <span className="hint">A requester, engineer or organisation admin can start the conversion.</span>
          )}
        </p>
      )}
      {error && <p role="alert">Could not start: {error}</p>}
    </section>
  );
}

function JobState({ j, n }: { j: JobDetail; n: number }) {
  if (j.state === 'running') {
    const pct = percentOf(j.progress);
    return (
      <div className="status status-running" data-testid="job-state">
        <span className="status-label">running {pct} %</span>
        <progress max={100} value={pct} aria-label={`job ${n}: ${pct} percent`} />
        {j.stage && <span className="status-stage">{j.stage}</span>}
      </div>
    );
  }
  if (j.state === 'failed')
    return (
      <div className="status status-failed" data-testid="job-state">
        <span className="status-label">failed</span>
        <span className="status-reason">reason: {j.error ?? 'no reason given'}</span>
      </div>
    );
  const words = { queued: 'queued', succeeded: 'done', cancelled: 'cancelled' }[j.state];
  return (
    <div className={`status status-${j.state === 'succeeded' ? 'done' : j.state}`} data-testid="job-state">
      <span className="status-label">{words}</span>
    </div>
  );
}
