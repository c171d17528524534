/**
 * The undirected-edge table every topology check, clean-up and smoothing step is built on
 * (half-edges grouped by edge, with how each edge is used), and its derivation for a mesh
 * compacted by whole shells. Plain typed arrays, as in mesh-utils.ts.
 */
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
  const nTri = (nHe / 3) | 0;
  // Bucket half-edges by their smaller endpoint (CSR), keeping the larger one beside each
  // entry, then group each bucket (a handful of entries) by the larger endpoint. A bucket's
  // entries are in ascending half-edge order (filled triangle by triangle, corner by corner),
  // so each edge's half-edges are written straight into edgeHe in ascending order.
  const count = new Uint32Array(nVerts + 1);
  for (let t = 0, h = 0; t < nTri; t++, h += 3) {
    const a = indices[h]!, b = indices[h + 1]!, c = indices[h + 2]!;
    count[(a < b ? a : b) + 1]!++;
    count[(b < c ? b : c) + 1]!++;
    count[(c < a ? c : a) + 1]!++;
  }
  for (let v = 0; v < nVerts; v++) count[v + 1]! += count[v]!;
  const fill = count.slice(0, nVerts);
  const bucket = new Uint32Array(nHe);
  const other = new Uint32Array(nHe);
  // 1 where the half-edge runs from the smaller endpoint: two uses of an edge with the same
  // value run the same way (misoriented), counted here without reading the indices again.
  const up = new Uint8Array(nHe);
  for (let t = 0, h = 0; t < nTri; t++, h += 3) {
    const a = indices[h]!, b = indices[h + 1]!, c = indices[h + 2]!;
    let i = a < b ? fill[a]!++ : fill[b]!++;
    bucket[i] = h;
    other[i] = a < b ? b : a;
    up[i] = a < b ? 1 : 0;
    i = b < c ? fill[b]!++ : fill[c]!++;
    bucket[i] = h + 1;
    other[i] = b < c ? c : b;
    up[i] = b < c ? 1 : 0;
    i = c < a ? fill[c]!++ : fill[a]!++;
    bucket[i] = h + 2;
    other[i] = c < a ? a : c;
    up[i] = c < a ? 1 : 0;
  }
  const heEdge = new Uint32Array(nHe);
  const edgeHe = new Uint32Array(nHe);
  // A closed mesh has nHe / 2 edges; an open one up to nHe (the arrays grow when needed).
  let edgeV: Uint32Array<ArrayBuffer> = new Uint32Array(nHe + 2);
  let edgeStart: Uint32Array<ArrayBuffer> = new Uint32Array((nHe >> 1) + 2);
  const DONE = 0xffffffff; // `other` of a slot already grouped (never a vertex index)
  let edgeCount = 0;
  let o = 0;
  let open = 0;
  let nonManifold = 0;
  let misoriented = 0;
  for (let v = 0; v < nVerts; v++) {
    const s = count[v]!;
    const e = count[v + 1]!;
    for (let i = s; i < e; i++) {
      const w = other[i]!;
      if (w === DONE) continue;
      const id = edgeCount++;
      if (id + 2 > edgeStart.length) edgeStart = growU32(edgeStart, 2 * edgeStart.length);
      if (2 * id + 2 > edgeV.length) edgeV = growU32(edgeV, 2 * edgeV.length);
      edgeStart[id] = o;
      edgeV[2 * id] = v;
      edgeV[2 * id + 1] = w;
      heEdge[bucket[i]!] = id;
      edgeHe[o++] = bucket[i]!;
      let n = 1;
      let same = 0;
      for (let j = i + 1; j < e; j++) {
        if (other[j] === w) {
          other[j] = DONE;
          heEdge[bucket[j]!] = id;
          edgeHe[o++] = bucket[j]!;
          n++;
          if (up[j] === up[i]) same = 1;
        }
      }
      if (n === 1) open++;
      else if (n > 2) nonManifold++;
      else misoriented += same;
    }
  }
  edgeStart[edgeCount] = o;
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
 */
export function compactEdgeTable(et: EdgeTable, keep: Uint8Array, vertexRemap: Int32Array): EdgeTable {
  const nTri = keep.length;
  const triNew = new Int32Array(nTri);
  let nt = 0;
  for (let t = 0; t < nTri; t++) triNew[t] = keep[t] ? nt++ : -1;
  // Whole shells go, so the kept edges hold exactly the kept triangles' 3·nt half-edges; the
  // edge count is at most the old one: one pass, the edge arrays trimmed at the end.
  const heEdge = new Uint32Array(3 * nt);
  const edgeHe = new Uint32Array(3 * nt);
  const edgeStart = new Uint32Array(et.edgeCount + 1);
  const edgeV = new Uint32Array(2 * et.edgeCount);
  let edgeCount = 0;
  let o = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const end = et.edgeStart[e + 1]!;
    if (!keep[(et.edgeHe[s]! / 3) | 0]) continue;
    const id = edgeCount++;
    if (o + end - s > edgeHe.length) throw new Error('compactEdgeTable: keep must drop whole shells');
    for (let i = s; i < end; i++) {
      const h = et.edgeHe[i]!;
      const t = (h / 3) | 0;
      const h2 = 3 * triNew[t]! + (h - 3 * t);
      edgeHe[o++] = h2;
      heEdge[h2] = id;
    }
    edgeStart[id + 1] = o;
    const a = vertexRemap[et.edgeV[2 * e]!]!, b = vertexRemap[et.edgeV[2 * e + 1]!]!;
    edgeV[2 * id] = a < b ? a : b;
    edgeV[2 * id + 1] = a < b ? b : a;
  }
  if (o !== edgeHe.length) throw new Error('compactEdgeTable: keep must drop whole shells');
  const out: EdgeTable = { edgeCount, heEdge, edgeStart: edgeStart.subarray(0, edgeCount + 1), edgeHe, edgeV: edgeV.subarray(0, 2 * edgeCount) };
  // A subset of edges that were all used twice in opposite directions still is; other counts are not known.
  if (et.uses && pairedOpposite(et.uses)) out.uses = { open: 0, nonManifold: 0, misoriented: 0 };
  return out;
}
