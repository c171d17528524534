// The second clean-up carries the shells over a merge of a few vertices (carried-shells.ts)
// instead of labelling them again over a new edge table: it must give what the full clean-up
// gives, and fall back where its conditions do not hold.
import { describe, expect, it } from 'vitest';
import { flipped, icosphere } from '../testing/meshes.js';
import { shellsAfterMerge } from './carried-shells.js';
import { cleanupMesh } from './cleanup.js';
import { concatMeshes } from './mesh-utils.js';

const CARRIED = 'the shells and their winding were carried over';

/** The third vertex of the face that runs b → a (the other wing of edge a–b on a closed mesh). */
function wing(ix: Uint32Array, a: number, b: number): number {
  for (let t = 0; t < ix.length / 3; t++) {
    for (let k = 0; k < 3; k++) if (ix[3 * t + k] === b && ix[3 * t + ((k + 1) % 3)] === a) return ix[3 * t + ((k + 2) % 3)]!;
  }
  throw new Error('open edge');
}

describe('shells carried over a merge', () => {
  it('the clean-up after random merges gives what the full clean-up gives, carrying the shells where it may', () => {
    // two solids, one with a cavity (its wall wound inward), and a speck the clean-up drops
    const base = concatMeshes([icosphere(10, 3), flipped(icosphere(6, 2)), icosphere(5, 2, [30, 0, 0]), icosphere(0.3, 1, [0, 0, 30])]);
    const params = { minShell_mm3: 1 };
    const c1 = cleanupMesh(base, params);
    const m = c1.output;
    const ix = m.indices;
    const nv = m.positions.length / 3;
    let seed = 11;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    let carried = 0;
    let relabelled = 0;
    for (let trial = 0; trial < 120; trial++) {
      const positions = m.positions.slice();
      const moved = new Set<number>();
      for (let k = 0, n = 1 + rand(4); k < n; k++) {
        // a vertex onto a neighbour (an edge collapse: two faces degenerate), onto the other wing
        // of an edge (the two faces on it cancel), two collapses in one face (a dropped face on
        // two merged vertices), or onto any vertex (usually refused: a pinch)
        const t = rand(ix.length / 3);
        const c = rand(3);
        const from = ix[3 * t + c]!;
        const x = ix[3 * t + ((c + 2) % 3)]!;
        const kind = rand(6);
        const to = kind < 2 || kind === 4 ? ix[3 * t + ((c + 1) % 3)]! : kind < 4 ? wing(ix, ix[3 * t + ((c + 1) % 3)]!, x) : rand(nv);
        const pairs = kind === 4 ? [[from, to], [x, wing(ix, x, from)]] : [[from, to]];
        for (const [a, b] of pairs) {
          if (moved.has(a!) || moved.has(b!) || a === b) continue;
          moved.add(a!);
          positions.copyWithin(3 * a!, 3 * b!, 3 * b! + 3);
        }
      }
      const mesh = { positions, indices: ix };
      const near = cleanupMesh(mesh, params, c1.topology, { topology: false });
      const full = cleanupMesh(mesh, params, undefined, { topology: false });
      expect(near.output).toEqual(full.output);
      expect(near.shells).toEqual(full.shells);
      expect(near.record.figures).toEqual({ ...full.record.figures, topologyReused: near.record.figures.topologyReused });
      if (near.record.notes?.some((n) => n.includes(CARRIED))) carried++;
      else if ((near.record.figures.verticesMerged as number) > 0) relabelled++;
    }
    // both ways were taken: merges the shells were carried over, and merges that needed a new
    // table (faces on two merged vertices, a merge that pinches: then it is refused and reused)
    expect(carried).toBeGreaterThan(30);
    expect(relabelled).toBeGreaterThan(10);
  });

  it('refuses a merge that would join two shells, or drop a face on two merged vertices', () => {
    const m = concatMeshes([icosphere(10, 1), icosphere(5, 1, [30, 0, 0])]);
    const ix = m.indices;
    const nTri = ix.length / 3;
    const nv = m.positions.length / 3;
    const shellOf = Uint32Array.from({ length: nTri }, (_, t) => (t < nTri / 2 ? 0 : 1));
    const shells = { shellOf, shellCount: 2 };
    const on = (v: number) => Uint32Array.from({ length: nTri }, (_, t) => t).filter((t) => ix[3 * t] === v || ix[3 * t + 1] === v || ix[3 * t + 2] === v);
    // vertex `from` merged into `into`: what the clean-up hands shellsAfterMerge, the faces that
    // repeat a vertex dropped
    const merge = (from: number, into: number) => {
      const rep = Uint32Array.from({ length: nv }, (_, i) => (i === from ? into : i));
      const touched = new Uint8Array(nv);
      touched[into] = 1;
      const after = ix.map((v) => rep[v]!);
      const among = Uint32Array.from(new Set([...on(from), ...on(into)])).sort();
      const keep = new Uint8Array(nTri).fill(1);
      for (const t of among) if (new Set([after[3 * t], after[3 * t + 1], after[3 * t + 2]]).size < 3) keep[t] = 0;
      return { before: ix, after, rep, touched, among, keep };
    };
    // vertex 0 (first sphere) into the last vertex (second sphere): the shells would join
    expect(shellsAfterMerge(shells, merge(0, nv - 1))).toBeUndefined();
    // the same merge within one shell (an edge collapse) is carried, each triangle keeping its shell
    const b = ix[1]!;
    const collapse = merge(0, b);
    const carried = shellsAfterMerge(shells, collapse);
    expect(carried?.shellCount).toBe(2);
    expect(carried?.shellOf.length).toBe(nTri - 2);
    // a dropped face on two merged vertices: refused (the proof needs one)
    const touched = collapse.touched.slice();
    const dropped = collapse.among.find((t) => !collapse.keep[t])!;
    touched[[0, 1, 2].map((k) => collapse.after[3 * dropped + k]!).find((v) => v !== b)!] = 1;
    expect(shellsAfterMerge(shells, { ...collapse, touched })).toBeUndefined();
  });
});
