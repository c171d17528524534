/**
 * Geometry of the assembled volume on synthetic stacks whose pixel values are a linear
 * function of the LPS position: linear interpolation reproduces a linear field exactly,
 * so every output voxel must hold f(its own physical position) — which checks origin,
 * axes, spacing, slice order, shear and uneven-step handling at once.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../geometry/grid.js';
import { indexToPhysical } from '../geometry/grid.js';
import { createInlinePool, sharedFloat32 } from '../parallel/pool.js';
import { resampleStack, type StackResamplePlan } from '../geometry/resample-stack.js';
import '../parallel/all-tasks.js';
import type { DicomInstance } from './types.js';
import { assembleSeries } from './assemble.js';

const f = (p: Vec3) => 0.7 * p[0] - 1.3 * p[1] + 2.1 * p[2] + 5;

function synthetic(opts: { rows: number; cols: number; ps: [number, number]; iop: number[]; positions: Vec3[]; shuffle?: boolean }) {
  const { rows, cols, ps, iop } = opts;
  const u = iop.slice(0, 3), v = iop.slice(3, 6);
  const instances: DicomInstance[] = opts.positions.map((p, n) => ({
    file: `slice${n}.dcm`,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    modality: 'CT',
    rows,
    columns: cols,
    numberOfFrames: 1,
    imagePositionPatient: p,
    imageOrientationPatient: iop as DicomInstance['imageOrientationPatient'],
    pixelSpacing: ps,
    rescaleSlope: 1,
    rescaleIntercept: 0.5, // fractional: forces a Float32 stack
    acquisition: {},
    hasPixelData: true,
  }));
  if (opts.shuffle) instances.reverse();
  const decode = async (inst: DicomInstance) => {
    const p = inst.imagePositionPatient!;
    const px = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const q: Vec3 = [0, 1, 2].map((a) => p[a]! + c * ps[1] * u[a]! + r * ps[0] * v[a]!) as Vec3;
        px[c + r * cols] = f(q);
      }
    }
    return [px];
  };
  return { instances, read: async () => new Uint8Array(0), decode };
}

/** Whether p lies inside every source slice's field (then no fill takes part in its interpolation). */
function coveredByAll(p: Vec3, positions: Vec3[], iop: number[], rows: number, cols: number, ps: [number, number]): boolean {
  return positions.every((q) => {
    const d = [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
    const c = (d[0]! * iop[0]! + d[1]! * iop[1]! + d[2]! * iop[2]!) / ps[1];
    const r = (d[0]! * iop[3]! + d[1]! * iop[4]! + d[2]! * iop[5]!) / ps[0];
    return c >= -1e-6 && c <= cols - 1 + 1e-6 && r >= -1e-6 && r <= rows - 1 + 1e-6;
  });
}

function maxError(vol: { grid: Parameters<typeof indexToPhysical>[0]; data: Float32Array | Int16Array }, fill: number, covered: (p: Vec3) => boolean = () => true): { err: number; checked: number } {
  const [nx, ny, nz] = vol.grid.dims;
  let err = 0, checked = 0;
  const p: Vec3 = [0, 0, 0];
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const val = vol.data[i + j * nx + k * nx * ny]!;
    if (val === fill) continue;
    indexToPhysical(vol.grid, i, j, k, p);
    if (!covered(p)) continue;
    err = Math.max(err, Math.abs(val - f(p)));
    checked++;
  }
  return { err, checked };
}

describe('assembleSeries geometry (synthetic linear field)', () => {
  const tilt = (18.5 * Math.PI) / 180;
  const iopTilt = [1, 0, 0, 0, Math.cos(tilt), -Math.sin(tilt)];

  it('untilted uniform stack: no resampling, origin at the first slice, k along the normal', async () => {
    const positions: Vec3[] = [0, 1, 2, 3, 4].map((k) => [-10, -20, 30 + 1.25 * k]);
    const s = synthetic({ rows: 6, cols: 7, ps: [0.5, 0.6], iop: [1, 0, 0, 0, 1, 0], positions, shuffle: true });
    const out = await assembleSeries(s);
    expect(out.resampled).toBe(false);
    expect(out.volume.grid.dims).toEqual([7, 6, 5]);
    expect(out.volume.grid.spacing_mm[0]).toBeCloseTo(0.6, 9); // column spacing along i
    expect(out.volume.grid.spacing_mm[1]).toBeCloseTo(0.5, 9);
    expect(out.volume.grid.spacing_mm[2]).toBeCloseTo(1.25, 9);
    expect(out.volume.grid.origin_mm).toEqual([-10, -20, 30]);
    expect(out.sortedInstances.map((x) => x.file)).toEqual(['slice0.dcm', 'slice1.dcm', 'slice2.dcm', 'slice3.dcm', 'slice4.dcm']);
    expect(maxError(out.volume, NaN).err).toBeLessThan(1e-3);
  });

  it('tilted, unevenly spaced stack with a duplicate: orthogonal grid, exact linear field, whole field kept', async () => {
    // table moves along z; slices are tilted planes, so positions shear along v
    const zs = [0, 4, 8, 9.1, 16, 23, 23];
    const positions: Vec3[] = zs.map((z) => [-5, -8, z]);
    const s = synthetic({ rows: 20, cols: 9, ps: [0.8, 0.7], iop: iopTilt, positions });
    const out = await assembleSeries(s, createInlinePool());
    const g = out.volume.grid;
    expect(out.resampled).toBe(true);
    expect(out.geometry.duplicates).toHaveLength(1);
    expect(out.geometry.tiltDegrees).toBeCloseTo(18.5, 3);
    // orthonormal output axes, k ⟂ i, j
    const d = g.direction;
    const dot = (a: number, b: number) => d[a * 3]! * d[b * 3]! + d[a * 3 + 1]! * d[b * 3 + 1]! + d[a * 3 + 2]! * d[b * 3 + 2]!;
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) expect(Math.abs(dot(a!, b!))).toBeLessThan(1e-12);
    for (const a of [0, 1, 2]) expect(dot(a, a)).toBeCloseTo(1, 12);
    // uniform output step: the smallest acquired step, shortened to end on the last slice
    expect(g.spacing_mm[2]).toBeCloseTo((23 * Math.cos(tilt)) / Math.ceil(23 / 1.1), 6);
    expect((g.dims[2] - 1) * g.spacing_mm[2]).toBeCloseTo(23 * Math.cos(tilt), 6);
    // the shear (23 mm · tan 18.5° ≈ 7.7 mm along v) enlarges j beyond 20 rows
    expect(g.dims[1]).toBeGreaterThan(20 + Math.floor((23 * Math.sin(tilt)) / 0.8) - 1);
    const { err, checked } = maxError(out.volume, out.fill, (p) => coveredByAll(p, positions, iopTilt, 20, 9, [0.8, 0.7]));
    expect(checked).toBeGreaterThan(0.25 * g.dims[0] * g.dims[1] * g.dims[2]);
    expect(err).toBeLessThan(2e-3);
    expect(out.corrections.join(' ')).toMatch(/gantry tilt/);
    expect(out.corrections.join(' ')).toMatch(/duplicate/);
  });
});

describe('resampleStack on a pool', () => {
  it('gives the same bytes in slabs as in one pass', async () => {
    const M = 5, C = 11, R = 13;
    const src = sharedFloat32(M * C * R);
    for (let p = 0; p < src.length; p++) src[p] = Math.sin(p * 0.37) * 1000;
    const plan: StackResamplePlan = {
      columns: C, rows: R, slices: M, d_mm: Float64Array.from([0, 1, 2.5, 3, 6]), offU_mm: new Float64Array(M), offV_mm: Float64Array.from([0, -0.3, -0.8, -1, -2]),
      du_mm: 0.5, dv_mm: 0.5, nx: C, ny: R + 4, nz: 13, hx_mm: 0.5, hy_mm: 0.5, hz_mm: 0.5, outU0_mm: 0, outV0_mm: -2, outD0_mm: 0, fill: -1024,
    };
    const one = sharedFloat32(C * (R + 4) * 13);
    await resampleStack(src, plan, one);
    const inline = createInlinePool();
    const fakePool = { size: 4, run: inline.run, close: inline.close };
    const slabs = sharedFloat32(one.length);
    await resampleStack(src, plan, slabs, fakePool, 0);
    expect(Buffer.from(slabs.buffer).equals(Buffer.from(one.buffer))).toBe(true);
  });
});
