/**
 * Whether a drop holds a series the model job can convert. The job takes the best series
 * (scouts and localisers beside a CT are normal), so one unusable series blocks nothing; when
 * every series is unusable (a single slice, a file that is no volume), the job could only fail,
 * with advice ("--force") a web user cannot take: the page says why and does not send.
 */
import type { SeriesView } from './messages.js';

/** Why no series of the drop can be converted (the first one's reason), or null when one can. */
export function whyNotConvertible(series: readonly SeriesView[]): string | null {
  if (series.length === 0) return 'no DICOM image series among these files';
  const reasons = series.map((s) => {
    if (s.error) return s.error;
    if (!s.volume) return `series ${s.index + 1} is not an image stack (${s.kind})`;
    const error = s.findings.find((f) => f.severity === 'error');
    return error ? error.message.replace(/\s*\(--force[^)]*\)/, '') : null;
  });
  return reasons.every((r) => r !== null) ? reasons[0]! : null;
}
