/**
 * The shells of a mesh after a few coincident vertices merged, carried over from the shells
 * before the merge instead of labelled again over a new edge table (a pass over every edge of
 * the mesh for a change at a handful of vertices).
 *
 * Why the old labels hold, under the conditions checked here:
 * - the mesh before was closed and consistently wound (every edge used twice, in opposite
 *   directions), and after the merge no problem is left round the touched vertices
 *   (mergeIfBetter's problemsAfter = 0: their edges paired and opposite, the vertices not
 *   pinched), so the mesh after is consistently wound too (edges away from them are unchanged);
 * - every dropped face lies on exactly one touched vertex u: the faces beside it (across an edge
 *   on u) lie on u, and across its edge off u lies the copy it cancelled with (that edge had
 *   just the two of them), which is dropped too; so every path between kept faces that ran
 *   through dropped faces can run round u instead, whose faces form one fan (u is not pinched):
 *   no shell falls apart;
 * - every merged vertex and the vertex it went into were on the same shell: no shells join.
 * Then the shells after are the shells before less the dropped faces, numbered again by their
 * first triangle (as labelShells numbers them). Where a condition fails the caller labels anew.
 */
import type { MeshShells } from './mesh-utils.js';

export interface MergedFaces {
  /** Triangles before the merge (the shells' triangles). */
  before: Uint32Array;
  /** The same triangles after it (same numbering), before any were dropped. */
  after: Uint32Array;
  /** Every vertex's representative (mergeIfBetter's rep) and the representatives merged into (touched). */
  rep: Uint32Array;
  touched: Uint8Array;
  /** The triangles on a touched vertex (ascending): the only ones that changed or were dropped. */
  among: Uint32Array;
  /** 1 for every kept triangle, when any was dropped. */
  keep?: Uint8Array;
}

/** Shells of the kept triangles (in their order), or undefined when they must be labelled anew. */
export function shellsAfterMerge(shells: MeshShells, f: MergedFaces): MeshShells | undefined {
  const { shellOf, shellCount } = shells;
  const { before, after, rep, touched, among, keep } = f;
  // Shell of each representative, from the triangles on it or on a vertex merged into it.
  const shellOfRep = new Map<number, number>();
  for (let k = 0; k < among.length; k++) {
    const t = among[k]!;
    const s = shellOf[t]!;
    for (let c = 0; c < 3; c++) {
      const r = rep[before[3 * t + c]!]!;
      if (!touched[r]) continue;
      const known = shellOfRep.get(r);
      if (known === undefined) shellOfRep.set(r, s);
      else if (known !== s) return undefined;
    }
    if (keep && !keep[t]) {
      const a = after[3 * t]!, b = after[3 * t + 1]!, c = after[3 * t + 2]!;
      const onA = touched[a]! === 1, onB = touched[b]! === 1 && b !== a, onC = touched[c]! === 1 && c !== a && c !== b;
      if (+onA + +onB + +onC !== 1) return undefined;
    }
  }
  const nTri = shellOf.length;
  let kept = nTri;
  if (keep) for (let t = 0; t < nTri; t++) kept -= 1 - keep[t]!;
  const out = new Uint32Array(kept);
  const newId = new Int32Array(shellCount).fill(-1);
  let count = 0;
  for (let t = 0, o = 0; t < nTri; t++) {
    if (keep && !keep[t]) continue;
    const s = shellOf[t]!;
    let id = newId[s]!;
    if (id === -1) id = newId[s] = count++;
    out[o++] = id;
  }
  return { shellOf: out, shellCount: count };
}
