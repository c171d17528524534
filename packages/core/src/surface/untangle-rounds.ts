/**
 * The rounds of the self-intersection repair (untangle.ts) after its full check: the triangles
 * round the corners that moved are checked again, in the cells their boxes now touch, against
 * every triangle there (MovingBins keeps the moving ones binned over their whole way). A large
 * round is shared with the worker pool (localCrossingsTask).
 */
import { sharedUint8, slabRanges, type WorkerPool } from '../parallel/pool.js';
import { crossingsInCells, type CrossingGrid } from './self-intersections.js';

export const LOCAL_CROSSINGS_TASK = 'surface.local-crossings';
/**
 * A round's local check goes to the pool when its cells list at least this many entries. On the
 * GE 4 mm head the first rounds list ~10^5 to 10^6 entries and take 0.1-0.2 s each on one thread
 * (25 rounds, ~0.8 s, with both workers idle); below ~10^4 a round takes a few milliseconds and
 * posting it would cost about as much as it saves.
 */
export const LOCAL_POOL_MIN_ENTRIES = 16_384;
/** Pieces a pooled round's cells are cut into, claimed one at a time by the threads (localCrossingsTask). */
const LOCAL_PIECES = 24;

/**
 * A round's local check shared by the job's thread and the workers: the round's cell list cut
 * into `bounds` (cells bounds[k] .. bounds[k + 1]), each piece claimed by whoever is free next
 * (`next[0]`, Atomics), so no thread waits on another's heavier piece. Pairs with a changed
 * triangle (`only`) only. Positions, `only`, `crossing` and `next` are on shared memory: a thread
 * sets crossing[t] = 1 where the job's thread reads it (every writer writes 1, so pieces that flag
 * the same triangle agree).
 */
export interface LocalCrossingsPayload {
  positions: Float32Array;
  indices: Uint32Array;
  grid: CrossingGrid;
  bounds: Uint32Array;
  next: Int32Array;
  crossing: Uint8Array;
  only: Uint8Array;
}

export function localCrossingsTask(p: LocalCrossingsPayload): null {
  for (let k = Atomics.add(p.next, 0, 1); k < p.bounds.length - 1; k = Atomics.add(p.next, 0, 1))
    crossingsInCells(p.positions, p.indices, p.grid, p.bounds[k]!, p.bounds[k + 1]!, p.crossing, undefined, p.only);
  return null;
}

/**
 * Marks reused by every round (reset after use), so a round costs what it touches. The two a
 * worker reads or writes (triMark, crossing) are on shared memory when `shared`.
 */
export class LocalScratch {
  readonly triMark: Uint8Array;
  readonly vertexMark: Uint8Array;
  readonly cellMark: Uint8Array;
  readonly crossing: Uint8Array;
  constructor(nt: number, nv: number, nCells: number, shared: boolean) {
    this.triMark = shared ? sharedUint8(nt) : new Uint8Array(nt);
    this.vertexMark = new Uint8Array(nv);
    this.cellMark = new Uint8Array(nCells);
    this.crossing = shared ? sharedUint8(nt) : new Uint8Array(nt);
  }
}

/** The grid cell along axis a of coordinate x, as buildTriangleGrid bins (floor((x − origin) / cell)), clamped to the grid. */
function cellAlong({ origin, cell, dims }: Pick<CrossingGrid, 'origin' | 'cell' | 'dims'>, x: number, a: number): number {
  return Math.max(0, Math.min(dims[a]! - 1, Math.floor((x - origin[a]!) / cell)));
}

/**
 * The triangles that have begun to move, each binned once, when a corner of it first moves,
 * over the box of its corners where they are then and at their safe positions: corners only
 * move straight toward their safe positions, so that box holds every later position of the
 * triangle. A chain per grid cell (head, next), appended to; the full check's grid still holds
 * these triangles where they were, which the rounds skip (`moving`).
 */
export class MovingBins {
  readonly moving: Uint8Array;
  readonly head: Int32Array;
  next = new Int32Array(1024);
  tri = new Uint32Array(1024);
  n = 0;
  constructor(
    nt: number,
    private readonly grid: CrossingGrid,
    private readonly safe: Float32Array,
  ) {
    this.moving = new Uint8Array(nt);
    this.head = new Int32Array(grid.cellStart.length - 1).fill(-1);
  }

  /** Bins triangle t (corners at P now) over its way to the safe positions, once. */
  add(t: number, P: Float32Array, I: Uint32Array): void {
    if (this.moving[t]) return;
    this.moving[t] = 1;
    const g = this.grid;
    const S = this.safe;
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let k = 0; k < 3; k++) {
      const o = 3 * I[3 * t + k]!;
      for (let a = 0; a < 3; a++) {
        const x = P[o + a]!, y = S[o + a]!;
        lo[a] = Math.min(lo[a]!, x, y);
        hi[a] = Math.max(hi[a]!, x, y);
      }
    }
    const [nx, ny] = g.dims;
    for (let k = cellAlong(g, lo[2]!, 2); k <= cellAlong(g, hi[2]!, 2); k++)
      for (let j = cellAlong(g, lo[1]!, 1); j <= cellAlong(g, hi[1]!, 1); j++)
        for (let i = cellAlong(g, lo[0]!, 0); i <= cellAlong(g, hi[0]!, 0); i++) this.push(i + nx * (j + ny * k), t);
  }

  private push(c: number, t: number): void {
    if (this.n === this.tri.length) {
      const next = new Int32Array(2 * this.n), tri = new Uint32Array(2 * this.n);
      next.set(this.next);
      tri.set(this.tri);
      this.next = next;
      this.tri = tri;
    }
    this.tri[this.n] = t;
    this.next[this.n] = this.head[c]!;
    this.head[c] = this.n++;
  }
}

/**
 * Triangles crossing another after the vertices `moved` moved: every pair with one of their
 * triangles, or one of the last check's crossing triangles (`before`), in the cells those
 * triangles' boxes now touch, is tested (a pair is tested in the cell of the low corner of its
 * boxes' overlap, which lies in both boxes). That finds every crossing: a pair that crosses now
 * and has no moved triangle crossed at the last check, so it is in `before` (a triangle whose
 * corners are all at their safe positions does not move; where the safe positions cross, under
 * decimated triangles, it still crosses); and every triangle is listed in every cell its box now
 * touches: one that has not moved where the full check's grid binned it, one that has begun to
 * move over its whole way (MovingBins). Taking the cells a triangle was first binned in, for a
 * moved one, missed crossings with triangles that had moved in earlier rounds (9 on the GE
 * head, found by the bench's check of the written model).
 */
export async function localCrossings(P: Float32Array, I: Uint32Array, grid: CrossingGrid, bins: MovingBins, vertexTris: { start: Uint32Array; tris: Uint32Array }, moved: number[], before: ArrayLike<number>, scratch: LocalScratch, pool?: WorkerPool): Promise<number[]> {
  const { origin, cell, dims, cellStart, cellTri } = grid;
  const [nx, ny] = dims;
  const { triMark, cellMark, crossing } = scratch;
  const changed: number[] = [];
  // the last check's crossing triangles too: one whose corners are all at their safe positions
  // did not move, and where the safe positions cross (under decimated triangles) it still crosses
  for (let i = 0; i < before.length; i++) {
    const t = before[i]!;
    if (!triMark[t]) {
      triMark[t] = 1;
      changed.push(t);
    }
  }
  for (const v of moved)
    for (let j = vertexTris.start[v]!; j < vertexTris.start[v + 1]!; j++) {
      const t = vertexTris.tris[j]!;
      bins.add(t, P, I);
      if (!triMark[t]) {
        triMark[t] = 1;
        changed.push(t);
      }
    }
  const cells: number[] = [];
  for (const t of changed) {
    let lx = Infinity, ly = Infinity, lz = Infinity, hx = -Infinity, hy = -Infinity, hz = -Infinity;
    for (let k = 0; k < 3; k++) {
      const o = 3 * I[3 * t + k]!;
      const x = P[o]!, y = P[o + 1]!, z = P[o + 2]!;
      if (x < lx) lx = x;
      if (x > hx) hx = x;
      if (y < ly) ly = y;
      if (y > hy) hy = y;
      if (z < lz) lz = z;
      if (z > hz) hz = z;
    }
    const i0 = cellAlong(grid, lx, 0), i1 = cellAlong(grid, hx, 0), j0 = cellAlong(grid, ly, 1), j1 = cellAlong(grid, hy, 1);
    for (let ck = cellAlong(grid, lz, 2); ck <= cellAlong(grid, hz, 2); ck++)
      for (let cj = j0; cj <= j1; cj++)
        for (let ci = i0; ci <= i1; ci++) {
          const c = ci + nx * (cj + ny * ck);
          if (!cellMark[c]) {
            cellMark[c] = 1;
            cells.push(c);
          }
        }
  }
  // Those cells' triangles: the full check's, less the ones that have begun to move (binned
  // where they were then), and the moving ones binned over their way (MovingBins).
  // Counted first (a bound: the full check's entries of triangles that have begun to move are
  // counted, then skipped), then written into a typed array of that size (a round on the GE head
  // lists up to ~10^6 entries): a plain array grown by push took the repair of that head's mesh
  // 1.80 s, this 1.60 s (medians of 8 alternating runs, 2 workers).
  const { moving, head, next, tri } = bins;
  const start = new Uint32Array(cells.length + 1);
  let entries = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    entries += cellStart[c + 1]! - cellStart[c]!;
    for (let e = head[c]!; e >= 0; e = next[e]!) entries++;
  }
  const list = new Uint32Array(entries);
  let n = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    cellMark[c] = 0;
    for (let p = cellStart[c]!; p < cellStart[c + 1]!; p++) if (!moving[cellTri[p]!]) list[n++] = cellTri[p]!;
    for (let e = head[c]!; e >= 0; e = next[e]!) list[n++] = tri[e]!;
    start[i + 1] = n;
  }
  // pairs with a changed triangle only: a pair of two others did not change since the last check
  const local: CrossingGrid = { origin, cell, dims, cellStart: start, cellTri: list.subarray(0, n), cellId: Uint32Array.from(cells) };
  if (pool && n >= LOCAL_POOL_MIN_ENTRIES) {
    const ranges = pairWeightedRanges(start, LOCAL_PIECES);
    const bounds = Uint32Array.from([...ranges.map(([c0]) => c0), cells.length]);
    const payload: LocalCrossingsPayload = { positions: P, indices: I, grid: local, bounds, next: new Int32Array(new SharedArrayBuffer(4)), crossing, only: triMark };
    const shares = Array.from({ length: pool.size }, () => pool.run<null>(LOCAL_CROSSINGS_TASK, payload));
    // awaited below; one failing while this thread works must not count as unhandled meanwhile
    for (const s of shares) s.catch(() => undefined);
    localCrossingsTask(payload);
    await Promise.all(shares);
  } else crossingsInCells(P, I, local, 0, cells.length, crossing, undefined, triMark);
  for (const t of changed) triMark[t] = 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = list[i]!;
    if (crossing[t]) {
      crossing[t] = 0;
      out.push(t);
    }
  }
  // in triangle order: what follows (the decimation's lock round them) does not depend on the bins
  return out.sort((a, b) => a - b);
}

/** Contiguous cell ranges of near-equal work (a cell of n triangles holds n(n−1)/2 pairs). */
export function pairWeightedRanges(cellStart: Uint32Array, parts: number): Array<[number, number]> {
  const nc = cellStart.length - 1;
  let total = 0;
  for (let c = 0; c < nc; c++) {
    const n = cellStart[c + 1]! - cellStart[c]!;
    total += (n * (n - 1)) / 2;
  }
  if (total === 0) return slabRanges(nc, 1);
  const out: Array<[number, number]> = [];
  let acc = 0, from = 0;
  for (let c = 0; c < nc && out.length < parts - 1; c++) {
    const n = cellStart[c + 1]! - cellStart[c]!;
    acc += (n * (n - 1)) / 2;
    if (acc >= (total * (out.length + 1)) / parts) {
      out.push([from, c + 1]);
      from = c + 1;
    }
  }
  out.push([from, nc]);
  return out;
}
