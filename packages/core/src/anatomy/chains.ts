/**
 * The region split of anatomy/regions.ts: the columns (right of, on and left of the midline
 * band), the chains of axial blobs per column, and the contacts between the regions.
 */
import type { Vec3 } from '../geometry/grid.js';
import type { BodyFrame } from './body-frame.js';
import type { CoarseGrid } from './coarse-grid.js';
import { BLOB_SPLIT_DEFAULTS, splitPlaneBlobs, type BlobSplitParams } from './blob-split.js';
import { floodPlane } from './flood-plane.js';

/** Contact between two regions: shared cell faces. */
export interface Contact {
  a: number;
  b: number;
  faces: number;
}

export function contactsOf(ids: Int32Array, dims: Vec3, count: number): Contact[] {
  const [nx, ny, nz] = dims;
  const map = new Map<number, number>();
  const steps = [1, nx, nx * ny];
  for (let k = 0, q = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, q++) {
        const a = ids[q]!;
        if (!a) continue;
        const ok = [i + 1 < nx, j + 1 < ny, k + 1 < nz];
        for (let t = 0; t < 3; t++) {
          if (!ok[t]) continue;
          const b = ids[q + steps[t]!]!;
          if (!b || b === a) continue;
          const key = Math.min(a, b) * (count + 1) + Math.max(a, b);
          map.set(key, (map.get(key) ?? 0) + 1);
        }
      }
    }
  }
  return [...map.entries()].sort((x, y) => x[0] - y[0]).map(([key, faces]) => ({ a: Math.floor(key / (count + 1)), b: key % (count + 1), faces }));
}

/**
 * Column of each bone cell: 1 right of the midline band, 2 in it, 3 left of it (LPS: +x left).
 * The band is ±`band` × the body's half-width at the cell's level around the mid-sagittal plane.
 */
export function columnsOf(bone: Uint8Array, cg: CoarseGrid, body: BodyFrame, band: number): Uint8Array {
  const col = new Uint8Array(bone.length);
  for (let q = 0; q < bone.length; q++) {
    if (!bone[q]) continue;
    const x = cg.centre[3 * q]!;
    const bin = Math.floor((cg.centre[3 * q + 2]! - body.z0) / body.binSize_mm);
    const w = body.width[bin];
    const half = (w !== undefined && Number.isFinite(w) ? w : body.medianWidth) / 2;
    const d = x - body.midX;
    col[q] = d < -band * half ? 1 : d > band * half ? 3 : 2;
  }
  return col;
}

/**
 * Regions as chains of axial blobs: the bone of each column in each axial level falls into
 * 2D (8-connected) blobs; a blob is joined to the blob above it when each is the other's only
 * overlapping neighbour (same column). Where structures meet, blobs merge or split between
 * levels (femoral head into the acetabulum, a rib onto a vertebra, vertebra onto disc), so
 * the chains end there. Assumes axial slices (k is the slice axis), as CT is acquired.
 */
export function chainRegions(bone: Uint8Array, col: Uint8Array, dims: Vec3, cell_mm: [number, number], split: BlobSplitParams | null = BLOB_SPLIT_DEFAULTS): { ids: Int32Array; count: number } {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const node = new Int32Array(bone.length);
  const stack = new Int32Array(plane);
  let nodes = 0;
  for (let k = 0; k < nz; k++) {
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const q = base + p;
      if (!bone[q] || node[q]) continue;
      const id = ++nodes;
      const c = col[q]!;
      node[q] = id;
      const join = (t: number) => {
        if (!bone[base + t] || node[base + t] || col[base + t] !== c) return false;
        node[base + t] = id;
        return true;
      };
      floodPlane(p, nx, ny, stack, join);
    }
    if (split) nodes = splitPlaneBlobs(node, base, nx, ny, cell_mm, nodes + 1, split) - 1;
  }
  // Overlaps between a level's blobs and the next level's (same column).
  const upCount = new Int32Array(nodes + 1);
  const downCount = new Int32Array(nodes + 1);
  const upOf = new Int32Array(nodes + 1);
  const seen = new Set<number>();
  const pairs: number[] = [];
  for (let k = 0; k + 1 < nz; k++) {
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const a = node[base + p]!;
      const b = node[base + plane + p]!;
      if (!a || !b || col[base + p] !== col[base + plane + p]) continue;
      const key = a * (nodes + 1) + b;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push(a, b);
      upCount[a]!++;
      downCount[b]!++;
      upOf[a] = b;
    }
  }
  const parent = Int32Array.from({ length: nodes + 1 }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (let a = 1; a <= nodes; a++) {
    if (upCount[a] !== 1) continue;
    const b = upOf[a]!;
    if (downCount[b] !== 1) continue;
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  // Regions numbered in order of their first cell in memory.
  const regionOf = new Int32Array(nodes + 1);
  const ids = new Int32Array(bone.length);
  let count = 0;
  for (let q = 0; q < bone.length; q++) {
    const a = node[q]!;
    if (!a) continue;
    const r = find(a);
    if (!regionOf[r]) regionOf[r] = ++count;
    ids[q] = regionOf[r]!;
  }
  return { ids, count };
}
