/**
 * Dilation and erosion by a ball on bit-packed rows, for elements of moderate size.
 *
 * The ball {(a, b, c) : (a·s_i)² + (b·s_j)² + (c·s_k)² ≤ r²} is a set of rows along i:
 * for each (b, c) the offsets |a| ≤ w(b, c). So the dilation of row (j, k) is the OR,
 * over the element rows (b, c), of source row (j + b, k + c) dilated along i by w(b, c).
 * With rows packed 32 voxels to a word, that is a few shifts and ORs per word: for the
 * 1 mm ball on 0.45 × 0.45 × 1 mm voxels (7 rows) it is several times cheaper than a
 * distance transform, and it stays cheaper up to a few hundred rows.
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
  // (rows with w > 31 voxels are not used: callers switch to the distance transform)
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

/**
 * In-place dilation of a 0/1 mask by the element rows (outside the box: background),
 * bit-packed: each row along i becomes ⌈nx/32⌉ words, the row dilation by w is an OR
 * of shifted words (built incrementally for each half-width used), and each output row
 * is the OR of its element rows' dilated source rows — 32 voxels per operation.
 * Half-widths above 31 are not supported here (callers use the distance transform).
 */
export function dilateByRows(m: Uint8Array, dims: Vec3, rows: ElementRow[]): void {
  const packed = packRows(m, dims);
  const out = dilatePacked(packed, dims, rows);
  unpackRows(out, m, dims);
}

/** Erosion by the same element (the dual: complement, dilate, complement), in place. */
export function erodeByRows(m: Uint8Array, dims: Vec3, rows: ElementRow[]): void {
  const packed = packRows(m, dims);
  complementPacked(packed, dims);
  const out = dilatePacked(packed, dims, rows);
  complementPacked(out, dims);
  unpackRows(out, m, dims);
}

function wordsPerRow(nx: number): number {
  return (nx + 31) >>> 5;
}

function packRows(m: Uint8Array, dims: Vec3): Uint32Array {
  const [nx, ny, nz] = dims;
  const W = wordsPerRow(nx);
  const out = new Uint32Array(ny * nz * W);
  for (let r = 0, base = 0, o = 0; r < ny * nz; r++, base += nx, o += W) {
    for (let i = 0; i < nx; i++) if (m[base + i] !== 0) out[o + (i >>> 5)]! |= 1 << (i & 31);
  }
  return out;
}

function unpackRows(p: Uint32Array, m: Uint8Array, dims: Vec3): void {
  const [nx, ny, nz] = dims;
  const W = wordsPerRow(nx);
  for (let r = 0, base = 0, o = 0; r < ny * nz; r++, base += nx, o += W) {
    for (let i = 0; i < nx; i++) m[base + i] = (p[o + (i >>> 5)]! >>> (i & 31)) & 1;
  }
}

/** NOT of every row, keeping the bits past nx at 0 (they lie outside the box). */
function complementPacked(p: Uint32Array, dims: Vec3): void {
  const [nx, ny, nz] = dims;
  const W = wordsPerRow(nx);
  const tailBits = nx & 31;
  const tailMask = tailBits === 0 ? 0xffffffff : (1 << tailBits) - 1;
  for (let r = 0, o = 0; r < ny * nz; r++, o += W) {
    for (let t = 0; t < W; t++) p[o + t] = ~p[o + t]!;
    p[o + W - 1] = p[o + W - 1]! & tailMask;
  }
}

function dilatePacked(p: Uint32Array, dims: Vec3, rows: ElementRow[]): Uint32Array {
  const [nx, ny, nz] = dims;
  const W = wordsPerRow(nx);
  const nRows = ny * nz;
  const tailBits = nx & 31;
  const tailMask = tailBits === 0 ? 0xffffffff : (1 << tailBits) - 1;
  const widths = [...new Set(rows.map((r) => r.w))].sort((a, b) => a - b);
  if (widths[widths.length - 1]! > 31) throw new Error('dilateByRows: half-width above 31 voxels');
  // dilated[w] = each row OR-ed with its shifts by 1..w (incrementally over sorted widths).
  const dilated = new Map<number, Uint32Array>();
  let cur = p;
  let done = 0;
  for (const w of widths) {
    const next = cur.slice();
    for (let a = done + 1; a <= w; a++) {
      for (let r = 0, o = 0; r < nRows; r++, o += W) {
        for (let t = 0; t < W; t++) {
          const x = p[o + t]!;
          const lo = t > 0 ? p[o + t - 1]! : 0;
          const hi = t + 1 < W ? p[o + t + 1]! : 0;
          // Shift toward higher i (a voxel at i marks i + a) and toward lower i.
          const up = (x << a) | (lo >>> (32 - a));
          const down = (x >>> a) | (hi << (32 - a));
          next[o + t] = next[o + t]! | up | down;
        }
        next[o + W - 1] = next[o + W - 1]! & tailMask;
      }
    }
    dilated.set(w, next);
    cur = next;
    done = w;
  }
  const out = new Uint32Array(nRows * W);
  for (const { b, c, w } of rows) {
    const src = dilated.get(w)!;
    for (let k = 0; k < nz; k++) {
      const kk = k + c;
      if (kk < 0 || kk >= nz) continue;
      for (let j = 0; j < ny; j++) {
        const jj = j + b;
        if (jj < 0 || jj >= ny) continue;
        const o = (j + k * ny) * W;
        const s = (jj + kk * ny) * W;
        for (let t = 0; t < W; t++) out[o + t] = out[o + t]! | src[s + t]!;
      }
    }
  }
  return out;
}
