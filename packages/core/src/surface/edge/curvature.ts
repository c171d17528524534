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
  // each corner's position and normal read once per triangle; the edges a→b, b→c, c→a in that
  // order, each vertex's sum taking its terms in the same order as edge by edge
  for (let t = 0; t < I.length; t += 3) {
    const a = I[t]!, b = I[t + 1]!, c = I[t + 2]!;
    const ax = P[3 * a]!, ay = P[3 * a + 1]!, az = P[3 * a + 2]!;
    const bx = P[3 * b]!, by = P[3 * b + 1]!, bz = P[3 * b + 2]!;
    const cx = P[3 * c]!, cy = P[3 * c + 1]!, cz = P[3 * c + 2]!;
    const nax = normals[3 * a]!, nay = normals[3 * a + 1]!, naz = normals[3 * a + 2]!;
    const nbx = normals[3 * b]!, nby = normals[3 * b + 1]!, nbz = normals[3 * b + 2]!;
    const ncx = normals[3 * c]!, ncy = normals[3 * c + 1]!, ncz = normals[3 * c + 2]!;
    let dx = bx - ax, dy = by - ay, dz = bz - az;
    let l2 = dx * dx + dy * dy + dz * dz;
    if (l2 > 1e-12) {
      const k = ((nbx - nax) * dx + (nby - nay) * dy + (nbz - naz) * dz) / l2;
      sum[a] += k;
      sum[b] += k;
      if (cnt[a]! < 65535) cnt[a]!++;
      if (cnt[b]! < 65535) cnt[b]!++;
    }
    dx = cx - bx;
    dy = cy - by;
    dz = cz - bz;
    l2 = dx * dx + dy * dy + dz * dz;
    if (l2 > 1e-12) {
      const k = ((ncx - nbx) * dx + (ncy - nby) * dy + (ncz - nbz) * dz) / l2;
      sum[b] += k;
      sum[c] += k;
      if (cnt[b]! < 65535) cnt[b]!++;
      if (cnt[c]! < 65535) cnt[c]!++;
    }
    dx = ax - cx;
    dy = ay - cy;
    dz = az - cz;
    l2 = dx * dx + dy * dy + dz * dz;
    if (l2 > 1e-12) {
      const k = ((nax - ncx) * dx + (nay - ncy) * dy + (naz - ncz) * dz) / l2;
      sum[c] += k;
      sum[a] += k;
      if (cnt[c]! < 65535) cnt[c]!++;
      if (cnt[a]! < 65535) cnt[a]!++;
    }
  }
  const out = new Float32Array(nv);
  for (let v = 0; v < nv; v++) out[v] = cnt[v]! ? sum[v]! / cnt[v]! : 0;
  return out;
}
