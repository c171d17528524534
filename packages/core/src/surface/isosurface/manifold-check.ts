/**
 * An independent closed-2-manifold check, written separately from the conditioning gate so
 * the extractor's guarantee is verified by code that shares nothing with it: every
 * undirected edge must be used by exactly two triangles in opposite directions, and the
 * triangles around every vertex must form one disk fan (a single cycle).
 */
import type { Mesh } from '../../geometry/types.js';

export interface ManifoldCheck {
  triangles: number;
  vertices: number;
  usedVertices: number;
  edges: number;
  /** Edges with one triangle. */
  openEdges: number;
  /** Edges with more than two triangles. */
  nonManifoldEdges: number;
  /** Edges with two triangles running the same way. */
  misorientedEdges: number;
  /** Vertices whose triangles form more than one fan, or an open fan. */
  nonManifoldVertices: number;
  /** Triangles with a repeated or out-of-range vertex. */
  badTriangles: number;
  closedManifold: boolean;
}

export function checkClosedManifold(mesh: Mesh): ManifoldCheck {
  const ix = mesh.indices;
  const nv = mesh.positions.length / 3;
  const nt = ix.length / 3;
  let badTriangles = 0;
  const start = new Uint32Array(nv + 1);
  for (let t = 0; t < nt; t++) {
    const a = ix[3 * t]!, b = ix[3 * t + 1]!, c = ix[3 * t + 2]!;
    if (a >= nv || b >= nv || c >= nv || a === b || b === c || a === c) {
      badTriangles++;
      continue;
    }
    start[a + 1]!++;
    start[b + 1]!++;
    start[c + 1]!++;
  }
  for (let v = 0; v < nv; v++) start[v + 1]! += start[v]!;
  // Half-edges by tail: head (the next corner) and third (the previous corner).
  const head = new Uint32Array(start[nv]!);
  const third = new Uint32Array(start[nv]!);
  const fill = start.slice(0, nv);
  for (let t = 0; t < nt; t++) {
    const a = ix[3 * t]!, b = ix[3 * t + 1]!, c = ix[3 * t + 2]!;
    if (a >= nv || b >= nv || c >= nv || a === b || b === c || a === c) continue;
    let o = fill[a]!++;
    head[o] = b;
    third[o] = c;
    o = fill[b]!++;
    head[o] = c;
    third[o] = a;
    o = fill[c]!++;
    head[o] = a;
    third[o] = b;
  }
  const countHeads = (v: number, h: number): number => {
    let n = 0;
    for (let i = start[v]!; i < start[v + 1]!; i++) if (head[i] === h) n++;
    return n;
  };
  const firstHead = (v: number, i: number): boolean => {
    for (let j = start[v]!; j < i; j++) if (head[j] === head[i]) return false;
    return true;
  };
  let edges = 0, openEdges = 0, nonManifoldEdges = 0, misorientedEdges = 0, nonManifoldVertices = 0, usedVertices = 0;
  for (let a = 0; a < nv; a++) {
    const s = start[a]!;
    const e = start[a + 1]!;
    if (e > s) usedVertices++;
    for (let i = s; i < e; i++) {
      const b = head[i]!;
      if (!firstHead(a, i)) continue;
      const nab = countHeads(a, b);
      const nba = countHeads(b, a);
      if (a > b && nba > 0) continue; // classified from b's side
      edges++;
      const total = nab + nba;
      if (total === 1) openEdges++;
      else if (total > 2) nonManifoldEdges++;
      else if (nab !== 1) misorientedEdges++;
    }
    // Disk fan: the map head → third over a's triangles must be one cycle through all of them.
    const deg = e - s;
    if (deg === 0) continue;
    let ok = true;
    for (let i = s; i < e && ok; i++) {
      if (!firstHead(a, i)) ok = false;
    }
    if (ok) {
      let cur = head[s]!;
      let steps = 0;
      while (steps <= deg) {
        let nxt = -1;
        for (let i = s; i < e; i++) if (head[i] === cur) nxt = third[i]!;
        steps++;
        if (nxt < 0) {
          ok = false;
          break;
        }
        cur = nxt;
        if (cur === head[s]) break;
      }
      if (steps !== deg || cur !== head[s]) ok = false;
    }
    if (!ok) nonManifoldVertices++;
  }
  const closedManifold = openEdges === 0 && nonManifoldEdges === 0 && misorientedEdges === 0 && nonManifoldVertices === 0 && badTriangles === 0;
  return { triangles: nt, vertices: nv, usedVertices, edges, openEdges, nonManifoldEdges, misorientedEdges, nonManifoldVertices, badTriangles, closedManifold };
}
