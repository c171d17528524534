/**
 * Solid voxelisation of a closed mesh by ray parity: for every (i, j) column, the z at which
 * the column's centre line crosses the surface, sorted; voxel centres between the 1st and 2nd,
 * 3rd and 4th, … crossings are inside. Crossings are found per triangle over the columns its xy
 * shadow covers, and a column centre on a shared edge is given to exactly one of the triangles
 * by the half-open "top-left" rule (its edge function exactly antisymmetric: edge()), so a
 * closed mesh always gives an even count and the result never depends on triangle order.
 */
import type { Mesh } from '../geometry/types.js';

export interface VoxelGrid {
  /** Centre of voxel (0, 0, 0), mm. */
  origin: [number, number, number];
  h: number;
  dims: [number, number, number];
}

/** Inside mask (1 = inside), x fastest. */
export function voxelizeSolid(mesh: Mesh, g: VoxelGrid): Uint8Array {
  const [nx, ny, nz] = g.dims;
  const p = mesh.positions, ix = mesh.indices;
  const nt = ix.length / 3;
  const h = g.h, ox = g.origin[0], oy = g.origin[1], oz = g.origin[2];
  const count = new Uint32Array(nx * ny + 1);
  // Two passes over the triangles (count, then fill) so the crossings live in one typed array.
  const zs: Float64Array[] = [];
  for (let pass = 0; pass < 2; pass++) {
    const zAt = pass === 1 ? new Float64Array(count[nx * ny]!) : new Float64Array(0);
    const fill = pass === 1 ? count.slice(0, nx * ny) : new Uint32Array(0);
    for (let t = 0; t < nt; t++) {
      const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
      const ax = p[a]!, ay = p[a + 1]!, bx = p[b]!, by = p[b + 1]!, cx = p[c]!, cy = p[c + 1]!;
      // Signed double area of the xy shadow: 0 = vertical triangle, no crossing.
      const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
      if (area === 0) continue;
      const s = area > 0 ? 1 : -1;
      const i0 = Math.max(0, Math.ceil((Math.min(ax, bx, cx) - ox) / h)), i1 = Math.min(nx - 1, Math.floor((Math.max(ax, bx, cx) - ox) / h));
      const j0 = Math.max(0, Math.ceil((Math.min(ay, by, cy) - oy) / h)), j1 = Math.min(ny - 1, Math.floor((Math.max(ay, by, cy) - oy) / h));
      for (let j = j0; j <= j1; j++) {
        const y = oy + j * h;
        for (let i = i0; i <= i1; i++) {
          const x = ox + i * h;
          const w0 = s * edge(bx, by, cx, cy, x, y), w1 = s * edge(cx, cy, ax, ay, x, y), w2 = s * edge(ax, ay, bx, by, x, y);
          if (!(inside(w0, s * (cy - by), s * (bx - cx)) && inside(w1, s * (ay - cy), s * (cx - ax)) && inside(w2, s * (by - ay), s * (ax - bx)))) continue;
          const col = i + nx * j;
          if (pass === 0) { count[col + 1]!++; continue; }
          const tot = w0 + w1 + w2;
          zAt[fill[col]!++] = (w0 * p[a + 2]! + w1 * p[b + 2]! + w2 * p[c + 2]!) / tot;
        }
      }
    }
    if (pass === 0) for (let k = 0; k < nx * ny; k++) count[k + 1]! += count[k]!;
    else zs.push(zAt);
  }
  const zAt = zs[0]!;
  const mask = new Uint8Array(nx * ny * nz);
  const plane = nx * ny;
  for (let col = 0; col < plane; col++) {
    const lo = count[col]!, hi = count[col + 1]!;
    if (hi - lo < 2) continue;
    const zsCol = zAt.subarray(lo, hi).sort();
    for (let q = 0; q + 1 < zsCol.length; q += 2) {
      const k0 = Math.max(0, Math.ceil((zsCol[q]! - oz) / h)), k1 = Math.min(nz - 1, Math.floor((zsCol[q + 1]! - oz) / h));
      for (let k = k0; k <= k1; k++) mask[col + plane * k] = 1;
    }
  }
  return mask;
}

/**
 * Twice the signed area of (a, b, p): > 0 when p is left of a → b. Worked out from the edge's
 * lower endpoint whichever way it runs, so the two triangles on an edge get exactly opposite
 * values: from each one's own start the rounding differed, and a column on the edge (a box
 * face's diagonal) was then claimed by both triangles or by neither, an odd count that left the
 * whole column outside (a pillar of wall through a hollowed box).
 */
function edge(ax: number, ay: number, bx: number, by: number, x: number, y: number): number {
  if (ax < bx || (ax === bx && ay <= by)) return (bx - ax) * (y - ay) - (by - ay) * (x - ax);
  return -((ax - bx) * (y - by) - (ay - by) * (x - bx));
}

/** Top-left rule: a point on the edge counts only for a "top" or "left" edge (dx, dy = edge normal). */
function inside(w: number, nxE: number, nyE: number): boolean {
  if (w > 0) return true;
  if (w < 0) return false;
  return nxE > 0 || (nxE === 0 && nyE > 0);
}
