/** A case's live status: words, a progress bar with the stage while running, the reason when failed. */
import type { StatusInfo } from './format.js';

export function StatusView({ s, label }: { s: StatusInfo; label: string }) {
  return (
    <div className={`status status-${s.kind}`}>
      <span className="status-label">{s.label}</span>
      {s.kind === 'running' && <progress max={100} value={s.percent ?? 0} aria-label={`${label}: ${s.percent ?? 0} percent`} />}
      {s.detail && <span className={s.kind === 'failed' ? 'status-reason' : 'status-stage'}>{s.kind === 'failed' ? `reason: ${s.detail}` : s.detail}</span>}
    </div>
  );
}
