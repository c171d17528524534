/**
 * Volume-preserving mesh smoothing: windowed-sinc (Taubin, Zhang & Golub 1996; the filter
 * behind VTK's vtkWindowedSincPolyDataFilter and 3D Slicer's surface smoothing) and Taubin's
 * λ/μ filter. Both are low-pass filters on the umbrella Laplacian that, unlike plain Laplacian
 * smoothing, do not shrink the surface. The record reports what changed: volume (%), the
 * largest and mean vertex displacement (mm), and the shift of the centroid, because a "scale
 * drift" (VTK had a 0.7 % bias with coordinate normalisation until 2024) is what makes a
 * printed model the wrong size.
 *
 * Vertices on open or non-manifold edges are held fixed (there is no one-ring to average).
 * Arithmetic is Float64; positions are stored back as Float32 once at the end.
 */
import type { Mesh } from '../geometry/types.js';
import { round, type StageContext, type StageRecord, type StageResult } from '../pipeline/record.js';
import { sharedFloat64, sharedUint32, slabRanges, toShared } from '../parallel/pool.js';
import { buildEdgeTable, labelShells, markSmallShells, signedVolume_mm3, vertexCount, type EdgeTable, type MeshShells } from './mesh-utils.js';
import {
  chebyshevFirst,
  chebyshevSweeps,
  openEdgeVertices,
  poolSweeps,
  SMOOTH_FIRST_TASK,
  SMOOTH_SWEEP_TASK,
  stepRange,
  sweepTopology,
  type FirstPartPayload,
  type SweepPartPayload,
  type SweepTopology,
} from './smooth-sweep.js';
import { SMALL_SHELL_K } from './smooth-held.js';
import { WINDOWED_SINC_WINDOW, windowedSincCoefficients } from './smooth-coefficients.js';

export { scanBorderVertices, SMALL_SHELL_K } from './smooth-held.js';
export { WINDOWED_SINC_WINDOW, windowedSincCoefficients } from './smooth-coefficients.js';

export type SmoothMethod = 'windowed-sinc' | 'taubin' | 'none';

export interface SmoothParams {
  method?: SmoothMethod;
  /** Windowed-sinc: Chebyshev order (VTK/Slicer: 40 at smoothing factor 0.5). Taubin: λ/μ pairs. */
  iterations?: number;
  /** Windowed-sinc pass band in (0, 2) (default SMOOTH_DEFAULTS.passBand; 3D Slicer's factor 0.5 → 0.01). */
  passBand?: number;
  /** Taubin λ (> 0) and μ (< −λ). */
  lambda?: number;
  mu?: number;
  /** Vertices held in place (1 = fixed), e.g. the caps where the anatomy leaves the scan. */
  fixed?: Uint8Array;
  /** The mesh's edge table when the caller already has it (not a parameter of the method). */
  edges?: EdgeTable;
  /** Its shells (by edges) when the caller already has them, for the small shells held (SMALL_SHELL_K). */
  shells?: MeshShells;
}

/**
 * Pass band 0.05 rather than 3D Slicer's 0.01, which shrinks small curved features (under the
 * Hamming window a r = 10 / 15 mm sphere extracted at 1 mm voxels by 0.85 / 0.58 %) and takes in
 * the rims of thin walls: a 1.5 mm plate's rim on 1 mm voxels is a bend of 2-3 edges. A higher pass
 * band keeps rims better but leaves the edge placement's noise on real scans. Measured with the
 * Blackman window: exact fidelity grid (bench/results/fidelity-grid-exact.md) at pass band
 * 0.03 / 0.05 / 0.07 / 0.1: 107 / 110 / 110 / 110 of 114 rows within, the plates' median |volume
 * error| 0.98 / 0.87 / 0.88 / 0.78 %; the mean dihedral angle between neighbouring triangles of the
 * default model (a measure of a grainy surface) on ct/ge-head-tilt-variable-spacing 6.4 / 7.4 / — /
 * 9.5° and on ct/philips-head-phantom-tilt — / 4.4 / — / 5.4° (Hamming at 0.05, the default before:
 * 6.2° and 3.9°). 0.01 stays available.
 */
export const SMOOTH_DEFAULTS = { method: 'windowed-sinc' as SmoothMethod, iterations: 40, passBand: 0.05, lambda: 0.5, mu: -0.53 };

/** Vertex one-rings as CSR (neighbours ascending by edge order), and which vertices are held. */
export function vertexNeighbours(mesh: Mesh, edges?: EdgeTable): { start: Uint32Array; nbr: Uint32Array; fixed: Uint8Array } {
  const nv = vertexCount(mesh);
  const et = edges ?? buildEdgeTable(mesh.indices, nv);
  const start = new Uint32Array(nv + 1);
  const fixed = new Uint8Array(nv);
  for (let e = 0; e < et.edgeCount; e++) {
    start[et.edgeV[2 * e]! + 1]!++;
    start[et.edgeV[2 * e + 1]! + 1]!++;
    if (et.edgeStart[e + 1]! - et.edgeStart[e]! !== 2) {
      fixed[et.edgeV[2 * e]!] = 1;
      fixed[et.edgeV[2 * e + 1]!] = 1;
    }
  }
  for (let v = 0; v < nv; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, nv);
  const nbr = new Uint32Array(start[nv]!);
  for (let e = 0; e < et.edgeCount; e++) {
    const a = et.edgeV[2 * e]!, b = et.edgeV[2 * e + 1]!;
    nbr[fill[a]!++] = b;
    nbr[fill[b]!++] = a;
  }
  return { start, nbr, fixed };
}

/** out[v] = mean of neighbours − x[v] (zero for held vertices: their lists are empty). */
function laplacian(x: Float64Array, topo: SweepTopology, out: Float64Array): void {
  const { start, nbr3 } = topo;
  const nv = start.length - 1;
  for (let v = 0; v < nv; v++) {
    const s = start[v]!, e = start[v + 1]!;
    if (e === s) {
      out[3 * v] = out[3 * v + 1] = out[3 * v + 2] = 0;
      continue;
    }
    let sx = 0, sy = 0, sz = 0;
    for (let i = s; i < e; i++) {
      const w = nbr3[i]!;
      sx += x[w]!;
      sy += x[w + 1]!;
      sz += x[w + 2]!;
    }
    const inv = 1 / (e - s);
    out[3 * v] = sx * inv - x[3 * v]!;
    out[3 * v + 1] = sy * inv - x[3 * v + 1]!;
    out[3 * v + 2] = sz * inv - x[3 * v + 2]!;
  }
}

/**
 * One Chebyshev step over vertices v0..v1−1: x_j = 2·x_{j-1} + Δx_{j-1} − x_{j-2} (Δ the
 * umbrella Laplacian), written over x_{j-2} in `prev`, and result += c_j·x_j. start and nbr are
 * a SweepTopology's (indices × 3, held vertices' lists empty, so `fixed` is not read: it
 * stays for the worker task's payload). The same arithmetic as chebyshevSweeps.
 */
export function chebyshevStep(cur: Float64Array, prev: Float64Array, result: Float64Array, cj: number, start: Uint32Array, nbr: Uint32Array, _fixed: Uint8Array, v0 = 0, v1 = start.length - 1): void {
  stepRange(cur, prev, result, cj, start, nbr, v0, v1);
}

export const SMOOTH_TASK = 'surface.smooth.chebyshev';

/** Payload of one slab of a Chebyshev step (all arrays on SharedArrayBuffer). */
export interface ChebyshevSlabPayload {
  cur: Float64Array;
  prev: Float64Array;
  result: Float64Array;
  cj: number;
  /** A SweepTopology's lists: indices × 3, none for held vertices. */
  start: Uint32Array;
  nbr: Uint32Array;
  fixed: Uint8Array;
  v0: number;
  v1: number;
}

/** Meshes with fewer vertices than this smooth on the calling thread (messages cost more). */
const MIN_PARALLEL_VERTICES = 200_000;

/** What smoothCore asks its driver to run: the Chebyshev steps first..last (x_{first-1} in cur, x_{first-2} in prev). */
type SmoothYield =
  | { kind: 'topology'; topo: SweepTopology; fixed: Uint8Array }
  | { kind: 'first'; prev: Float64Array; cur: Float64Array; result: Float64Array; c0: number; c1: number }
  | { kind: 'steps'; cur: Float64Array; prev: Float64Array; result: Float64Array; c: Float64Array; first: number; last: number };

/** Where smoothCore allocates what the steps read and write: shared memory for a pool's workers. */
interface SmoothArrays {
  f64: (n: number) => Float64Array;
  u32: (n: number) => Uint32Array;
}

const PLAIN: SmoothArrays = { f64: (n) => new Float64Array(n), u32: (n) => new Uint32Array(n) };
const SHARED: SmoothArrays = { f64: sharedFloat64, u32: sharedUint32 };

/** Smooths on the calling thread. */
export function smoothMesh(mesh: Mesh, params: SmoothParams = {}): StageResult<Mesh> {
  const g = smoothCore(mesh, params, PLAIN);
  let topo: SweepTopology | undefined;
  for (let r = g.next(); ; r = g.next()) {
    if (r.done) return r.value;
    const y = r.value;
    if (y.kind === 'topology') topo = y.topo;
    else if (y.kind === 'first') chebyshevFirst(y.prev, y.cur, y.result, y.c0, y.c1, topo!);
    else chebyshevSweeps(y.cur, y.prev, y.result, y.c, y.first, y.last, topo!);
  }
}

/**
 * Smoothing with the windowed-sinc steps on the worker pool: every vertex of a Chebyshev step
 * depends only on the two previous steps, so slabs of vertices run in parallel and the result
 * is identical to the single-thread one (same arithmetic per vertex). The first step runs in
 * slabs too (it was a quarter of the calling thread's share). An extracted mesh's
 * neighbours lie close in index, so each slab runs sweeps of several steps (cache-friendly,
 * two pool rounds per sweep: poolSweeps); a mesh whose neighbours lie far apart in index
 * runs one pool round per step.
 */
export async function smoothMeshAsync(mesh: Mesh, params: SmoothParams = {}, ctx: StageContext = {}, minParallelVertices = MIN_PARALLEL_VERTICES): Promise<StageResult<Mesh>> {
  const pool = ctx.pool;
  const method = params.method ?? SMOOTH_DEFAULTS.method;
  if (!pool || pool.size < 2 || method !== 'windowed-sinc' || vertexCount(mesh) < minParallelVertices) return smoothMesh(mesh, params);
  const g = smoothCore(mesh, params, SHARED);
  let topo: { start: Uint32Array; nbr: Uint32Array; fixed: Uint8Array; span: number } | undefined;
  let ranges: Array<[number, number]> = [];
  for (let r = g.next(); ; r = g.next()) {
    if (r.done) {
      r.value.record.params.workers = pool.size;
      return r.value;
    }
    const y = r.value;
    if (y.kind === 'topology') {
      // the lists are on shared memory already (SHARED made them): only the held flags are copied there
      topo = { start: toShared(y.topo.start), nbr: toShared(y.topo.nbr3), fixed: toShared(y.fixed), span: y.topo.span };
      ranges = slabRanges(y.topo.start.length - 1, pool.size);
      continue;
    }
    const t = topo!;
    if (y.kind === 'first') {
      const first = { prev: y.prev, cur: y.cur, result: y.result, c0: y.c0, c1: y.c1, start: t.start, nbr3: t.nbr };
      await Promise.all(ranges.map(([v0, v1]) => pool.run(SMOOTH_FIRST_TASK, { ...first, v0, v1 } satisfies FirstPartPayload)));
      continue;
    }
    const plan = poolSweeps(t.start.length - 1, t.span, ranges, y.first, y.last);
    if (plan) {
      let { cur: a, prev: b } = y;
      for (const { j, k, rounds } of plan) {
        const common = { a, b, result: y.result, c: y.c, j, k, start: t.start, nbr3: t.nbr, L: t.span + 1 };
        for (const parts of rounds) await Promise.all(parts.map((part) => pool.run(SMOOTH_SWEEP_TASK, { ...common, ...part } satisfies SweepPartPayload)));
        if (k & 1) [a, b] = [b, a];
      }
      continue;
    }
    let { cur, prev } = y;
    for (let j = y.first; j <= y.last; j++) {
      const step = { cur, prev, result: y.result, cj: y.c[j]!, start: t.start, nbr: t.nbr, fixed: t.fixed };
      await Promise.all(ranges.map(([v0, v1]) => pool.run(SMOOTH_TASK, { ...step, v0, v1 } satisfies ChebyshevSlabPayload)));
      [cur, prev] = [prev, cur];
    }
  }
}

function* smoothCore(mesh: Mesh, params: SmoothParams, alloc: SmoothArrays): Generator<SmoothYield, StageResult<Mesh>, void> {
  const method = params.method ?? SMOOTH_DEFAULTS.method;
  const iterations = params.iterations ?? SMOOTH_DEFAULTS.iterations;
  const recordParams: Record<string, unknown> = { method, iterations };
  if (method === 'windowed-sinc') Object.assign(recordParams, { passBand: params.passBand ?? SMOOTH_DEFAULTS.passBand, window: WINDOWED_SINC_WINDOW, weights: 'uniform umbrella' });
  if (method === 'taubin') Object.assign(recordParams, { lambda: params.lambda ?? SMOOTH_DEFAULTS.lambda, mu: params.mu ?? SMOOTH_DEFAULTS.mu, weights: 'uniform umbrella' });
  const volBefore = signedVolume_mm3(mesh);
  if (method === 'none' || iterations <= 0 || mesh.indices.length === 0) {
    return { output: mesh, record: { stage: 'condition', method: 'smooth-none', params: recordParams, figures: { volume_mm3: round(volBefore, 3) } } };
  }
  const nv = vertexCount(mesh);
  const et = params.edges ?? buildEdgeTable(mesh.indices, nv);
  const fixed = openEdgeVertices(et, nv);
  let heldByCaller = 0;
  if (params.fixed) {
    for (let v = 0; v < nv && v < params.fixed.length; v++) {
      if (params.fixed[v] && !fixed[v]) {
        fixed[v] = 1;
        heldByCaller++;
      }
    }
  }
  // the filter's pass band: windowed-sinc's, or Taubin's 1/λ + 1/μ
  const kpb = method === 'taubin' ? 1 / (params.lambda ?? SMOOTH_DEFAULTS.lambda) + 1 / (params.mu ?? SMOOTH_DEFAULTS.mu) : (params.passBand ?? SMOOTH_DEFAULTS.passBand);
  const smallLimit = Math.ceil(SMALL_SHELL_K / kpb);
  const small = markSmallShells(mesh, params.shells ?? labelShells(mesh, et), smallLimit, fixed);
  // held vertices' lists are empty: the kernels need not look them up
  const topo = sweepTopology(et, fixed, alloc.u32);
  let result: Float64Array;
  if (method === 'taubin') {
    const lambda = params.lambda ?? SMOOTH_DEFAULTS.lambda;
    const mu = params.mu ?? SMOOTH_DEFAULTS.mu;
    if (!(lambda > 0) || !(mu < -lambda)) throw new RangeError(`Taubin smoothing needs λ > 0 and μ < −λ (got λ=${lambda}, μ=${mu})`);
    result = new Float64Array(mesh.positions);
    const d = new Float64Array(3 * nv);
    for (let it = 0; it < iterations; it++) {
      for (const f of [lambda, mu]) {
        laplacian(result, topo, d);
        for (let i = 0; i < result.length; i++) result[i]! += f * d[i]!;
      }
    }
  } else {
    const passBand = params.passBand ?? SMOOTH_DEFAULTS.passBand;
    if (!(passBand > 0 && passBand < 2)) throw new RangeError(`windowed-sinc pass band must be in (0, 2) (got ${passBand})`);
    const c = windowedSincCoefficients(iterations, passBand);
    yield { kind: 'topology', topo, fixed };
    const prev = alloc.f64(3 * nv); // x_{j-2}
    prev.set(mesh.positions);
    const cur = alloc.f64(3 * nv); // x_{j-1}
    result = alloc.f64(3 * nv);
    yield { kind: 'first', prev, cur, result, c0: c[0]!, c1: c[1]! };
    if (iterations >= 2) yield { kind: 'steps', cur, prev, result, c, first: 2, last: iterations };
    // Held vertices keep their place exactly.
    const P = mesh.positions;
    for (let v = 0; v < nv; v++) if (fixed[v]) for (let a = 0; a < 3; a++) result[3 * v + a] = P[3 * v + a]!;
  }
  const positions = new Float32Array(result);
  const output: Mesh = { positions, indices: mesh.indices };
  if (mesh.groups) output.groups = mesh.groups;
  const record: StageRecord = { stage: 'condition', method: `smooth-${method}`, params: recordParams, figures: displacementFigures(mesh, output, volBefore) };
  let held = 0;
  for (let v = 0; v < nv; v++) held += fixed[v]!;
  record.figures.verticesHeld = held;
  record.figures.smallShellsHeld = small.shells;
  recordParams.smallShellTriangles = smallLimit;
  const notes: string[] = [];
  if (small.shells > 0) notes.push(`${small.shells} shell(s) under ${smallLimit} triangles (${small.marked} vertices) held whole: the filter would shrink them toward their centroids`);
  if (held - heldByCaller - small.marked > 0) notes.push(`${held - heldByCaller - small.marked} vertices on open or non-manifold edges held fixed`);
  if (notes.length) record.notes = notes;
  return { output, record };
}

function displacementFigures(before: Mesh, after: Mesh, volBefore: number): Record<string, unknown> {
  const a = before.positions;
  const b = after.positions;
  const nv = a.length / 3;
  let maxD = 0;
  let sumD = 0;
  const ca = [0, 0, 0];
  const cb = [0, 0, 0];
  for (let v = 0; v < nv; v++) {
    const dx = b[3 * v]! - a[3 * v]!, dy = b[3 * v + 1]! - a[3 * v + 1]!, dz = b[3 * v + 2]! - a[3 * v + 2]!;
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (d > maxD) maxD = d;
    sumD += d;
    for (let k = 0; k < 3; k++) {
      ca[k]! += a[3 * v + k]!;
      cb[k]! += b[3 * v + k]!;
    }
  }
  const volAfter = signedVolume_mm3(after);
  return {
    volumeBefore_mm3: round(volBefore, 3),
    volumeAfter_mm3: round(volAfter, 3),
    volumeChange_percent: round(volBefore !== 0 ? (100 * (volAfter - volBefore)) / volBefore : 0, 4),
    maxDisplacement_mm: round(maxD, 4),
    meanDisplacement_mm: round(nv ? sumD / nv : 0, 4),
    centroidShift_mm: round(nv ? Math.hypot(cb[0]! - ca[0]!, cb[1]! - ca[1]!, cb[2]! - ca[2]!) / nv : 0, 5),
  };
}
