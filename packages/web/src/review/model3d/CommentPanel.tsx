/**
 * Comments pinned to a point of a model version: the point picked in Comment mode, a text box
 * that posts it (POST /api/cases/:id/comments {body, point, jobId}), and the case's pinned
 * comments, each with its point and version (shown as markers in the scene by the panel).
 */
import { useState, type FormEvent } from 'react';
import { formatPoint, type Vec3 } from './geometry.js';
import { loadComments, postPinnedComment, type ModelVersion, type PinnedComment } from './model-api.js';

interface Props {
  caseId: string;
  active: boolean;
  draft: { point: Vec3; jobId: string } | null;
  comments: readonly PinnedComment[];
  versions: readonly ModelVersion[];
  onPosted(all: PinnedComment[]): void;
  onCancel(): void;
}

export function CommentPanel({ caseId, active, draft, comments, versions, onPosted, onCancel }: Props) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pinned = comments.filter((c) => c.point);
  const versionOf = (jobId: string | null) => versions.find((v) => v.jobId === jobId)?.version;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft || !body.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await postPinnedComment(caseId, body.trim(), draft.point, draft.jobId);
      setBody('');
      onPosted(await loadComments(caseId));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="model3d-comments" aria-labelledby="model3d-comments-title">
      <h3 id="model3d-comments-title">Comments on the model</h3>
      {active && !draft && <p>Click the model where the comment belongs (or pick the point at the centre).</p>}
      {draft && (
        <form onSubmit={submit} data-testid="model3d-comment-form">
          <p data-testid="model3d-comment-point" data-lps={JSON.stringify(draft.point)}>
            At {formatPoint(draft.point)} mm (LPS) on version {versionOf(draft.jobId) ?? '?'}
          </p>
          <label>
            Comment at this point
            <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={3} required data-testid="model3d-comment-body" />
          </label>
          <button type="submit" disabled={busy || !body.trim()} data-testid="model3d-comment-post">Post the comment</button>{' '}
          <button type="button" onClick={onCancel}>Cancel</button>
          {error && <p role="alert">The comment was not saved: {error}</p>}
        </form>
      )}
      {pinned.length === 0 ? (
        <p>No comment is pinned to the model yet.</p>
      ) : (
        <ul data-testid="model3d-comment-list">
          {pinned.map((c) => (
            <li key={c.id} data-testid="model3d-comment" data-lps={JSON.stringify(c.point)}>
              <strong>{c.author}</strong> on version {versionOf(c.jobId) ?? '?'} at {formatPoint(c.point!)} mm: {c.body}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
