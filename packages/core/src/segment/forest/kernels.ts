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
/**
 * The shared Gaussian pass (segment/filters/gaussian.ts) under a name of this module: a
 * worker then loads the forest's tasks for it (parallel/task-modules.ts), not
 * segment/tasks.ts, which pulls in zod.
 */
export const FOREST_GAUSS_TASK = 'segment.forest.gauss';

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

/**
 * One 1-D running min or max over ±radius voxels along `axis` (a box filter is separable).
 * Along y and z a whole output row is folded from contiguous source rows.
 */
export function minMaxPass(p: MinMaxPayload): void {
  const { src, dst, dims, axis, radius, max, kStart, kEnd } = p;
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  if (axis === 0) {
    for (let k = kStart; k < kEnd; k++) {
      for (let j = 0; j < ny; j++) {
        const row = k * plane + j * nx;
        for (let i = 0; i < nx; i++) {
          const a = row + Math.max(0, i - radius);
          const b = row + Math.min(nx - 1, i + radius);
          let m = src[a]!;
          if (max) for (let q = a + 1; q <= b; q++) { const x = src[q]!; if (x > m) m = x; }
          else for (let q = a + 1; q <= b; q++) { const x = src[q]!; if (x < m) m = x; }
          dst[row + i] = m;
        }
      }
    }
    return;
  }
  const n = axis === 1 ? ny : nz;
  const stride = axis === 1 ? nx : plane;
  for (let k = kStart; k < kEnd; k++) {
    for (let j = 0; j < ny; j++) {
      const row = k * plane + j * nx;
      const pos = axis === 1 ? j : k;
      const base = row - pos * stride;
      const b = Math.min(n - 1, pos + radius);
      const first = base + Math.max(0, pos - radius) * stride;
      for (let i = 0; i < nx; i++) dst[row + i] = src[first + i]!;
      for (let q = first + stride; q <= base + b * stride; q += stride) {
        if (max) for (let i = 0; i < nx; i++) { const x = src[q + i]!; if (x > dst[row + i]!) dst[row + i] = x; }
        else for (let i = 0; i < nx; i++) { const x = src[q + i]!; if (x < dst[row + i]!) dst[row + i] = x; }
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

/** Voxels whose features are gathered together (fits L1 with ~30 features). */
const EVAL_BLOCK = 128;
/** Voxels that descend a tree together while their feature ranges agree on every split. */
const EVAL_GROUP = 4;

/** A stage's nodes interleaved as (feature or −1 for a leaf, threshold bits, next): one cache line per visit. */
function interleave(stage: StageArrays): { nodes: Int32Array; thr: Float32Array; F: number } {
  const { feature, threshold, next } = stage;
  const nodes = new Int32Array(3 * feature.length);
  const thr = new Float32Array(nodes.buffer);
  let F = 0;
  for (let i = 0; i < feature.length; i++) {
    const f = feature[i]!;
    nodes[3 * i] = f === LEAF ? -1 : f;
    thr[3 * i + 1] = threshold[i]!;
    nodes[3 * i + 2] = next[i]!;
    if (f !== LEAF && f + 1 > F) F = f + 1;
  }
  return { nodes, thr, F };
}

/**
 * Mean of the trees' leaf distributions for voxels [start, end). Voxels go in blocks: the
 * features a stage reads are gathered voxel-major into a small buffer (the planes are
 * megabytes apart), and each tree runs over the whole block while it is hot in cache.
 * Within a block, groups of neighbouring voxels descend a tree together as long as the
 * group's feature range lies wholly on one side of each split (air and soft tissue often
 * reach a leaf that way), then voxel by voxel. The leaf values are integers summed
 * exactly, so the result is bit for bit that of evaluating voxel by voxel in tree order.
 */
export function evalSlab(p: EvalPayload): void {
  const { stage, x, n, out, start, end } = p;
  const { classes: K, roots, leafP } = stage;
  const T = roots.length;
  const scale = 1 / (T * 65535);
  const { nodes, thr, F } = interleave(stage);
  const G = EVAL_BLOCK / EVAL_GROUP;
  const xb = new Float32Array(EVAL_BLOCK * F);
  // Leaf values are integers (× 65535): while T · 65535 < 2^31 an Int32 sum is exact, so the
  // same in any order (and double, beyond that, is exact up to 2^53).
  const acc = T * 65535 < 2 ** 31 ? new Int32Array(EVAL_BLOCK * K) : new Float64Array(EVAL_BLOCK * K);
  // A group's leaves where it reached one leaf together, added to its voxels at the end.
  const gacc = T * 65535 < 2 ** 31 ? new Int32Array(G * K) : new Float64Array(G * K);
  // Feature range of group g: lo[g·F + f] .. hi[g·F + f].
  const lo = new Float32Array(G * F);
  const hi = new Float32Array(G * F);
  for (let b0 = start; b0 < end; b0 += EVAL_BLOCK) {
    const m = Math.min(EVAL_BLOCK, end - b0);
    const groups = Math.ceil(m / EVAL_GROUP);
    for (let f = 0; f < F; f++) {
      const src = f * n + b0;
      for (let g = 0; g < groups; g++) {
        const i0 = g * EVAL_GROUP;
        const i1 = Math.min(m, i0 + EVAL_GROUP);
        let a = x[src + i0]!;
        let b = a;
        for (let i = i0; i < i1; i++) {
          const v = x[src + i]!;
          xb[i * F + f] = v;
          if (v < a) a = v;
          if (v > b) b = v;
        }
        lo[g * F + f] = a;
        hi[g * F + f] = b;
      }
    }
    acc.fill(0, 0, m * K);
    gacc.fill(0);
    for (let t = 0; t < T; t++) {
      const root = 3 * roots[t]!;
      for (let g = 0; g < groups; g++) {
        const gf = g * F;
        let node = root;
        let f = nodes[node]!;
        while (f >= 0) {
          const th = thr[node + 1]!;
          if (hi[gf + f]! < th) node = 3 * nodes[node + 2]!;
          else if (lo[gf + f]! >= th) node = 3 * (nodes[node + 2]! + 1);
          else break;
          f = nodes[node]!;
        }
        const i0 = g * EVAL_GROUP;
        const i1 = Math.min(m, i0 + EVAL_GROUP);
        if (f < 0) {
          const row = nodes[node + 2]! * K;
          for (let c = 0; c < K; c++) gacc[g * K + c]! += leafP[row + c]!;
          continue;
        }
        const shared = node;
        for (let i = i0; i < i1; i++) {
          const xo = i * F;
          node = shared;
          f = nodes[node]!;
          while (f >= 0) {
            node = 3 * (nodes[node + 2]! + (xb[xo + f]! < thr[node + 1]! ? 0 : 1));
            f = nodes[node]!;
          }
          const row = nodes[node + 2]! * K;
          const ao = i * K;
          for (let c = 0; c < K; c++) acc[ao + c]! += leafP[row + c]!;
        }
      }
    }
    for (let c = 0; c < K; c++) {
      const o = c * n + b0;
      for (let i = 0; i < m; i++) out[o + i] = (acc[i * K + c]! + gacc[Math.floor(i / EVAL_GROUP) * K + c]!) * scale;
    }
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
