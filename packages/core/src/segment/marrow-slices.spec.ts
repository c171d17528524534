import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../geometry/grid.js';
import { classifySliceHoles, LARGE, SMALL } from './marrow-slices.js';

/** Plain reference: per slice, a breadth-first flood of each 4-connected background component. */
function reference(mask: Uint8Array, dims: Vec3, axis: 0 | 1 | 2, maxArea: number, cls: Uint8Array): void {
  const strides = [1, dims[0], dims[0] * dims[1]];
  const ua = axis === 0 ? 1 : 0;
  const va = axis === 2 ? 1 : 2;
  const [nu, nv, nw] = [dims[ua]!, dims[va]!, dims[axis]!];
  const at = (u: number, v: number, w: number) => u * strides[ua]! + v * strides[va]! + w * strides[axis]!;
  for (let w = 0; w < nw; w++) {
    const seen = new Uint8Array(nu * nv);
    for (let v0 = 0; v0 < nv; v0++) {
      for (let u0 = 0; u0 < nu; u0++) {
        if (seen[u0 + v0 * nu] || mask[at(u0, v0, w)] !== 0) continue;
        const comp: number[] = [];
        let edge = false;
        const stack = [u0 + v0 * nu];
        seen[u0 + v0 * nu] = 1;
        while (stack.length) {
          const q = stack.pop()!;
          const u = q % nu;
          const v = (q - u) / nu;
          comp.push(at(u, v, w));
          if (u === 0 || v === 0 || u === nu - 1 || v === nv - 1) edge = true;
          for (const [du, dv] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
            const a = u + du;
            const b = v + dv;
            if (a < 0 || b < 0 || a >= nu || b >= nv || seen[a + b * nu] || mask[at(a, b, w)] !== 0) continue;
            seen[a + b * nu] = 1;
            stack.push(a + b * nu);
          }
        }
        if (edge) continue;
        for (const p of comp) {
          if (comp.length > maxArea) cls[p]! |= LARGE;
          else cls[p]! += SMALL;
        }
      }
    }
  }
}

/** Random boxes and shells (holes of many sizes), from a fixed seed. */
function randomMask(dims: Vec3, seed: number): Uint8Array {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const [nx, ny, nz] = dims;
  const m = new Uint8Array(nx * ny * nz);
  for (let b = 0; b < 40; b++) {
    const c = [rnd() * nx, rnd() * ny, rnd() * nz];
    const r = 2 + rnd() * 8;
    const shell = rnd() < 0.6;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const d = Math.hypot(i - c[0]!, j - c[1]!, k - c[2]!);
          if (shell ? Math.abs(d - r) < 1 : d < r * 0.4) m[i + j * nx + k * nx * ny] = (b % 3) + 1;
        }
      }
    }
  }
  for (let p = 0; p < m.length; p++) if (rnd() < 0.03) m[p] = 1;
  return m;
}

describe('classifySliceHoles', () => {
  // 72 = 2 × 32 + 8 slices across i (word-read blocks and a short one); 70 is not a multiple of 4.
  for (const dims of [[72, 41, 23], [70, 37, 19], [33, 12, 9]] as Vec3[]) {
    it(`equals a plain flood of each slice's background on every axis, ${dims.join('×')}`, () => {
      const mask = randomMask(dims, dims[0] * 7 + dims[1]);
      for (const axis of [0, 1, 2] as const) {
        for (const maxArea of [0, 12, 1e9]) {
          const got = new Uint8Array(mask.length);
          const want = new Uint8Array(mask.length);
          classifySliceHoles(mask, dims, axis, maxArea, got);
          reference(mask, dims, axis, maxArea, want);
          expect(want.some((x) => x !== 0)).toBe(true);
          expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
        }
      }
    });
  }
  it('reads a mask that does not start on a word boundary', () => {
    const dims: Vec3 = [64, 20, 10];
    const mask = randomMask(dims, 5);
    const shifted = new Uint8Array(mask.length + 1).subarray(1);
    shifted.set(mask);
    const got = new Uint8Array(mask.length);
    const want = new Uint8Array(mask.length);
    classifySliceHoles(shifted, dims, 0, 20, got);
    reference(mask, dims, 0, 20, want);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
  });
  it('reads a box of a larger grid in place (a view) as it reads a copy of the box', () => {
    const dims: Vec3 = [72, 41, 23];
    const box = randomMask(dims, 11);
    // the box at (8, 3, 2) of a 100 × 50 × 30 grid of labels (any non-zero is mask)
    const [NX, NY] = [100, 50];
    const grid = new Uint8Array(NX * NY * 30);
    const off = 8 + 3 * NX + 2 * NX * NY;
    for (let k = 0, q = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, q++) grid[off + i + j * NX + k * NX * NY] = box[q]! * 7;
    for (const axis of [0, 1, 2] as const) {
      const got = new Uint8Array(box.length);
      const want = new Uint8Array(box.length);
      classifySliceHoles(grid, dims, axis, 12, got, { buf: grid, off, sj: NX, sk: NX * NY });
      reference(box, dims, axis, 12, want);
      expect(want.some((x) => x !== 0)).toBe(true);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    }
  });
});
