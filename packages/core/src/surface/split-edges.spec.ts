import { describe, expect, it } from 'vitest';
import { countLongEdges, growFlags, splitLongEdges } from './split-edges.js';
import { splitTopology } from './split-topology.js';
import { buildEdgeTable, type EdgeTable } from './edge-table.js';
import { cleanupMesh, meshTopology } from './cleanup.js';
import { labelShells } from './mesh-utils.js';
import { extractSurfaceMesh } from './isosurface/extract.js';
import { makePhantom, phantomLabels } from '../testing/phantoms.js';
import { checkMesh } from './topology.js';
import type { Mesh } from '../geometry/types.js';

// a blurred sphere meshed by marching cubes at 0.7 mm: a closed, manifold, oriented surface
const ph = makePhantom({ kind: 'sphere', radius_mm: 6 }, { spacing_mm: [0.7, 0.7, 0.7], background_hu: 40, object_hu: 1200, blurSigma_mm: 0.4, noiseSigma_hu: 20, seed: 11 });
const sphere = extractSurfaceMesh(phantomLabels(ph, 300), { field: ph.volume, level: 300 });
const nv = sphere.positions.length / 3;

function seededFlags(n: number, share: number, seed: number): Uint8Array {
  let s = seed;
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    f[i] = s / 4294967296 < share ? 1 : 0;
  }
  return f;
}

const len = (m: Mesh, a: number, b: number): number => {
  const P = m.positions;
  return Math.hypot(P[3 * a]! - P[3 * b]!, P[3 * a + 1]! - P[3 * b + 1]!, P[3 * a + 2]! - P[3 * b + 2]!);
};

describe('splitLongEdges', () => {
  it('splits each long edge with a flagged end once: still closed, manifold and oriented, the same volume, nothing long left there', () => {
    const before = checkMesh(sphere);
    for (const [share, L, seed] of [[0.1, 0.6, 1], [0.5, 0.5, 2], [1, 0.8, 3], [0.02, 0.3, 4]] as const) {
      const flags = seededFlags(nv, share, seed);
      const r = splitLongEdges(sphere, flags, L);
      expect(r.splits).toBeGreaterThan(0);
      const after = checkMesh(r.mesh);
      expect(after).toMatchObject({ closed: true, manifold: true, oriented: true, shells: before.shells });
      // each split edge cuts its two triangles: two more triangles per split
      expect(after.triangles).toBe(before.triangles + 2 * r.splits);
      expect(r.mesh.positions.length / 3).toBe(nv + r.splits);
      // the new vertices lie on the old edges: the same surface
      expect(Math.abs(after.volume_mm3 - before.volume_mm3)).toBeLessThan(1e-5 * before.volume_mm3);
      // no edge between two old vertices with a flagged end is longer than L
      const I = r.mesh.indices;
      for (let h = 0; h < I.length; h++) {
        const a = I[h]!, b = I[h % 3 === 2 ? h - 2 : h + 1]!;
        if (a < nv && b < nv && (flags[a] || flags[b])) expect(len(r.mesh, a, b)).toBeLessThanOrEqual(L);
      }
    }
  });

  it('keeps the mesh as it is where nothing is flagged or long, and carries the triangles’ groups to their pieces', () => {
    const none = splitLongEdges(sphere, new Uint8Array(nv), 0.1);
    expect(none.splits).toBe(0);
    expect(none.mesh).toBe(sphere);
    expect(splitLongEdges(sphere, new Uint8Array(nv).fill(1), 100).mesh).toBe(sphere);
    const nT = sphere.indices.length / 3;
    const groups = new Uint32Array(nT).map((_, t) => (t < nT / 2 ? 3 : 9));
    const r = splitLongEdges({ ...sphere, groups }, seededFlags(nv, 0.3, 5), 0.5);
    const G = r.mesh.groups!;
    expect(G.length).toBe(r.mesh.indices.length / 3);
    // uncut triangles keep their place; a cut triangle's first piece takes its place, the others follow the old triangles
    for (let t = 0; t < nT; t++) expect(G[t]).toBe(groups[t]);
    for (let i = 0; i < r.cut.length; i++) {
      for (let k = nT + r.pieceStart[i]!; k < nT + r.pieceStart[i + 1]!; k++) expect(G[k]).toBe(groups[r.cut[i]!]);
    }
    const cut = new Set(r.cut);
    for (let t = 0; t < nT; t++) if (!cut.has(t)) expect([...r.mesh.indices.subarray(3 * t, 3 * t + 3)]).toEqual([...sphere.indices.subarray(3 * t, 3 * t + 3)]);
    expect(countLongEdges(sphere, seededFlags(nv, 0.3, 5), 0.5)).toEqual({ splits: r.splits, pieces: r.mesh.indices.length / 3 - nT });
  });

  it('is deterministic', () => {
    const flags = seededFlags(nv, 0.2, 6);
    const a = splitLongEdges(sphere, flags, 0.5);
    const b = splitLongEdges(sphere, flags, 0.5);
    expect(Buffer.from(a.mesh.positions.buffer).equals(Buffer.from(b.mesh.positions.buffer))).toBe(true);
    expect(Buffer.from(a.mesh.indices.buffer).equals(Buffer.from(b.mesh.indices.buffer))).toBe(true);
  });
});

/** An edge table as a map: endpoints → its half-edges, after checking the table is consistent with the triangles. */
function canonical(et: EdgeTable, I: Uint32Array): Map<string, string> {
  const out = new Map<string, string>();
  expect(et.edgeStart[et.edgeCount]).toBe(I.length);
  for (let e = 0; e < et.edgeCount; e++) {
    const a = et.edgeV[2 * e]!, b = et.edgeV[2 * e + 1]!;
    expect(a).toBeLessThan(b);
    const hs = [...et.edgeHe.subarray(et.edgeStart[e]!, et.edgeStart[e + 1]!)];
    hs.forEach((h, i) => {
      if (i > 0 && hs[i - 1]! >= h) throw new Error(`edge ${e}: half-edges not ascending`);
      if (et.heEdge[h] !== e) throw new Error(`half-edge ${h} names edge ${et.heEdge[h]}, not ${e}`);
      const u = I[h]!, w = I[h % 3 === 2 ? h - 2 : h + 1]!;
      if (Math.min(u, w) !== a || Math.max(u, w) !== b) throw new Error(`half-edge ${h} is not on edge ${e}`);
    });
    out.set(`${a},${b}`, hs.join(' '));
  }
  return out;
}

describe('splitTopology', () => {
  it('carries the edge table and shells over: the same as rebuilt, copied or grown in place from a clean-up with room', () => {
    for (const [share, L, seed] of [[0.05, 0.5, 7], [1, 0.6, 8]] as const) {
      const flags = seededFlags(nv, share, seed);
      const copy = splitLongEdges(sphere, flags, L);
      const rebuilt = meshTopology(copy.mesh);
      const carried = splitTopology(meshTopology(sphere), copy);
      expect(carried.edges.edgeCount).toBe(rebuilt.edges.edgeCount);
      expect(canonical(carried.edges, copy.mesh.indices)).toEqual(canonical(rebuilt.edges, copy.mesh.indices));
      expect(carried.edges.uses).toEqual({ open: 0, nonManifold: 0, misoriented: 0 });
      expect([...carried.shellOf]).toEqual([...labelShells(copy.mesh).shellOf]);
      // in place, over a clean-up's compacted mesh and table with the room countLongEdges says
      const plain = cleanupMesh(sphere, {}, meshTopology(sphere)).output;
      const room = countLongEdges(plain, flags, L);
      const clean = cleanupMesh(sphere, {}, meshTopology(sphere), { room: { vertices: room.splits, triangles: room.pieces } });
      expect(clean.output.indices).toEqual(plain.indices);
      const buffers = [clean.output.indices.buffer, clean.output.positions.buffer, clean.topology!.edges.edgeV.buffer];
      const inPlace = splitLongEdges(clean.output, flags, L, { inPlace: true });
      const topo = splitTopology(clean.topology!, inPlace, { inPlace: true });
      // nothing reallocated: the split grew the clean-up's arrays
      expect(inPlace.splits).toBeGreaterThan(0);
      [inPlace.mesh.indices.buffer, inPlace.mesh.positions.buffer, topo.edges.edgeV.buffer].forEach((b, i) => expect(b).toBe(buffers[i]));
      const copied = splitLongEdges(plain, flags, L);
      expect(inPlace.mesh.indices).toEqual(copied.mesh.indices);
      expect(inPlace.mesh.positions).toEqual(copied.mesh.positions);
      expect(canonical(topo.edges, inPlace.mesh.indices)).toEqual(canonical(meshTopology(copied.mesh).edges, copied.mesh.indices));
    }
  });

  it('keeps open edges’ uses: a split open edge is two open edges', () => {
    // the sphere with its first 40 triangles cut away: a hole rimmed by open edges
    const open = { positions: sphere.positions, indices: sphere.indices.slice(120) };
    const flags = new Uint8Array(nv).fill(1);
    const r = splitLongEdges(open, flags, 0.55);
    expect(r.splits).toBeGreaterThan(0);
    const carried = splitTopology(meshTopology(open), r);
    const rebuilt = buildEdgeTable(r.mesh.indices, r.mesh.positions.length / 3);
    expect(carried.edges.uses).toBeUndefined();
    expect(canonical(carried.edges, r.mesh.indices)).toEqual(canonical(rebuilt, r.mesh.indices));
    expect(checkMesh(r.mesh).openEdges).toBeGreaterThan(checkMesh(open).openEdges);
  });
});

describe('growFlags', () => {
  it('grows a flag by one ring of triangles per ring', () => {
    const I = sphere.indices;
    const one = new Uint8Array(nv);
    one[I[0]!] = 1;
    const ring1 = growFlags(I, one, 1);
    // exactly the vertices of the triangles round the first one
    const expected = new Uint8Array(nv);
    for (let t = 0; t < I.length; t += 3) if (I[t] === I[0] || I[t + 1] === I[0] || I[t + 2] === I[0]) expected[I[t]!] = expected[I[t + 1]!] = expected[I[t + 2]!] = 1;
    expect(Buffer.from(ring1).equals(Buffer.from(expected))).toBe(true);
    const count = (f: Uint8Array): number => f.reduce((s, x) => s + x, 0);
    expect(count(growFlags(I, one, 2))).toBeGreaterThan(count(ring1));
    expect(growFlags(I, one, 0)).toEqual(one);
    expect(one.reduce((s, x) => s + x, 0)).toBe(1); // the input is not changed
  });
});
