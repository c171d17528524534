import { describe, expect, it } from 'vitest';
import { plate, shell, sphere } from './shapes.js';
import { standardPhantom, validatePhantom } from './run.js';
import { measureAgainstShape } from './measure.js';

describe('analytic phantom shapes', () => {
  it('have exact signed distances and volumes', () => {
    const s = sphere(10, [1, 2, 3]);
    expect(s.sdf(1, 2, 3)).toBeCloseTo(-10, 12);
    expect(s.sdf(1, 2, 16)).toBeCloseTo(3, 12);
    const sh = shell(20, 2);
    expect(sh.sdf(0, 0, 19)).toBeCloseTo(-1, 12); // mid-wall
    expect(sh.sdf(0, 0, 0)).toBeCloseTo(18, 12); // the hollow centre is outside the material
    const p = plate(40, 3);
    expect(p.sdf(0, 0, 0)).toBeCloseTo(-1.5, 12);
    expect(p.sdf(0, 0, 2.5)).toBeCloseTo(1, 12);
    expect(p.sdf(23, 0, 0)).toBeCloseTo(3, 12);
    expect(p.volume_mm3).toBe(4800);
  });

  it('measures an inscribed icosahedron: outward, and far below the sphere volume', () => {
    // an icosahedron inscribed in the sphere: vertices exactly on it
    const t = (1 + Math.sqrt(5)) / 2;
    const v = [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]];
    const r = Math.hypot(1, t);
    const positions = new Float32Array(v.flatMap((p) => p.map((x) => (x / r) * 10)));
    const indices = new Uint32Array([0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8, 3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1]);
    const m = measureAgainstShape({ positions, indices }, sphere(10));
    const vertexSamples = 12;
    expect(m.surfaceDistance.samples).toBe(vertexSamples + 20);
    expect(m.volume_mm3).toBeGreaterThan(0); // outward winding
    expect(m.volumeErrorPercent).toBeLessThan(-30); // an icosahedron holds ~60 % of its sphere
  });
});

describe('validatePhantom (scan → DICOM → import → convert → measure)', () => {
  it('a 15 mm sphere at 1 mm voxels with noise and gantry tilt comes back within 1 % volume and 0.15 mm mean distance', async () => {
    const r = await validatePhantom(standardPhantom('sphere'), { voxel_mm: [1, 1, 1], noise_hu: 20, blur_mm: 0.5, tilt_deg: 12, seed: 7 }, { condition: { smooth: { method: 'taubin', iterations: 20 } } });
    console.log(`sphere 1 mm, tilt 12°: volume ${r.measures.volumeErrorPercent.toFixed(2)} %, mean ${r.measures.surfaceDistance.mean_mm.toFixed(3)} mm, p95 ${r.measures.surfaceDistance.p95_mm.toFixed(3)} mm`);
    expect(r.records.find((x) => x.stage === 'import')!.findings!.map((f) => f.code)).toContain('TILT_CORRECTED');
    expect(r.checks).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1 });
    expect(Math.abs(r.measures.volumeErrorPercent)).toBeLessThan(1);
    expect(r.measures.surfaceDistance.mean_mm).toBeLessThan(0.15);
    expect(r.pass).toBe(true);
  });

  it('measures the wall of a 3 mm plate within 0.2 mm', async () => {
    const r = await validatePhantom(standardPhantom('plate'), { voxel_mm: [0.8, 0.8, 1], noise_hu: 10, blur_mm: 0.5, seed: 8 }, { condition: { smooth: { method: 'taubin', iterations: 20 } } });
    expect(r.measures.wallThickness!.rays).toBe(25);
    expect(Math.abs(r.measures.wallThickness!.error_mm)).toBeLessThan(0.2);
  });
});
