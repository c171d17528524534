/** Which files to offer for download: those of the latest model version (the newest job that made a model). */
import type { Artifact } from '../api/types.js';

export interface Downloads {
  jobId: string;
  model3mf?: Artifact;
  modelStl?: Artifact;
  reportHtml?: Artifact;
  labels?: Artifact;
}

/**
 * `artifacts` as GET /api/cases/:id/artifacts lists them (in creation order); `jobOrder` the
 * case's job ids oldest first, when known (artifacts of one job are listed together, but a
 * rebuild's may be stored while an older job's rows are still arriving).
 */
export function latestDownloads(artifacts: Artifact[], jobOrder: string[] = []): Downloads | null {
  const withModel = [...new Set(artifacts.filter((a) => a.kind === 'model').map((a) => a.jobId))];
  if (withModel.length === 0) return null;
  const rank = (id: string) => {
    const i = jobOrder.indexOf(id);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  // Unknown to jobOrder: keep list order (later listed = newer), after the known ones only if none is known.
  const known = withModel.filter((id) => rank(id) !== Number.MAX_SAFE_INTEGER);
  const jobId = known.length ? known.reduce((a, b) => (rank(b) > rank(a) ? b : a)) : withModel[withModel.length - 1]!;
  const mine = artifacts.filter((a) => a.jobId === jobId);
  const named = (re: RegExp) => mine.find((a) => re.test(a.name));
  const out: Downloads = { jobId };
  const m3 = mine.find((a) => a.kind === 'model' && /\.3mf$/i.test(a.name));
  const stl = mine.find((a) => a.kind === 'model' && /\.stl$/i.test(a.name));
  const html = mine.find((a) => a.kind === 'report-html') ?? named(/\.html$/i);
  const labels = mine.find((a) => a.kind === 'labels' && /labels/i.test(a.name)) ?? named(/^labels\.nii(\.gz)?$/i);
  if (m3) out.model3mf = m3;
  if (stl) out.modelStl = stl;
  if (html) out.reportHtml = html;
  if (labels) out.labels = labels;
  return out;
}
