/**
 * Refining a mesh where it is coarse against the smoothing that follows: every edge longer than
 * a length with a flagged end is split once at its midpoint, and each triangle with split edges
 * is cut into 2, 3 or 4 (winding kept). The surface itself does not move (the new vertices lie
 * on the old edges), so a closed, manifold, oriented mesh stays so, with the same volume.
 *
 * Why: windowed-sinc smoothing works on the umbrella Laplacian, so a feature crossed by few
 * edges is a high frequency and is taken in. A thin plate's rim, crossed by one or two long
 * edges, came out 0.12 mm inside (1.5 mm plate tilted 30° at 0.6×0.6×1.25 mm); split where edge
 * placement flags the rims (PlaceResult.rims, grown by two rings: growFlags), 0.07 mm
 * (surface/edge/README.md, bench/fidelity/rims.mjs). The conditioning does this by default
 * (condition-rims.ts); split-topology.ts carries the mesh's edge table and shells over.
 *
 * Triangles that are not cut keep their index, so their half-edges keep theirs: a cut
 * triangle's first piece takes its place and the others follow the old triangles.
 */
import type { Mesh } from '../geometry/types.js';
import { grown } from './room.js';

/** The flags grown by `rings` rings of triangles: a vertex is flagged when a triangle it shares has a flagged vertex. */
export function growFlags(indices: Uint32Array, flags: Uint8Array, rings: number): Uint8Array {
  let cur = flags.slice();
  for (let r = 0; r < rings; r++) {
    const next = cur.slice();
    for (let t = 0; t < indices.length; t += 3) {
      const a = indices[t]!, b = indices[t + 1]!, c = indices[t + 2]!;
      if (cur[a] || cur[b] || cur[c]) next[a] = next[b] = next[c] = 1;
    }
    cur = next;
  }
  return cur;
}

export interface SplitEdges {
  mesh: Mesh;
  /** Edges split (= vertices added). */
  splits: number;
  /** New vertex nv + k lies half-way on the edge ends[2k] → ends[2k + 1] (smaller index first). */
  ends: Uint32Array;
  /** The triangles cut, ascending; the pieces of cut[i] after its first are triangles nT + pieceStart[i] … nT + pieceStart[i + 1] − 1. */
  cut: Uint32Array;
  pieceStart: Uint32Array;
  /** The corners of each cut triangle before the cut (3 per entry of `cut`). */
  cutCorners: Uint32Array;
}

/** Edges splitLongEdges would split, and the triangles it would add (one per use of a split edge). */
export function countLongEdges(mesh: Mesh, flags: Uint8Array, maxLength_mm: number): { splits: number; pieces: number } {
  const mid = longEdges(mesh, flags, maxLength_mm);
  let pieces = 0;
  for (const uses of mid.uses) pieces += uses;
  return { splits: mid.keys.size, pieces };
}

/**
 * The long edges with a flagged end, keyed by their ends (smaller first), in order of first
 * meeting, with their uses; and the triangles with a long edge (ascending).
 */
function longEdges(mesh: Mesh, flags: Uint8Array, maxLength_mm: number): { keys: Map<number, number>; ends: number[]; uses: number[]; tris: number[] } {
  const P = mesh.positions;
  const I = mesh.indices;
  const nv = P.length / 3;
  const L2 = maxLength_mm * maxLength_mm;
  const keys = new Map<number, number>();
  const ends: number[] = [];
  const uses: number[] = [];
  const tris: number[] = [];
  for (let t = 0; t < I.length; t += 3) {
    if (!(flags[I[t]!] || flags[I[t + 1]!] || flags[I[t + 2]!])) continue;
    let long = false;
    for (let c = 0; c < 3; c++) {
      const a = I[t + c]!, b = I[t + (c === 2 ? 0 : c + 1)]!;
      if (!(flags[a] || flags[b])) continue;
      const dx = P[3 * a]! - P[3 * b]!, dy = P[3 * a + 1]! - P[3 * b + 1]!, dz = P[3 * a + 2]! - P[3 * b + 2]!;
      if (dx * dx + dy * dy + dz * dz <= L2) continue;
      long = true;
      const lo = a < b ? a : b, hi = a < b ? b : a;
      const key = lo * nv + hi;
      const k = keys.get(key);
      if (k !== undefined) {
        uses[k]!++;
        continue;
      }
      keys.set(key, ends.length / 2);
      ends.push(lo, hi);
      uses.push(1);
    }
    if (long) tris.push(t / 3);
  }
  return { keys, ends, uses, tris };
}

/**
 * Splits every edge longer than `maxLength_mm` with at least one end flagged (flags per vertex),
 * once, at its midpoint. New vertices follow the old ones in order of first meeting (triangle by
 * triangle, edge by edge). `inPlace`: the mesh's arrays are grown in place where their buffers
 * have room (grownView) and the cut triangles overwritten: the input mesh must not be used after.
 */
export function splitLongEdges(mesh: Mesh, flags: Uint8Array, maxLength_mm: number, opts: { inPlace?: boolean } = {}): SplitEdges {
  const P = mesh.positions;
  const I = mesh.indices;
  const nv = P.length / 3;
  const nT = I.length / 3;
  const { keys, ends: endList, uses, tris } = longEdges(mesh, flags, maxLength_mm);
  const splits = endList.length / 2;
  const ends = Uint32Array.from(endList);
  if (splits === 0) return { mesh, splits, ends, cut: new Uint32Array(0), pieceStart: new Uint32Array(1), cutCorners: new Uint32Array(0) };
  let pieces = 0;
  for (const u of uses) pieces += u;
  const grow = <T extends Uint32Array | Float32Array>(a: T, n: number): T => grown(a, n, opts.inPlace ?? false);
  const positions = grow(P, P.length + 3 * splits);
  for (let k = 0; k < splits; k++) {
    const a = ends[2 * k]!, b = ends[2 * k + 1]!;
    for (let c = 0; c < 3; c++) positions[3 * (nv + k) + c] = (P[3 * a + c]! + P[3 * b + c]!) / 2;
  }
  const out = grow(I, 3 * (nT + pieces));
  const groups = mesh.groups ? grow(mesh.groups, nT + pieces) : undefined;
  const cut: number[] = [];
  const pieceStart: number[] = [];
  const cutCorners: number[] = [];
  const v = [0, 0, 0];
  const m = [0, 0, 0];
  let next = nT; // the next appended triangle
  const put = (at: number, a: number, b: number, c: number, t: number): void => {
    out[3 * at] = a;
    out[3 * at + 1] = b;
    out[3 * at + 2] = c;
    if (groups) groups[at] = groups[t]!;
  };
  // every triangle with a split edge is listed: it has the edge's flagged end, and the edge's
  // length is the same from either side (the differences only change sign); and every listed
  // triangle has one (it was listed for it)
  for (const t of tris) {
    let n = 0;
    for (let c = 0; c < 3; c++) v[c] = I[3 * t + c]!;
    for (let c = 0; c < 3; c++) {
      const a = v[c]!, b = v[c === 2 ? 0 : c + 1]!;
      const k = keys.get(a < b ? a * nv + b : b * nv + a);
      m[c] = k === undefined ? -1 : nv + k;
      if (k !== undefined) n++;
    }
    cut.push(t);
    pieceStart.push(next - nT);
    cutCorners.push(v[0]!, v[1]!, v[2]!);
    if (n === 3) {
      put(t, v[0]!, m[0]!, m[2]!, t);
      put(next++, m[0]!, v[1]!, m[1]!, t);
      put(next++, m[2]!, m[1]!, v[2]!, t);
      put(next++, m[0]!, m[1]!, m[2]!, t);
    } else if (n === 1) {
      // edge c (v[c] → v[c+1]) split at x: two triangles
      const c = m[0]! >= 0 ? 0 : m[1]! >= 0 ? 1 : 2;
      const a = v[c]!, b = v[(c + 1) % 3]!, d = v[(c + 2) % 3]!, x = m[c]!;
      put(t, a, x, d, t);
      put(next++, x, b, d, t);
    } else {
      // edge c unsplit; x on edge c+1 (b → d), y on edge c+2 (d → a): three triangles
      const c = m[0]! < 0 ? 0 : m[1]! < 0 ? 1 : 2;
      const a = v[c]!, b = v[(c + 1) % 3]!, d = v[(c + 2) % 3]!, x = m[(c + 1) % 3]!, y = m[(c + 2) % 3]!;
      put(t, a, b, x, t);
      put(next++, a, x, y, t);
      put(next++, y, x, d, t);
    }
  }
  pieceStart.push(next - nT);
  const result: Mesh = { positions, indices: out };
  if (groups) result.groups = groups;
  return { mesh: result, splits, ends, cut: Uint32Array.from(cut), pieceStart: Uint32Array.from(pieceStart), cutCorners: Uint32Array.from(cutCorners) };
}
