/**
 * Vertex normals from the triangles round each vertex, each triangle weighed by its area (the
 * cross product of two edges is twice the area along the normal): the sums, as edge placement
 * reads them (outward for an outward-oriented mesh), and unit Float32 normals, as decimation
 * weighs them into its collapse error.
 */
import type { Mesh } from '../geometry/types.js';

/**
 * Each vertex's area-weighted normal sum, added into `out` (three per vertex, zeroed by the
 * caller's allocation): unnormalised. Float64: sliver triangles beside large ones keep their share.
 */
export function areaNormalSums(mesh: Mesh, out: Float64Array): Float64Array {
  const P = mesh.positions;
  const I = mesh.indices;
  const N = out;
  for (let t = 0; t < I.length; t += 3) {
    const a = 3 * I[t]!, b = 3 * I[t + 1]!, c = 3 * I[t + 2]!;
    const ux = P[b]! - P[a]!, uy = P[b + 1]! - P[a + 1]!, uz = P[b + 2]! - P[a + 2]!;
    const vx = P[c]! - P[a]!, vy = P[c + 1]! - P[a + 1]!, vz = P[c + 2]! - P[a + 2]!;
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    N[a] += nx; N[a + 1] += ny; N[a + 2] += nz;
    N[b] += nx; N[b + 1] += ny; N[b + 2] += nz;
    N[c] += nx; N[c + 1] += ny; N[c + 2] += nz;
  }
  return N;
}

/** Unit vertex normals (areaNormalSums normalised; 0, 0, 0 where a vertex has none). */
export function vertexNormals(mesh: Mesh): Float32Array {
  const sum = areaNormalSums(mesh, new Float64Array(mesh.positions.length));
  const out = new Float32Array(sum.length);
  for (let q = 0; q < sum.length; q += 3) {
    const l = Math.hypot(sum[q]!, sum[q + 1]!, sum[q + 2]!);
    if (l === 0) continue;
    out[q] = sum[q]! / l;
    out[q + 1] = sum[q + 1]! / l;
    out[q + 2] = sum[q + 2]! / l;
  }
  return out;
}
