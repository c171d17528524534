import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MeshoptSimplifier } from 'meshoptimizer/simplifier';
import type { Mesh } from '../geometry/types.js';
import { icosphere, translate } from '../testing/meshes.js';
import { lockAround, reduceInChunks, type ChunkSimplify } from './decimate-chunked.js';
import { vertexNeighbours } from './smooth.js';
import { previewMesh, previewTask } from './decimate.js';
import { concatMeshes, labelShells, signedVolume_mm3, triangleCount, vertexCount } from './mesh-utils.js';
import { checkMesh } from './topology.js';
import { read3mf } from '../formats/3mf.js';
import { readStl, writeStlBinary } from '../formats/stl.js';
import { sharedConvert, TILTED_SKULL } from '../../../../test/convert-cache.js';
import { dataPath } from '../../../../test/data.js';

const meshopt: ChunkSimplify = (ix, pos, lock, target) =>
  MeshoptSimplifier.simplifyWithAttributes(ix, pos, 3, new Float32Array(0), 0, [], lock, target, MeshoptSimplifier.getScale(pos, 3), ['ErrorAbsolute', 'Sparse'])[0];

/** Every position of `mesh` as exact bits, for "no vertex is new" checks. */
const positionKeys = (m: Mesh) => new Set(Array.from({ length: vertexCount(m) }, (_, v) => `${m.positions[3 * v]},${m.positions[3 * v + 1]},${m.positions[3 * v + 2]}`));

/** Triangles as sorted vertex-position triples (order-free), to compare meshes whose vertices were renumbered. */
function triangleSet(m: Mesh): Set<string> {
  const p = (v: number) => `${m.positions[3 * v]},${m.positions[3 * v + 1]},${m.positions[3 * v + 2]}`;
  const out = new Set<string>();
  for (let t = 0; t < triangleCount(m); t++) out.add([p(m.indices[3 * t]!), p(m.indices[3 * t + 1]!), p(m.indices[3 * t + 2]!)].sort().join('|'));
  return out;
}

/** Closed and manifold, also once welded by position as a slicer reads the STL. */
function expectPrintable(m: Mesh, what: string) {
  const c = checkMesh(m);
  expect(c.closed && c.manifold && c.oriented, `${what}: ${JSON.stringify(c)}`).toBe(true);
  const welded = checkMesh(readStl(writeStlBinary(m), 'x.stl'));
  expect(welded.closed && welded.manifold, `${what} welded`).toBe(true);
}

describe('reduceInChunks', () => {
  it('reduces a sphere slab by slab; the cuts keep their vertices and the slabs meet again exactly', async () => {
    await MeshoptSimplifier.ready;
    const m = icosphere(20, 6); // 81920 faces
    const calls: number[] = [];
    const r = await reduceInChunks(m, { factor: 4, chunks: 8 }, (ix, pos, lock, target) => {
      calls.push(ix.length / 3);
      return meshopt(ix, pos, lock, target);
    });
    expect(calls.length).toBeGreaterThanOrEqual(8);
    // eight slabs of about equal size (the histogram split), each simplified on its own
    for (const n of calls.slice(0, 8)) expect(Math.abs(n - 81920 / 8)).toBeLessThan(81920 / 8 / 4);
    const faces = triangleCount(r.mesh);
    expect(faces).toBeLessThan(81920 / 3);
    expect(faces).toBeGreaterThan(81920 / 6);
    expect(r.figures.cutVertices).toBeGreaterThan(100);
    expectPrintable(r.mesh, 'reduced sphere');
    // no new positions (collapses land on input vertices), and every remapped vertex is where it was
    const before = positionKeys(m);
    for (const k of positionKeys(r.mesh)) expect(before.has(k)).toBe(true);
    for (let v = 0; v < vertexCount(m); v++) {
      const w = r.remap[v]!;
      if (w >= 0) expect([r.mesh.positions[3 * w], r.mesh.positions[3 * w + 1], r.mesh.positions[3 * w + 2]]).toEqual([m.positions[3 * v], m.positions[3 * v + 1], m.positions[3 * v + 2]]);
    }
    expect(Math.abs(signedVolume_mm3(r.mesh) / signedVolume_mm3(m) - 1)).toBeLessThan(0.01);
  });

  it('keeps a slab whole when its reduction stays broken, and the rest reduced', async () => {
    await MeshoptSimplifier.ready;
    const m = icosphere(20, 5); // 20480 faces
    // The slab holding vertex 0 always comes back with one triangle turned over (a broken edge pair).
    let brokenSlab = new Uint32Array(0);
    const broken: ChunkSimplify = (ix, pos, lock, target) => {
      const out = meshopt(ix, pos, lock, target);
      if (!ix.includes(0)) return out;
      brokenSlab = ix.slice();
      const o = out.slice();
      [o[1], o[2]] = [o[2]!, o[1]!];
      return o;
    };
    const r = await reduceInChunks(m, { factor: 4, chunks: 4, attempts: 2 }, broken);
    expect(r.figures.attempts).toBe(2);
    expect(r.figures.chunksKeptWhole).toBe(1);
    expect(r.notes.join('\n')).toMatch(/kept whole/);
    expectPrintable(r.mesh, 'partly reduced sphere');
    // the kept slab's triangles are all there; the others were reduced
    const faces = triangleCount(r.mesh);
    expect(faces).toBeGreaterThan(20480 / 4);
    expect(faces).toBeLessThan(20480 * 0.6);
    const out = triangleSet(r.mesh);
    const kept = triangleSet({ positions: m.positions, indices: brokenSlab });
    expect(kept.size).toBeGreaterThan(20480 / 8);
    for (const t of kept) expect(out.has(t)).toBe(true);
  });

  it('gives the input back, and says so, when the input itself is broken', async () => {
    await MeshoptSimplifier.ready;
    // two spheres sharing one vertex position welded into one vertex: a pinched (non-manifold) vertex
    const a = icosphere(10, 4);
    const b = icosphere(10, 4);
    for (let i = 0; i < b.positions.length; i += 3) b.positions[i] = b.positions[i]! + 20;
    const two = concatMeshes([a, b]);
    const nA = vertexCount(a);
    // vertex 0 of a is at (10, 0, 0)·r-ish; move b's farthest-left vertex onto it and weld
    let left = 0;
    for (let v = 0; v < vertexCount(b); v++) if (b.positions[3 * v]! < b.positions[3 * left]!) left = v;
    let right = 0;
    for (let v = 0; v < nA; v++) if (a.positions[3 * v]! > a.positions[3 * right]!) right = v;
    const ix = two.indices.map((v) => (v === nA + left ? right : v));
    const pinched = { positions: two.positions, indices: ix };
    const r = await reduceInChunks(pinched, { factor: 4, chunks: 4 }, meshopt);
    expect(r.mesh).toBe(pinched);
    expect(r.figures.chunksKeptWhole).toBe(r.figures.chunks);
    expect(r.notes.join('\n')).toMatch(/the input has/);
  });
});

describe('lockAround', () => {
  it('locks the rings a breadth-first walk over the neighbour table locks, stopping at vertices locked before', () => {
    const mesh = concatMeshes([icosphere(10, 3), translate(icosphere(2, 1), [15, 0, 0])]);
    const nv = vertexCount(mesh);
    const nbrs = vertexNeighbours(mesh);
    // the rule written plainly: rings of edge neighbours, a vertex locked before ends its branch
    const byTable = (bad: number[], rings: number, lock: Uint8Array): number[] => {
      let frontier = bad.slice();
      const all = bad.slice();
      for (const v of bad) lock[v] = 1;
      for (let ring = 0; ring < rings; ring++) {
        const next: number[] = [];
        for (const v of frontier) {
          for (let i = nbrs.start[v]!; i < nbrs.start[v + 1]!; i++) {
            const w = nbrs.nbr[i]!;
            if (!lock[w]) {
              lock[w] = 1;
              next.push(w);
            }
          }
        }
        all.push(...next);
        frontier = next;
      }
      return all;
    };
    const bad = [0, 7, nv - 1];
    for (let rings = 0; rings <= 3; rings++) {
      // some vertices locked already (cut vertices, small shells): not widened through
      const before = new Uint8Array(nv).map((_, v) => (v % 11 === 3 ? 1 : 0));
      const table = before.slice(), triangles = before.slice();
      const a = byTable(bad, rings, table);
      const b = lockAround(bad, rings, mesh.indices, triangles);
      expect(Array.from(triangles)).toEqual(Array.from(table));
      expect([...b].sort((x, y) => x - y)).toEqual([...a].sort((x, y) => x - y));
      if (rings > 0) expect(b.length).toBeGreaterThan(bad.length);
    }
  });
});

describe('previewMesh on a real skull', () => {
  it('reduces the tilted Philips skull to ~10k faces through the slabs: closed, manifold, its own positions, its volume', async () => {
    const conv = await sharedConvert(dataPath(TILTED_SKULL.input), [...TILTED_SKULL.args], { env: TILTED_SKULL.env });
    expect(conv.code, conv.stderr).toBe(0);
    const skull = read3mf(new Uint8Array(readFileSync(join(conv.dir, 'skull.3mf'))), 'skull.3mf');
    const faces = triangleCount(skull);
    expect(faces).toBeGreaterThan(16 * 10_000); // large enough for the slabs
    const r = await previewMesh(skull);
    const f = r.record.figures;
    expect(f.chunks).toBe(8);
    expect(f.chunkedFacesAfter as number).toBeLessThan(faces / 2);
    expect(f.chunksKeptWhole as number).toBeLessThan(f.chunks as number);
    expect(triangleCount(r.output)).toBeLessThanOrEqual(10_500);
    expect(f.facesAfter).toBe(triangleCount(r.output));
    expectPrintable(r.output, 'preview');
    const before = positionKeys(skull);
    for (const k of positionKeys(r.output)) expect(before.has(k)).toBe(true);
    // the skull and its fragments, not a collapsed stand-in: the volume holds to a few per cent
    expect(Math.abs(signedVolume_mm3(r.output) / signedVolume_mm3(skull) - 1)).toBeLessThan(0.05);
  });
});

describe('previewTask (the pool\'s preview)', () => {
  it('gives previewMesh\'s mesh and record, also for a mesh with per-triangle groups, through the slabs or not', async () => {
    for (const m of [icosphere(20, 7), icosphere(20, 5)]) {
      const groups = new Uint32Array(triangleCount(m)).map((_, t) => t % 3);
      const mesh = { ...m, groups };
      // as the pool posts it: a structured clone
      const onPool = await previewTask(structuredClone(mesh));
      const here = await previewMesh(mesh);
      expect(onPool.record).toEqual(here.record);
      expect(Array.from(onPool.output.indices)).toEqual(Array.from(here.output.indices));
      expect((here.record.notes ?? []).filter((n) => /groups are not carried/.test(n))).toHaveLength(1);
      expect(here.record.figures.chunks !== undefined).toBe(triangleCount(m) > 160_000);
    }
  });

  it('locks the small shells the caller gives (the conditioning\'s), as its own labelling would', async () => {
    // a sphere large enough for the slabs, and a fragment beside it so small that its collapses cost
    // least: only a lock keeps it
    const mesh = concatMeshes([icosphere(20, 7), translate(icosphere(0.1, 2), [30, 0, 0])]);
    const own = await previewMesh(mesh);
    const given = await previewTask(structuredClone({ ...mesh, shells: labelShells(mesh) }));
    expect(given.record).toEqual(own.record);
    expect(Array.from(given.output.indices)).toEqual(Array.from(own.output.indices));
    // shells that do not set the fragment apart leave it unlocked in the slabs: the shells given are the ones used
    const oneShell = { shellOf: new Uint32Array(triangleCount(mesh)), shellCount: 1 };
    const blind = await previewMesh({ ...mesh }, undefined, oneShell); // a new mesh: locks are kept per mesh
    expect(Array.from(blind.output.indices)).not.toEqual(Array.from(own.output.indices));
  });
});
