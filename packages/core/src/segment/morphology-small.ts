/**
 * Dilation by a small ball on bytes, for radii whose element spans only a few rows.
 *
 * The ball {(a, b, c) : (a·s_i)² + (b·s_j)² + (c·s_k)² ≤ r²} is a set of rows along i:
 * for each (b, c) the offsets |a| ≤ w(b, c). With dx(p) = the distance in voxels along i
 * from p to the nearest object voxel (capped at 255), a voxel is in the dilation iff
 * dx(p + b·nx + c·nx·ny) ≤ w(b, c) for some row (b, c) of the element. That is one
 * contiguous byte comparison pass per element row — for the 1 mm ball on 0.45 × 0.45 × 1 mm
 * voxels (7 rows) several times cheaper than the float distance transform.
 */
import type { Vec3 } from '../geometry/grid.js';

export interface ElementRow {
  b: number;
  c: number;
  /** Half-width along i, in voxels. */
  w: number;
}

/** The rows of the ball element with squared radius `r2` (mm²). */
export function ballRows(spacing_mm: Vec3, r2: number): ElementRow[] {
  const [sx, sy, sz] = spacing_mm;
  const r = Math.sqrt(r2);
  const Pj = Math.floor(r / sy);
  const Pk = Math.floor(r / sz);
  const rows: ElementRow[] = [];
  for (let c = -Pk; c <= Pk; c++) {
    for (let b = -Pj; b <= Pj; b++) {
      const rem = r2 - (b * sy) ** 2 - (c * sz) ** 2;
      if (rem < 0) continue;
      let w = Math.floor(Math.sqrt(rem) / sx);
      while ((w + 1) * (w + 1) * sx * sx <= rem) w++;
      while (w > 0 && w * w * sx * sx > rem) w--;
      rows.push({ b, c, w });
    }
  }
  return rows;
}

/** In-place dilation of a 0/1 mask by the element rows (outside the box: background). */
export function dilateByRows(m: Uint8Array, dims: Vec3, rows: ElementRow[]): void {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const n = plane * nz;
  // dx: distance along i to the nearest object voxel, capped at 255.
  const dx = new Uint8Array(n);
  for (let base = 0; base < n; base += nx) {
    let last = -1e9;
    for (let i = 0; i < nx; i++) {
      if (m[base + i] !== 0) last = i;
      const d = i - last;
      dx[base + i] = d > 255 ? 255 : d;
    }
    last = 1e9;
    for (let i = nx - 1; i >= 0; i--) {
      if (m[base + i] !== 0) last = i;
      const d = last - i;
      if (d < dx[base + i]!) dx[base + i] = d;
    }
  }
  m.fill(0);
  for (const { b, c, w } of rows) {
    for (let k = 0; k < nz; k++) {
      const kk = k + c;
      if (kk < 0 || kk >= nz) continue;
      for (let j = 0; j < ny; j++) {
        const jj = j + b;
        if (jj < 0 || jj >= ny) continue;
        const o = j * nx + k * plane;
        const s = jj * nx + kk * plane;
        for (let i = 0; i < nx; i++) if (dx[s + i]! <= w) m[o + i] = 1;
      }
    }
  }
}
