/**
 * Slab kernels of the forest: block-mean downsampling to the working grid, separable
 * min/max filters, gradient magnitude, tree evaluation and the trilinear upsampling of
 * the probabilities back to the scan's grid. Each is a plain function of a payload, run
 * inline or on a worker by task name (forest/tasks.ts); outputs are written in place, so
 * results do not depend on the slab split.
 */
import type { Vec3 } from '../../geometry/grid.js';

export const FOREST_DOWNSAMPLE_TASK = 'segment.forest.downsample';
export const FOREST_MINMAX_TASK = 'segment.forest.minmax';
export const FOREST_GRADIENT_TASK = 'segment.forest.gradient';
export const FOREST_EVAL_TASK = 'segment.forest.eval';
export const FOREST_UPSAMPLE_TASK = 'segment.forest.upsample';

export interface DownsamplePayload {
  src: Float32Array | Int16Array;
  srcDims: Vec3;
  dst: Float32Array;
  dims: Vec3;
  factor: Vec3;
  kStart: number;
  kEnd: number;
}

/** Mean of each factor[0]×factor[1]×factor[2] block (partial blocks at the far edges). */
export function downsampleSlab(p: DownsamplePayload): void {
  const { src, srcDims, dst, dims, factor, kStart, kEnd } = p;
  const [sx, sy, sz] = srcDims;
  const [nx, ny] = dims;
  const [fx, fy, fz] = factor;
  const splane = sx * sy;
  for (let k = kStart; k < kEnd; k++) {
    const z0 = k * fz;
    const z1 = Math.min(sz, z0 + fz);
    for (let j = 0; j < ny; j++) {
      const y0 = j * fy;
      const y1 = Math.min(sy, y0 + fy);
      for (let i = 0; i < nx; i++) {
        const x0 = i * fx;
        const x1 = Math.min(sx, x0 + fx);
        let acc = 0;
        for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) {
          const row = z * splane + y * sx;
          for (let x = x0; x < x1; x++) acc += src[row + x]!;
        }
        dst[(k * ny + j) * nx + i] = acc / ((x1 - x0) * (y1 - y0) * (z1 - z0));
      }
    }
  }
}

export interface MinMaxPayload {
  src: Float32Array;
  dst: Float32Array;
  dims: Vec3;
  axis: 0 | 1 | 2;
  radius: number;
  max: boolean;
  kStart: number;
  kEnd: number;
}

/** One 1-D running min or max over ±radius voxels along `axis` (a box filter is separable). */
export function minMaxPass(p: MinMaxPayload): void {
  const { src, dst, dims, axis, radius, max, kStart, kEnd } = p;
  const [nx, ny, nz] = dims;
  const n = axis === 0 ? nx : axis === 1 ? ny : nz;
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const plane = nx * ny;
  for (let k = kStart; k < kEnd; k++) {
    for (let j = 0; j < ny; j++) {
      const row = k * plane + j * nx;
      for (let i = 0; i < nx; i++) {
        const pos = axis === 0 ? i : axis === 1 ? j : k;
        const base = row + i - pos * stride;
        const a = Math.max(0, pos - radius);
        const b = Math.min(n - 1, pos + radius);
        let m = src[base + a * stride]!;
        if (max) for (let q = a + 1; q <= b; q++) { const x = src[base + q * stride]!; if (x > m) m = x; }
        else for (let q = a + 1; q <= b; q++) { const x = src[base + q * stride]!; if (x < m) m = x; }
        dst[row + i] = m;
      }
    }
  }
}

export interface GradientPayload {
  src: Float32Array;
  dst: Float32Array;
  dims: Vec3;
  spacing: Vec3;
  kStart: number;
  kEnd: number;
}

/** |∇src| by central differences (one-sided at the edges), in units per mm. */
export function gradientSlab(p: GradientPayload): void {
  const { src, dst, dims, spacing, kStart, kEnd } = p;
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  for (let k = kStart; k < kEnd; k++) {
    const k0 = k > 0 ? k - 1 : k;
    const k1 = k < nz - 1 ? k + 1 : k;
    const dz = (k1 - k0) * spacing[2] || 1;
    for (let j = 0; j < ny; j++) {
      const j0 = j > 0 ? j - 1 : j;
      const j1 = j < ny - 1 ? j + 1 : j;
      const dy = (j1 - j0) * spacing[1] || 1;
      for (let i = 0; i < nx; i++) {
        const i0 = i > 0 ? i - 1 : i;
        const i1 = i < nx - 1 ? i + 1 : i;
        const dx = (i1 - i0) * spacing[0] || 1;
        const row = k * plane + j * nx;
        const gx = (src[row + i1]! - src[row + i0]!) / dx;
        const gy = (src[k * plane + j1 * nx + i]! - src[k * plane + j0 * nx + i]!) / dy;
        const gz = (src[k1 * plane + j * nx + i]! - src[k0 * plane + j * nx + i]!) / dz;
        dst[row + i] = Math.sqrt(gx * gx + gy * gy + gz * gz);
      }
    }
  }
}

/** One stage of a forest as flat arrays (see model.ts for the layout). */
export interface StageArrays {
  classes: number;
  roots: Uint32Array;
  feature: Uint16Array;
  threshold: Float32Array;
  next: Uint32Array;
  leafP: Uint16Array;
}

export const LEAF = 0xffff;

export interface EvalPayload {
  stage: StageArrays;
  /** Features, plane by plane: feature f of voxel v at x[f·n + v]. */
  x: Float32Array;
  n: number;
  /** Class probabilities, plane by plane: P(class c) of voxel v at out[c·n + v]. */
  out: Float32Array;
  start: number;
  end: number;
}

/** Mean of the trees' leaf distributions for voxels [start, end). */
export function evalSlab(p: EvalPayload): void {
  const { stage, x, n, out, start, end } = p;
  const { classes: K, roots, feature, threshold, next, leafP } = stage;
  const T = roots.length;
  const scale = 1 / (T * 65535);
  const acc = new Float64Array(K);
  for (let v = start; v < end; v++) {
    acc.fill(0);
    for (let t = 0; t < T; t++) {
      let node = roots[t]!;
      let f = feature[node]!;
      while (f !== LEAF) {
        node = next[node]! + (x[f * n + v]! < threshold[node]! ? 0 : 1);
        f = feature[node]!;
      }
      const row = next[node]! * K;
      for (let c = 0; c < K; c++) acc[c]! += leafP[row + c]!;
    }
    for (let c = 0; c < K; c++) out[c * n + v] = acc[c]! * scale;
  }
}

export interface UpsamplePayload {
  /** P(bone) on the working grid. */
  pw: Float32Array;
  /** Group label (1..G, best bone class) and confidence (0..255) on the working grid. */
  groupW: Uint8Array;
  confW: Uint8Array;
  wDims: Vec3;
  factor: Vec3;
  dims: Vec3;
  prob: Float32Array;
  labels: Uint8Array;
  confidence: Uint8Array;
  /** Best bone group of every voxel, labelled or not (what a reducer names other methods' bone by). */
  group: Uint8Array;
  kStart: number;
  kEnd: number;
}

/**
 * Working grid → scan grid: P(bone) trilinear between block centres (so the 0.5
 * isosurface stays smooth), group and confidence from the nearest block; a voxel is
 * labelled where P ≥ 0.5.
 */
export function upsampleSlab(p: UpsamplePayload): void {
  const { pw, groupW, confW, wDims, factor, dims, prob, labels, confidence, group, kStart, kEnd } = p;
  const [wx, wy, wz] = wDims;
  const [nx, ny] = dims;
  const wplane = wx * wy;
  // Continuous working index of scan voxel i along an axis: block b covers [b·f, b·f + f),
  // centre b·f + (f − 1)/2. Per axis: lower/upper neighbour, weight, nearest block.
  const axis = (count: number, f: number, nw: number) => {
    const lo = new Int32Array(count);
    const hi = new Int32Array(count);
    const t = new Float64Array(count);
    const near = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      let u = (i - (f - 1) / 2) / f;
      if (u < 0) u = 0;
      if (u > nw - 1) u = nw - 1;
      lo[i] = Math.floor(u);
      hi[i] = Math.min(nw - 1, lo[i]! + 1);
      t[i] = u - lo[i]!;
      near[i] = Math.min(nw - 1, Math.floor(i / f));
    }
    return { lo, hi, t, near };
  };
  const X = axis(nx, factor[0], wx);
  const Y = axis(ny, factor[1], wy);
  const Z = axis(kEnd, factor[2], wz);
  const { lo: x0s, hi: x1s, t: txs, near: xns } = X;
  for (let k = kStart; k < kEnd; k++) {
    const z0 = Z.lo[k]!;
    const z1 = Z.hi[k]!;
    const tz = Z.t[k]!;
    const zn = Z.near[k]!;
    for (let j = 0; j < ny; j++) {
      const y0 = Y.lo[j]!;
      const y1 = Y.hi[j]!;
      const ty = Y.t[j]!;
      const r00 = z0 * wplane + y0 * wx;
      const r01 = z0 * wplane + y1 * wx;
      const r10 = z1 * wplane + y0 * wx;
      const r11 = z1 * wplane + y1 * wx;
      const rn = zn * wplane + Y.near[j]! * wx;
      let v = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++, v++) {
        const x0 = x0s[i]!;
        const x1 = x1s[i]!;
        const tx = txs[i]!;
        const a = pw[r00 + x0]! + (pw[r00 + x1]! - pw[r00 + x0]!) * tx;
        const b = pw[r01 + x0]! + (pw[r01 + x1]! - pw[r01 + x0]!) * tx;
        const c = pw[r10 + x0]! + (pw[r10 + x1]! - pw[r10 + x0]!) * tx;
        const d = pw[r11 + x0]! + (pw[r11 + x1]! - pw[r11 + x0]!) * tx;
        const e = a + (b - a) * ty;
        const f = c + (d - c) * ty;
        const pv = e + (f - e) * tz;
        const nb = rn + xns[i]!;
        const g = groupW[nb]!;
        prob[v] = pv;
        labels[v] = pv >= 0.5 ? g : 0;
        group[v] = g;
        confidence[v] = confW[nb]!;
      }
    }
  }
}
