/**
 * Label selection ("25-50,69-78,91-116" → binary mask) and nearest-neighbour
 * resampling of a label map onto another grid in physical (LPS) space.
 */
import { usageError } from '../errors.js';
import type { Grid } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';

/**
 * Parses a label list such as "25-50,69-78,91-116" or "1,3,5-7" into sorted, unique
 * label values (1..65535). Throws a usage ScanError naming the option on bad input.
 */
export function parseLabelRanges(spec: string, option = '--labels'): number[] {
  const set = new Set<number>();
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw usageError('LABEL_RANGES', `${option}: empty label list "${spec}"`);
  for (const part of parts) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw usageError('LABEL_RANGES', `${option}: "${part}" is not a label or a range like 25-50`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (a > b) throw usageError('LABEL_RANGES', `${option}: range "${part}" runs backwards`);
    if (a < 1 || b > 65535) throw usageError('LABEL_RANGES', `${option}: labels must lie in 1..65535 (got "${part}")`);
    for (let v = a; v <= b; v++) set.add(v);
  }
  return [...set].sort((x, y) => x - y);
}

/** Binary mask (1 = selected) of a label map: the listed labels, or every non-zero label when none are given. */
export function selectLabels(map: LabelMap, labels?: number[]): Uint8Array {
  const data = map.data;
  const out = new Uint8Array(data.length);
  if (!labels) {
    for (let p = 0; p < data.length; p++) out[p] = data[p] ? 1 : 0;
    return out;
  }
  const lut = new Uint8Array(65536);
  for (const v of labels) lut[v] = 1;
  for (let p = 0; p < data.length; p++) out[p] = lut[data[p]!]!;
  return out;
}

/**
 * Resamples `src` onto `target` by nearest neighbour in physical space: each target
 * voxel centre takes the label of the source voxel whose centre is nearest along
 * each source axis (0 outside the source grid). Works for any orthonormal directions.
 */
export function resampleLabelsNearest(src: LabelMap, target: Grid): LabelMap {
  const [nx, ny, nz] = target.dims;
  const [sx, sy, sz] = src.grid.dims;
  // source continuous index = M · (i, j, k) + t, with M[a][b] = (srcAxis_a · tgtAxis_b) · tgtSpacing_b / srcSpacing_a
  const M = new Float64Array(9);
  const t = new Float64Array(3);
  const sd = src.grid.direction;
  const td = target.direction;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = sd[a * 3]! * td[b * 3]! + sd[a * 3 + 1]! * td[b * 3 + 1]! + sd[a * 3 + 2]! * td[b * 3 + 2]!;
      M[a * 3 + b] = (dot * target.spacing_mm[b]!) / src.grid.spacing_mm[a]!;
    }
    const dx = target.origin_mm[0] - src.grid.origin_mm[0];
    const dy = target.origin_mm[1] - src.grid.origin_mm[1];
    const dz = target.origin_mm[2] - src.grid.origin_mm[2];
    t[a] = (dx * sd[a * 3]! + dy * sd[a * 3 + 1]! + dz * sd[a * 3 + 2]!) / src.grid.spacing_mm[a]!;
  }
  const out = src.data instanceof Uint16Array ? new Uint16Array(nx * ny * nz) : new Uint8Array(nx * ny * nz);
  const sdata = src.data;
  const splane = sx * sy;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const b0 = M[1]! * j + M[2]! * k + t[0]!;
      const b1 = M[4]! * j + M[5]! * k + t[1]!;
      const b2 = M[7]! * j + M[8]! * k + t[2]!;
      for (let i = 0; i < nx; i++, p++) {
        // + 1e-6 so a centre exactly half-way rounds the same on every platform
        const u = Math.floor(M[0]! * i + b0 + 0.5 + 1e-6);
        const v = Math.floor(M[3]! * i + b1 + 0.5 + 1e-6);
        const w = Math.floor(M[6]! * i + b2 + 0.5 + 1e-6);
        if (u < 0 || v < 0 || w < 0 || u >= sx || v >= sy || w >= sz) continue;
        out[p] = sdata[u + v * sx + w * splane]!;
      }
    }
  }
  return { grid: target, data: out, ...(src.labels ? { labels: src.labels } : {}) };
}
