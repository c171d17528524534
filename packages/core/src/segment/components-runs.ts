/**
 * Run-based connected components: the foreground of each row along i is cut into
 * maximal runs, and runs of neighbouring rows are joined with union-find when they
 * overlap (allowing a one-voxel diagonal step where the connectivity permits it). CT
 * masks have few runs per row (bone, or air around it), so this touches each voxel
 * once to find the runs and then works on a few hundred thousand runs instead of tens
 * of millions of voxels.
 *
 * Connectivity: an offset (di, dj, dk) connects when |di| + |dj| + |dk| ≤ 1 (6), 2 (18)
 * or 3 (26). For the previous rows (dj, dk) ∈ {(−1, 0), (0, −1), (−1, −1), (1, −1)}
 * that leaves a diagonal slack in i of 0 or 1 voxel.
 *
 * Roots are always the smaller run id, and runs are numbered in memory order, so a
 * component's root is its first run in memory: numbering by root order is numbering
 * by first voxel, as components.ts promises.
 */
import type { Vec3 } from '../geometry/grid.js';
import { findRoot, makeSets, unionSets } from '../geometry/union-find.js';

export interface Runs {
  /** First i of each run, and one past its last i. */
  start: Int32Array;
  end: Int32Array;
  /** Runs of row r (= j + k·ny) are rowStart[r] … rowStart[r + 1] − 1. */
  rowStart: Int32Array;
  count: number;
}

/**
 * 32-bit words over the same memory as `buf` (word t = bytes 4t … 4t + 3 of `buf`), or
 * undefined where `buf` does not start on a word boundary. Masks are mostly long runs of
 * zero (air) or of non-zero bytes, so run ends are found four voxels to a comparison.
 */
export function wordsOf(buf: Uint8Array): Uint32Array | undefined {
  return buf.byteOffset % 4 === 0 ? new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : undefined;
}

/** First index in [i, end) whose byte is non-zero, else end (`w32` = wordsOf(buf)). */
export function skipZeros(buf: Uint8Array, w32: Uint32Array, i: number, end: number): number {
  for (; i < end && (i & 3) !== 0; i++) if (buf[i] !== 0) return i;
  while (i + 4 <= end && w32[i >>> 2] === 0) i += 4;
  while (i < end && buf[i] === 0) i++;
  return i;
}

/** First index in [i, end) whose byte is zero, else end (`w32` = wordsOf(buf)). */
export function skipNonZeros(buf: Uint8Array, w32: Uint32Array, i: number, end: number): number {
  for (; i < end && (i & 3) !== 0; i++) if (buf[i] === 0) return i;
  for (; i + 4 <= end; i += 4) {
    const w = w32[i >>> 2]!;
    // a word has a zero byte where (w − 0x01010101) & ~w & 0x80808080 is not 0
    if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
  }
  while (i < end && buf[i] !== 0) i++;
  return i;
}

/**
 * Maximal runs of non-zero voxels along i, or, with `atLeast`, of voxels ≥ atLeast
 * (NaN never counts): runs straight from an HU volume, with no mask in between.
 */
export function extractRuns(mask: ArrayLike<number>, dims: Vec3, atLeast?: number): Runs {
  const [nx, ny, nz] = dims;
  const nRows = ny * nz;
  let start = new Int32Array(Math.max(1024, nRows));
  let end = new Int32Array(start.length);
  const rowStart = new Int32Array(nRows + 1);
  let count = 0;
  const level = atLeast ?? 0;
  const nonZero = atLeast === undefined;
  const bytes = nonZero && mask instanceof Uint8Array ? mask : undefined;
  const w32 = bytes ? wordsOf(bytes) : undefined;
  for (let r = 0, base = 0; r < nRows; r++, base += nx) {
    rowStart[r] = count;
    let i = 0;
    while (i < nx) {
      if (w32) i = skipZeros(bytes!, w32, base + i, base + nx) - base;
      else if (nonZero) while (i < nx && mask[base + i] === 0) i++;
      else while (i < nx && !(mask[base + i]! >= level)) i++;
      if (i >= nx) break;
      const s = i;
      if (w32) i = skipNonZeros(bytes!, w32, base + i, base + nx) - base;
      else if (nonZero) while (i < nx && mask[base + i] !== 0) i++;
      else while (i < nx && mask[base + i]! >= level) i++;
      if (count === start.length) {
        const s2 = new Int32Array(start.length * 2);
        s2.set(start);
        start = s2;
        const e2 = new Int32Array(end.length * 2);
        e2.set(end);
        end = e2;
      }
      start[count] = s;
      end[count] = i;
      count++;
    }
  }
  rowStart[nRows] = count;
  return { start, end, rowStart, count };
}

/**
 * Maximal runs of zero voxels along i (the background of a mask), read from the mask itself
 * (what extractRuns gives for `mask === 0`, with no inverted copy).
 */
export function extractZeroRuns(mask: Uint8Array, dims: Vec3): Runs {
  const m = mask.byteOffset % 4 === 0 ? mask : mask.slice();
  const [nx, ny, nz] = dims;
  // every row of the volume as one "slice" of ny·nz rows
  return new SliceRuns(ny * nz).fill(m, wordsOf(m)!, 0, nx, nx, ny * nz);
}

/** Runs of one slice, in buffers reused from slice to slice (grown when needed). */
export class SliceRuns implements Runs {
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  rowStart: Int32Array;
  count = 0;
  constructor(rows: number) {
    this.rowStart = new Int32Array(rows + 1);
  }

  /**
   * Maximal runs along u of zero voxels (the background) in rows v = 0..nv−1 of `buf`
   * (`w32` = wordsOf(buf)), row v starting at off + v·rowStride (u contiguous): what
   * extractRuns gives for the slice's background, without copying it out of the volume first.
   */
  fill(buf: Uint8Array, w32: Uint32Array, off: number, rowStride: number, nu: number, nv: number): this {
    this.count = 0;
    for (let v = 0; v < nv; v++) {
      this.rowStart[v] = this.count;
      const base = off + v * rowStride;
      const rowEnd = base + nu;
      let u = 0;
      while (u < nu) {
        u = skipNonZeros(buf, w32, base + u, rowEnd) - base;
        if (u >= nu) break;
        const s = u;
        u = skipZeros(buf, w32, base + u, rowEnd) - base;
        this.push(s, u);
      }
    }
    this.rowStart[nv] = this.count;
    return this;
  }

  push(s: number, e: number): void {
    if (this.count === this.start.length) this.grow();
    this.start[this.count] = s;
    this.end[this.count] = e;
    this.count++;
  }

  private grow(): void {
    const s = new Int32Array(this.start.length * 2);
    s.set(this.start);
    this.start = s;
    const e = new Int32Array(this.end.length * 2);
    e.set(this.end);
    this.end = e;
  }
}

/** The previous rows runRoots joins a row's runs to: (dj, dk) = (−1, 0), (0, −1), then the diagonals (−1, −1), (1, −1). */
const PREV_DJ = Int32Array.of(-1, 0, -1, 1);
const PREV_DK = Int32Array.of(0, -1, -1, -1);

/**
 * Union-find over runs; returns root[run] (the smallest run id of its component). With
 * `scratch` (at least runs.count long) the roots are written there, as a view of its start:
 * callers that label many small sets of runs (one per slice) then allocate nothing per call.
 */
export function runRoots(runs: Runs, dims: Vec3, connectivity: 6 | 18 | 26, scratch?: Int32Array): Int32Array {
  const ny = dims[1];
  const nz = dims[2];
  const { start, end, rowStart, count } = runs;
  const parent = makeSets(scratch ? scratch.subarray(0, count) : new Int32Array(count));
  // Previous rows (dj, dk) and their slack in i; flat, and findRoot/unionSets called directly:
  // V8 then compiles this once (no iterator, no per-call closures to tell apart).
  const axial = connectivity === 6 ? 0 : 1;
  const diagonal = connectivity === 26 ? 1 : 0;
  const nPrev = connectivity === 6 ? 2 : 4;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const r = j + k * ny;
      const a0 = rowStart[r]!;
      const a1 = rowStart[r + 1]!;
      if (a0 === a1) continue;
      for (let q = 0; q < nPrev; q++) {
        const jj = j + PREV_DJ[q]!;
        const kk = k + PREV_DK[q]!;
        if (jj < 0 || jj >= ny || kk < 0) continue;
        const slack = q < 2 ? axial : diagonal;
        const rr = jj + kk * ny;
        let b = rowStart[rr]!;
        const b1 = rowStart[rr + 1]!;
        if (b === b1) continue;
        let a = a0;
        // Two-pointer sweep over both sorted run lists.
        while (a < a1 && b < b1) {
          if (start[a]! < end[b]! + slack && start[b]! < end[a]! + slack) unionSets(parent, a, b);
          if (end[a]! < end[b]!) a++;
          else b++;
        }
      }
    }
  }
  for (let t = 0; t < count; t++) parent[t] = findRoot(parent, t);
  return parent;
}

/** Connected components as runs: comp[run] is the component id (1…count, by first voxel in memory). */
export interface RunComponents {
  runs: Runs;
  comp: Int32Array;
  count: number;
  /** Voxel count per component id (index 0 unused). */
  sizes: Float64Array;
}

/** Components of a set of runs (no per-voxel label volume). */
export function labelRuns(runs: Runs, dims: Vec3, connectivity: 6 | 18 | 26): RunComponents {
  const root = runRoots(runs, dims, connectivity);
  // Final ids in order of root run = order of first voxel in memory.
  const comp = new Int32Array(runs.count);
  let count = 0;
  for (let t = 0; t < runs.count; t++) comp[t] = root[t] === t ? ++count : comp[root[t]!]!;
  const sizes = new Float64Array(count + 1);
  for (let t = 0; t < runs.count; t++) sizes[comp[t]!]! += runs.end[t]! - runs.start[t]!;
  return { runs, comp, count, sizes };
}
