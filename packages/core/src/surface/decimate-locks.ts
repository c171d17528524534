/**
 * The vertex locks decimateUntangled and relaxLocked (decimate-relax.ts) decimate under: which
 * vertices lie near the triangles still crossing after a repair, which vertex of the mesh
 * before a decimation each kept vertex was, and the figures the retries' notes give.
 */
import type { Mesh } from '../geometry/types.js';

/** Triangles with all three corners locked. */
export function lockedTriangles(mesh: Mesh, lock: Uint8Array): number {
  const I = mesh.indices;
  let n = 0;
  for (let o = 0; o < I.length; o += 3) if (lock[I[o]!] && lock[I[o + 1]!] && lock[I[o + 2]!]) n++;
  return n;
}

/** Mean edge length of the listed triangles. */
export function meanEdge(mesh: Mesh, tris: ArrayLike<number>): number {
  const P = mesh.positions, I = mesh.indices;
  let sum = 0;
  for (let i = 0; i < tris.length; i++) {
    const t = tris[i]!;
    for (let k = 0; k < 3; k++) {
      const a = 3 * I[3 * t + k]!, b = 3 * I[3 * t + ((k + 1) % 3)]!;
      sum += Math.hypot(P[a]! - P[b]!, P[a + 1]! - P[b + 1]!, P[a + 2]! - P[b + 2]!);
    }
  }
  return tris.length ? sum / (3 * tris.length) : 0;
}

/**
 * `prev` (or none) with every vertex of `before` inside the box of a listed triangle of `mesh`
 * grown by `margin` locked. The boxes are binned in a dense grid over their union (cells about
 * the median box's size, at most 2^20), so each vertex meets only the boxes of its own cell.
 */
export function lockNear(before: Mesh, mesh: Mesh, tris: ArrayLike<number>, margin: number, prev?: Uint8Array): Uint8Array {
  const P = mesh.positions, I = mesh.indices;
  const n = tris.length;
  const box = new Float64Array(6 * n);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  const extents: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = tris[i]!;
    const o = 6 * i;
    box.set([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity], o);
    for (let k = 0; k < 3; k++) {
      const v = 3 * I[3 * t + k]!;
      for (let a = 0; a < 3; a++) {
        box[o + a] = Math.min(box[o + a]!, P[v + a]! - margin);
        box[o + 3 + a] = Math.max(box[o + 3 + a]!, P[v + a]! + margin);
      }
    }
    let e = 0;
    for (let a = 0; a < 3; a++) {
      e = Math.max(e, box[o + 3 + a]! - box[o + a]!);
      lo[a] = Math.min(lo[a]!, box[o + a]!);
      hi[a] = Math.max(hi[a]!, box[o + 3 + a]!);
    }
    extents.push(e);
  }
  const lock = prev ? prev.slice() : new Uint8Array(before.positions.length / 3);
  if (n === 0) return lock;
  extents.sort((x, y) => x - y);
  let cell = Math.max(extents[n >> 1]!, 1e-3);
  const dim = (a: number): number => Math.floor((hi[a]! - lo[a]!) / cell) + 1;
  while (dim(0) * dim(1) * dim(2) > 1 << 20) cell *= 1.5;
  const [nx, ny, nz] = [dim(0), dim(1), dim(2)];
  const at = (x: number, a: number, d: number): number => Math.min(d - 1, Math.max(0, Math.floor((x - lo[a]!) / cell)));
  // boxes by cell (counting sort): a box is in every cell it touches
  const start = new Uint32Array(nx * ny * nz + 1);
  const each = (i: number, f: (c: number) => void): void => {
    const o = 6 * i;
    for (let k = at(box[o + 2]!, 2, nz); k <= at(box[o + 5]!, 2, nz); k++)
      for (let j = at(box[o + 1]!, 1, ny); j <= at(box[o + 4]!, 1, ny); j++)
        for (let c = at(box[o]!, 0, nx); c <= at(box[o + 3]!, 0, nx); c++) f(c + nx * (j + ny * k));
  };
  for (let i = 0; i < n; i++) each(i, (c) => start[c + 1]!++);
  for (let c = 0; c < nx * ny * nz; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, nx * ny * nz);
  const list = new Uint32Array(start[nx * ny * nz]!);
  for (let i = 0; i < n; i++) each(i, (c) => (list[fill[c]!++] = i));
  const Q = before.positions;
  for (let v = 0; v < Q.length / 3; v++) {
    if (lock[v]) continue;
    const x = Q[3 * v]!, y = Q[3 * v + 1]!, z = Q[3 * v + 2]!;
    if (x < lo[0]! || x > hi[0]! || y < lo[1]! || y > hi[1]! || z < lo[2]! || z > hi[2]!) continue;
    const c = at(x, 0, nx) + nx * (at(y, 1, ny) + ny * at(z, 2, nz));
    for (let p = start[c]!; p < start[c + 1]!; p++) {
      const o = 6 * list[p]!;
      if (x >= box[o]! && x <= box[o + 3]! && y >= box[o + 1]! && y <= box[o + 4]! && z >= box[o + 2]! && z <= box[o + 5]!) {
        lock[v] = 1;
        break;
      }
    }
  }
  return lock;
}

/**
 * Decimation keeps vertices where they were (it picks which to keep): the vertex of `before` each
 * kept vertex was, found by the same position bits (the first, where two shared one); -1 where none.
 */
export function keptIndex(kept: Float32Array, before: Float32Array): Int32Array {
  const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  const kb = bits(kept), bb = bits(before);
  const hash = (u: Uint32Array, o: number) => (Math.imul(u[o]!, 73856093) ^ Math.imul(u[o + 1]!, 19349663) ^ Math.imul(u[o + 2]!, 83492791)) >>> 0;
  // Kept vertices chained by hash bucket in typed arrays (a Map of arrays cost ~0.2 s a try on
  // a decimated skull), each chain in ascending vertex order: inserted from the last vertex.
  const nk = kept.length / 3;
  let size = 1;
  while (size < 2 * nk) size *= 2;
  const mask = size - 1;
  const head = new Int32Array(size).fill(-1);
  const next = new Int32Array(nk);
  for (let w = nk - 1; w >= 0; w--) {
    const b = hash(kb, 3 * w) & mask;
    next[w] = head[b]!;
    head[b] = w;
  }
  const from = new Int32Array(nk).fill(-1);
  for (let v = 0; v < before.length / 3; v++) {
    const x = bb[3 * v]!, y = bb[3 * v + 1]!, z = bb[3 * v + 2]!;
    // The kept vertices not yet found at exactly this position (the same bits).
    for (let w = head[hash(bb, 3 * v) & mask]!; w >= 0; w = next[w]!) {
      if (from[w]! >= 0 || kb[3 * w] !== x || kb[3 * w + 1] !== y || kb[3 * w + 2] !== z) continue;
      from[w] = v;
    }
  }
  return from;
}

/** Each kept vertex's safe position: that of the vertex it was before (keptIndex); where none, its own. */
export function safeOfKept(kept: Float32Array, before: Float32Array, safe: Float32Array): Float32Array {
  return safeAtKept(keptIndex(kept, before), kept, safe);
}

/** safeOfKept with the kept vertices' origins already found (`from`: keptIndex's answer). */
export function safeAtKept(from: Int32Array, kept: Float32Array, safe: Float32Array): Float32Array {
  const out = kept.slice();
  for (let w = 0; w < from.length; w++) {
    const v = from[w]!;
    if (v < 0) continue;
    out[3 * w] = safe[3 * v]!;
    out[3 * w + 1] = safe[3 * v + 1]!;
    out[3 * w + 2] = safe[3 * v + 2]!;
  }
  return out;
}
