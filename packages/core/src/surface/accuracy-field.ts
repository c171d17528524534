/**
 * Distance from a point to the iso-surface of a field's trilinear interpolation, found by
 * Newton steps along the gradient (the continuous definition of "the threshold surface of
 * the field that was meshed"). Works in the grid's own frame scaled to millimetres, which is
 * a rotation of patient space (our grids are orthonormal), so distances are in mm.
 */
import type { Grid } from '../geometry/grid.js';

export interface IsoField {
  grid: Grid;
  data: Float32Array | Int16Array;
  level: number;
  /** Mask (1 = inside) on the same grid: the field only counts where its threshold agrees. */
  inside: (v: number) => boolean;
}

const MAX_STEPS = 12;

/**
 * Distance (mm) from patient point (x, y, z) to the field's iso-surface at `level`, or NaN
 * where Newton does not converge within 3 voxels, leaves the voxel centres' box, or ends in
 * a cell where the mask disagrees with the field's threshold (clean-up changed it there).
 */
export function fieldIsoDistance(f: IsoField, x: number, y: number, z: number): number {
  const g = f.grid;
  const [nx, ny, nz] = g.dims;
  const [sx, sy, sz] = g.spacing_mm;
  const d = g.direction;
  const px = x - g.origin_mm[0], py = y - g.origin_mm[1], pz = z - g.origin_mm[2];
  // u: position in the grid frame, mm.
  const u0 = px * d[0] + py * d[1] + pz * d[2];
  const u1 = px * d[3] + py * d[4] + pz * d[5];
  const u2 = px * d[6] + py * d[7] + pz * d[8];
  let a = u0, b = u1, c = u2;
  const data = f.data;
  const nxy = nx * ny;
  const reach = 3 * Math.max(sx, sy, sz);
  for (let step = 0; step < MAX_STEPS; step++) {
    const fi = a / sx, fj = b / sy, fk = c / sz;
    if (!(fi >= 0 && fj >= 0 && fk >= 0 && fi <= nx - 1 && fj <= ny - 1 && fk <= nz - 1)) return NaN;
    const i0 = Math.min(Math.floor(fi), nx - 2), j0 = Math.min(Math.floor(fj), ny - 2), k0 = Math.min(Math.floor(fk), nz - 2);
    if (i0 < 0 || j0 < 0 || k0 < 0) return NaN;
    const ti = fi - i0, tj = fj - j0, tk = fk - k0;
    const o = i0 + j0 * nx + k0 * nxy;
    const v000 = data[o]!, v100 = data[o + 1]!, v010 = data[o + nx]!, v110 = data[o + nx + 1]!;
    const v001 = data[o + nxy]!, v101 = data[o + nxy + 1]!, v011 = data[o + nxy + nx]!, v111 = data[o + nxy + nx + 1]!;
    const x00 = v000 + ti * (v100 - v000), x10 = v010 + ti * (v110 - v010);
    const x01 = v001 + ti * (v101 - v001), x11 = v011 + ti * (v111 - v011);
    const y0 = x00 + tj * (x10 - x00), y1 = x01 + tj * (x11 - x01);
    const val = y0 + tk * (y1 - y0);
    // Gradient in index units, then per mm.
    const gi = (1 - tk) * ((1 - tj) * (v100 - v000) + tj * (v110 - v010)) + tk * ((1 - tj) * (v101 - v001) + tj * (v111 - v011));
    const gj = (1 - tk) * (x10 - x00) + tk * (x11 - x01);
    const gk = y1 - y0;
    const ga = gi / sx, gb = gj / sy, gc = gk / sz;
    const g2 = ga * ga + gb * gb + gc * gc;
    if (!(g2 > 0)) return NaN;
    const r = val - f.level;
    if (Math.abs(r) <= 1e-5 * Math.sqrt(g2)) {
      // Converged: the cell must be one where the mask is the field's threshold.
      for (let q = 0; q < 8; q++) {
        const v = o + (q & 1) + ((q >> 1) & 1) * nx + ((q >> 2) & 1) * nxy;
        if (f.inside(v) !== data[v]! >= f.level) return NaN;
      }
      return Math.hypot(a - u0, b - u1, c - u2);
    }
    a -= (r * ga) / g2;
    b -= (r * gb) / g2;
    c -= (r * gc) / g2;
    if (Math.hypot(a - u0, b - u1, c - u2) > reach) return NaN;
  }
  return NaN;
}
