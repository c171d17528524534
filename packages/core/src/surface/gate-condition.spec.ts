import { describe, expect, it } from 'vitest';
import { ScanError } from '../errors.js';
import { box, flipped, icosphere, torus, unweld } from '../testing/meshes.js';
import { conditionMesh } from './condition.js';
import { manifold3dCheck, printabilityGate } from './gate.js';
import { concatMeshes } from './mesh-utils.js';
import { findSelfIntersections } from './self-intersections.js';
import { checkMesh } from './topology.js';

describe('printabilityGate', () => {
  it('passes a closed sphere and torus, confirmed by manifold-3d', async () => {
    for (const m of [icosphere(10, 3), torus(20, 5, 48, 24)]) {
      const g = await printabilityGate(m);
      expect(g.printable).toBe(true);
      expect(g.manifold3d.status).toBe('NoError');
      expect(g.manifold3d.volume_mm3).toBeCloseTo(g.check.volume_mm3, 0);
      expect(g.record.figures).toMatchObject({ printable: true, manifold3d_status: 'NoError' });
    }
    expect((await manifold3dCheck(torus(20, 5, 48, 24))).genus).toBe(1);
  });

  it('does not check self-intersections, and its record says so: two overlapping spheres as one mesh pass', async () => {
    const two = concatMeshes([icosphere(10, 3), icosphere(10, 3, [12, 1, 0.5])]);
    expect(findSelfIntersections(two.positions, two.indices).triangles).toBeGreaterThan(0);
    const g = await printabilityGate(two);
    expect(g.printable).toBe(true);
    expect(String(g.record.params.notChecked)).toMatch(/^self-intersections .*self-intersection-repair.*prepare/);
  });

  it('refuses an open mesh with MESH_NOT_PRINTABLE naming the counts, and lets it through with allowOpen (recorded)', async () => {
    const s = icosphere(10, 2);
    const open = { positions: s.positions, indices: s.indices.slice(6) };
    await expect(printabilityGate(open, { name: 'skull.stl' })).rejects.toThrow(/skull\.stl: mesh is not printable \(\d+ open edges.*manifold-3d: NotManifold/);
    try {
      await printabilityGate(open);
    } catch (e) {
      expect(e).toBeInstanceOf(ScanError);
      expect((e as ScanError).code).toBe('MESH_NOT_PRINTABLE');
      expect((e as ScanError).kind).toBe('input');
    }
    const g = await printabilityGate(open, { allowOpen: true });
    expect(g.printable).toBe(false);
    expect(g.record.params.allowOpen).toBe(true);
    expect(g.record.findings?.[0]).toMatchObject({ code: 'MESH_NOT_PRINTABLE', severity: 'warn' });
  });

  it('refuses an inside-out shell that manifold-3d alone would accept', async () => {
    const inv = flipped(icosphere(10, 2));
    expect((await manifold3dCheck(inv)).status).toBe('NoError');
    await expect(printabilityGate(inv)).rejects.toThrow(/shells facing inward/);
  });
});

describe('conditionMesh', () => {
  it('turns a soup with a flipped shell, a cavity and a speck into a printable solid, recording every step', async () => {
    const outer = unweld(box([0, 0, 0], [40, 40, 40], 8));
    const cavity = box([10, 10, 10], [30, 30, 30], 4); // wrongly wound outward
    const speck = box([60, 0, 0], [60.5, 0.5, 0.5]);
    const other = flipped(icosphere(8, 3));
    for (let v = 0; v < other.positions.length; v += 3) other.positions[v]! += 80;
    const r = await conditionMesh(concatMeshes([outer, cavity, speck, other]), { decimate: { maxError_mm: 0.05 } });
    expect(r.records.map((x) => x.method)).toEqual(['cleanup', 'smooth-windowed-sinc', 'self-intersection-repair', 'decimate-quadric', 'self-intersection-repair', 'cleanup', 'fill-cavities', 'printability-gate']);
    expect(r.printable).toBe(true);
    expect(r.check).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 2, enclosedShells: 0 });
    const fill = r.records[6]!;
    expect(fill.figures).toMatchObject({ cavities: 1, shellsRemoved: 1 });
    expect(r.records[0]!.figures).toMatchObject({ shellsDropped: 1 });
    // Smoothing rounds the coarse cube's corners, so only a loose bound here (the sphere test bounds volume change).
    expect(checkMesh(r.output).volume_mm3).toBeGreaterThan(64000 * 0.85);
    const again = await conditionMesh(concatMeshes([outer, cavity, speck, other]), { decimate: { maxError_mm: 0.05 } });
    expect(Buffer.from(again.output.positions.buffer).equals(Buffer.from(r.output.positions.buffer))).toBe(true);
    expect(Buffer.from(again.output.indices.buffer).equals(Buffer.from(r.output.indices.buffer))).toBe(true);
  });
});
