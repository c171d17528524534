/**
 * The job's preview meshes (SPEC §7: a ~10k-face copy of each model for the web viewer).
 */
import type { Mesh } from '../geometry/types.js';
import { previewMesh, PREVIEW_TASK, type PreviewTaskPayload } from '../surface/decimate.js';
import type { MeshShells } from '../surface/mesh-utils.js';
import type { ConvertModel } from './convert.js';
import type { ConvertJobHost } from './job-types.js';
import type { StageResult } from './record.js';

type Preview = Promise<StageResult<Mesh>>;

/**
 * The shells the conditioning handed each final mesh as its gate began (ConvertParams.beforeGate),
 * kept for the preview's small-shell lock: edge-connected shells, as the lock's own labelling
 * finds (labelling a skull's shells again was ~0.5 s of a server job's preview, on a worker whose
 * code for it was still cold). Given out for the mesh they were noted with only.
 *
 * Starting the preview itself there was measured and not kept: the pool's two workers hold the
 * accuracy and the early 3MF until the export begins (server job, philips-head-phantom-1mm: the
 * preview task began 10 ms after the export either way).
 */
export interface GateShells {
  note: (mesh: Mesh, model: string, shells: MeshShells) => void;
  of: (model: ConvertModel) => MeshShells | undefined;
}

export function gateShells(): GateShells {
  const noted = new WeakMap<Mesh, MeshShells>();
  return {
    note: (mesh, _model, shells) => void noted.set(mesh, shells),
    of: (model) => noted.get(model.mesh),
  };
}

/**
 * Each model's preview, started now on the pool where it has two workers or more: a skull's
 * preview is seconds of decimation that would otherwise follow the model files, the volume and
 * the report on one thread. Elsewhere (the browser's inline pool) it runs when its file is due.
 * The same function either way, with the same shells, so the same bytes.
 */
export function startPreviews(models: ConvertModel[], host: ConvertJobHost, shells?: GateShells): StartedPreviews {
  const out = new Map<ConvertModel, () => Preview>();
  const pool = host.pool && host.pool.size >= 2 && models.length ? host.pool : undefined;
  for (const model of models) {
    const known = shells?.of(model);
    if (!pool) {
      out.set(model, () => previewMesh(model.mesh, undefined, known));
      continue;
    }
    // The whole mesh, groups too: the record notes that a preview does not carry them, as on one thread.
    const { positions, indices, groups } = model.mesh;
    const payload: PreviewTaskPayload = { positions, indices, ...(groups ? { groups } : {}), ...(known ? { shells: known } : {}) };
    const started = pool.run<StageResult<Mesh>>(PREVIEW_TASK, payload);
    // A file before it may fail the job first: this one's failure is then not the job's.
    started.catch(() => {});
    out.set(model, () => started);
  }
  return { of: out, onPool: pool !== undefined };
}

export interface StartedPreviews {
  /** Each model's preview: started already where `onPool`, else made when called. */
  of: Map<ConvertModel, () => Preview>;
  onPool: boolean;
}
