/**
 * The accuracy measurement beside the printability gate. Both only read the final mesh, and
 * on a skull each takes a few hundred ms on one thread; with a pool the accuracy against a
 * reference surface (after edge placement) runs on a worker while the gate runs here. The
 * measurement is the same code on the same arrays (a seeded sample), so the figures are the
 * same whichever thread ran it.
 */
import type { Grid } from '../geometry/grid.js';
import type { Mesh } from '../geometry/types.js';
import type { WorkerPool } from '../parallel/pool.js';
import { measureSurfaceAccuracy, type AccuracyReference, type SurfaceAccuracy } from './accuracy.js';

export const ACCURACY_TASK = 'surface.accuracy';

export interface AccuracyTaskPayload {
  mesh: Mesh;
  surface: Mesh;
  /** The label grid (the labels themselves are not read when a reference surface is given). */
  grid: Grid;
  opts: { samples?: number; seed?: number };
}

export function accuracyTask(p: AccuracyTaskPayload): SurfaceAccuracy {
  return measureSurfaceAccuracy(p.mesh, { labels: { grid: p.grid, data: new Uint8Array(0) }, surface: p.surface }, p.opts);
}

/** An accuracy measurement, started or not yet: its figures and its own wall time. */
export type PendingAccuracy = () => Promise<{ accuracy: SurfaceAccuracy; wall_ms: number }>;

/**
 * Starts measureSurfaceAccuracy on a worker when there is a pool of two or more and the
 * reference is a surface (the labels and HU field of the other reference stay here); else
 * it runs on this thread when its result is asked for, as before.
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
  const run = pool.run<SurfaceAccuracy>(ACCURACY_TASK, { mesh: { positions: mesh.positions, indices: mesh.indices }, surface: { positions: reference.surface.positions, indices: reference.surface.indices }, grid: reference.labels.grid, opts } satisfies AccuracyTaskPayload);
  const done = run.then((accuracy) => ({ accuracy, wall_ms: performance.now() - t0 }));
  // a gate that refuses the mesh ends the job before anyone asks for this
  done.catch(() => {});
  return () => done;
}
