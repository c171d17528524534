/**
 * 3MF model files started on the pool as each model's gate begins (ConvertParams.beforeGate):
 * writing a skull's 3MF (shells, ~115 MB of XML, deflate) is ~1 s of the job's thread after the
 * gate and the accuracy, and the pool has a worker free beside them. Started only when a 3MF is
 * asked for and the pool has two workers; taken by the export for the same mesh and model name
 * (a model without parts: the options are the ones the export would pass), and only when the
 * worker deflated as the job's thread would (same method, so the same bytes), else the export
 * writes it there as before. A gate that refuses the mesh ends the job; the file is dropped.
 * The worker splits the model into objects by the conditioning's shells (by edges) instead of
 * working out shells by vertices again: the same shells on a mesh the gate passes, so the file
 * is taken only for a printable model (one let through with --allow-open is written anew).
 */
import type { Mesh } from '../geometry/types.js';
import type { MeshShells } from '../surface/mesh-utils.js';
import { meshFormatOf } from '../formats/mesh-read.js';
import { threeMfDeflateMethod, write3mfOnPool, type ThreeMfFile } from '../formats/3mf.js';
import type { ConvertModel } from './convert.js';
import type { ConvertJobHost, ConvertJobRequest } from './job-types.js';

export interface EarlyModelFiles {
  /** ConvertParams.beforeGate; absent where nothing is started early. */
  start?: (mesh: Mesh, model: string, shells: MeshShells) => void;
  /** The model's 3MF bytes made early, or undefined (none started, or deflated otherwise): handed out once. */
  take: (model: ConvertModel) => Promise<Uint8Array | undefined> | undefined;
}

/** The 3MF options the export passes for a model (title, date, parts): one place, so the early file is the same file. */
export function threeMfOptions(model: Pick<ConvertModel, 'name' | 'parts'>, date: string) {
  return { title: `${model.name} (scan2print)`, creationDate: date.slice(0, 10), name: model.name, ...(model.parts ? { parts: model.parts } : {}) };
}

export function earlyModelFiles(req: ConvertJobRequest, host: ConvertJobHost, date: string): EarlyModelFiles {
  const pool = host.pool;
  if (!pool || pool.size < 2 || req.fromLabels || !req.outputs.models.some((f) => meshFormatOf(f) === '3mf')) return { take: () => undefined };
  const method = threeMfDeflateMethod(host.deflateRaw);
  const started: Array<{ mesh: Mesh; model: string; file: Promise<ThreeMfFile> }> = [];
  return {
    start: (mesh, model, shells) => {
      const file = write3mfOnPool(mesh, { ...threeMfOptions({ name: model }, date), shells }, pool);
      file.catch(() => {}); // awaited by the export; a job that fails first never asks
      started.push({ mesh, model, file });
    },
    take: (model) => {
      // handed out once: the file is not held past its export (the report comes after)
      const i = model.parts ? -1 : started.findIndex((e) => e.mesh === model.mesh && e.model === model.name);
      if (i < 0) return undefined;
      const file = started.splice(i, 1)[0]!.file;
      return model.printable ? file.then((f) => (f.deflate === method ? f.bytes : undefined)) : undefined;
    },
  };
}
