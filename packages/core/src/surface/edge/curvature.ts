/**
 * Mean curvature per vertex from the profile directions (unit normals) over the mesh's
 * edges: along an edge i→j the normal curvature is (nⱼ − nᵢ)·(pⱼ − pᵢ)/|pⱼ − pᵢ|², and its
 * average over the edges around a vertex estimates H = (κ₁ + κ₂)/2 (positive where convex).
 * The normals come from the field's gradient, smooth even on the raw marching-cubes mesh.
 */
import type { Mesh } from '../../geometry/types.js';

export function meanCurvature(mesh: Mesh, normals: Float32Array): Float32Array {
  const P = mesh.positions;
  const I = mesh.indices;
  const nv = P.length / 3;
  const sum = new Float64Array(nv);
  const cnt = new Uint16Array(nv);
  const edge = (a: number, b: number): void => {
    const dx = P[3 * b]! - P[3 * a]!, dy = P[3 * b + 1]! - P[3 * a + 1]!, dz = P[3 * b + 2]! - P[3 * a + 2]!;
    const l2 = dx * dx + dy * dy + dz * dz;
    if (!(l2 > 1e-12)) return;
    const k = ((normals[3 * b]! - normals[3 * a]!) * dx + (normals[3 * b + 1]! - normals[3 * a + 1]!) * dy + (normals[3 * b + 2]! - normals[3 * a + 2]!) * dz) / l2;
    sum[a] += k;
    sum[b] += k;
    if (cnt[a]! < 65535) cnt[a]!++;
    if (cnt[b]! < 65535) cnt[b]!++;
  };
  for (let t = 0; t < I.length; t += 3) {
    const a = I[t]!, b = I[t + 1]!, c = I[t + 2]!;
    edge(a, b);
    edge(b, c);
    edge(c, a);
  }
  const out = new Float32Array(nv);
  for (let v = 0; v < nv; v++) out[v] = cnt[v]! ? sum[v]! / cnt[v]! : 0;
  return out;
}
