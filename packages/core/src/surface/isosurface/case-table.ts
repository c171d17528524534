/**
 * The marching-cubes case table, generated at load time from one rule instead of typed
 * in by hand, so that its topology is provably right for every one of the 256 cases.
 *
 * Cube corners: c = dy | dz<<1 | dx<<2 (so a cube's case is q(x) | q(x+1)<<4 where q is
 * the 4-bit (dy,dz) column code of one x position: the extractor builds it incrementally).
 * Cube edges: 0..3 run along x at (dy,dz) = e; 4..7 along y at (dx,dz) = e-4;
 * 8..11 along z at (dx,dy) = e-8 (dx + 2·dy, dx + 2·dz, dy + 2·dz).
 *
 * The rule that makes the surface a closed 2-manifold for ANY binary mask:
 * 1. On every cube face, walk its corners counter-clockwise (seen from outside the cube)
 *    and join each run of inside corners' exit crossing to its entry crossing. An
 *    ambiguous face (inside corners on a diagonal) thus always separates the inside
 *    corners: inside is 6-connected, outside 18-connected. The decision depends only on
 *    the face's four corners, so the two cubes sharing a face draw the same segments,
 *    in opposite directions (their outward normals are opposite).
 * 2. Every crossed cube edge is then the end of one segment and the start of another, so
 *    the segments form disjoint closed loops. Each loop bounds one disk inside the cube,
 *    triangulated without any new vertex.
 * 3. A diagonal of that triangulation never joins two vertices lying on a common cube face
 *    (that pair could be drawn by the neighbouring cube too: an edge used four times).
 *    Among the allowed triangulations the one with the shortest total diagonal length
 *    (edge midpoints) is kept: the classic minimum-weight choice, deterministic.
 * Then every mesh edge is either a face segment (one triangle in each of the two cubes
 * sharing the face) or a diagonal inside one cube's disk (two triangles of that disk),
 * and the triangles around a vertex on a grid edge chain through the four cubes around
 * that edge into one disk: a closed 2-manifold, consistently oriented.
 */

/** Corner c's offsets. */
export function cornerOffset(c: number): [dx: number, dy: number, dz: number] {
  return [(c >> 2) & 1, c & 1, (c >> 1) & 1];
}

function cornerIndex(dx: number, dy: number, dz: number): number {
  return dy | (dz << 1) | (dx << 2);
}

/** Cube edge e: axis (0 x, 1 y, 2 z) and the offsets of its lower end. */
export function edgeInfo(e: number): { axis: number; dx: number; dy: number; dz: number } {
  if (e < 4) return { axis: 0, dx: 0, dy: e & 1, dz: (e >> 1) & 1 };
  if (e < 8) return { axis: 1, dx: (e - 4) & 1, dy: 0, dz: ((e - 4) >> 1) & 1 };
  return { axis: 2, dx: (e - 8) & 1, dy: ((e - 8) >> 1) & 1, dz: 0 };
}

function edgeBetween(c1: number, c2: number): number {
  const a = cornerOffset(c1);
  const b = cornerOffset(c2);
  const lo = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.min(a[2], b[2])];
  if (a[0] !== b[0]) return lo[1]! + 2 * lo[2]!;
  if (a[1] !== b[1]) return 4 + lo[0]! + 2 * lo[2]!;
  return 8 + lo[0]! + 2 * lo[1]!;
}

function edgeMidpoint(e: number): [number, number, number] {
  const { axis, dx, dy, dz } = edgeInfo(e);
  return [dx + (axis === 0 ? 0.5 : 0), dy + (axis === 1 ? 0.5 : 0), dz + (axis === 2 ? 0.5 : 0)];
}

/** The six faces as corner cycles, counter-clockwise seen from outside the cube. */
function faceCycles(): number[][] {
  const faces: number[][] = [];
  for (let a = 0; a < 3; a++) {
    const u = (a + 1) % 3;
    const v = (a + 2) % 3;
    for (let s = 0; s < 2; s++) {
      const uv = s === 1 ? [[0, 0], [1, 0], [1, 1], [0, 1]] : [[0, 0], [0, 1], [1, 1], [1, 0]];
      faces.push(
        uv.map(([pu, pv]) => {
          const d = [0, 0, 0];
          d[a] = s;
          d[u] = pu!;
          d[v] = pv!;
          return cornerIndex(d[0]!, d[1]!, d[2]!);
        }),
      );
    }
  }
  return faces;
}

const FACES = faceCycles();

/** sharesFace[e1·12 + e2]: the two cube edges lie on a common face. */
const SHARES_FACE = (() => {
  const t = new Uint8Array(144);
  for (const cyc of FACES) {
    const es = [0, 1, 2, 3].map((i) => edgeBetween(cyc[i]!, cyc[(i + 1) % 4]!));
    for (const a of es) for (const b of es) t[a * 12 + b] = 1;
  }
  return t;
})();

/** The loops of crossed cube edges for one case, each in its boundary direction. */
export function caseLoops(cubeCase: number): number[][] {
  const inside = (c: number) => (cubeCase >> c) & 1;
  const next = new Int8Array(12).fill(-1);
  for (const cyc of FACES) {
    const kind: number[] = []; // +1 exit (in → out), -1 entry (out → in), 0 none
    const edge: number[] = [];
    for (let i = 0; i < 4; i++) {
      const a = cyc[i]!;
      const b = cyc[(i + 1) % 4]!;
      edge.push(edgeBetween(a, b));
      kind.push(inside(a) && !inside(b) ? 1 : !inside(a) && inside(b) ? -1 : 0);
    }
    for (let i = 0; i < 4; i++) {
      if (kind[i] !== 1) continue;
      let j = (i + 3) % 4;
      while (kind[j] !== -1) j = (j + 3) % 4;
      next[edge[i]!] = edge[j]!;
    }
  }
  const loops: number[][] = [];
  const seen = new Uint8Array(12);
  for (let e = 0; e < 12; e++) {
    if (next[e] === -1 || seen[e]) continue;
    const loop: number[] = [];
    for (let x = e; !seen[x]; x = next[x]!) {
      seen[x] = 1;
      loop.push(x);
    }
    loops.push(loop);
  }
  return loops;
}

/**
 * Minimum-weight triangulation of a loop with forbidden diagonals (pairs on a common cube
 * face). Returns triangles as loop-position triples in loop order, or null if impossible.
 */
function triangulateLoop(loop: number[]): Array<[number, number, number]> | null {
  const n = loop.length;
  const mid = loop.map(edgeMidpoint);
  const allowed = (i: number, j: number): boolean => {
    const d = (j - i + n) % n;
    if (d === 1 || d === n - 1) return true;
    return SHARES_FACE[loop[i]! * 12 + loop[j]!] === 0;
  };
  const len = (i: number, j: number): number => {
    const a = mid[i]!;
    const b = mid[j]!;
    return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  };
  // cost[i][j]: best triangulation of the sub-polygon i..j (j > i), diagonal i–j excluded.
  const cost: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(Infinity));
  const split: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(-1));
  for (let i = 0; i + 1 < n; i++) cost[i]![i + 1] = 0;
  for (let gap = 2; gap < n; gap++) {
    for (let i = 0; i + gap < n; i++) {
      const j = i + gap;
      if (!allowed(i, j)) continue;
      for (let k = i + 1; k < j; k++) {
        const c = cost[i]![k]! + cost[k]![j]! + (k - i > 1 ? len(i, k) : 0) + (j - k > 1 ? len(k, j) : 0);
        if (c < cost[i]![j]!) {
          cost[i]![j] = c;
          split[i]![j] = k;
        }
      }
    }
  }
  if (!Number.isFinite(cost[0]![n - 1]!)) return null;
  const tris: Array<[number, number, number]> = [];
  const emit = (i: number, j: number) => {
    if (j - i < 2) return;
    const k = split[i]![j]!;
    tris.push([i, k, j]);
    emit(i, k);
    emit(k, j);
  };
  emit(0, n - 1);
  return tris;
}

export interface CaseTable {
  /** Triangles of case c: edge triples triEdges[3·triStart[c] .. 3·triStart[c+1]). */
  triStart: Uint16Array;
  triEdges: Uint8Array;
}

function buildCaseTable(): CaseTable {
  const triStart = new Uint16Array(257);
  const edges: number[] = [];
  for (let c = 0; c < 256; c++) {
    triStart[c] = edges.length / 3;
    for (const loop of caseLoops(c)) {
      const tris = triangulateLoop(loop);
      if (!tris) throw new Error(`isosurface case table: loop of case ${c} cannot be triangulated`);
      // Loops run with the inside on their left seen from outside the cube, which makes the
      // right-hand normal point into the inside: emit reversed for outward normals.
      for (const [a, b, d] of tris) edges.push(loop[a]!, loop[d]!, loop[b]!);
    }
  }
  triStart[256] = edges.length / 3;
  return { triStart, triEdges: Uint8Array.from(edges) };
}

let table: CaseTable | undefined;

/**
 * The table, made on first use (~30 ms of triangulating the 256 cases' loops): a thread that
 * loads this module but extracts no surface (the CLI's main thread, whose pool extracts) does
 * not pay it at start.
 */
export function caseTable(): CaseTable {
  return (table ??= buildCaseTable());
}
