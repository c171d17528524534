/**
 * The clicked island of a label map: the 26-connected set of labelled voxels (any non-zero
 * value) that holds the seed, the connectivity core's clean-up uses (segment/components.ts).
 * A flood fill from the seed visits only that component, which is what a click needs;
 * core's labelComponents would label the whole volume first.
 */
import type { Vec3 } from './brush.js';

/** Flat indices of the component at `seed` (ascending), or an empty array on background. */
export function componentAt(labels: Uint8Array, dims: Vec3, seed: number): Uint32Array {
  if (labels[seed] === 0 || labels[seed] === undefined) return new Uint32Array(0);
  const [nx, ny, nz] = dims;
  const sxy = nx * ny;
  const seen = new Uint8Array(labels.length);
  let queue = new Uint32Array(1024);
  let head = 0;
  let tail = 0;
  const push = (i: number) => {
    if (tail === queue.length) {
      const q = new Uint32Array(queue.length * 2);
      q.set(queue);
      queue = q;
    }
    queue[tail++] = i;
  };
  seen[seed] = 1;
  push(seed);
  while (head < tail) {
    const i = queue[head++]!;
    const z = Math.floor(i / sxy);
    const r = i - z * sxy;
    const y = Math.floor(r / nx);
    const x = r - y * nx;
    for (let dz = -1; dz <= 1; dz++) {
      const zz = z + dz;
      if (zz < 0 || zz >= nz) continue;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= ny) continue;
        const row = zz * sxy + yy * nx;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= nx) continue;
          const j = row + xx;
          if (seen[j] === 0 && labels[j] !== 0) {
            seen[j] = 1;
            push(j);
          }
        }
      }
    }
  }
  return queue.slice(0, tail).sort();
}

/** Indices to clear to remove the island at the seed (= the component itself). */
export function islandToRemove(labels: Uint8Array, dims: Vec3, seed: number): Uint32Array {
  return componentAt(labels, dims, seed);
}

/**
 * Indices to clear to keep only the component at the seed: every other labelled voxel.
 * Empty when the seed is on background (nothing to keep means nothing is changed).
 */
export function othersToRemove(labels: Uint8Array, dims: Vec3, seed: number): Uint32Array {
  const keep = componentAt(labels, dims, seed);
  if (keep.length === 0) return keep;
  const mark = new Uint8Array(labels.length);
  for (let k = 0; k < keep.length; k++) mark[keep[k]!] = 1;
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0 && mark[i] === 0) n++;
  const out = new Uint32Array(n);
  n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0 && mark[i] === 0) out[n++] = i;
  return out;
}
