/** The upload's progress bar with speed and time left (data-testid upload-progress, for integrators' tests). */
import type { UploadProgress as P } from './tus-upload.js';
import { bytes, duration } from './format.js';

export function UploadProgress({ p, label }: { p: P | null; label: string }) {
  const pct = p && p.total > 0 ? Math.floor((p.sent / p.total) * 100) : 0;
  return (
    <div className="upload-progress">
      <progress data-testid="upload-progress" max={100} value={pct} aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label={label} />
      <p aria-live="polite" data-testid="upload-progress-text">
        {pct} % — {p ? `${bytes(p.sent)} of ${bytes(p.total)}` : 'starting'}
        {p?.speed ? `, ${bytes(p.speed)}/s` : ''}
        {p?.eta !== null && p?.eta !== undefined && pct < 100 ? `, about ${duration(p.eta)} left` : ''}
      </p>
    </div>
  );
}
