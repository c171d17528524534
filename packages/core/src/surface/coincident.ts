/**
 * Vertices that share an exact float32 position: finding them (a linear hash), welding them,
 * and moving apart those that must not be welded (two sheets touching at a point).
 */
import type { Mesh } from '../geometry/types.js';
import { vertexCount } from './mesh-utils.js';

/**
 * For every vertex, the first vertex with exactly the same coordinates (−0 equals +0): itself
 * when it is the first. `coincident` counts the vertices that are not the first at their position.
 */
export function coincidentRep(positions: Float32Array): { rep: Uint32Array; coincident: number } {
  const nv = (positions.length / 3) | 0;
  const p = positions;
  const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
  // Pass 1, a filter: two bits per hash value (~8 values per vertex, a cache-sized table
  // instead of a hash table of vertex ids) say whether the value was met once or more often.
  // Coincident vertices share their hash, so only vertices with a repeated hash (a few % of a
  // mesh, all of its coincident ones) go into the exact table of pass 2, in vertex order, so
  // the first stays the rep. Their number is counted on the way, to size that table.
  let size = 64;
  while (size < 8 * nv) size *= 2;
  const mask = size - 1;
  const state = new Int32Array(size >>> 4); // 2 bits per value: 1 met once, 3 met again
  const hashes = new Uint32Array(nv);
  const rep = new Uint32Array(nv);
  let candidates = 0;
  for (let v = 0, o = 0; v < nv; v++, o += 3) {
    rep[v] = v;
    const h = positionHash(bits, o) & mask;
    hashes[v] = h;
    const w = h >>> 4;
    const sh = (h & 15) << 1;
    const st = (state[w]! >>> sh) & 3;
    if (st === 0) state[w]! |= 1 << sh;
    else if (st === 1) {
      state[w]! |= 2 << sh;
      candidates += 2;
    } else candidates++;
  }
  let coincident = 0;
  if (candidates === 0) return { rep, coincident };
  let tsize = 1;
  while (tsize < 2 * candidates) tsize <<= 1;
  const table = new Int32Array(tsize).fill(-1);
  for (let v = 0; v < nv; v++) {
    const h = hashes[v]!;
    if (!((state[h >>> 4]! >>> ((h & 15) << 1)) & 2)) continue;
    let slot = h & (tsize - 1);
    for (;;) {
      const w = table[slot]!;
      if (w === -1) {
        table[slot] = v;
        break;
      }
      if (p[3 * w] === p[3 * v] && p[3 * w + 1] === p[3 * v + 1] && p[3 * w + 2] === p[3 * v + 2]) {
        rep[v] = w;
        coincident++;
        break;
      }
      slot = (slot + 1) & (tsize - 1);
    }
  }
  return { rep, coincident };
}

/** Hash of a vertex's exact coordinates (−0 hashes as +0, as they compare equal: bits 0x80000000 and 0). */
function positionHash(bits: Uint32Array, o: number): number {
  let x = bits[o]!, y = bits[o + 1]!, z = bits[o + 2]!;
  if (x << 1 === 0) x = 0;
  if (y << 1 === 0) y = 0;
  if (z << 1 === 0) z = 0;
  let h = Math.imul(2166136261 ^ x, 16777619);
  h ^= h >>> 15;
  h = Math.imul(h ^ y, 16777619);
  h ^= h >>> 15;
  h = Math.imul(h ^ z, 16777619);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Merges vertices with identical coordinates (exact float equality; −0 equals +0). */
export function mergeDuplicateVertices(mesh: Mesh): { mesh: Mesh; merged: number } {
  const { rep, coincident: merged } = coincidentRep(mesh.positions);
  if (merged === 0) return { mesh, merged };
  const indices = new Uint32Array(mesh.indices.length);
  for (let i = 0; i < indices.length; i++) indices[i] = rep[mesh.indices[i]!]!;
  const out: Mesh = { positions: mesh.positions, indices };
  if (mesh.groups) out.groups = mesh.groups;
  return { mesh: out, merged };
}

/**
 * Moves apart vertices that share a position but were not merged (merging would pinch the
 * mesh: typically two shells, or two sheets of one shell, touching at a point). A reader that
 * welds by position (every STL reader, most slicers) would otherwise see a non-manifold vertex
 * there. Each such vertex moves a tiny step towards the centroid of its own one-ring, i.e. into
 * its own sheet, so the sheets no longer touch: 32 float32 steps of its largest coordinate, at
 * least 0.1 µm (~4 µm at 700 mm from the origin), doubled until no position repeats. Two sheets
 * collapsed onto each other share one ring; after two rounds the step follows each vertex's
 * own outward normal instead, which opens such a lens again.
 */
export function separateCoincidentVertices(mesh: Mesh): { mesh: Mesh; separated: number; maxShift_mm: number; remaining: number } {
  let { rep, coincident } = coincidentRep(mesh.positions);
  if (coincident === 0) return { mesh, separated: 0, maxShift_mm: 0, remaining: 0 };
  const nv = vertexCount(mesh);
  const positions = mesh.positions.slice();
  const moved = new Uint8Array(nv);
  let separated = 0;
  let maxShift = 0;
  const ix = mesh.indices;
  for (let round = 0, scale = 1; round < 6 && coincident > 0; round++, scale *= 2) {
    // Every vertex of a coincident group moves (the first one too), each into its own ring.
    const inGroup = new Uint8Array(nv);
    for (let v = 0; v < nv; v++) {
      if (rep[v] !== v) {
        inGroup[v] = 1;
        inGroup[rep[v]!] = 1;
      }
    }
    // Towards the ring centroid; where that cannot separate (two sheets collapsed onto each
    // other share one ring: a zero-thickness lens), along the vertex's own outward normal.
    const useNormal = round >= 2;
    const sum = new Float64Array(3 * nv);
    const cnt = new Uint32Array(nv);
    for (let t = 0; t < ix.length; t += 3) {
      for (let k = 0; k < 3; k++) {
        const v = ix[t + k]!;
        if (!inGroup[v]) continue;
        if (useNormal) {
          const a = 3 * ix[t]!, b = 3 * ix[t + 1]!, c = 3 * ix[t + 2]!;
          const ux = positions[b]! - positions[a]!, uy = positions[b + 1]! - positions[a + 1]!, uz = positions[b + 2]! - positions[a + 2]!;
          const wx = positions[c]! - positions[a]!, wy = positions[c + 1]! - positions[a + 1]!, wz = positions[c + 2]! - positions[a + 2]!;
          sum[3 * v] += uy * wz - uz * wy;
          sum[3 * v + 1] += uz * wx - ux * wz;
          sum[3 * v + 2] += ux * wy - uy * wx;
          cnt[v] = 1;
          continue;
        }
        for (let j = 1; j < 3; j++) {
          const w = ix[t + ((k + j) % 3)]!;
          sum[3 * v] += positions[3 * w]!;
          sum[3 * v + 1] += positions[3 * w + 1]!;
          sum[3 * v + 2] += positions[3 * w + 2]!;
          cnt[v]!++;
        }
      }
    }
    for (let v = 0; v < nv; v++) {
      if (!inGroup[v] || cnt[v] === 0) continue;
      const x = positions[3 * v]!, y = positions[3 * v + 1]!, z = positions[3 * v + 2]!;
      const dx = useNormal ? sum[3 * v]! : sum[3 * v]! / cnt[v]! - x;
      const dy = useNormal ? sum[3 * v + 1]! : sum[3 * v + 1]! / cnt[v]! - y;
      const dz = useNormal ? sum[3 * v + 2]! : sum[3 * v + 2]! / cnt[v]! - z;
      const len = Math.hypot(dx, dy, dz);
      if (!(len > 0)) continue;
      const big = Math.max(Math.abs(x), Math.abs(y), Math.abs(z));
      const ulp = big > 0 ? 2 ** (Math.floor(Math.log2(big)) - 23) : 2 ** -149;
      const step = Math.min(useNormal ? Infinity : 0.1 * len, scale * Math.max(1e-4, 32 * ulp));
      positions[3 * v] = Math.fround(x + (step * dx) / len);
      positions[3 * v + 1] = Math.fround(y + (step * dy) / len);
      positions[3 * v + 2] = Math.fround(z + (step * dz) / len);
      const o = 3 * v;
      maxShift = Math.max(maxShift, Math.hypot(positions[o]! - mesh.positions[o]!, positions[o + 1]! - mesh.positions[o + 1]!, positions[o + 2]! - mesh.positions[o + 2]!));
      if (!moved[v]) {
        moved[v] = 1;
        separated++;
      }
    }
    ({ rep, coincident } = coincidentRep(positions));
  }
  const out: Mesh = { positions, indices: mesh.indices };
  if (mesh.groups) out.groups = mesh.groups;
  return { mesh: out, separated, maxShift_mm: maxShift, remaining: coincident };
}
