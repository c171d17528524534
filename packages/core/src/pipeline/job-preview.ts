/**
 * The job's preview meshes (SPEC §7: a ~10k-face copy of each model for the web viewer).
 */
import type { Mesh } from '../geometry/types.js';
import { previewMesh, PREVIEW_TASK } from '../surface/decimate.js';
import type { ConvertModel } from './convert.js';
import type { ConvertJobHost } from './job-types.js';
import type { StageResult } from './record.js';

/**
 * Each model's preview, started now on the pool where it has two workers or more: a skull's
 * preview is seconds of decimation that would otherwise follow the model files, the volume and
 * the report on one thread. Elsewhere (the browser's inline pool) it runs when its file is due.
 * The same function either way, so the same bytes.
 */
export function startPreviews(models: ConvertModel[], host: ConvertJobHost): StartedPreviews {
  const out = new Map<ConvertModel, () => Promise<StageResult<Mesh>>>();
  const pool = host.pool && host.pool.size >= 2 && models.length ? host.pool : undefined;
  for (const model of models) {
    if (!pool) {
      out.set(model, () => previewMesh(model.mesh));
      continue;
    }
    // The whole mesh, groups too: the record notes that a preview does not carry them, as on one thread.
    const { positions, indices, groups } = model.mesh;
    const started = pool.run<StageResult<Mesh>>(PREVIEW_TASK, { positions, indices, ...(groups ? { groups } : {}) });
    // A file before it may fail the job first: this one's failure is then not the job's.
    started.catch(() => {});
    out.set(model, () => started);
  }
  return { of: out, onPool: pool !== undefined };
}

export interface StartedPreviews {
  /** Each model's preview: started already where `onPool`, else made when called. */
  of: Map<ConvertModel, () => Promise<StageResult<Mesh>>>;
  onPool: boolean;
}
