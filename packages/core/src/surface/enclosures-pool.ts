/**
 * The clean-up's ray casting (shellEnclosures) on a worker. It reads only the positions, the
 * triangles and the shell labels, all known when a clean-up starts on triangles whose topology
 * was worked out beforehand (MeshTopology), so it can be cast on a worker while the clean-up's
 * other steps (the coincident-vertex hash, the shells' volumes) run on the calling thread. Same
 * code on the same arrays: the same pairs, in the same order, whichever thread cast them.
 */
import type { Mesh } from '../geometry/types.js';
import type { WorkerPool } from '../parallel/pool.js';
import { shellEnclosures } from './cavities.js';
import { sharedArray } from './mesh-utils.js';

export const ENCLOSURES_TASK = 'surface.shell-enclosures';

export interface EnclosuresTaskPayload {
  positions: Float32Array;
  indices: Uint32Array;
  shellOf: Uint32Array;
  shellCount: number;
}

export function enclosuresTask(p: EnclosuresTaskPayload): Uint32Array {
  return shellEnclosures({ positions: p.positions, indices: p.indices }, p.shellOf, p.shellCount);
}

/** Whether startEnclosures would cast on a worker (a pool of two or more, and more than one shell to relate). */
export function enclosuresOnPool(shellCount: number, pool?: WorkerPool): pool is WorkerPool {
  return pool !== undefined && pool.size >= 2 && shellCount >= 2;
}

/**
 * shellEnclosures(mesh, shellOf, shellCount) started on a worker. The arrays go on shared
 * memory (a copy where they are not there yet: posting them then copies nothing).
 */
export function startEnclosures(mesh: Mesh, shells: { shellOf: Uint32Array; shellCount: number }, pool: WorkerPool): Promise<Uint32Array> {
  const payload: EnclosuresTaskPayload = {
    positions: sharedArray(mesh.positions),
    indices: sharedArray(mesh.indices),
    shellOf: sharedArray(shells.shellOf),
    shellCount: shells.shellCount,
  };
  return pool.run<Uint32Array>(ENCLOSURES_TASK, payload);
}
