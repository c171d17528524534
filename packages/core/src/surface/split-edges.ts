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
 * (surface/edge/README.md). Not on the default path yet: bench/fidelity/rims.mjs measures it.
 */
import type { Mesh } from '../geometry/types.js';

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
}

/**
 * Splits every edge longer than `maxLength_mm` with at least one end flagged (flags per vertex),
 * once, at its midpoint. New vertices follow the old ones, in order of first meeting (triangle
 * by triangle, edge by edge); each triangle's pieces take its place in order, with its group.
 */
export function splitLongEdges(mesh: Mesh, flags: Uint8Array, maxLength_mm: number): SplitEdges {
  const P = mesh.positions;
  const I = mesh.indices;
  const nv = P.length / 3;
  const nT = I.length / 3;
  const L2 = maxLength_mm * maxLength_mm;
  // The midpoint of each split edge, keyed by its two ends (smaller first).
  const mid = new Map<number, number>();
  const key = (a: number, b: number): number => (a < b ? a * nv + b : b * nv + a);
  const added: number[] = [];
  for (let h = 0; h < I.length; h++) {
    const a = I[h]!;
    const b = I[h % 3 === 2 ? h - 2 : h + 1]!;
    if (!(flags[a] || flags[b])) continue;
    const dx = P[3 * a]! - P[3 * b]!, dy = P[3 * a + 1]! - P[3 * b + 1]!, dz = P[3 * a + 2]! - P[3 * b + 2]!;
    if (dx * dx + dy * dy + dz * dz <= L2) continue;
    const k = key(a, b);
    if (mid.has(k)) continue;
    mid.set(k, nv + added.length / 3);
    added.push((P[3 * a]! + P[3 * b]!) / 2, (P[3 * a + 1]! + P[3 * b + 1]!) / 2, (P[3 * a + 2]! + P[3 * b + 2]!) / 2);
  }
  if (mid.size === 0) return { mesh, splits: 0 };
  const positions = new Float32Array(P.length + added.length);
  positions.set(P);
  positions.set(added, P.length);
  const out: number[] = [];
  const groups: number[] | undefined = mesh.groups ? [] : undefined;
  const m = [0, 0, 0];
  for (let t = 0; t < nT; t++) {
    const v0 = I[3 * t]!, v1 = I[3 * t + 1]!, v2 = I[3 * t + 2]!;
    const v = [v0, v1, v2];
    let n = 0;
    for (let c = 0; c < 3; c++) {
      m[c] = mid.get(key(v[c]!, v[(c + 1) % 3]!)) ?? -1;
      if (m[c]! >= 0) n++;
    }
    const before = out.length;
    if (n === 0) out.push(v0, v1, v2);
    else if (n === 3) out.push(v0, m[0]!, m[2]!, m[0]!, v1, m[1]!, m[2]!, m[1]!, v2, m[0]!, m[1]!, m[2]!);
    else if (n === 1) {
      // edge c (v[c] → v[c+1]) split at x: two triangles
      const c = m[0]! >= 0 ? 0 : m[1]! >= 0 ? 1 : 2;
      const a = v[c]!, b = v[(c + 1) % 3]!, d = v[(c + 2) % 3]!, x = m[c]!;
      out.push(a, x, d, x, b, d);
    } else {
      // edge c unsplit; x on edge c+1 (b → d), y on edge c+2 (d → a): three triangles
      const c = m[0]! < 0 ? 0 : m[1]! < 0 ? 1 : 2;
      const a = v[c]!, b = v[(c + 1) % 3]!, d = v[(c + 2) % 3]!, x = m[(c + 1) % 3]!, y = m[(c + 2) % 3]!;
      out.push(a, b, x, a, x, y, y, x, d);
    }
    if (groups) for (let k = before; k < out.length; k += 3) groups.push(mesh.groups![t]!);
  }
  const result: Mesh = { positions, indices: Uint32Array.from(out) };
  if (groups) result.groups = Uint32Array.from(groups);
  return { mesh: result, splits: mid.size };
}
