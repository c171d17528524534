/**
 * The accuracy measurement beside the printability gate. Both only read the final mesh, and
 * on a skull each takes a few hundred ms on one thread; with a pool the accuracy against a
 * reference surface (after edge placement) runs on a worker while the gate runs here. The
 * measurement is the same code on the same points (a seeded sample), so the figures are the
 * same whichever thread ran it.
 */
import type { Mesh } from '../geometry/types.js';
import type { WorkerPool } from '../parallel/pool.js';
import { sharedMesh } from './mesh-utils.js';
import { accuracyFigures, accuracySamples, measureSurfaceAccuracy, referenceDistances, type AccuracyReference, type SurfaceAccuracy } from './accuracy.js';

export const ACCURACY_TASK = 'surface.accuracy';

/** The worker's share: exact distances from the sample points to the reference surface. */
export interface AccuracyTaskPayload {
  surface: Mesh;
  pts: Float64Array;
}

export function accuracyTask(p: AccuracyTaskPayload): Float64Array {
  const n = p.pts.length / 3;
  const d = new Float64Array(n);
  referenceDistances(p.surface, p.pts, Array.from({ length: n }, (_, i) => i), d);
  return d;
}

/** An accuracy measurement, started or not yet: its figures and its own wall time. */
export type PendingAccuracy = () => Promise<{ accuracy: SurfaceAccuracy; wall_ms: number }>;

/**
 * Starts measureSurfaceAccuracy's distances on a worker when there is a pool of two or more
 * and the reference is a surface (the labels and HU field of the other reference stay here):
 * the sample points are drawn here (cheap), so only the reference surface and the points go
 * to the worker, not the final mesh. Else the whole measure runs on this thread when its
 * result is asked for, as before.
 */
export function startAccuracy(mesh: Mesh, reference: AccuracyReference, opts: { samples?: number; seed?: number }, pool?: WorkerPool): PendingAccuracy {
  if (!pool || pool.size < 2 || !reference.surface) {
    return async () => {
      const t0 = performance.now();
      const accuracy = measureSurfaceAccuracy(mesh, reference, opts);
      return { accuracy, wall_ms: performance.now() - t0 };
    };
  }
  const t0 = performance.now();
  const samples = accuracySamples(mesh, opts);
  // on shared memory (convert shares the placed surface beforehand) posting it copies nothing
  const surface = sharedMesh(reference.surface);
  const run = pool.run<Float64Array>(ACCURACY_TASK, { surface, pts: samples.pts } satisfies AccuracyTaskPayload);
  // every sample is measured against the surface, none from a field: measureSurfaceAccuracy's figures
  const done = run.then((d) => ({ accuracy: accuracyFigures(d, samples, 0, true), wall_ms: performance.now() - t0 }));
  // a gate that refuses the mesh ends the job before anyone asks for this
  done.catch(() => {});
  return () => done;
}
