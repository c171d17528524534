/**
 * Unit vertex normals, each the area-weighted sum of its triangles' normals (a vertex no triangle
 * uses, or whose triangles cancel, gets 0, 0, 0). Float32, three per vertex.
 */
import type { Mesh } from '../geometry/types.js';

export function vertexNormals(mesh: Mesh): Float32Array {
  const P = mesh.positions, I = mesh.indices;
  // summed in float64: a vertex of a 1.6 M-triangle skull gathers six or so, but sliver
  // triangles next to large ones would lose their share in float32
  const sum = new Float64Array(P.length);
  for (let o = 0; o < I.length; o += 3) {
    const a = 3 * I[o]!, b = 3 * I[o + 1]!, c = 3 * I[o + 2]!;
    const ux = P[b]! - P[a]!, uy = P[b + 1]! - P[a + 1]!, uz = P[b + 2]! - P[a + 2]!;
    const vx = P[c]! - P[a]!, vy = P[c + 1]! - P[a + 1]!, vz = P[c + 2]! - P[a + 2]!;
    // twice the triangle's area along its normal: the cross product weighs it by area
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    sum[a] += nx; sum[a + 1] += ny; sum[a + 2] += nz;
    sum[b] += nx; sum[b + 1] += ny; sum[b + 2] += nz;
    sum[c] += nx; sum[c + 1] += ny; sum[c + 2] += nz;
  }
  const out = new Float32Array(P.length);
  for (let q = 0; q < P.length; q += 3) {
    const l = Math.hypot(sum[q]!, sum[q + 1]!, sum[q + 2]!);
    if (l === 0) continue;
    out[q] = sum[q]! / l;
    out[q + 1] = sum[q + 1]! / l;
    out[q + 2] = sum[q + 2]! / l;
  }
  return out;
}
