/**
 * Slices whose values break from their neighbours (corrupted pixel data, a slice from
 * another reconstruction): per slice, the count of impulse pixels — a jump of more than
 * SLICE_OUTLIER_JUMP_HU from both neighbouring slices, in the same direction, that is
 * also a jump from a row neighbour within the slice (see thresholds.ts). One linear pass
 * over the volume; no per-voxel objects; planes in slabs on a pool (sliceOutliersAsync).
 */
import type { Volume } from '../geometry/types.js';
import type { Finding } from '../pipeline/record.js';
import { SLICE_OUTLIER_JUMP_HU, SLICE_OUTLIER_MIN_PIXELS, SLICE_OUTLIER_RATIO } from './thresholds.js';
import { slabRanges, type WorkerPool } from '../parallel/pool.js';

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
  const [nx, ny] = volume.grid.dims;
  const list = testedPlanes(volume, planes);
  return outliersOf(volume, list, list.map((p) => impulsesOf(volume.data, nx, ny, p.k, p.ka, p.kb, SLICE_OUTLIER_JUMP_HU)));
}

export const SLICE_OUTLIERS_TASK = 'assess.slice-outliers';

export interface SliceOutliersPayload {
  data: Int16Array | Float32Array;
  nx: number;
  ny: number;
  /** k, ka, kb of each plane to count. */
  planes: Int32Array;
}

/** Kernel: the impulse pixels of each plane of the payload. */
export function impulsesSlab(p: SliceOutliersPayload): Int32Array {
  const out = new Int32Array(p.planes.length / 3);
  for (let t = 0; t < out.length; t++) out[t] = impulsesOf(p.data, p.nx, p.ny, p.planes[3 * t]!, p.planes[3 * t + 1]!, p.planes[3 * t + 2]!, SLICE_OUTLIER_JUMP_HU);
  return out;
}

/** Below this many voxels the planes are counted on the calling thread. */
const MIN_POOL_VOXELS = 1 << 20;

/**
 * sliceOutliers with the planes counted in slabs on `pool` when the volume is on shared
 * memory and large enough: each plane's count does not depend on which thread made it, and
 * the slabs' counts are joined in plane order, so the result is sliceOutliers'.
 */
export async function sliceOutliersAsync(volume: Volume, planes: OutlierPlane[] | undefined, pool: WorkerPool | undefined): Promise<SliceOutliers> {
  const data = volume.data;
  if (!pool || pool.size < 2 || typeof SharedArrayBuffer === 'undefined' || !(data.buffer instanceof SharedArrayBuffer) || data.length < MIN_POOL_VOXELS) return sliceOutliers(volume, planes);
  if (!(data instanceof Int16Array || data instanceof Float32Array)) return sliceOutliers(volume, planes);
  const [nx, ny] = volume.grid.dims;
  const list = testedPlanes(volume, planes);
  const slabs = slabRanges(list.length, 2 * pool.size);
  const parts = await Promise.all(
    slabs.map(([a, b]) => pool.run<Int32Array>(SLICE_OUTLIERS_TASK, { data, nx, ny, planes: Int32Array.from(list.slice(a, b).flatMap((p) => [p.k, p.ka, p.kb])) } satisfies SliceOutliersPayload)),
  );
  return outliersOf(volume, list, parts.flatMap((c) => Array.from(c)));
}

/** The planes that are tested: none when the volume is too small to have neighbours on both sides. */
function testedPlanes(volume: Volume, planes?: OutlierPlane[]): OutlierPlane[] {
  const [nx, , nz] = volume.grid.dims;
  if (nz < 3 || nx < 3) return [];
  const list = (planes ?? adjacentPlanes(nz)).filter((p) => p.k !== p.ka && p.k !== p.kb);
  return list.length < 3 ? [] : list;
}

/** The flagged planes and their findings, from the impulse count of each tested plane. */
function outliersOf(volume: Volume, list: OutlierPlane[], counts: number[]): SliceOutliers {
  const impulses = new Int32Array(volume.grid.dims[2]);
  if (list.length === 0) return { impulses, slices: [], findings: [] };
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
