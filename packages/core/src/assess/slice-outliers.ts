/**
 * Slices whose values break from their neighbours (corrupted pixel data, a slice from
 * another reconstruction): per slice, the count of impulse pixels — a jump of more than
 * SLICE_OUTLIER_JUMP_HU from both neighbouring slices, in the same direction, that is
 * also a jump from a row neighbour within the slice (see thresholds.ts). One linear pass
 * over the volume; no per-voxel objects.
 */
import type { Volume } from '../geometry/types.js';
import type { Finding } from '../pipeline/record.js';
import { SLICE_OUTLIER_JUMP_HU, SLICE_OUTLIER_MIN_PIXELS, SLICE_OUTLIER_RATIO } from './thresholds.js';

export interface SliceOutliers {
  /** Impulse pixels per output slice (k; 0 where not tested). */
  impulses: Int32Array;
  /** Slices flagged, in k order. */
  slices: number[];
  findings: Finding[];
}

/** Impulse pixels of slice k against slices ka and kb. */
function impulsesOf(d: ArrayLike<number>, nx: number, ny: number, k: number, ka: number, kb: number, t: number): number {
  const P = nx * ny;
  let n = 0;
  for (let j = 0; j < ny; j++) {
    const row = k * P + j * nx;
    const ra = ka * P + j * nx - row;
    const rb = kb * P + j * nx - row;
    for (let p = row + 1; p < row + nx - 1; p++) {
      const v = d[p]!;
      const a = v - d[p + ra]!;
      const b = v - d[p + rb]!;
      if (!((a > t && b > t) || (a < -t && b < -t))) continue;
      const l = v - d[p - 1]!;
      const r = v - d[p + 1]!;
      if (l > t || l < -t || r > t || r < -t) n++;
    }
  }
  return n;
}

/** A plane to test: output slice k against planes ka and kb, and its source file. */
export interface OutlierPlane {
  k: number;
  ka: number;
  kb: number;
  file?: string;
}

/** Every plane against the planes beside it (an end plane against its one neighbour twice). */
export function adjacentPlanes(nz: number): OutlierPlane[] {
  return Array.from({ length: nz }, (_, k) => ({ k, ka: k > 0 ? k - 1 : k + 1, kb: k < nz - 1 ? k + 1 : k - 1 }));
}

/**
 * Finds outlier slices among `planes` (default: every plane against its neighbours). A
 * resampled stack passes the planes nearest its acquired slices, each against the planes
 * of the acquired slices beside it: between acquired slices the planes are interpolated,
 * so a corrupted slice is no spike against its interpolated neighbours.
 */
export function sliceOutliers(volume: Volume, planes?: OutlierPlane[]): SliceOutliers {
  const [nx, ny, nz] = volume.grid.dims;
  const impulses = new Int32Array(nz);
  if (nz < 3 || nx < 3) return { impulses, slices: [], findings: [] };
  const list = (planes ?? adjacentPlanes(nz)).filter((p) => p.k !== p.ka && p.k !== p.kb);
  if (list.length < 3) return { impulses, slices: [], findings: [] };
  const counts = list.map((p) => impulsesOf(volume.data, nx, ny, p.k, p.ka, p.kb, SLICE_OUTLIER_JUMP_HU));
  list.forEach((p, i) => (impulses[p.k] = Math.max(impulses[p.k]!, counts[i]!)));
  const sorted = Int32Array.from(counts).sort();
  const median = sorted[sorted.length >> 1]!;
  const limit = Math.max(SLICE_OUTLIER_MIN_PIXELS, SLICE_OUTLIER_RATIO * median);
  const flagged = list.filter((_, i) => counts[i]! >= limit);
  const findings: Finding[] = flagged.map((p) => {
    const n = counts[list.indexOf(p)]!;
    return {
      code: 'SLICE_OUTLIER',
      severity: 'warn' as const,
      message:
        `slice ${p.k}${p.file ? ` (${p.file})` : ''}: ${n} pixels jump more than ${SLICE_OUTLIER_JUMP_HU} HU from both neighbouring slices and within the slice ` +
        `(median over ${list.length} slices: ${median}): corrupted pixel data or a foreign slice? Check it before trusting the model there`,
      ...(p.file ? { files: [p.file] } : {}),
    };
  });
  return { impulses, slices: flagged.map((p) => p.k), findings };
}
