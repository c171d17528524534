import { describe, expect, it } from 'vitest';
import type { Grid, Vec3 } from '../../geometry/grid.js';
import { indexToPhysical } from '../../geometry/grid.js';
import type { LabelMap, Mesh } from '../../geometry/types.js';
import { createInlinePool } from '../../parallel/pool.js';
import { mulberry32 } from '../../synthetic/random.js';
import { makePhantom, phantomLabels } from '../../testing/phantoms.js';
import { meshVolume_mm3, radialError } from '../accuracy.js';
import { extractSurface, extractSurfaceMesh } from './extract.js';
import { checkClosedManifold } from './manifold-check.js';
import { caseLoops, caseTable } from './case-table.js';
import './tasks.js';

const grid = (dims: Vec3, spacing: Vec3 = [1, 1, 1], direction: Grid['direction'] = [1, 0, 0, 0, 1, 0, 0, 0, 1], origin: Vec3 = [0, 0, 0]): Grid => ({
  dims,
  spacing_mm: spacing,
  origin_mm: origin,
  direction,
});

function expectClosed(mesh: Mesh, what: string): void {
  const c = checkClosedManifold(mesh);
  expect(
    { open: c.openEdges, nonManifoldEdges: c.nonManifoldEdges, misoriented: c.misorientedEdges, nonManifoldVertices: c.nonManifoldVertices, bad: c.badTriangles, unused: c.vertices - c.usedVertices },
    what,
  ).toEqual({ open: 0, nonManifoldEdges: 0, misoriented: 0, nonManifoldVertices: 0, bad: 0, unused: 0 });
  if (mesh.indices.length) expect(meshVolume_mm3(mesh), what).toBeGreaterThan(0);
}

function randomLabels(seed: number, dims: Vec3, kind: 'noise' | 'blobs' | 'checker' | 'border'): LabelMap {
  const rnd = mulberry32(seed);
  const [nx, ny, nz] = dims;
  const data = new Uint8Array(nx * ny * nz);
  if (kind === 'noise') {
    const p = 0.15 + 0.7 * rnd();
    for (let v = 0; v < data.length; v++) data[v] = rnd() < p ? 1 : 0;
  } else if (kind === 'checker') {
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = (i + j + k) & 1;
  } else {
    const blobs = kind === 'blobs' ? 6 : 3;
    for (let b = 0; b < blobs; b++) {
      const c = [rnd() * nx, rnd() * ny, rnd() * nz];
      const r = 1 + rnd() * 4;
      for (let k = 0; k < nz; k++)
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) if ((i - c[0]!) ** 2 + (j - c[1]!) ** 2 + (k - c[2]!) ** 2 < r * r) data[i + nx * (j + ny * k)] = 1 + (b % 3);
    }
    // Isolated voxels and salt-and-pepper holes.
    for (let n = 0; n < data.length / 20; n++) data[Math.floor(rnd() * data.length)] = rnd() < 0.5 ? 0 : 2;
    if (kind === 'border') for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (rnd() < 0.5) data[i + nx * j] = 1;
  }
  return { grid: grid(dims), data };
}

describe('case table', () => {
  it('gives every crossed cube edge exactly one loop in every case', () => {
    for (let c = 0; c < 256; c++) {
      const seen = new Array<number>(12).fill(0);
      for (const loop of caseLoops(c)) for (const e of loop) seen[e]!++;
      for (let e = 0; e < 12; e++) expect(seen[e]).toBeLessThanOrEqual(1);
      const t0 = caseTable().triStart[c]!;
      const t1 = caseTable().triStart[c + 1]!;
      // A loop of n vertices gives n − 2 triangles.
      const expected = caseLoops(c).reduce((s, l) => s + l.length - 2, 0);
      expect(t1 - t0).toBe(expected);
    }
  });
});

describe('extractSurface topology', () => {
  it('every 2×2×2 configuration (all 256 cube cases and their neighbours) is a closed, outward manifold', async () => {
    for (let c = 1; c < 256; c++) {
      const data = new Uint8Array(8);
      for (let i = 0; i < 8; i++) data[i] = (c >> i) & 1;
      const { output } = await extractSurface({ grid: grid([2, 2, 2]), data });
      expectClosed(output, `case ${c}`);
    }
  });

  it('random, noisy, checkerboard and border-touching label maps always give a closed manifold', async () => {
    const kinds = ['noise', 'blobs', 'checker', 'border'] as const;
    for (let seed = 1; seed <= 12; seed++) {
      const kind = kinds[seed % 4]!;
      const dims: Vec3 = [9 + (seed % 5), 8 + (seed % 3), 7 + (seed % 4)];
      const labels = randomLabels(seed, dims, kind);
      for (const label of [undefined, 2]) {
        const { output } = await extractSurface(labels, label === undefined ? {} : { label });
        expectClosed(output, `${kind} seed ${seed} label ${label ?? 'any'}`);
      }
    }
  });

  it('a single voxel is a closed octahedron and the record reports the border closure', async () => {
    const { output, record } = await extractSurface({ grid: grid([3, 3, 3]), data: Uint8Array.from({ length: 27 }, (_, i) => (i === 13 ? 1 : 0)) });
    expectClosed(output, 'single voxel');
    expect(output.indices.length / 3).toBe(8);
    expect(record.findings?.find((f) => f.code === 'SURFACE_CLOSED_AT_BORDER')).toBeUndefined();
    const border = await extractSurface({ grid: grid([1, 1, 1]), data: Uint8Array.of(1) });
    expectClosed(border.output, 'voxel at the border');
    expect(border.record.figures.border_voxels).toBe(1);
    expect(border.record.findings?.find((f) => f.code === 'SURFACE_CLOSED_AT_BORDER')?.message).toMatch(/^1 segmented voxels touch/);
  });

  it('Uint16 labels and a label value select only that label', async () => {
    const data = new Uint16Array(5 * 5 * 5);
    data[31] = 300;
    data[93] = 7;
    const all = (await extractSurface({ grid: grid([5, 5, 5]), data })).output;
    const one = (await extractSurface({ grid: grid([5, 5, 5]), data }, { label: 300 })).output;
    expect(all.indices.length / 3).toBe(16);
    expect(one.indices.length / 3).toBe(8);
  });
});

describe('extractSurface geometry', () => {
  it('a 10 mm sphere at 1 mm voxels is a sphere, not a pile of cubes (with the field and from the mask alone)', async () => {
    const ph = makePhantom({ kind: 'sphere', radius_mm: 10 }, { spacing_mm: [1, 1, 1] });
    const labels = phantomLabels(ph);
    for (const withField of [true, false]) {
      const { output: mesh, record } = await extractSurface(labels, withField ? { field: ph.volume, level: ph.level } : {});
      const r = radialError(mesh, ph.centre_mm, 10);
      const normals = vertexNormalDeviation(mesh, ph.centre_mm);
      if (withField) {
        expect(record.figures.vertices_from_field).toBe(record.figures.vertices);
        expect(r.max_abs_mm).toBeLessThan(0.25);
        expect(r.mean_abs_mm).toBeLessThan(0.06);
        expect(normals.mean_deg).toBeLessThan(5);
        expect(normals.max_deg).toBeLessThan(25);
      } else {
        expect(record.figures.vertices_from_smoothed_mask).toBeGreaterThan(0.9 * (record.figures.vertices as number));
        expect(r.max_abs_mm).toBeLessThan(0.5);
        expect(r.mean_abs_mm).toBeLessThan(0.12);
        expect(normals.mean_deg).toBeLessThan(8);
      }
    }
  });

  it('places vertices in patient LPS mm through the grid direction and spacing', async () => {
    // A 2×1×1 block of voxels on a rotated, anisotropic grid; no field → faces at the voxel faces.
    const dir: Grid['direction'] = [0, 1, 0, -1, 0, 0, 0, 0, 1];
    const g = grid([4, 3, 3], [0.5, 0.7, 1.5], dir, [10, -20, 30]);
    const data = new Uint8Array(36);
    data[1 + 4 * (1 + 3)] = 1;
    data[2 + 4 * (1 + 3)] = 1;
    const { output: mesh } = await extractSurface({ grid: g, data });
    expectClosed(mesh, 'rotated block');
    // Every vertex lies on a cube edge midpoint plane: compare with indexToPhysical of the continuous index.
    const lo: Vec3 = [Infinity, Infinity, Infinity];
    const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (let v = 0; v < mesh.positions.length; v += 3) for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a]!, mesh.positions[v + a]!);
      hi[a] = Math.max(hi[a]!, mesh.positions[v + a]!);
    }
    const corners = [indexToPhysical(g, 0.5, 0.5, 0.5), indexToPhysical(g, 2.5, 1.5, 1.5)];
    for (let a = 0; a < 3; a++) {
      expect(lo[a]).toBeCloseTo(Math.min(corners[0]![a]!, corners[1]![a]!), 4);
      expect(hi[a]).toBeCloseTo(Math.max(corners[0]![a]!, corners[1]![a]!), 4);
    }
  });

  it('places from the smoothed mask where clean-up made the mask disagree with the field', async () => {
    const ph = makePhantom({ kind: 'sphere', radius_mm: 6 }, { spacing_mm: [1, 1, 1] });
    const labels = phantomLabels(ph);
    const [nx, ny] = labels.grid.dims;
    // "Clean-up" adds a 3×3×3 block outside the sphere where the field says background.
    for (let k = 0; k < 3; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) labels.data[i + 1 + nx * (j + 1 + ny * (k + 1))] = 1;
    const { output, record } = await extractSurface(labels, { field: ph.volume, level: ph.level });
    expectClosed(output, 'cleaned mask');
    expect(record.figures.vertices_from_field).toBeGreaterThan(0);
    expect((record.figures.vertices_from_smoothed_mask as number) + (record.figures.vertices_at_midpoint as number)).toBeGreaterThan(0);
    expect(record.notes?.join(' ')).toMatch(/placed from the mask/);
  });

  it('estimates the level when a field is given without one, and refuses a field on another grid', async () => {
    const ph = makePhantom({ kind: 'sphere', radius_mm: 4 }, { spacing_mm: [1, 1, 1] });
    const labels = phantomLabels(ph);
    const { record } = await extractSurface(labels, { field: ph.volume });
    expect(record.params.level_source).toBe('estimated');
    expect(Math.abs((record.params.level as number) - 500)).toBeLessThan(150);
    const other = makePhantom({ kind: 'sphere', radius_mm: 4 }, { spacing_mm: [2, 2, 2] });
    await expect(extractSurface(labels, { field: other.volume, level: 500 })).rejects.toThrow(/not the label map's grid/);
  });
});

describe('extractSurface determinism', () => {
  it('is byte-identical whatever the slab count, and extractSurfaceMesh gives the same mesh', async () => {
    const ph = makePhantom({ kind: 'shell', outerRadius_mm: 9, wall_mm: 2 }, { spacing_mm: [0.7, 0.7, 0.9], noiseSigma_hu: 30 });
    const labels = phantomLabels(ph);
    const ref = await extractSurface(labels, { field: ph.volume, level: ph.level, slabs: 1 });
    for (const slabs of [2, 5, 17]) {
      const r = await extractSurface(labels, { field: ph.volume, level: ph.level, slabs }, { pool: createInlinePool() });
      expect(r.record.params.slabs).toBe(slabs);
      expect(Buffer.from(r.output.positions.buffer).equals(Buffer.from(ref.output.positions.buffer))).toBe(true);
      expect(Buffer.from(r.output.indices.buffer).equals(Buffer.from(ref.output.indices.buffer))).toBe(true);
      expect(r.record.figures).toEqual(ref.record.figures);
    }
    const direct = extractSurfaceMesh(labels, { field: ph.volume, level: ph.level });
    expect(Buffer.from(direct.positions.buffer).equals(Buffer.from(ref.output.positions.buffer))).toBe(true);
    expect(Buffer.from(direct.indices.buffer).equals(Buffer.from(ref.output.indices.buffer))).toBe(true);
  });
});

function vertexNormalDeviation(mesh: Mesh, centre: Vec3): { mean_deg: number; max_deg: number } {
  const p = mesh.positions;
  const ix = mesh.indices;
  const n = new Float64Array(p.length);
  for (let t = 0; t < ix.length; t += 3) {
    const a = 3 * ix[t]!, b = 3 * ix[t + 1]!, c = 3 * ix[t + 2]!;
    const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
    const fx = uy * vz - uz * vy, fy = uz * vx - ux * vz, fz = ux * vy - uy * vx;
    for (const v of [a, b, c]) {
      n[v]! += fx;
      n[v + 1]! += fy;
      n[v + 2]! += fz;
    }
  }
  let sum = 0, max = 0;
  for (let v = 0; v < p.length; v += 3) {
    const d = [p[v]! - centre[0], p[v + 1]! - centre[1], p[v + 2]! - centre[2]];
    const cos = (n[v]! * d[0]! + n[v + 1]! * d[1]! + n[v + 2]! * d[2]!) / (Math.hypot(n[v]!, n[v + 1]!, n[v + 2]!) * Math.hypot(d[0]!, d[1]!, d[2]!));
    const deg = (Math.acos(Math.min(1, cos)) * 180) / Math.PI;
    sum += deg;
    if (deg > max) max = deg;
  }
  return { mean_deg: sum / (p.length / 3), max_deg: max };
}
