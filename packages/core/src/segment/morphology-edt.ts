/**
 * Exact squared Euclidean distance transform on an anisotropic grid, used by the
 * morphology stage (dilate = distance to the object ≤ r, erode = distance to the
 * background > r). Separable: a two-sweep 1D pass along i, then the lower envelope
 * of parabolas (Felzenszwalb & Huttenlocher, "Distance transforms of sampled
 * functions", Theory of Computing 8, 2012) along j and k. Distances are between
 * voxel centres, in mm², so an anisotropic voxel gives an ellipsoidal (in voxels)
 * structuring element with the right radius in millimetres.
 *
 * Written here because segmentation clean-up needs it before the evaluation module's
 * EDT existed; both are exact, so they agree.
 */
import type { Vec3 } from '../geometry/grid.js';

/** Value used for "no feature on this line / in this volume" (finite so no Inf−Inf NaN). */
export const EDT_NONE = 1e20;

/**
 * out[p] = min over voxels q with feature[q] ≠ 0 of |p − q|² in mm², or EDT_NONE when
 * there is no feature voxel at all. Deterministic, O(n).
 *
 * `cap2_mm2` (optional): distances above it are not needed (morphology only asks
 * "≤ r²?"), so they are reported as EDT_NONE. Every value ≤ cap2 stays exact — a
 * partial sum of squares already above the cap can only grow. With a cap, the j and k
 * passes only need offsets |b|·s_j ≤ √cap, so when that window is small they run as
 * a brute-force min-plus over whole rows (contiguous memory, several times faster than
 * the envelope's strided lines); otherwise lines without any finite value, or holding
 * only zeros, are skipped by the envelope.
 */
export function squaredDistanceToFeatures(feature: Uint8Array, dims: Vec3, spacing_mm: Vec3, out?: Float32Array, cap2_mm2 = Infinity): Float32Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const d = out ?? new Float32Array(n);
  const sx2 = spacing_mm[0] * spacing_mm[0];

  // Pass 1, along i: distance in voxels to the nearest feature on the row, by two sweeps.
  for (let row = 0, base = 0; row < ny * nz; row++, base += nx) {
    let last = -1;
    for (let i = 0; i < nx; i++) {
      if (feature[base + i] !== 0) last = i;
      d[base + i] = last < 0 ? EDT_NONE : (i - last) * (i - last) * sx2;
    }
    last = -1;
    for (let i = nx - 1; i >= 0; i--) {
      if (feature[base + i] !== 0) last = i;
      if (last >= 0) {
        const v = (last - i) * (last - i) * sx2;
        if (v < d[base + i]!) d[base + i] = v;
      }
      if (d[base + i]! > cap2_mm2) d[base + i] = EDT_NONE;
    }
  }

  const Pj = Math.floor(Math.sqrt(cap2_mm2) / spacing_mm[1] + 1e-9);
  const Pk = Math.floor(Math.sqrt(cap2_mm2) / spacing_mm[2] + 1e-9);
  if (Number.isFinite(cap2_mm2) && 2 * Pj + 1 + 2 * Pk + 1 <= WINDOW_MAX) {
    windowPassJ(d, dims, spacing_mm[1], Pj);
    windowPassK(d, dims, spacing_mm[2], Pk);
    for (let p = 0; p < n; p++) if (d[p]! > cap2_mm2) d[p] = EDT_NONE;
    return d;
  }

  const m = Math.max(ny, nz);
  const f = new Float64Array(m);
  const v = new Int32Array(m);
  const z = new Float64Array(m + 1);
  const res = new Float64Array(m);
  // Pass 2, along j (stride nx), then pass 3 along k (stride nx·ny).
  if (ny > 1) {
    const w = spacing_mm[1] * spacing_mm[1];
    for (let k = 0; k < nz; k++) {
      for (let i = 0; i < nx; i++) {
        const start = i + k * nx * ny;
        envelopeLine(d, start, nx, ny, w, f, v, z, res, cap2_mm2);
      }
    }
  }
  if (nz > 1) {
    const w = spacing_mm[2] * spacing_mm[2];
    const plane = nx * ny;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        envelopeLine(d, i + j * nx, plane, nz, w, f, v, z, res, cap2_mm2);
      }
    }
  }
  return d;
}

/** Up to this many rows per voxel (j window + k window) the brute-force passes are used. */
const WINDOW_MAX = 40;

/** d(i, j, k) ← min over |b| ≤ P of d(i, j + b, k) + (b·s)², row by row, plane by plane. */
function windowPassJ(d: Float32Array, dims: Vec3, s: number, P: number): void {
  const [nx, ny, nz] = dims;
  if (P === 0 || ny === 1) return;
  const plane = nx * ny;
  const tmp = new Float32Array(plane);
  for (let k = 0; k < nz; k++) {
    const off = k * plane;
    tmp.set(d.subarray(off, off + plane));
    for (let b = 1; b <= P; b++) {
      const w = b * b * s * s;
      for (let j = 0; j < ny; j++) {
        const o = off + j * nx;
        if (j - b >= 0) {
          const src = (j - b) * nx;
          for (let i = 0; i < nx; i++) {
            const x = tmp[src + i]! + w;
            if (x < d[o + i]!) d[o + i] = x;
          }
        }
        if (j + b < ny) {
          const src = (j + b) * nx;
          for (let i = 0; i < nx; i++) {
            const x = tmp[src + i]! + w;
            if (x < d[o + i]!) d[o + i] = x;
          }
        }
      }
    }
  }
}

/** d(i, j, k) ← min over |c| ≤ P of d(i, j, k + c) + (c·s)²; a ring of P + 1 original planes. */
function windowPassK(d: Float32Array, dims: Vec3, s: number, P: number): void {
  const [nx, ny, nz] = dims;
  if (P === 0 || nz === 1) return;
  const plane = nx * ny;
  const ring = new Float32Array((P + 1) * plane);
  for (let k = 0; k < nz; k++) {
    const off = k * plane;
    // Keep plane k's original: planes k + 1 … k + P still need it.
    ring.set(d.subarray(off, off + plane), (k % (P + 1)) * plane);
    for (let c = 1; c <= P; c++) {
      const w = c * c * s * s;
      if (k - c >= 0) {
        const src = ((k - c) % (P + 1)) * plane;
        for (let q = 0; q < plane; q++) {
          const x = ring[src + q]! + w;
          if (x < d[off + q]!) d[off + q] = x;
        }
      }
      if (k + c < nz) {
        const src = (k + c) * plane; // not yet overwritten
        for (let q = 0; q < plane; q++) {
          const x = d[src + q]! + w;
          if (x < d[off + q]!) d[off + q] = x;
        }
      }
    }
  }
}

/** 1D squared distance of sampled function along one strided line, in place. */
function envelopeLine(
  d: Float32Array,
  start: number,
  stride: number,
  len: number,
  w: number,
  f: Float64Array,
  v: Int32Array,
  z: Float64Array,
  res: Float64Array,
  cap2: number,
): void {
  let any = false;
  let nonZero = false;
  for (let q = 0, p = start; q < len; q++, p += stride) {
    const x = d[p]!;
    f[q] = x;
    if (x < EDT_NONE) any = true;
    if (x !== 0) nonZero = true;
  }
  if (!any || !nonZero) return;
  // Lower envelope over the parabolas of finite samples only.
  let k = -1;
  for (let q = 0; q < len; q++) {
    const fq = f[q]!;
    if (fq >= EDT_NONE) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    const hq = fq + w * q * q;
    for (;;) {
      const r = v[k]!;
      const s = (hq - (f[r]! + w * r * r)) / (2 * w * (q - r));
      // z[0] is −∞, so k never drops below 0.
      if (s <= z[k]!) {
        k--;
        continue;
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
      break;
    }
  }
  k = 0;
  for (let q = 0; q < len; q++) {
    while (z[k + 1]! < q) k++;
    const r = v[k]!;
    const x = w * (q - r) * (q - r) + f[r]!;
    res[q] = x > cap2 ? EDT_NONE : x;
  }
  for (let q = 0, p = start; q < len; q++, p += stride) d[p] = res[q]!;
}
