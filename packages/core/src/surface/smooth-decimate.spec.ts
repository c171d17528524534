import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import type { Grid } from '../geometry/grid.js';
import { box, icosphere, torus, uvSphere } from '../testing/meshes.js';
import { concatMeshes, triangleCount } from './mesh-utils.js';
import { makePhantom, phantomLabels } from '../testing/phantoms.js';
import { extractSurface } from './isosurface/index.js';
import { decimateMesh, previewMesh } from './decimate.js';
import { hausdorffDistance } from './distance.js';
import { signedVolume_mm3 } from './mesh-utils.js';
import { createInlinePool } from '../parallel/pool.js';
import '../parallel/all-tasks.js';
import { scanBorderVertices, SMALL_SHELL_K, SMOOTH_DEFAULTS, smoothMesh, smoothMeshAsync, windowedSincCoefficients } from './smooth.js';
import { checkMesh } from './topology.js';

/** A sphere with deterministic radial bumps of ±amp mm (a stand-in for voxel noise). */
// Centred where a head lies in patient coordinates: a filter whose response at zero frequency
// is not exactly 1 shows up as a shift and a scale change far from the origin.
const CENTRE = [-20, 120, 760] as const;

function bumpySphere(radius: number, amp: number): Mesh {
  const m = icosphere(radius, 5);
  const p = m.positions;
  for (let v = 0; v < p.length / 3; v++) {
    const bump = amp * (((v * 2654435761) >>> 0) / 2 ** 32 - 0.5) * 2;
    const l = Math.hypot(p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!);
    for (let a = 0; a < 3; a++) p[3 * v + a] = (p[3 * v + a]! * (radius + bump)) / l + CENTRE[a]!;
  }
  return m;
}

function radialStats(m: Mesh): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  const n = m.positions.length / 3;
  for (let v = 0; v < n; v++) {
    const r = Math.hypot(m.positions[3 * v]! - CENTRE[0], m.positions[3 * v + 1]! - CENTRE[1], m.positions[3 * v + 2]! - CENTRE[2]);
    sum += r;
    max = Math.max(max, Math.abs(r - 15));
  }
  return { mean: sum / n, max };
}

describe('smoothMesh', () => {
  it('windowed-sinc coefficients give a unit response at the pass band', () => {
    const c = windowedSincCoefficients(40, 0.01);
    const th = Math.acos(1 - 0.005);
    let f = 0;
    let f0 = 0;
    for (let i = 0; i <= 40; i++) {
      f += c[i]! * Math.cos(i * th);
      f0 += c[i]!;
    }
    expect(Math.abs(f - 1)).toBeLessThan(3e-3); // pass band
    expect(Math.abs(f0 - 1)).toBeLessThan(1e-12); // a translation passes exactly
  });

  it('windowed-sinc passes the small k where a closed surface keeps its size (k ≤ a quarter of the pass band) within 0.05 %', () => {
    // VTK's Hamming window ripples ±0.4 % there: smoothing alone moved a sphere r 15 (1 mm voxels)
    // by +0.77 / −0.08 / −0.48 / +0.59 % in volume at pass band 0.03 / 0.05 / 0.08 / 0.1
    for (const passBand of [0.01, 0.03, 0.05, 0.08, SMOOTH_DEFAULTS.passBand, 0.2]) {
      const c = windowedSincCoefficients(SMOOTH_DEFAULTS.iterations, passBand);
      for (const k of [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016].filter((k) => k <= passBand / 4)) {
        const th = Math.acos(1 - k / 2);
        let f = 0;
        for (let i = 0; i < c.length; i++) f += c[i]! * Math.cos(i * th);
        expect(Math.abs(f - 1), `pass band ${passBand}, k ${k}`).toBeLessThan(5e-4);
      }
      // and up to the default pass band the voxel-scale ripple (k ≥ 0.5) is gone
      if (passBand > SMOOTH_DEFAULTS.passBand) continue;
      for (const k of [0.5, 1, 2]) {
        const th = Math.acos(1 - k / 2);
        let f = 0;
        for (let i = 0; i < c.length; i++) f += c[i]! * Math.cos(i * th);
        expect(Math.abs(f), `pass band ${passBand}, k ${k}`).toBeLessThan(0.02);
      }
    }
  });

  for (const method of ['windowed-sinc', 'taubin'] as const) {
    it(`${method}: removes noise without shrinking a r = 15 mm sphere (volume change < 0.5 %, no scale drift)`, () => {
      const noisy = bumpySphere(15, 0.3);
      const ideal = (4 / 3) * Math.PI * 15 ** 3;
      const r = smoothMesh(noisy, { method, iterations: method === 'taubin' ? 20 : 40 });
      const after = radialStats(r.output);
      expect(after.max).toBeLessThan(radialStats(noisy).max); // smoother
      expect(Math.abs(after.mean - 15)).toBeLessThan(0.02); // no scale drift
      expect(r.record.figures.centroidShift_mm as number).toBeLessThan(0.005); // no shift
      const vol = signedVolume_mm3(r.output);
      expect(Math.abs(vol - ideal) / ideal).toBeLessThan(0.005);
      expect(Math.abs(r.record.figures.volumeChange_percent as number)).toBeLessThan(0.5);
      expect(r.record.figures.maxDisplacement_mm).toBeGreaterThan(0.1);
      expect(r.record.params).toMatchObject({ method });
      expect(checkMesh(r.output)).toMatchObject({ closed: true, manifold: true, oriented: true });
    });
  }

  it('holds the caps on the scan border (vertices on the grid\'s outer faces) in place', () => {
    const cube = box([0, 0, 0], [10, 10, 10], 5);
    const grid = { dims: [10, 10, 10] as [number, number, number], spacing_mm: [1, 1, 1] as [number, number, number], origin_mm: [0.5, 0.5, 0.5] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Grid['direction'] };
    const fixed = scanBorderVertices(cube, grid);
    expect(fixed.every((f) => f === 1)).toBe(true);
    const r = smoothMesh(cube, { fixed });
    expect(Buffer.from(r.output.positions.buffer).equals(Buffer.from(cube.positions.buffer))).toBe(true);
    expect(r.record.figures.verticesHeld).toBe(cube.positions.length / 3);
    const shifted = { ...grid, origin_mm: [-5, -5, -5] as [number, number, number], dims: [30, 30, 30] as [number, number, number] };
    expect(scanBorderVertices(cube, shifted).some((f) => f === 1)).toBe(false);
  });

  it('gives byte-identical results on a pool of workers (slabs of vertices)', async () => {
    const m = bumpySphere(15, 0.3);
    const inline = createInlinePool();
    const twoWorkers = { size: 2, run: inline.run, close: inline.close };
    const a = smoothMesh(m).output.positions;
    const r = await smoothMeshAsync(m, {}, { pool: twoWorkers }, 0);
    expect(r.record.params.workers).toBe(2);
    expect(Buffer.from(r.output.positions.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it('default smoothing of an extracted r = 15 mm phantom sphere at 1 mm voxels: volume change < 0.3 %, total error < 1 %', async () => {
    const ph = makePhantom({ kind: 'sphere', radius_mm: 15 }, { spacing_mm: [1, 1, 1] });
    const iso = await extractSurface(phantomLabels(ph), { field: ph.volume, level: ph.level });
    const r = smoothMesh(iso.output);
    expect(Math.abs(r.record.figures.volumeChange_percent as number)).toBeLessThan(0.3);
    expect(Math.abs(signedVolume_mm3(r.output) / ph.trueVolume_mm3 - 1)).toBeLessThan(0.01);
    expect(r.record.figures.smallShellsHeld).toBe(0);
    // At 3D Slicer's pass band 0.01 this sphere is too small for the filter (under SMALL_SHELL_K / 0.01
    // triangles): held whole rather than shrunk (under the Hamming window it lost 0.58 %).
    expect(triangleCount(iso.output)).toBeLessThan(SMALL_SHELL_K / 0.01);
    const slicer = smoothMesh(iso.output, { passBand: 0.01 });
    expect(slicer.record.figures.smallShellsHeld).toBe(1);
    expect(slicer.record.figures.volumeChange_percent).toBe(0);
  });

  it('holds shells too small for the filter: a 3-voxel fragment beside a sphere keeps its volume, the sphere is smoothed', async () => {
    // a low-pass filter draws a shell whose every mode is in its stop band to its centroid: such
    // fragments (1-4 mm³ on a real CT) came out of smoothing with no volume and were then dropped
    const ph = makePhantom({ kind: 'sphere', radius_mm: 15 }, { spacing_mm: [0.5, 0.5, 0.5] });
    const iso = (await extractSurface(phantomLabels(ph), { field: ph.volume, level: ph.level })).output;
    const frag = box([40, 0, 0], [42, 1.5, 1.5], 1);
    const both = concatMeshes([iso, frag]);
    const r = smoothMesh(both);
    expect(r.record.figures.smallShellsHeld).toBe(1);
    const n = iso.positions.length;
    expect(Array.from(r.output.positions.subarray(n))).toEqual(Array.from(frag.positions));
    expect(Array.from(r.output.positions.subarray(0, n))).not.toEqual(Array.from(iso.positions));
  });

  it('is deterministic and "none" leaves the mesh alone', () => {
    const m = bumpySphere(15, 0.3);
    const a = smoothMesh(m).output.positions;
    const b = smoothMesh(m).output.positions;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(smoothMesh(m, { method: 'none' }).output).toBe(m);
  });
});

describe('decimateMesh', () => {
  it('reduces a sphere and a torus to the target, stays closed and manifold, reports Hausdorff', async () => {
    for (const m of [icosphere(15, 5), torus(20, 6, 160, 80)]) {
      const r = await decimateMesh(m, { targetFaces: 2000 });
      const c = checkMesh(r.output);
      expect(c).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1 });
      expect(c.triangles).toBeLessThanOrEqual(2100);
      // reached: nothing to tell but how far the surface moved
      expect(r.record.findings!.map((f) => f.code)).toEqual(['DECIMATION_DEVIATION']);
      expect(r.record.figures.facesBefore).toBe(m.indices.length / 3);
      const h = r.record.figures.hausdorff_mm as number;
      expect(h).toBeGreaterThan(0);
      expect(h).toBeLessThan(0.5);
      expect(h).toBeCloseTo(hausdorffDistance(m, r.output).hausdorff_mm, 4);
    }
  });

  it('keeps locked vertices and the triangles among them as they were, and returns its lock for a second run', async () => {
    const m = icosphere(15, 5);
    const lock = new Uint8Array(m.positions.length / 3);
    // a cap of the sphere (z > 12 mm) locked
    for (let v = 0; v < lock.length; v++) if (m.positions[3 * v + 2]! > 12) lock[v] = 1;
    const key = (p: ArrayLike<number>, I: ArrayLike<number>, t: number): string =>
      [0, 1, 2].map((k) => Array.from({ length: 3 }, (_, a) => p[3 * I[3 * t + k]! + a]!).join(',')).sort().join(' ');
    const lockedTris = new Set<string>();
    for (let t = 0; t < m.indices.length / 3; t++) if (lock[m.indices[3 * t]!] && lock[m.indices[3 * t + 1]!] && lock[m.indices[3 * t + 2]!]) lockedTris.add(key(m.positions, m.indices, t));
    expect(lockedTris.size).toBeGreaterThan(100);
    // a target the unlocked part can reach (one round: its lock is on the input's vertices)
    const r = await decimateMesh(m, { targetFaces: lockedTris.size + 2000, lock });
    expect(r.record.figures.rounds).toBe(1);
    const out = new Set<string>();
    for (let t = 0; t < r.output.indices.length / 3; t++) out.add(key(r.output.positions, r.output.indices, t));
    for (const k of lockedTris) expect(out.has(k)).toBe(true);
    expect(checkMesh(r.output)).toMatchObject({ closed: true, manifold: true, oriented: true });
    // fewer triangles elsewhere: the unlocked part went down toward the target
    expect(r.output.indices.length / 3).toBeLessThanOrEqual(1.05 * (lockedTris.size + 2000));
    // the lock it ran with (the caller's, at least) comes back on the input's vertices
    expect(r.lock).toBeDefined();
    for (let v = 0; v < lock.length; v++) if (lock[v]) expect(r.lock![v]).toBe(1);
    const free = await decimateMesh(m, { targetFaces: 2000 });
    expect(free.output.indices.length / 3).toBeLessThanOrEqual(2100);
  });

  it('respects a maximum error in mm', async () => {
    const m = icosphere(15, 5);
    const r = await decimateMesh(m, { maxError_mm: 0.05 });
    expect(r.record.figures.facesAfter as number).toBeLessThan(m.indices.length / 3);
    expect(r.record.figures.hausdorff_mm as number).toBeLessThan(0.1);
    expect(checkMesh(r.output).closed).toBe(true);
    // with a face target too, the bound stops it above the target: the user is told, in a finding
    const both = await decimateMesh(m, { maxError_mm: 0.05, targetFaces: 2000 });
    const faces = both.record.figures.facesAfter as number;
    expect(faces).toBeGreaterThan(1.05 * 2000);
    expect(both.record.findings![0]).toEqual({
      code: 'DECIMATION_TARGET_NOT_REACHED',
      severity: 'info',
      message: `decimated to ${faces} faces, not the 2000 asked for: the error bound or the mesh's topology stopped it`,
    });
    // then how far it moved the surface, in the figures' own numbers
    const h = both.record.figures.hausdorff_mm as number;
    expect(both.record.findings!.map((f) => f.code)).toEqual(['DECIMATION_TARGET_NOT_REACHED', 'DECIMATION_DEVIATION']);
    expect(both.record.findings![1]!.message).toMatch(new RegExp(`^decimation moved the surface by up to ${Math.round(h * 100) / 100} mm \\(Hausdorff distance; from the surface before to the one after: mean [\\d.]+ mm`));
  });

  it('makes a preview of about 10k faces', async () => {
    const m = icosphere(15, 6); // 81920 faces
    const r = await previewMesh(m);
    expect(r.output.indices.length / 3).toBeLessThanOrEqual(10_500);
    expect(r.output.indices.length / 3).toBeGreaterThan(5000);
    expect(checkMesh(r.output).closed).toBe(true);
  });

  it('a preview over its size says nothing to the user (its size is ours); a decimation over the asked size does', async () => {
    // a sphere and 40 small fragments (under 64 triangles each), which decimation keeps whole
    const fragments = Array.from({ length: 40 }, (_, i) => uvSphere(0.4, 6, 4, [30 + 3 * (i % 8), 3 * Math.floor(i / 8), 0]));
    const m = concatMeshes([icosphere(15, 5), ...fragments]);
    const preview = await previewMesh(m, 1000);
    expect(triangleCount(preview.output)).toBeGreaterThan(1.05 * 1000);
    expect(preview.record.findings ?? []).toEqual([]);
    const asked = await decimateMesh(m, { targetFaces: 1000 });
    expect(asked.record.findings?.map((f) => f.code)).toEqual(['DECIMATION_TARGET_NOT_REACHED', 'DECIMATION_DEVIATION']);
  });

  it('says how far the surface moved, in the figures\' numbers', async () => {
    // a sphere of r 15 mm flattened to a 0.6 mm thick disc, decimated hard: its rim is drawn in
    const sphere = icosphere(15, 4);
    const plate = { positions: sphere.positions.map((x, i) => (i % 3 === 2 ? 0.02 * x : x)), indices: sphere.indices };
    const r = await decimateMesh(plate, { targetFaces: 40 });
    const dev = r.record.findings!.find((f) => f.code === 'DECIMATION_DEVIATION')!;
    expect(dev.severity).toBe('info');
    const h = r.record.figures.hausdorff_mm as number;
    // measured: 0.55 mm (1.40 mm without the normals in the collapse error)
    expect(h).toBeGreaterThan(0.1);
    expect(dev.message).toContain(`by up to ${Math.round(h * 100) / 100} mm`);
    // previews measure nothing and say nothing
    expect((await previewMesh(plate, 40)).record.findings ?? []).toEqual([]);
  });
});

describe('hausdorffDistance', () => {
  it('measures the gap between two concentric spheres', () => {
    const h = hausdorffDistance(icosphere(10, 4), icosphere(12, 4));
    expect(h.hausdorff_mm).toBeGreaterThan(1.9);
    expect(h.hausdorff_mm).toBeLessThan(2.1);
  });
});

describe('decimateMesh on shells that touch at a point', () => {
  it('does not weld coincident vertices of separate sheets (that pinched real skulls and skipped decimation)', async () => {
    // two spheres whose poles coincide at (0, 0, 10): same position, separate vertices
    const m = concatMeshes([uvSphere(10, 48, 24, [0, 0, 0]), uvSphere(10, 48, 24, [0, 0, 20])]);
    const r = await decimateMesh(m, { targetFaces: Math.round(triangleCount(m) / 4) });
    expect(r.record.findings!.map((f) => f.code)).toEqual(['DECIMATION_DEVIATION']);
    expect(triangleCount(r.output)).toBeLessThan(triangleCount(m) / 2);
    const c = checkMesh(r.output);
    expect(c.closed && c.manifold && c.oriented).toBe(true);
    expect(c.shells).toBe(2);
  });
});

describe('decimateMesh keeps small separate shells', () => {
  it('a 0.8 mm fragment 40 mm from a large sphere survives a 90 % reduction', async () => {
    const m = concatMeshes([icosphere(20, 5), uvSphere(0.4, 16, 12, [40, 0, 0])]);
    const r = await decimateMesh(m, { targetFaces: Math.round(triangleCount(m) / 10) });
    const c = checkMesh(r.output);
    expect(c.shells).toBe(2);
    expect(c.closed && c.manifold).toBe(true);
    expect(Number(r.record.figures.hausdorff_mm)).toBeLessThan(1);
    expect(triangleCount(r.output)).toBeLessThan(triangleCount(m) / 5);
  });
});
