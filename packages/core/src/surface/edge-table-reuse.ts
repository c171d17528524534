/**
 * Edge tables derived from an earlier one instead of rebuilt from the triangles (a rebuild of a
 * skull's 1.6 M triangles is ~0.2 s and ~100 MB of temporaries). Each function here gives
 * exactly what buildEdgeTable would give for the new triangles, so callers (smoothing sums
 * neighbours in edge order) produce the same bytes either way; cleanup.spec checks that.
 */
import type { EdgeTable } from './mesh-utils.js';

/**
 * The edge table after some triangles were flipped (corners 1 and 2 swapped, as orientShells
 * does): a flipped triangle's half-edge 0 runs along what was its half-edge 2 and the other
 * way round; half-edge 1 stays on its edge. `before` and `after` are the indices without and
 * with the flips. Edge lists may come out of ascending order: canonicalEdgeTable sorts them.
 */
export function flipEdgeTable(et: EdgeTable, before: Uint32Array, after: Uint32Array): EdgeTable {
  const heEdge = et.heEdge.slice();
  const edgeHe = et.edgeHe.slice();
  const swapIn = (e: number, from: number, to: number): void => {
    for (let i = et.edgeStart[e]!; i < et.edgeStart[e + 1]!; i++) {
      if (edgeHe[i] === from) {
        edgeHe[i] = to;
        return;
      }
    }
  };
  for (let h = 0; h < before.length; h += 3) {
    if (before[h + 1] === after[h + 1]) continue;
    const e0 = et.heEdge[h]!, e2 = et.heEdge[h + 2]!;
    heEdge[h] = e2;
    heEdge[h + 2] = e0;
    swapIn(e0, h, h + 2);
    swapIn(e2, h + 2, h);
  }
  return { edgeCount: et.edgeCount, heEdge, edgeStart: et.edgeStart, edgeHe, edgeV: et.edgeV };
}

/**
 * The same edges renumbered as buildEdgeTable numbers them (by smaller endpoint, then by the
 * edge's first half-edge), each edge's half-edges ascending. Linear: a counting sort by
 * endpoint and an insertion sort inside each endpoint's few edges.
 */
export function canonicalEdgeTable(et: EdgeTable, nVerts: number): EdgeTable {
  const { edgeCount, edgeStart, edgeV } = et;
  const lists = et.edgeHe.slice();
  // Half-edges of each edge ascending (two per edge on a closed mesh).
  for (let e = 0; e < edgeCount; e++) {
    const s = edgeStart[e]!, end = edgeStart[e + 1]!;
    for (let i = s + 1; i < end; i++) {
      const x = lists[i]!;
      let j = i - 1;
      while (j >= s && lists[j]! > x) {
        lists[j + 1] = lists[j]!;
        j--;
      }
      lists[j + 1] = x;
    }
  }
  const start = new Uint32Array(nVerts + 1);
  for (let e = 0; e < edgeCount; e++) start[edgeV[2 * e]! + 1]!++;
  for (let v = 0; v < nVerts; v++) start[v + 1]! += start[v]!;
  const order = new Uint32Array(edgeCount);
  const fill = start.slice(0, nVerts);
  for (let e = 0; e < edgeCount; e++) order[fill[edgeV[2 * e]!]!++] = e;
  for (let v = 0; v < nVerts; v++) {
    const s = start[v]!, end = start[v + 1]!;
    for (let i = s + 1; i < end; i++) {
      const e = order[i]!;
      const key = lists[edgeStart[e]!]!;
      let j = i - 1;
      while (j >= s && lists[edgeStart[order[j]!]!]! > key) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = e;
    }
  }
  const heEdge = new Uint32Array(et.heEdge.length);
  const newStart = new Uint32Array(edgeCount + 1);
  const edgeHe = new Uint32Array(lists.length);
  const newV = new Uint32Array(2 * edgeCount);
  let o = 0;
  for (let id = 0; id < edgeCount; id++) {
    const e = order[id]!;
    newStart[id] = o;
    newV[2 * id] = edgeV[2 * e]!;
    newV[2 * id + 1] = edgeV[2 * e + 1]!;
    for (let i = edgeStart[e]!; i < edgeStart[e + 1]!; i++) {
      const h = lists[i]!;
      edgeHe[o++] = h;
      heEdge[h] = id;
    }
  }
  newStart[edgeCount] = o;
  return { edgeCount, heEdge, edgeStart: newStart, edgeHe, edgeV: newV };
}
