/**
 * The edge table and shells of a mesh after splitLongEdges, carried over from the table before
 * instead of rebuilt (a rebuild costs ~0.3 s on a skull's 1.6 M triangles). Uncut triangles keep
 * their half-edges and their edges keep their numbers; a split edge keeps its number for its
 * half at its smaller end, and the new edges follow the old ones: the other halves (in the order
 * of the splits), then the edges inside the cut triangles (in the order of the cut triangles).
 * Each edge's half-edges stay ascending. Shells: a triangle's pieces are in its shell, and shell
 * ids (by lowest triangle) do not change.
 *
 * The endpoints and the slots (edgeV, edgeStart: what smoothing reads) are made at once; heEdge
 * and edgeHe on first access, as compactEdgeTable's (the conditioning after the first clean-up
 * may never read them). `inPlace`: the arrays grow in place where their buffers have room
 * (grownView); `before` must not be used after.
 */
import type { MeshTopology } from './cleanup.js';
import { pairedOpposite, type EdgeTable } from './edge-table.js';
import { grown } from './room.js';
import type { SplitEdges } from './split-edges.js';

export function splitTopology(before: MeshTopology, split: SplitEdges, opts: { inPlace?: boolean } = {}): MeshTopology {
  if (split.splits === 0) return before;
  const after = split.mesh.indices;
  const et = before.edges;
  const nT = before.shellOf.length;
  const nT2 = after.length / 3;
  const nv = split.mesh.positions.length / 3 - split.splits;
  const E = et.edgeCount;
  const { splits, ends, cut, pieceStart } = split;
  const inner = nT2 - nT; // one edge inside a cut triangle per piece after its first
  const E2 = E + splits + inner;
  const grow = <T extends Uint32Array>(a: T, n: number): T => grown(a, n, opts.inPlace ?? false);
  const splitEdge = splitEdgeIds(et, split, nv);
  const edgeStart = grow(et.edgeStart, E2 + 1);
  for (let k = 0; k < splits; k++) {
    const e = splitEdge[k]!;
    edgeStart[E + k + 1] = edgeStart[E + k]! + edgeStart[e + 1]! - edgeStart[e]!;
  }
  for (let j = 0; j < inner; j++) edgeStart[E + splits + j + 1] = edgeStart[E + splits + j]! + 2;
  const edgeV = grow(et.edgeV, 2 * E2);
  for (let k = 0; k < splits; k++) {
    edgeV[2 * splitEdge[k]! + 1] = nv + k; // (smaller end, new vertex)
    edgeV[2 * (E + k)] = ends[2 * k + 1]!; // (larger end, new vertex)
    edgeV[2 * (E + k) + 1] = nv + k;
  }
  const walk = { E, nT, nv, after, split, splitEdge, edgeV };
  walkPieces(walk);

  let made: { heEdge: Uint32Array; edgeHe: Uint32Array } | undefined;
  const halfEdges = (): { heEdge: Uint32Array; edgeHe: Uint32Array } => {
    if (made) return made;
    const heEdge = grow(et.heEdge, 3 * nT2);
    const edgeHe = grow(et.edgeHe, 3 * nT2);
    walkPieces(walk, { heEdge, edgeHe, edgeStart });
    made = { heEdge, edgeHe };
    return made;
  };
  const edges: EdgeTable = {
    edgeCount: E2,
    edgeStart,
    edgeV,
    get heEdge(): Uint32Array {
      return halfEdges().heEdge;
    },
    get edgeHe(): Uint32Array {
      return halfEdges().edgeHe;
    },
  };
  // splitting keeps every edge used twice in opposite directions where it was
  if (et.uses && pairedOpposite(et.uses)) edges.uses = { open: 0, nonManifold: 0, misoriented: 0 };
  const shellOf = grow(before.shellOf, nT2);
  for (let i = 0; i < cut.length; i++) {
    shellOf.fill(before.shellOf[cut[i]!]!, nT + pieceStart[i]!, nT + pieceStart[i + 1]!);
  }
  return { indices: after, edges, shellOf, shellCount: before.shellCount };
}

/** The old edge each new vertex splits: a pass over the edges with the split ends looked up. */
function splitEdgeIds(et: EdgeTable, split: SplitEdges, nv: number): Uint32Array {
  const { ends, splits } = split;
  const key = new Map<number, number>();
  for (let k = 0; k < splits; k++) key.set(ends[2 * k]! * nv + ends[2 * k + 1]!, k);
  const flagged = new Uint8Array(nv);
  for (let i = 0; i < ends.length; i++) flagged[ends[i]!] = 1;
  const out = new Uint32Array(splits).fill(0xffffffff);
  const V = et.edgeV;
  for (let e = 0; e < et.edgeCount; e++) {
    const a = V[2 * e]!;
    if (!flagged[a]) continue;
    const k = key.get(a * nv + V[2 * e + 1]!);
    if (k !== undefined) out[k] = e;
  }
  for (let k = 0; k < splits; k++) if (out[k] === 0xffffffff) throw new Error('splitTopology: a split edge is not in the table');
  return out;
}

interface Walk {
  E: number;
  nT: number;
  nv: number;
  after: Uint32Array;
  split: SplitEdges;
  splitEdge: Uint32Array;
  edgeV: Uint32Array;
}

/**
 * The pieces of every cut triangle, edge by edge: the inner edges numbered (in the same order
 * every time) and their endpoints written; with `he`, each piece's half-edge given its edge and
 * put in that edge's slot (taking the place of the cut triangle's own half-edge on an old edge).
 */
function walkPieces(w: Walk, he?: { heEdge: Uint32Array; edgeHe: Uint32Array; edgeStart: Uint32Array }): void {
  const { E, nT, nv, after, split, splitEdge, edgeV } = w;
  const { ends, cut, pieceStart, cutCorners, splits } = split;
  const fill = he ? new Uint32Array(splits + (after.length / 3 - nT)) : undefined; // entries written in each new edge's slot
  const touched: number[] = [];
  let nextInner = E + splits;
  const local: number[] = []; // the inner edges of one cut triangle: (u, v, id), found again from the other side
  const old = [0, 0, 0];
  for (let i = 0; i < cut.length; i++) {
    const t = cut[i]!;
    local.length = 0;
    if (he) for (let c = 0; c < 3; c++) old[c] = he.heEdge[3 * t + c]!;
    // the corner of the cut triangle's old edge u–w
    const cornerOf = (u: number, x: number): number => {
      for (let c = 0; c < 3; c++) {
        const a = cutCorners[3 * i + c]!, b = cutCorners[3 * i + (c === 2 ? 0 : c + 1)]!;
        if ((a === u && b === x) || (a === x && b === u)) return c;
      }
      throw new Error('splitTopology: a piece’s edge is not on its triangle');
    };
    const last = nT + pieceStart[i + 1]!;
    for (let p = t, q = nT + pieceStart[i]!; ; p = q++) {
      for (let c = 0; c < 3; c++) {
        const h = 3 * p + c;
        const u = after[h]!, x = after[3 * p + (c === 2 ? 0 : c + 1)]!;
        let id = -1;
        let c0 = -1;
        if (u < nv && x < nv) {
          if (!he) continue; // an uncut edge of the triangle: nothing to number
          c0 = cornerOf(u, x);
          id = old[c0]!;
        } else {
          const nu = u >= nv ? u : x, o = u >= nv ? x : u, k = nu - nv;
          if (o < nv && o === ends[2 * k]) {
            id = splitEdge[k]!;
            c0 = cornerOf(ends[2 * k]!, ends[2 * k + 1]!);
          } else if (o < nv && o === ends[2 * k + 1]) id = E + k;
          else {
            // inside the triangle: met twice, once each way
            for (let j = 0; j < local.length; j += 3) if (local[j] === x && local[j + 1] === u) id = local[j + 2]!;
            if (id < 0) {
              id = nextInner++;
              local.push(u, x, id);
              edgeV[2 * id] = u < x ? u : x;
              edgeV[2 * id + 1] = u < x ? x : u;
            }
          }
        }
        if (!he) continue;
        he.heEdge[h] = id;
        if (id >= E) {
          he.edgeHe[he.edgeStart[id]! + fill![id - E]!++] = h;
          continue;
        }
        // an old edge: this half-edge takes the place of the cut triangle's own
        const was = 3 * t + c0;
        for (let s = he.edgeStart[id]!; s < he.edgeStart[id + 1]!; s++) {
          if (he.edgeHe[s] === was) {
            he.edgeHe[s] = h;
            break;
          }
        }
        touched.push(id);
      }
      if (q >= last) break;
    }
  }
  if (!he) return;
  // half-edges ascending in every slot that changed
  for (const e of touched) sortSlot(he.edgeHe, he.edgeStart[e]!, he.edgeStart[e + 1]!);
  for (let e = E; e < nextInner; e++) sortSlot(he.edgeHe, he.edgeStart[e]!, he.edgeStart[e + 1]!);
}

/** Insertion sort of a[s, e): a slot holds a handful of half-edges. */
function sortSlot(a: Uint32Array, s: number, e: number): void {
  for (let i = s + 1; i < e; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= s && a[j]! > x) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
}
