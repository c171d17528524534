/**
 * The gate judges the mesh a slicer sees: STL readers weld vertices by exact float32
 * position, so two shells that touch at an edge or a vertex become one non-manifold mesh
 * there even when the indexed mesh is two clean closed shells.
 */
import { describe, expect, it } from 'vitest';
import { readStl, writeStlBinary } from '../formats/stl.js';
import { box, uvSphere } from '../testing/meshes.js';
import { cleanupMesh, meshTopology } from './cleanup.js';
import { conditionMesh } from './condition.js';
import { checkWelded, printabilityGate } from './gate.js';
import { buildEdgeTable, compactEdgeTable, concatMeshes } from './mesh-utils.js';
import { checkMesh } from './topology.js';

// Two cubes touching along the edge x = y = 10 (its two end vertices coincide), and two
// touching at the single corner (10, 10, 10).
const edgeTouching = () => concatMeshes([box([0, 0, 0], [10, 10, 10], 2), box([10, 10, 0], [20, 20, 10], 2)]);
const cornerTouching = () => concatMeshes([box([0, 0, 0], [10, 10, 10], 2), box([10, 10, 10], [20, 20, 20], 2)]);

describe('printability gate on the position-welded mesh', () => {
  it('indexed, each cube is a clean closed shell; welded, the shared edge and corner are non-manifold', () => {
    for (const m of [edgeTouching(), cornerTouching()]) {
      const c = checkMesh(m);
      expect(c).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 2 });
      const w = checkWelded(m, c);
      expect(w.coincidentVertices).toBeGreaterThan(0);
      expect(w.coincidentAcrossShells).toBe(w.coincidentVertices);
      expect(w.nonManifoldEdges + w.nonManifoldVertices).toBeGreaterThan(0);
      // What a slicer reads back from the STL agrees with the welded counts.
      const slicer = checkMesh(readStl(writeStlBinary(m), 'a.stl'));
      expect(slicer.nonManifoldEdges).toBe(w.nonManifoldEdges);
      expect(slicer.nonManifoldVertices).toBe(w.nonManifoldVertices);
    }
    const e = checkWelded(edgeTouching(), checkMesh(edgeTouching()));
    expect(e.nonManifoldEdges).toBe(2); // the shared edge is split in two by the n = 2 grid
    const v = checkWelded(cornerTouching(), checkMesh(cornerTouching()));
    expect(v).toMatchObject({ coincidentVertices: 1, nonManifoldEdges: 0, nonManifoldVertices: 1 });
  });

  it('refuses such a mesh with a finding that names the coincident vertices, and records it when allowed', async () => {
    await expect(printabilityGate(edgeTouching(), { name: 'two.stl' })).rejects.toThrow(
      /two\.stl: mesh is not printable \(3 vertices share a position with another vertex \(3 on a different shell\): a reader that welds by position .* 2 non-manifold edges/,
    );
    const g = await printabilityGate(cornerTouching(), { allowOpen: true });
    expect(g.printable).toBe(false);
    expect(g.record.figures).toMatchObject({ coincidentVertices: 1, coincidentAcrossShells: 1, welded_nonManifoldVertices: 1, nonManifoldVertices: 0 });
    expect(g.record.findings?.[0]?.message).toMatch(/welds by position/);
  });

  it('conditioning moves the touching vertices apart, so the exported STL reads back closed and manifold', async () => {
    for (const m of [edgeTouching(), cornerTouching()]) {
      const r = await conditionMesh(m, { smooth: false });
      expect(r.printable).toBe(true);
      const clean = r.records.find((x) => x.method === 'cleanup')!;
      expect(clean.figures.coincidentVerticesSeparated).toBeGreaterThan(0);
      expect(clean.corrections?.[0]).toMatch(/apart/);
      const gate = r.records.find((x) => x.method === 'printability-gate')!;
      expect(gate.figures).toMatchObject({ coincidentVertices: 0, welded_nonManifoldEdges: 0, welded_nonManifoldVertices: 0 });
      const slicer = checkMesh(readStl(writeStlBinary(r.output), 'a.stl'));
      expect(slicer).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 2 });
      // Moved by a few µm at most: the model is the same size.
      expect(Math.abs(slicer.volume_mm3 - 2000)).toBeLessThan(0.02);
    }
  });

  it('two spheres touching at their poles: neither encloses the other (the ray from a pole meets the other pole)', () => {
    const m = concatMeshes([uvSphere(10, 48, 24, [0, 0, 0]), uvSphere(10, 48, 24, [0, 0, 20])]);
    expect(checkMesh(m)).toMatchObject({ shells: 2, enclosedShells: 0, oriented: true });
  });

  it('the edge table derived for a clean-up output equals a fresh one', () => {
    const m = concatMeshes([box([30, 0, 0], [30.5, 0.5, 0.5]), box([0, 0, 0], [10, 10, 10], 3), box([40, 0, 0], [40.5, 0.5, 0.5]), box([12, 0, 0], [20, 8, 8], 2)]);
    const r = cleanupMesh(m, { minShell_mm3: 1 });
    expect(r.record.figures.shellsDropped).toBe(2);
    const derived = r.topology!.edges;
    const fresh = meshTopology(r.output).edges;
    expect(derived.edgeCount).toBe(fresh.edgeCount);
    const ends = (et: typeof fresh, h: number) => [et.edgeV[2 * et.heEdge[h]!], et.edgeV[2 * et.heEdge[h]! + 1]];
    for (let h = 0; h < r.output.indices.length; h++) expect(ends(derived, h)).toEqual(ends(fresh, h));
    expect(compactEdgeTable(buildEdgeTable(m.indices, m.positions.length / 3), new Uint8Array(m.indices.length / 3).fill(1), Int32Array.from({ length: m.positions.length / 3 }, (_, i) => i)).edgeCount).toBe(
      buildEdgeTable(m.indices, m.positions.length / 3).edgeCount,
    );
  });
});
