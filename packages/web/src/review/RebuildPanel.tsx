/**
 * "Rebuild model": the edited label map goes to the server (same geometry as the version's
 * labels.nii.gz), which meshes it as a new model version; the job's progress is followed live
 * and the new version is loaded when it is done.
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { followJob, jobErrorText, rebuildFromLabels, type JobState } from './review-api.js';

export interface RebuildProps {
  caseId: string;
  baseJobId: string | null;
  allowed: boolean;
  exportLabels: () => Promise<Uint8Array>;
  onDone: (jobId: string) => void;
}

export function RebuildPanel({ caseId, baseJobId, allowed, exportLabels, onDone }: RebuildProps) {
  const [job, setJob] = useState<JobState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const stop = useRef<(() => void) | null>(null);
  useEffect(() => () => stop.current?.(), []);

  const running = sending || (job !== null && (job.state === 'queued' || job.state === 'running'));
  const rebuild = async () => {
    if (!baseJobId) return;
    setError(null);
    setSending(true);
    try {
      const bytes = await exportLabels();
      const jobId = await rebuildFromLabels(caseId, baseJobId, bytes);
      setJob({ id: jobId, state: 'queued', progress: 0 });
      stop.current?.();
      stop.current = followJob(jobId, (j) => {
        setJob(j);
        if (j.state === 'succeeded') onDone(jobId);
      });
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : (e as Error).message);
    } finally {
      setSending(false);
    }
  };

  return (
    <fieldset className="review-group">
      <legend>Model</legend>
      <button type="button" data-testid="rebuild" disabled={!allowed || !baseJobId || running} onClick={() => void rebuild()}>
        Rebuild model
      </button>
      {!allowed && <p className="review-note">Only engineers and organisation admins rebuild models.</p>}
      {sending && <p className="review-note">Sending the edited label map…</p>}
      {job && (
        <div data-testid="rebuild-job" data-state={job.state} aria-live="polite">
          <progress max={1} value={job.progress} aria-label="Rebuild progress" />{' '}
          {job.state === 'failed' ? `failed: ${jobErrorText(job)}` : `${job.state}${job.stage ? `: ${job.stage}` : ''} ${Math.round(job.progress * 100)}%`}
        </div>
      )}
      {error && <p role="alert">{error}</p>}
    </fieldset>
  );
}
