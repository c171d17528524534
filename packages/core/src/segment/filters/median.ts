/**
 * 3-D median filter over a (2r+1)³ cube of voxels, edges replicated. Output keeps the
 * input's array type (a median of integers is one of them). Slabs of output planes run
 * on the pool; each voxel's window is gathered into a scratch array and the middle
 * element found by quickselect (deterministic: the median value does not depend on
 * the order the selection visits).
 */
import type { Volume } from '../../geometry/types.js';
import type { Vec3 } from '../../geometry/grid.js';
import { cloneGrid, voxelCount } from '../../geometry/grid.js';
import type { StageContext, StageResult } from '../../pipeline/record.js';
import { timedAsync } from '../../pipeline/record.js';
import { usageError } from '../../errors.js';
import { allocLike, poolFor, runSlabs, toShared } from './slabs.js';

export const MEDIAN_TASK = 'segment.median';

export interface MedianPayload {
  src: Float32Array | Int16Array;
  dst: Float32Array | Int16Array;
  dims: Vec3;
  radius: number;
  kStart: number;
  kEnd: number;
}

/** k-th smallest of buf[0..n) (in place). */
function quickselect(buf: Float64Array, n: number, kth: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = buf[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (buf[i]! < pivot) i++;
      while (buf[j]! > pivot) j--;
      if (i <= j) {
        const t = buf[i]!;
        buf[i] = buf[j]!;
        buf[j] = t;
        i++;
        j--;
      }
    }
    if (kth <= j) hi = j;
    else if (kth >= i) lo = i;
    else return buf[kth]!;
  }
  return buf[kth]!;
}

export function medianSlab(p: MedianPayload): void {
  const { src, dst, dims, radius: r, kStart, kEnd } = p;
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const w = 2 * r + 1;
  const size = w ** 3;
  const buf = new Float64Array(size);
  const mid = (size - 1) >> 1;
  // Clamped (edge-replicated) neighbour offsets per coordinate, computed once.
  const offs = (n: number, stride: number) => {
    const o = new Int32Array(n * w);
    for (let x = 0; x < n; x++) for (let t = -r; t <= r; t++) o[x * w + t + r] = Math.min(n - 1, Math.max(0, x + t)) * stride;
    return o;
  };
  const oi = offs(nx, 1);
  const oj = offs(ny, nx);
  const ok = offs(nz, plane);
  for (let k = kStart; k < kEnd; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        let c = 0;
        for (let a = 0; a < w; a++) {
          const kk = ok[k * w + a]!;
          for (let b = 0; b < w; b++) {
            const jj = kk + oj[j * w + b]!;
            for (let d = 0; d < w; d++) buf[c++] = src[jj + oi[i * w + d]!]!;
          }
        }
        dst[k * plane + j * nx + i] = quickselect(buf, size, mid);
      }
    }
  }
}

/** Median-filtered copy of `volume` (radius in voxels; 0 = copy). */
export async function medianFilter(volume: Volume, radius: number, ctx: StageContext = {}): Promise<StageResult<Volume>> {
  return timedAsync(async () => {
    if (!Number.isInteger(radius) || radius < 0 || radius > 5) {
      throw usageError('BAD_MEDIAN', `median radius must be an integer 0..5 voxels, got ${radius}`);
    }
    const n = voxelCount(volume.grid);
    const pool = poolFor(ctx, n);
    const shared = pool !== undefined;
    const src = shared ? toShared(volume.data) : volume.data;
    const Ctor = volume.data instanceof Int16Array ? Int16Array : Float32Array;
    const dst = allocLike<Float32Array | Int16Array>(Ctor as never, n, shared);
    if (radius === 0) dst.set(volume.data as never);
    else await runSlabs<MedianPayload>(pool, MEDIAN_TASK, medianSlab, volume.grid.dims[2], (kStart, kEnd) => ({ src, dst, dims: volume.grid.dims, radius, kStart, kEnd }));
    return {
      output: { grid: cloneGrid(volume.grid), data: dst },
      record: { stage: 'preprocess', method: 'median', params: { radius_voxels: radius, window: `${2 * radius + 1}^3 cube`, edges: 'replicate' }, figures: {} },
    };
  });
}
