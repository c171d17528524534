/**
 * The windowed-sinc Chebyshev steps on one thread, several steps per sweep over the vertices.
 * Each vertex's arithmetic is chebyshevStep's (smooth.ts), in the same order, so the result is
 * the same bytes; only the order in which vertices and steps are visited changes.
 *
 * Why: the steps are bound by the neighbour sums' add chains and by streaming three Float64
 * arrays of 24 bytes a vertex through memory once a step. A mesh from the extractor numbers
 * its vertices slice by slice, so a vertex's neighbours lie within a span of about two slices
 * of it; step j + 1 at vertex v − L (L > span) then needs only step j's values already made
 * in this sweep, and a block of vertices stays in cache for several steps.
 */
import type { EdgeTable } from './mesh-utils.js';

/**
 * One-rings as CSR, neighbours in edge order (vertexNeighbours' order, so the sums add in
 * the same order), indices premultiplied by 3, and empty for held vertices (they move by 0).
 */
export interface SweepTopology {
  start: Uint32Array;
  nbr3: Uint32Array;
  /** Largest |neighbour − vertex| over the lists. */
  span: number;
}

/** Vertices on open or non-manifold edges (no one-ring to average): held. */
export function openEdgeVertices(et: EdgeTable, nv: number): Uint8Array {
  const fixed = new Uint8Array(nv);
  // A table that counted its uses and has no edge used other than twice holds none: no pass
  // over its edge starts (a closed mesh after the clean-up, the usual case).
  if (et.uses && et.uses.open === 0 && et.uses.nonManifold === 0) return fixed;
  for (let e = 0; e < et.edgeCount; e++) {
    if (et.edgeStart[e + 1]! - et.edgeStart[e]! !== 2) {
      fixed[et.edgeV[2 * e]!] = 1;
      fixed[et.edgeV[2 * e + 1]!] = 1;
    }
  }
  return fixed;
}

/**
 * `u32`: where the lists are allocated (shared memory for a pool's workers: they are made there
 * instead of copied there, ~20 MB on a skull).
 */
export function sweepTopology(et: EdgeTable, fixed: Uint8Array, u32: (n: number) => Uint32Array = (n) => new Uint32Array(n)): SweepTopology {
  const nv = fixed.length;
  const start = u32(nv + 1);
  const V = et.edgeV;
  for (let e = 0; e < et.edgeCount; e++) {
    const a = V[2 * e]!, b = V[2 * e + 1]!;
    if (!fixed[a]) start[a + 1]!++;
    if (!fixed[b]) start[b + 1]!++;
  }
  for (let v = 0; v < nv; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, nv);
  const nbr3 = u32(start[nv]!);
  let span = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    const a = V[2 * e]!, b = V[2 * e + 1]!;
    if (!fixed[a]) nbr3[fill[a]!++] = 3 * b;
    if (!fixed[b]) nbr3[fill[b]!++] = 3 * a;
    if ((!fixed[a] || !fixed[b]) && b - a > span) span = b - a; // edgeV[2e] < edgeV[2e+1]
  }
  return { start, nbr3, span };
}

/**
 * The first Chebyshev step: x_1 = x_0 + ½Δx_0 into cur, result = c_0·x_0 + c_1·x_1 (x_0 in
 * prev), in one pass and without a Laplacian array; vertices v0..v1−1 (a slab on a pool).
 */
export function chebyshevFirst(prev: Float64Array, cur: Float64Array, result: Float64Array, c0: number, c1: number, topo: Pick<SweepTopology, 'start' | 'nbr3'>, v0 = 0, v1 = topo.start.length - 1): void {
  const { start, nbr3 } = topo;
  for (let v = v0; v < v1; v++) {
    const s = start[v]!, e = start[v + 1]!;
    const o = 3 * v;
    let dx = 0, dy = 0, dz = 0;
    if (e > s) {
      let sx = 0, sy = 0, sz = 0;
      for (let i = s; i < e; i++) {
        const w = nbr3[i]!;
        sx += prev[w]!;
        sy += prev[w + 1]!;
        sz += prev[w + 2]!;
      }
      const inv = 1 / (e - s);
      dx = sx * inv - prev[o]!;
      dy = sy * inv - prev[o + 1]!;
      dz = sz * inv - prev[o + 2]!;
    }
    const x = (cur[o] = prev[o]! + 0.5 * dx);
    const y = (cur[o + 1] = prev[o + 1]! + 0.5 * dy);
    const z = (cur[o + 2] = prev[o + 2]! + 0.5 * dz);
    result[o] = c0 * prev[o]! + c1 * x;
    result[o + 1] = c0 * prev[o + 1]! + c1 * y;
    result[o + 2] = c0 * prev[o + 2]! + c1 * z;
  }
}

/** Vertices per block of a sweep, and steps per sweep (measured on a 790k-vertex skull). */
const BLOCK = 512;
const STEPS_PER_SWEEP = 4;

/**
 * Chebyshev steps first..last: x_j = 2·x_{j-1} + Δx_{j-1} − x_{j-2}, result += c_j·x_j, with
 * x_{first-1} in `cur` and x_{first-2} in `prev` (each step writes over the older of the two).
 */
export function chebyshevSweeps(cur: Float64Array, prev: Float64Array, result: Float64Array, c: Float64Array, first: number, last: number, topo: SweepTopology): void {
  const nv = topo.start.length - 1;
  let a = cur, b = prev;
  for (let j = first; j <= last; ) {
    const k = Math.min(STEPS_PER_SWEEP, last - j + 1);
    sweepSteps(a, b, result, c, j, k, topo.start, topo.nbr3, topo.span + 1, new Array<number>(k).fill(0), new Array<number>(k).fill(nv));
    if (k & 1) {
      const t = a;
      a = b;
      b = t;
    }
    j += k;
  }
}

/**
 * One sweep: steps j..j+k−1, step j+m over vertices lo[m]..hi[m]−1, with x_{j-1} in `a` and
 * x_{j-2} in `b`. Step j+m runs m·L vertices behind step j, in blocks, so what it reads is
 * ready and what it overwrites has been read (L > the topology's span). The caller sees to
 * it that every vertex step j+m reads was made by step j+m−1 in this call or before it.
 */
export function sweepSteps(a: Float64Array, b: Float64Array, result: Float64Array, c: Float64Array, j: number, k: number, start: Uint32Array, nbr3: Uint32Array, L: number, lo: readonly number[], hi: readonly number[]): void {
  let from = Infinity, to = 0;
  for (let m = 0; m < k; m++) {
    if (lo[m]! >= hi[m]!) continue;
    from = Math.min(from, lo[m]!);
    to = Math.max(to, hi[m]! + m * L);
  }
  for (let v = from; v < to; v += BLOCK) {
    for (let m = 0; m < k; m++) {
      const u = v - m * L;
      const v0 = u > lo[m]! ? u : lo[m]!, v1 = u + BLOCK < hi[m]! ? u + BLOCK : hi[m]!;
      if (v0 >= v1) continue;
      if (m & 1) stepRange(b, a, result, c[j + m]!, start, nbr3, v0, v1);
      else stepRange(a, b, result, c[j + m]!, start, nbr3, v0, v1);
    }
  }
}

/** Vertex ranges of one call of sweepSteps: step j+m over lo[m]..hi[m]−1. */
export interface SweepPart {
  lo: number[];
  hi: number[];
}

/** The sweeps of steps first..last on a pool: per sweep, two rounds of parts that may run at once. */
export interface PoolSweep {
  j: number;
  k: number;
  rounds: [SweepPart[], SweepPart[]];
}

/**
 * Steps first..last as sweeps over contiguous slabs of vertices, on several threads at once.
 * Round 1, one part per slab: step j+m shrinks by m·L at each side that borders another slab
 * (a trapezoid), so it reads only its own slab's vertices and writes none another slab reads.
 * Round 2, one part per seam B between slabs: step j+m over B − m·L .. B + m·L − 1, the
 * vertices round 1 left out, each in step order. Every vertex's arithmetic is stepRange's, in
 * the same step order: the bytes of chebyshevSweeps. Undefined when a slab is narrower than
 * 2·k·L (the neighbour span is too wide for these slabs: step by step instead).
 */
export function poolSweeps(nv: number, span: number, slabs: ReadonlyArray<readonly [number, number]>, first: number, last: number): PoolSweep[] | undefined {
  const L = span + 1;
  const out: PoolSweep[] = [];
  for (let j = first; j <= last; ) {
    const k = Math.min(STEPS_PER_SWEEP, last - j + 1);
    if (slabs.some(([s0, s1]) => s1 - s0 < 2 * k * L)) return undefined;
    const steps = Array.from({ length: k }, (_, m) => m);
    const slabParts = slabs.map(([s0, s1]) => ({ lo: steps.map((m) => (s0 === 0 ? 0 : s0 + m * L)), hi: steps.map((m) => (s1 === nv ? nv : s1 - m * L)) }));
    const seams = slabs.slice(1).map(([B]) => ({ lo: steps.map((m) => B - m * L), hi: steps.map((m) => B + m * L) }));
    out.push({ j, k, rounds: [slabParts, k > 1 ? seams : []] });
    j += k;
  }
  return out;
}

/**
 * One Chebyshev step on vertices v0..v1−1: x_j over x_{j-2} in `prev`, result += c_j·x_j (the
 * first six neighbours unrolled; the sums add in list order).
 */
export function stepRange(cur: Float64Array, prev: Float64Array, result: Float64Array, cj: number, start: Uint32Array, nbr3: Uint32Array, v0: number, v1: number): void {
  for (let v = v0; v < v1; v++) {
    const s = start[v]!, e = start[v + 1]!;
    const o = 3 * v;
    const x = cur[o]!, y = cur[o + 1]!, z = cur[o + 2]!;
    let dx = 0, dy = 0, dz = 0;
    const n = e - s;
    if (n > 0) {
      let sx = 0, sy = 0, sz = 0;
      let i = s;
      if (n >= 4) {
        let w = nbr3[i]!;
        sx += cur[w]!; sy += cur[w + 1]!; sz += cur[w + 2]!;
        w = nbr3[i + 1]!;
        sx += cur[w]!; sy += cur[w + 1]!; sz += cur[w + 2]!;
        w = nbr3[i + 2]!;
        sx += cur[w]!; sy += cur[w + 1]!; sz += cur[w + 2]!;
        w = nbr3[i + 3]!;
        sx += cur[w]!; sy += cur[w + 1]!; sz += cur[w + 2]!;
        i += 4;
        if (n >= 6) {
          w = nbr3[i]!;
          sx += cur[w]!; sy += cur[w + 1]!; sz += cur[w + 2]!;
          w = nbr3[i + 1]!;
          sx += cur[w]!; sy += cur[w + 1]!; sz += cur[w + 2]!;
          i += 2;
        }
      }
      for (; i < e; i++) {
        const w = nbr3[i]!;
        sx += cur[w]!; sy += cur[w + 1]!; sz += cur[w + 2]!;
      }
      const inv = 1 / n;
      dx = sx * inv - x;
      dy = sy * inv - y;
      dz = sz * inv - z;
    }
    const nx = 2 * x + dx - prev[o]!;
    const ny = 2 * y + dy - prev[o + 1]!;
    const nz = 2 * z + dz - prev[o + 2]!;
    prev[o] = nx;
    prev[o + 1] = ny;
    prev[o + 2] = nz;
    result[o]! += cj * nx;
    result[o + 1]! += cj * ny;
    result[o + 2]! += cj * nz;
  }
}

export const SMOOTH_FIRST_TASK = 'surface.smooth.first';
export const SMOOTH_SWEEP_TASK = 'surface.smooth.sweep';

/** Payload of one slab of the first step (arrays on SharedArrayBuffer). */
export interface FirstPartPayload {
  prev: Float64Array;
  cur: Float64Array;
  result: Float64Array;
  c0: number;
  c1: number;
  start: Uint32Array;
  nbr3: Uint32Array;
  v0: number;
  v1: number;
}

/** Payload of one part of a sweep (poolSweeps; arrays but `c` on SharedArrayBuffer). */
export interface SweepPartPayload extends SweepPart {
  a: Float64Array;
  b: Float64Array;
  result: Float64Array;
  c: Float64Array;
  j: number;
  k: number;
  start: Uint32Array;
  nbr3: Uint32Array;
  L: number;
}

/** The worker tasks. */
export function firstPart(p: FirstPartPayload): null {
  chebyshevFirst(p.prev, p.cur, p.result, p.c0, p.c1, p, p.v0, p.v1);
  return null;
}

export function sweepPart(p: SweepPartPayload): null {
  sweepSteps(p.a, p.b, p.result, p.c, p.j, p.k, p.start, p.nbr3, p.L, p.lo, p.hi);
  return null;
}
