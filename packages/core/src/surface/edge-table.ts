/**
 * The undirected-edge table every topology check, clean-up and smoothing step is built on
 * (half-edges grouped by edge, with how each edge is used), and its derivation for a mesh
 * compacted by whole shells. Plain typed arrays, as in mesh-utils.ts.
 */
import { withRoom } from './room.js';

/**
 * Undirected edges of a triangle soup. Half-edge h = 3·t + c runs from corner c to corner
 * (c+1)%3 of triangle t. `heEdge[h]` is its undirected edge; edge e's half-edges are
 * `edgeHe[edgeStart[e] .. edgeStart[e+1])` (ascending h, so the order is deterministic).
 * Edges are numbered by (min vertex, first appearance).
 */
export interface EdgeTable {
  edgeCount: number;
  heEdge: Uint32Array;
  edgeStart: Uint32Array;
  edgeHe: Uint32Array;
  /** Endpoints of edge e: edgeV[2e] < edgeV[2e+1]. */
  edgeV: Uint32Array;
  /** How the edges are used, when whoever made the table counted it on the way (no pass over the edges then). */
  uses?: EdgeUses;
}

/** Edges used once, more than twice, and twice in the same direction (the two tails equal). */
export interface EdgeUses {
  open: number;
  nonManifold: number;
  misoriented: number;
}

/** The table's EdgeUses: as recorded, else counted (one pass over the edges). */
export function edgeUses(indices: Uint32Array, et: EdgeTable): EdgeUses {
  if (et.uses) return et.uses;
  let open = 0;
  let nonManifold = 0;
  let misoriented = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const n = et.edgeStart[e + 1]! - s;
    if (n === 1) open++;
    else if (n > 2) nonManifold++;
    else if (indices[et.edgeHe[s]!] === indices[et.edgeHe[s + 1]!]) misoriented++;
  }
  return { open, nonManifold, misoriented };
}

/** Every edge used exactly twice, in opposite directions. */
export function pairedOpposite(u: EdgeUses): boolean {
  return u.open === 0 && u.nonManifold === 0 && u.misoriented === 0;
}

export function buildEdgeTable(indices: Uint32Array, nVerts: number): EdgeTable {
  const nHe = indices.length;
  // Bucket half-edges by their smaller endpoint (CSR), keeping the larger one beside each
  // entry, then group each bucket (a handful of entries) by the larger endpoint. A bucket's
  // entries are in ascending half-edge order (filled triangle by triangle, corner by corner),
  // so each edge's half-edges are written in ascending order.
  const count = new Uint32Array(nVerts + 1);
  for (let h = 0; h < nHe; h += 3) {
    const a = indices[h]!, b = indices[h + 1]!, c = indices[h + 2]!;
    count[(a < b ? a : b) + 1]!++;
    count[(b < c ? b : c) + 1]!++;
    count[(c < a ? c : a) + 1]!++;
  }
  for (let v = 0; v < nVerts; v++) count[v + 1]! += count[v]!;
  const fill = count.slice(0, nVerts);
  // The buckets live in the output arrays (no 2·nHe scratch): entry i's half-edge in edgeHe[i],
  // 2·(larger endpoint) + up in heEdge[i]. up = 1 where the half-edge runs from the smaller
  // endpoint: two uses of an edge with the same up run the same way (misoriented).
  const edgeHe = new Uint32Array(nHe);
  const heEdge = new Uint32Array(nHe);
  for (let h = 0; h < nHe; h += 3) {
    const a = indices[h]!, b = indices[h + 1]!, c = indices[h + 2]!;
    let i: number;
    if (a < b) {
      i = fill[a]!++;
      heEdge[i] = 2 * b + 1;
    } else {
      i = fill[b]!++;
      heEdge[i] = 2 * a;
    }
    edgeHe[i] = h;
    if (b < c) {
      i = fill[b]!++;
      heEdge[i] = 2 * c + 1;
    } else {
      i = fill[c]!++;
      heEdge[i] = 2 * b;
    }
    edgeHe[i] = h + 1;
    if (c < a) {
      i = fill[c]!++;
      heEdge[i] = 2 * a + 1;
    } else {
      i = fill[a]!++;
      heEdge[i] = 2 * c;
    }
    edgeHe[i] = h + 2;
  }
  // A closed mesh has nHe / 2 edges; an open one up to nHe (the arrays grow when needed).
  // Both with a little room past a closed mesh's edges (untouched pages cost nothing): a table
  // whose edges all go on into a compacted one shares its edgeStart, which a split of a few
  // edges then grows in place (split-topology.ts).
  let edgeV: Uint32Array<ArrayBuffer> = new Uint32Array(nHe + 2 + (nHe >> 5));
  let edgeStart: Uint32Array<ArrayBuffer> = new Uint32Array((nHe >> 1) + 2 + (nHe >> 6));
  // A bucket's edges are written over its own range of edgeHe, so it is copied out first.
  let bucketHe = new Uint32Array(64);
  let bucketKey = new Uint32Array(64);
  const DONE = 0xffffffff; // key of an entry already grouped (never 2·vertex + up: a vertex index is < 2³¹)
  let edgeCount = 0;
  let open = 0;
  let nonManifold = 0;
  let misoriented = 0;
  for (let v = 0; v < nVerts; v++) {
    const s = count[v]!;
    const n = count[v + 1]! - s;
    if (n === 0) continue;
    if (n > bucketHe.length) {
      bucketHe = new Uint32Array(2 * n);
      bucketKey = new Uint32Array(2 * n);
    }
    for (let i = 0; i < n; i++) {
      bucketHe[i] = edgeHe[s + i]!;
      bucketKey[i] = heEdge[s + i]!;
    }
    let o = s;
    for (let i = 0; i < n; i++) {
      const k = bucketKey[i]!;
      if (k === DONE) continue;
      const w = k >>> 1;
      const id = edgeCount++;
      if (id + 2 > edgeStart.length) edgeStart = growU32(edgeStart, 2 * edgeStart.length);
      if (2 * id + 2 > edgeV.length) edgeV = growU32(edgeV, 2 * edgeV.length);
      edgeStart[id] = o;
      edgeV[2 * id] = v;
      edgeV[2 * id + 1] = w;
      edgeHe[o++] = bucketHe[i]!;
      let uses = 1;
      let same = 0;
      for (let j = i + 1; j < n; j++) {
        const kj = bucketKey[j]!;
        if (kj >>> 1 === w && kj !== DONE) {
          bucketKey[j] = DONE;
          edgeHe[o++] = bucketHe[j]!;
          uses++;
          if (kj === k) same = 1;
        }
      }
      if (uses === 1) open++;
      else if (uses > 2) nonManifold++;
      else misoriented += same;
    }
  }
  edgeStart[edgeCount] = nHe;
  for (let e = 0; e < edgeCount; e++) {
    const end = edgeStart[e + 1]!;
    for (let i = edgeStart[e]!; i < end; i++) heEdge[edgeHe[i]!] = e;
  }
  return {
    edgeCount,
    heEdge,
    edgeStart: edgeStart.subarray(0, edgeCount + 1),
    edgeHe,
    edgeV: edgeV.subarray(0, 2 * edgeCount),
    uses: { open, nonManifold, misoriented },
  };
}

function growU32(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

/** Tail vertex of half-edge h (its direction is tail → head). */
export function heTail(indices: Uint32Array, h: number): number {
  return indices[h]!;
}

/**
 * The edge table of compactMesh(mesh, keep, remap) derived from the mesh's own, when `keep`
 * drops whole shells (every edge then keeps all its uses or none): no rebuild. Edges keep their
 * relative order; endpoints are renumbered (and put in ascending order again).
 *
 * edgeStart and edgeV (what smoothing reads) are made here; heEdge and edgeHe, which the
 * conditioning after a clean-up does not read (smoothing uses the endpoints, the second
 * clean-up the recorded uses), on first access: they are the scattered half of the work.
 */
/**
 * `consume`: the caller drops `et` after this (a table it built itself), so the renumbered
 * endpoints are written over et.edgeV (edge id ≤ source edge, so nothing unread is
 * overwritten) instead of into a new array; et must not be used afterwards. `room`: the new
 * arrays are views of buffers with room for that many more edges and half-edges
 * (split-topology.ts grows them in place).
 */
export function compactEdgeTable(et: EdgeTable, keep: Uint8Array, vertexRemap: Int32Array, consume = false, room: { edges: number; halfEdges: number } = { edges: 0, halfEdges: 0 }): EdgeTable {
  const oldStart = et.edgeStart;
  const oldHe = et.edgeHe;
  const oldV = et.edgeV;
  // The edge count is at most the old one: one pass, the edge arrays trimmed at the end.
  // Where every edge has two uses, edgeStart is 0, 2, 4, … in both tables: the output's is a
  // prefix of the source's, shared instead of written.
  const paired = et.uses !== undefined && et.uses.open + et.uses.nonManifold === 0;
  const edgeStart = paired ? oldStart : new Uint32Array(et.edgeCount + 1 + room.edges);
  const edgeV = consume ? oldV : new Uint32Array(2 * (et.edgeCount + room.edges));
  let edgeCount = 0;
  let o = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = oldStart[e]!;
    if (!keep[(oldHe[s]! / 3) | 0]) continue;
    const id = edgeCount++;
    o += oldStart[e + 1]! - s;
    if (!paired) edgeStart[id + 1] = o;
    const a = vertexRemap[oldV[2 * e]!]!, b = vertexRemap[oldV[2 * e + 1]!]!;
    edgeV[2 * id] = a < b ? a : b;
    edgeV[2 * id + 1] = a < b ? b : a;
  }
  let nt = 0;
  for (let t = 0; t < keep.length; t++) nt += keep[t] ? 1 : 0;
  // Whole shells go, so the kept edges hold exactly the kept triangles' 3·nt half-edges.
  if (o !== 3 * nt) throw new Error('compactEdgeTable: keep must drop whole shells');
  const halfEdges = lazyHalfEdges(oldStart, oldHe, et.edgeCount, keep.slice(), edgeCount, room.halfEdges);
  const out: EdgeTable = {
    edgeCount,
    edgeStart: edgeStart.subarray(0, edgeCount + 1),
    edgeV: edgeV.subarray(0, 2 * edgeCount),
    get heEdge(): Uint32Array {
      return halfEdges().heEdge;
    },
    get edgeHe(): Uint32Array {
      return halfEdges().edgeHe;
    },
  };
  // A subset of edges that were all used twice in opposite directions still is; other counts are not known.
  if (et.uses && pairedOpposite(et.uses)) out.uses = { open: 0, nonManifold: 0, misoriented: 0 };
  return out;
}

/**
 * heEdge and edgeHe of compactEdgeTable's output, made once on first call. Holds only what it
 * needs of the source table (its edgeStart and edgeHe) and its own copy of `keep`.
 */
function lazyHalfEdges(oldStart: Uint32Array, oldHe: Uint32Array, oldCount: number, keep: Uint8Array, edgeCount: number, room: number): () => { heEdge: Uint32Array; edgeHe: Uint32Array } {
  let made: { heEdge: Uint32Array; edgeHe: Uint32Array } | undefined;
  return () => {
    if (made) return made;
    const triNew = new Int32Array(keep.length);
    let nt = 0;
    for (let t = 0; t < keep.length; t++) triNew[t] = keep[t] ? nt++ : -1;
    const heEdge = withRoom(Uint32Array, 3 * nt, room);
    const edgeHe = withRoom(Uint32Array, 3 * nt, room);
    let id = 0;
    let o = 0;
    for (let e = 0; e < oldCount; e++) {
      const s = oldStart[e]!;
      const end = oldStart[e + 1]!;
      if (!keep[(oldHe[s]! / 3) | 0]) continue;
      for (let i = s; i < end; i++) {
        const h = oldHe[i]!;
        const t = (h / 3) | 0;
        const h2 = 3 * triNew[t]! + (h - 3 * t);
        edgeHe[o++] = h2;
        heEdge[h2] = id;
      }
      id++;
    }
    if (id !== edgeCount) throw new Error('compactEdgeTable: the source table changed');
    made = { heEdge, edgeHe };
    return made;
  };
}
