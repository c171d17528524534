/**
 * The forest's fast kernels against the plain forms they replace: the box min/max and the
 * blocked tree evaluation must equal the voxel-by-voxel definitions exactly, and the coarse
 * blur must stay close to the full-resolution one (its Gaussian pass is the shared one,
 * checked in segment/filters/gaussian-pass.spec.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Grid, Vec3 } from '../../geometry/grid.js';
import { blurCoarse, coarseBlurFor, coarseFactor } from './coarse.js';
import { blurMm } from './features.js';
import { evalSlab, LEAF, minMaxPass, type StageArrays } from './kernels.js';
import { mulberry32 } from '../../synthetic/random.js';

const dims: Vec3 = [23, 17, 11];
const n = dims[0] * dims[1] * dims[2];
const grid: Grid = { dims, spacing_mm: [1.35, 1.35, 2], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };

/** Random values with whole zero rows and scattered zeros (what the zero-row shortcut meets). */
function field(seed: number): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let v = 0; v < n; v++) a[v] = r() < 0.3 ? 0 : r() * 2000 - 1000;
  for (let row = 0; row < n / dims[0]; row += 3) a.fill(0, row * dims[0], (row + 1) * dims[0]);
  return a;
}

describe('forest kernels', () => {
  it('box min/max equals the definition', () => {
    const src = field(2);
    for (const axis of [0, 1, 2] as const) {
      for (const max of [true, false]) {
        const radius = 3;
        const got = new Float32Array(n);
        minMaxPass({ src, dst: got, dims, axis, radius, max, kStart: 0, kEnd: dims[2] });
        const stride = axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1];
        let bad = 0;
        for (let v = 0; v < n; v++) {
          const i = v % dims[0];
          const j = Math.floor(v / dims[0]) % dims[1];
          const k = Math.floor(v / (dims[0] * dims[1]));
          const pos = [i, j, k][axis]!;
          let m = max ? -Infinity : Infinity;
          for (let q = Math.max(0, pos - radius); q <= Math.min(dims[axis] - 1, pos + radius); q++) {
            const x = src[v + (q - pos) * stride]!;
            m = max ? Math.max(m, x) : Math.min(m, x);
          }
          if (got[v] !== m) bad++;
        }
        expect(bad, `axis ${axis} max ${max}`).toBe(0);
      }
    }
  });

  it('blocked tree evaluation equals voxel-by-voxel evaluation', () => {
    // Random trees over 3 features and 3 classes; thresholds drawn from the data so splits bite.
    const r = mulberry32(3);
    const F = 3;
    const K = 3;
    const m = 1000;
    const x = new Float32Array(F * m);
    for (let v = 0; v < x.length; v++) x[v] = r() < 0.5 ? Math.floor(r() * 4) : r();
    const feature: number[] = [];
    const threshold: number[] = [];
    const next: number[] = [];
    const leafP: number[] = [];
    const roots: number[] = [];
    const node = (): number => {
      feature.push(LEAF);
      threshold.push(0);
      next.push(0);
      return feature.length - 1;
    };
    // The layout of model.ts: a split's children are adjacent (left = next, right = next + 1).
    const grow = (id: number, depth: number): void => {
      if (depth === 0 || r() < 0.15) {
        next[id] = leafP.length / K;
        for (let c = 0; c < K; c++) leafP.push(Math.floor(r() * 65536));
        return;
      }
      const l = node();
      node();
      feature[id] = Math.floor(r() * F);
      threshold[id] = x[feature[id]! * m + Math.floor(r() * m)]!;
      next[id] = l;
      grow(l, depth - 1);
      grow(l + 1, depth - 1);
    };
    for (let t = 0; t < 5; t++) {
      const root = node();
      roots.push(root);
      grow(root, 6);
    }
    const stage: StageArrays = {
      classes: K,
      roots: Uint32Array.from(roots),
      feature: Uint16Array.from(feature),
      threshold: Float32Array.from(threshold),
      next: Uint32Array.from(next),
      leafP: Uint16Array.from(leafP),
    };
    const got = new Float32Array(K * m);
    evalSlab({ stage, x, n: m, out: got, start: 0, end: 300 });
    evalSlab({ stage, x, n: m, out: got, start: 300, end: m });
    let bad = 0;
    for (let v = 0; v < m; v++) {
      const acc = new Float64Array(K);
      for (const root of stage.roots) {
        let node = root;
        while (stage.feature[node] !== LEAF) node = stage.next[node]! + (x[stage.feature[node]! * m + v]! < stage.threshold[node]! ? 0 : 1);
        for (let c = 0; c < K; c++) acc[c]! += stage.leafP[stage.next[node]! * K + c]!;
      }
      for (let c = 0; c < K; c++) if (got[c * m + v] !== Math.fround(acc[c]! * (1 / (stage.roots.length * 65535)))) bad++;
    }
    expect(bad).toBe(0);
  });

  it('a σ 5 mm blur on the coarse grid stays within 2 % of the full one inside, 7 % on the border planes', async () => {
    expect(coarseFactor(grid, 5)).toEqual([2, 2, 2]);
    expect(coarseFactor({ ...grid, spacing_mm: [3, 3, 3] }, 5)).toEqual([1, 1, 1]);
    // A sharp-edged ball of probability 1 in a field of 0.
    const at = (v: number): Vec3 => [v % dims[0], Math.floor(v / dims[0]) % dims[1], Math.floor(v / (dims[0] * dims[1]))];
    const src = new Float32Array(n);
    for (let v = 0; v < n; v++) {
      const [i, j, k] = at(v);
      src[v] = (i - 11) ** 2 + (j - 8) ** 2 + ((k - 5) * 1.5) ** 2 < 25 ? 1 : 0;
    }
    const full = new Float32Array(n);
    await blurMm(src, full, grid, 5, undefined);
    const coarse = new Float32Array(n);
    await blurCoarse(src, coarse, grid, 5, coarseBlurFor(grid, 5, undefined), undefined);
    let inside = 0;
    let border = 0;
    for (let v = 0; v < n; v++) {
      const e = Math.abs(coarse[v]! - full[v]!);
      // Edges are replicated at full resolution but clamped to the first block's centre on the coarse grid.
      if (at(v).some((c, a) => c === 0 || c === dims[a]! - 1)) border = Math.max(border, e);
      else inside = Math.max(inside, e);
    }
    const peak = full.reduce((a, b) => Math.max(a, b), 0);
    expect(peak).toBeGreaterThan(0.3);
    expect(inside / peak).toBeLessThan(0.02);
    expect(border / peak).toBeLessThan(0.07);
  });
});
