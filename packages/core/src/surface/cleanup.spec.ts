import { describe, expect, it } from 'vitest';
import { box, flipped, icosphere, torus, translate, unweld, uvSphere } from '../testing/meshes.js';
import { cleanupMesh } from './cleanup.js';
import { fillCavities } from './cavities.js';
import { concatMeshes, triangleCount } from './mesh-utils.js';
import { checkMesh, countTopology } from './topology.js';

describe('checkMesh and topology counts', () => {
  it('a closed icosphere, UV sphere and torus are closed, manifold, oriented, with the right volume', () => {
    const s = checkMesh(icosphere(10, 4));
    expect(s).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1, triangles: 5120, openEdges: 0, nonManifoldEdges: 0, misorientedEdges: 0 });
    expect(Math.abs(s.volume_mm3 - (4 / 3) * Math.PI * 1000) / ((4 / 3) * Math.PI * 1000)).toBeLessThan(0.01);
    expect(checkMesh(uvSphere(5, 32, 16))).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1 });
    const t = checkMesh(torus(20, 5, 64, 32));
    expect(t).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1 });
    expect(Math.abs(t.volume_mm3 - 2 * Math.PI ** 2 * 20 * 25) / (2 * Math.PI ** 2 * 20 * 25)).toBeLessThan(0.01);
    expect(s.bbox_mm.max[0]).toBeCloseTo(10, 4);
  });

  it('counts open, non-manifold and misoriented edges and non-manifold vertices', () => {
    const s = icosphere(10, 1);
    const open = { positions: s.positions, indices: s.indices.slice(3) };
    expect(countTopology(open)).toMatchObject({ openEdges: 3, nonManifoldEdges: 0, misorientedEdges: 0 });
    const oneFlipped = { positions: s.positions, indices: s.indices.slice() };
    [oneFlipped.indices[1], oneFlipped.indices[2]] = [oneFlipped.indices[2]!, oneFlipped.indices[1]!];
    expect(countTopology(oneFlipped)).toMatchObject({ openEdges: 0, misorientedEdges: 3 });
    // A fin: an extra triangle on an existing edge makes it used three times.
    const a = s.indices[0]!, b = s.indices[1]!;
    const fin = { positions: Float32Array.from([...s.positions, 50, 50, 50]), indices: Uint32Array.from([...s.indices, a, b, s.positions.length / 3]) };
    expect(countTopology(fin).nonManifoldEdges).toBe(1);
    // Two spheres sharing one vertex: a non-manifold (pinched) vertex.
    const s2 = translate(s, [0, 0, 20]);
    const joined = concatMeshes([s, s2]);
    const top = [...Array(s.positions.length / 3).keys()].reduce((m, v) => (s.positions[3 * v + 2]! > s.positions[3 * m + 2]! ? v : m), 0);
    const bottom = [...Array(s2.positions.length / 3).keys()].reduce((m, v) => (s2.positions[3 * v + 2]! < s2.positions[3 * m + 2]! ? v : m), 0);
    const off = s.positions.length / 3;
    const pinched = { positions: joined.positions, indices: joined.indices.map((i) => (i === bottom + off ? top : i)) };
    const c = countTopology(pinched);
    expect(c.nonManifoldVertices).toBe(1);
    expect(c.openEdges + c.nonManifoldEdges).toBe(0);
  });
});

describe('cleanupMesh', () => {
  it('welds a triangle soup, drops degenerate and duplicated faces', () => {
    const s = icosphere(10, 2);
    const soup = unweld(s);
    // A degenerate face, a duplicate of face 1, and a zero-thickness fin pair far away.
    const n = soup.positions.length / 3;
    const extra = {
      positions: Float32Array.from([...soup.positions, 50, 0, 0, 51, 0, 0, 50, 1, 0]),
      indices: Uint32Array.from([...soup.indices, 0, 0, 1, 3, 4, 5, n, n + 1, n + 2, n, n + 2, n + 1]),
    };
    const r = cleanupMesh(extra);
    const c = checkMesh(r.output);
    expect(c).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1, triangles: s.indices.length / 3, vertices: s.positions.length / 3 });
    expect(r.record.figures).toMatchObject({ degenerateFacesRemoved: 1, duplicateFacesRemoved: 3 });
    expect(r.record.figures.verticesMerged).toBeGreaterThan(0);
  });

  it('drops a two-face shell of duplicates from an otherwise closed mesh (every edge used twice, either winding)', () => {
    const s = icosphere(10, 2);
    const n = s.positions.length / 3;
    const t = s.indices.length / 3;
    for (const [pair, dropped] of [[[n, n + 1, n + 2, n, n + 2, n + 1], 2], [[n, n + 1, n + 2, n, n + 1, n + 2], 1]] as const) {
      const m = { positions: Float32Array.from([...s.positions, 50, 0, 0, 51, 0, 0, 50, 1, 0]), indices: Uint32Array.from([...s.indices, ...pair]) };
      const r = cleanupMesh(m);
      expect(r.record.figures).toMatchObject({ degenerateFacesRemoved: 0, duplicateFacesRemoved: dropped });
      expect(r.output.indices.length / 3).toBe(t + 2 - dropped);
      if (dropped === 2) expect(checkMesh(r.output)).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1, triangles: t });
    }
    // a closed mesh alone: nothing dropped
    const r = cleanupMesh(s);
    expect(r.record.figures).toMatchObject({ degenerateFacesRemoved: 0, duplicateFacesRemoved: 0, trianglesAfter: t });
  });

  it('reorients a flipped shell and a shell with mixed winding, outward', () => {
    const inv = flipped(icosphere(8, 3));
    expect(checkMesh(inv).oriented).toBe(false);
    const mixed = icosphere(8, 3);
    for (let t = 0; t < mixed.indices.length; t += 6) [mixed.indices[t + 1], mixed.indices[t + 2]] = [mixed.indices[t + 2]!, mixed.indices[t + 1]!];
    for (const m of [inv, mixed]) {
      const r = cleanupMesh(m);
      const c = checkMesh(r.output);
      expect(c).toMatchObject({ oriented: true, misorientedEdges: 0, closed: true });
      expect(c.volume_mm3).toBeGreaterThan(0);
    }
  });

  it('orients a cavity wall inward and drops shells under the minimum volume', () => {
    // Outer sphere, inner sphere wrongly wound outward (it is a cavity), a 1 mm³ speck outside.
    const speck = box([30, 0, 0], [31, 1, 1]);
    const m = concatMeshes([icosphere(10, 3), icosphere(5, 3), speck]);
    const r = cleanupMesh(m, { minShell_mm3: 2 });
    const c = checkMesh(r.output);
    expect(c).toMatchObject({ shells: 2, oriented: true, enclosedShells: 1 });
    expect(c.volume_mm3).toBeCloseTo(checkMesh(icosphere(10, 3)).volume_mm3 - checkMesh(icosphere(5, 3)).volume_mm3, 1);
    expect(r.record.figures).toMatchObject({ shellsDropped: 1, shellsFlipped: 1 });
    const largest = cleanupMesh(m, { keepShells: 'largest' });
    expect(checkMesh(largest.output).shells).toBe(1);
  });

  it('leaves out the edge table only when asked (topology: false), with the same output', () => {
    const m = concatMeshes([icosphere(10, 3), box([30, 0, 0], [31, 1, 1])]);
    const full = cleanupMesh(m, { minShell_mm3: 2 });
    const lean = cleanupMesh(m, { minShell_mm3: 2 }, undefined, { topology: false });
    expect(full.topology?.edges.edgeCount).toBe((3 * triangleCount(full.output)) / 2);
    expect(lean.topology).toBeUndefined();
    expect(Array.from(lean.output.indices)).toEqual(Array.from(full.output.indices));
    expect(Array.from(lean.output.positions)).toEqual(Array.from(full.output.positions));
    expect(lean.shells?.shellCount).toBe(1);
  });
});

describe('fillCavities', () => {
  it('removes a box cavity and an island inside it, keeps them with keepCavities', () => {
    const outer = box([0, 0, 0], [40, 40, 40], 3);
    const cavity = flipped(box([10, 10, 10], [30, 30, 30], 2));
    const island = box([18, 18, 18], [22, 22, 22]);
    const beside = box([50, 0, 0], [60, 10, 10]);
    const m = cleanupMesh(concatMeshes([outer, cavity, island, beside])).output;
    expect(checkMesh(m)).toMatchObject({ shells: 4, oriented: true, enclosedShells: 2 });
    const filled = fillCavities(m);
    const c = checkMesh(filled.output);
    expect(c).toMatchObject({ shells: 2, enclosedShells: 0, closed: true, oriented: true });
    expect(c.volume_mm3).toBeCloseTo(64000 + 1000, 1);
    expect(filled.record.figures).toMatchObject({ cavities: 1, shellsInsideCavities: 1, shellsRemoved: 2 });
    const kept = fillCavities(m, { keepCavities: true });
    expect(checkMesh(kept.output).shells).toBe(4);
    expect(kept.record.findings?.[0]?.code).toBe('CAVITIES_KEPT');
  });
});
