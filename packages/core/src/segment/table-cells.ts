/**
 * Coarse body cells of table removal (table.ts): HU sums per cell of f0×f1×f2 voxels, as
 * float32 sums in memory order for any volume, or as exact integer sums from Int16 HU
 * compared straight to the body threshold (table-cells.spec checks both give the same).
 */
import { LITTLE_ENDIAN } from '../endian.js';
import type { Vec3 } from '../geometry/grid.js';

/**
 * Sums of HU per coarse cell, accumulated in float32 in memory order (as `sum[q] += hu[p]`
 * would), a row's run of f0 voxels at a time in a local.
 */
export function blockSums(hu: ArrayLike<number>, dims: Vec3, f: Vec3, cd: Vec3, sum: Float32Array): void {
  const [nx, ny, nz] = dims;
  const f0 = f[0];
  for (let k = 0, p = 0; k < nz; k++) {
    const ck = Math.floor(k / f[2]) * cd[0] * cd[1];
    for (let j = 0; j < ny; j++, p += nx) {
      const row = ck + Math.floor(j / f[1]) * cd[0];
      for (let c = 0, i = 0; i < nx; c++) {
        const iEnd = Math.min(nx, i + f0);
        let acc = sum[row + c]!;
        for (; i < iEnd; i++) acc = Math.fround(acc + hu[p + i]!);
        sum[row + c] = acc;
      }
    }
  }
}

/**
 * Body cells straight from integer HU: a cell's sum is an exact integer (|sum| ≤ 32768 ·
 * f0·f1·f2 ≤ 2²⁴ for cells of up to 512 voxels), the same value blockSums would store in
 * float32, so it is compared row by row in a small buffer instead of a coarse sum volume
 * (fresh memory is slow to touch on a loaded host). cellSumInt16 gives one cell's sum again.
 */
export function bodyCellsInt16(hu: Int16Array, dims: Vec3, f: Vec3, cd: Vec3, threshold: number, ext: Int32Array[], body: Uint8Array, c2a = 0, c2b = cd[2]): void {
  const [nx, ny, nz] = dims;
  const [f0, f1, f2] = f;
  const [e0, e1, e2] = ext as [Int32Array, Int32Array, Int32Array];
  const P = nx * ny;
  const acc = new Int32Array(cd[0]);
  const hu32 = LITTLE_ENDIAN && hu.byteOffset % 4 === 0 ? new Int32Array(hu.buffer, hu.byteOffset, hu.length >>> 1) : undefined;
  // coarse slices c2a … c2b − 1 only: each writes its own cells, so slabs of them may run at once
  for (let c2 = c2a, q = c2a * cd[0] * cd[1]; c2 < c2b; c2++) {
    const k1 = Math.min(nz, (c2 + 1) * f2);
    for (let c1 = 0; c1 < cd[1]; c1++, q += cd[0]) {
      const j1 = Math.min(ny, (c1 + 1) * f1);
      const e12 = e1[c1]! * e2[c2]!;
      if (f0 === 2 && (nx & 1) === 0 && j1 - c1 * f1 === 2 && Math.min(nz, (c2 + 1) * f2) - c2 * f2 === 1) {
        // a 2×2×1 cell (0.45 mm pixels, 1 mm slices): its one sum is compared straight away
        const lim = threshold * (2 * e12);
        const p0 = c2 * f2 * P + c1 * f1 * nx;
        if (hu32) {
          // both voxels of a cell row in one 32-bit word (the low half first: little-endian)
          for (let c = 0, w = p0 >>> 1, h = nx >>> 1; c < cd[0]; c++, w++) {
            const a = hu32[w]!, b = hu32[w + h]!;
            body[q + c] = ((a << 16) >> 16) + (a >> 16) + ((b << 16) >> 16) + (b >> 16) > lim ? 1 : 0;
          }
        } else for (let c = 0, p = p0; c < cd[0]; c++, p += 2) body[q + c] = hu[p]! + hu[p + 1]! + hu[p + nx]! + hu[p + nx + 1]! > lim ? 1 : 0;
        continue;
      }
      acc.fill(0);
      for (let k = c2 * f2; k < k1; k++) {
        const j0 = c1 * f1;
        if (f0 === 2 && (nx & 1) === 0 && j1 - j0 === 2) {
          // the common 2×2 cell: both rows in one pass
          const base = k * P + j0 * nx;
          for (let c = 0, p = base; c < cd[0]; c++, p += 2) acc[c]! += hu[p]! + hu[p + 1]! + hu[p + nx]! + hu[p + nx + 1]!;
          continue;
        }
        for (let j = j0; j < j1; j++) {
          const base = k * P + j * nx;
          for (let c = 0, i = 0; c < cd[0]; c++) {
            const e = Math.min(nx, i + f0);
            let s = 0;
            for (; i < e; i++) s += hu[base + i]!;
            acc[c]! += s;
          }
        }
      }
      for (let c0 = 0; c0 < cd[0]; c0++) body[q + c0] = acc[c0]! > threshold * (e0[c0]! * e12) ? 1 : 0;
    }
  }
}

/** A slab of coarse slices of bodyCellsInt16 (`hu` and `body` on shared memory). */
export interface BodyCellsPayload {
  hu: Int16Array;
  dims: Vec3;
  f: Vec3;
  cd: Vec3;
  threshold: number;
  ext: Int32Array[];
  body: Uint8Array;
  c2a: number;
  c2b: number;
}

/** One slab of bodyCellsInt16 (the first half of table-body.ts's BODY_CELLS_FILLED_TASK). */
export function bodyCellsSlab(p: BodyCellsPayload): void {
  bodyCellsInt16(p.hu, p.dims, p.f, p.cd, p.threshold, p.ext, p.body, p.c2a, p.c2b);
}

/** One coarse cell's HU sum, from integer HU. */
export function cellSumInt16(hu: Int16Array, dims: Vec3, f: Vec3, c0: number, c1: number, c2: number): number {
  const [nx, ny, nz] = dims;
  const P = nx * ny;
  const i1 = Math.min(nx, (c0 + 1) * f[0]);
  const j1 = Math.min(ny, (c1 + 1) * f[1]);
  const k1 = Math.min(nz, (c2 + 1) * f[2]);
  let s = 0;
  for (let k = c2 * f[2]; k < k1; k++) {
    for (let j = c1 * f[1]; j < j1; j++) {
      const base = k * P + j * nx;
      for (let i = c0 * f[0]; i < i1; i++) s += hu[base + i]!;
    }
  }
  return s;
}
