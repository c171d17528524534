/**
 * Which files to offer for download: those of the approved model version while one is approved
 * (a newer version made before the approval is not what was signed), else of the latest one
 * (the newest job that made a model).
 */
import type { Artifact } from '../api/types.js';

export interface Downloads {
  jobId: string;
  /** These are the approved version's files. */
  approved: boolean;
  model3mf?: Artifact;
  modelStl?: Artifact;
  reportHtml?: Artifact;
  labels?: Artifact;
}

/**
 * `artifacts` as GET /api/cases/:id/artifacts lists them (in creation order); `jobOrder` the
 * case's job ids oldest first, when known (artifacts of one job are listed together, but a
 * rebuild's may be stored while an older job's rows are still arriving); `approvedJobId` the
 * model gate's version while it holds.
 */
export function latestDownloads(artifacts: Artifact[], jobOrder: string[] = [], approvedJobId: string | null = null): Downloads | null {
  const withModel = [...new Set(artifacts.filter((a) => a.kind === 'model').map((a) => a.jobId))];
  if (withModel.length === 0) return null;
  if (approvedJobId && withModel.includes(approvedJobId)) return filesOf(artifacts, approvedJobId, true);
  const rank = (id: string) => {
    const i = jobOrder.indexOf(id);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  // Unknown to jobOrder: keep list order (later listed = newer), after the known ones only if none is known.
  const known = withModel.filter((id) => rank(id) !== Number.MAX_SAFE_INTEGER);
  const jobId = known.length ? known.reduce((a, b) => (rank(b) > rank(a) ? b : a)) : withModel[withModel.length - 1]!;
  return filesOf(artifacts, jobId, false);
}

function filesOf(artifacts: Artifact[], jobId: string, approved: boolean): Downloads {
  const mine = artifacts.filter((a) => a.jobId === jobId);
  const named = (re: RegExp) => mine.find((a) => re.test(a.name));
  const out: Downloads = { jobId, approved };
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
