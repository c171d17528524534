/**
 * Approve or request changes on the latest model version, offered by role:
 * approve asks for a confirmation first, a change request needs a comment. Then the history.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { postReview } from './api.js';
import { formatTime, personName } from './format.js';
import { canApprove, canRequestChanges } from './roles.js';
import { reviewHint } from './review-hint.js';
import type { Decision, Review } from './types.js';
import type { ReviewSteps } from '../workflow/approved.js';

export interface ReviewProps {
  caseId: string;
  role: string;
  /** The model version a decision applies to; null while there is none. */
  model: { jobId: string; version: number | null } | null;
  reviews: Review[] | null;
  versionOf: (jobId: string | null) => number | null;
  onDecided: () => void;
  /** What the case's workflow allows the caller now (null: not known, the role decides alone). */
  workflow?: ReviewSteps | null;
}

export function ReviewSection(p: ReviewProps) {
  const [open, setOpen] = useState<Decision | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (open) box.current?.focus();
  }, [open]);

  const mayApprove = canApprove(p.role);
  const mayRequest = canRequestChanges(p.role);
  // The workflow's word on the case's state (gates, four eyes) comes on top of the role's.
  const wfBlocks = p.workflow && mayApprove && !p.workflow.approve.allowed ? p.workflow.approve.why : null;
  const wfBlocksChanges = p.workflow && mayRequest && !p.workflow.requestChanges.allowed ? p.workflow.requestChanges.why : null;
  const noModel = !p.model;
  const what = p.model?.version ? `model version ${p.model.version}` : 'the latest model';

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!open || !p.model) return;
    setBusy(true);
    setError(null);
    try {
      await postReview(p.caseId, open, comment.trim() || undefined, p.model.jobId);
      setDone(open === 'approve' ? `Approved ${what}.` : `Changes requested on ${what}.`);
      setOpen(null);
      setComment('');
      p.onDecided();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="review-h">
      <h2 id="review-h">Approval</h2>
      <div className="review-actions">
        <button
          type="button"
          className="primary"
          data-testid="approve"
          disabled={!mayApprove || noModel || busy || wfBlocks !== null}
          aria-describedby="review-why"
          onClick={() => setOpen('approve')}
        >
          Approve…
        </button>
        <button type="button" data-testid="request-changes" disabled={!mayRequest || noModel || busy || wfBlocksChanges !== null} aria-describedby="review-why" onClick={() => setOpen('request-changes')}>
          Request changes…
        </button>
      </div>
      <p id="review-why" className="hint">
        {reviewHint({ role: p.role, mayApprove, mayRequest, noModel, approveBlock: wfBlocks, requestBlock: wfBlocksChanges, what })}
      </p>
      {open && (
        <form className="review-confirm" onSubmit={submit} aria-label={open === 'approve' ? 'Confirm approval' : 'Request changes'}>
          <label>
            {open === 'approve' ? 'Comment (optional)' : 'What needs to change (required)'}
            <textarea ref={box} rows={3} value={comment} required={open === 'request-changes'} onChange={(e) => setComment(e.target.value)} data-testid="review-comment" />
          </label>
          <p>{open === 'approve' ? `Approve ${what} for printing?` : `Send this change request on ${what}?`}</p>
          <div className="row">
            <button type="submit" className="primary" disabled={busy} data-testid="review-confirm">
              {open === 'approve' ? 'Yes, approve' : 'Send change request'}
            </button>
            <button type="button" onClick={() => setOpen(null)} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && <p role="alert">The decision was not saved: {error}</p>}
      <p role="status">{done}</p>
      <h3>History</h3>
      {p.reviews === null ? (
        <p className="hint">Review history is not available.</p>
      ) : p.reviews.length === 0 ? (
        <p>No decision yet.</p>
      ) : (
        <ul className="reviews" data-testid="review-history">
          {p.reviews.map((r) => {
            const v = p.versionOf(r.jobId);
            return (
              <li key={r.id}>
                <strong>{r.decision === 'approve' ? 'Approved' : 'Changes requested'}</strong> by {personName(r.by)}, {formatTime(r.at)}
                {v ? ` (version ${v})` : ''}
                {r.comment ? <>: “{r.comment}”</> : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
