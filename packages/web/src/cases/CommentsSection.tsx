/** The case's comments, oldest first, and a form to add one. */
import { useState, type FormEvent } from 'react';
import { addComment } from './api.js';
import { formatTime, personName } from './format.js';
import type { CaseComment } from './types.js';

export function CommentsSection({ caseId, comments, onAdded }: { caseId: string; comments: CaseComment[]; onAdded: () => void }) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await addComment(caseId, body.trim());
      setBody('');
      onAdded();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="comments-h">
      <h2 id="comments-h">Comments</h2>
      {comments.length === 0 ? (
        <p>No comments yet.</p>
      ) : (
        <ul className="comments" data-testid="comments">
          {comments.map((c) => (
            <li key={c.id}>
              <div className="comment-meta">
                {personName(c.author)}, {formatTime(c.createdAt)}
                {c.point ? ` — at (${c.point.x.toFixed(1)}, ${c.point.y.toFixed(1)}, ${c.point.z.toFixed(1)}) mm` : ''}
              </div>
              <div>{c.body}</div>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} aria-label="Add a comment">
        <label>
          Add a comment
          <textarea rows={3} value={body} onChange={(e) => setBody(e.target.value)} maxLength={10_000} data-testid="comment-body" />
        </label>
        <p>
          <button type="submit" disabled={busy || !body.trim()} data-testid="comment-submit">
            {busy ? 'Posting…' : 'Post comment'}
          </button>
        </p>
        {error && <p role="alert">The comment was not posted: {error}</p>}
      </form>
    </section>
  );
}
