/**
 * A first, coarse reduction of a large mesh in spatial chunks, for previews.
 *
 * Why: a whole-mesh simplification of a 1.6 M-triangle skull costs ~1.2-1.5 s in
 * meshoptimizer's WASM, and on real skulls a strong reduction pinches two sheets together
 * somewhere, so decimateMesh runs it again (five attempts, then halving rounds): the job's
 * 10k-face preview took ~14 s of a 25 s server job. Here the triangles are split into slabs
 * along the longest axis; the vertices on the cuts between slabs are locked, so each slab
 * simplifies on its own (meshoptimizer's Sparse mode: indices into the shared vertex buffer)
 * and the slabs' outputs meet again exactly at the cuts. A pinch costs a rerun of the slabs
 * around it only. A slab that still pinches after a few attempts is kept as it was: the
 * result is always the input's own vertices, closed where the input was, and never worse.
 *
 * Not used for a user's decimation (--decimate-ratio), though its simplifier runs are most of
 * a decimated convert (one thread, ~1.2 s each on a skull, up to four): tried 2026-12-06 as a
 * first stage to 2× the target before the whole-mesh round, slabs remembered by their lock so
 * that a retry for crossings reran only the slabs it changed. At ratio 0.1 the Philips 1 mm
 * head's decimation took 8.7 → 4.4 s with no retry, but the tilted head needed 3 retries
 * instead of 1 (108 k faces for a 90 k target) and the GE head kept 19 crossing triangles
 * where one round leaves none: the whole-mesh round over the slabs' dense seams folds more.
 */
import type { Mesh } from '../geometry/types.js';
import { yieldToHost } from '../parallel/yield.js';
import { removeDegenerateFaces } from './faces.js';
import { bbox_mm, compactMesh, triangleCount, vertexCount } from './mesh-utils.js';
import { problemVertices } from './topology.js';

/** One simplification of some triangles (indices into `positions`), to at most `targetIndexCount` indices. */
export type ChunkSimplify = (indices: Uint32Array, positions: Float32Array, lock: Uint8Array, targetIndexCount: number) => Uint32Array;

export interface ChunkedParams {
  /** The face count is divided by about this much. */
  factor: number;
  /** Number of slabs (at most 32). Default 8. */
  chunks?: number;
  /** Attempts before a slab that still pinches is kept whole. Default 3. */
  attempts?: number;
  /** Vertices that no collapse may remove (small shells, the caller's lock). */
  lock?: Uint8Array;
}

export interface ChunkedResult {
  mesh: Mesh;
  /** For each input vertex its index in `mesh`, or -1. */
  remap: Int32Array;
  figures: { chunks: number; chunksKeptWhole: number; attempts: number; cutVertices: number; facesAfter: number };
  notes: string[];
}

const MAX_CHUNKS = 32;
const HISTOGRAM_BINS = 4096;

/** Each triangle's slab (by its centroid along the longest axis, equal counts by a histogram: linear, no sort). */
function slabsOf(mesh: Mesh, k: number): Uint8Array {
  const p = mesh.positions, ix = mesh.indices, nt = triangleCount(mesh);
  const { min: lo, max: hi } = bbox_mm(mesh);
  let ax = 0;
  for (let a = 1; a < 3; a++) if (hi[a]! - lo[a]! > hi[ax]! - lo[ax]!) ax = a;
  const base = lo[ax]!, span = Math.max(hi[ax]! - base, 1e-9);
  const binOf = new Uint16Array(nt);
  const count = new Float64Array(HISTOGRAM_BINS);
  for (let t = 0; t < nt; t++) {
    const c = (p[3 * ix[3 * t]! + ax]! + p[3 * ix[3 * t + 1]! + ax]! + p[3 * ix[3 * t + 2]! + ax]!) / 3;
    const b = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(((c - base) / span) * HISTOGRAM_BINS)));
    binOf[t] = b;
    count[b]!++;
  }
  const slabOfBin = new Uint8Array(HISTOGRAM_BINS);
  for (let b = 0, before = 0; b < HISTOGRAM_BINS; b++) {
    slabOfBin[b] = Math.min(k - 1, Math.floor((before * k) / nt));
    before += count[b]!;
  }
  const slab = new Uint8Array(nt);
  for (let t = 0; t < nt; t++) slab[t] = slabOfBin[binOf[t]!]!;
  return slab;
}

export async function reduceInChunks(mesh: Mesh, params: ChunkedParams, simplify: ChunkSimplify): Promise<ChunkedResult> {
  const nt = triangleCount(mesh), nv = vertexCount(mesh);
  const k = Math.max(1, Math.min(MAX_CHUNKS, params.chunks ?? 8));
  const attempts = params.attempts ?? 3;
  const slab = slabsOf(mesh, k);
  // Which slabs each vertex's triangles lie in (a bit per slab); a vertex in two is on a cut.
  const slabsAt = new Uint32Array(nv);
  const ix = mesh.indices;
  for (let t = 0; t < nt; t++) for (let c = 0; c < 3; c++) slabsAt[ix[3 * t + c]!]! |= 1 << slab[t]!;
  const lock = params.lock ? params.lock.slice() : new Uint8Array(nv);
  let cutVertices = 0;
  for (let v = 0; v < nv; v++) {
    const m = slabsAt[v]!;
    if (m & (m - 1)) {
      lock[v] = 1;
      cutVertices++;
    }
  }
  const counts = new Uint32Array(k);
  for (let t = 0; t < nt; t++) counts[slab[t]!]!++;
  const input = Array.from(counts, (n) => new Uint32Array(3 * n));
  const filled = new Uint32Array(k);
  for (let t = 0; t < nt; t++) {
    const s = slab[t]!;
    input[s]!.set(ix.subarray(3 * t, 3 * t + 3), 3 * filled[s]!++);
  }
  const out: Uint32Array[] = input.slice();
  const whole = new Uint8Array(k);
  const notes: string[] = [];
  const merged = () => {
    let n = 0;
    for (const o of out) n += o.length;
    const all = new Uint32Array(n);
    n = 0;
    for (const o of out) {
      all.set(o, n);
      n += o.length;
    }
    return removeDegenerateFaces({ positions: mesh.positions, indices: all }).mesh;
  };
  let dirty = Array.from({ length: k }, (_, s) => s);
  let candidate: Mesh = mesh;
  let bad: Uint32Array = new Uint32Array(0);
  let attempt = 0;
  for (; attempt < attempts && dirty.length; ) {
    attempt++;
    await yieldToHost();
    for (const s of dirty) out[s] = simplify(input[s]!, mesh.positions, lock, 3 * Math.min(counts[s]!, Math.max(1, Math.floor(counts[s]! / params.factor))));
    candidate = merged();
    bad = problemVertices(candidate);
    if (!bad.length) break;
    // Lock the pinched spots and `attempt` rings of input neighbours, and rerun the slabs they touch.
    let touched = 0;
    for (const v of lockAround(bad, attempt, ix, lock)) touched |= slabsAt[v]!;
    dirty = [];
    for (let s = 0; s < k; s++) if (touched & (1 << s)) dirty.push(s);
    notes.push(`chunked reduction, attempt ${attempt}: ${bad.length} vertices on broken edges/fans; ${dirty.length} of ${k} slabs rerun with them locked`);
  }
  // Slabs still pinched after the attempts are kept as they were, until the whole is clean.
  while (bad.length) {
    let touched = 0;
    for (const v of bad) touched |= slabsAt[v]!;
    let reverted = 0;
    for (let s = 0; s < k; s++) {
      if (touched & (1 << s) && !whole[s]) {
        whole[s] = 1;
        out[s] = input[s]!;
        reverted++;
      }
    }
    if (!reverted) {
      // Every slab at the broken spots is already whole: the input itself is broken there.
      notes.push(`chunked reduction: the input has ${bad.length} vertices on broken edges/fans; kept whole`);
      return keptWhole(mesh, k, attempt, cutVertices, notes);
    }
    notes.push(`chunked reduction: ${reverted} slab(s) still pinched after ${attempt} attempts kept whole`);
    candidate = merged();
    bad = problemVertices(candidate);
  }
  const remap = new Int32Array(nv);
  const reduced = compactMesh(candidate, undefined, remap);
  let kept = 0;
  for (let s = 0; s < k; s++) kept += whole[s]!;
  return { mesh: reduced, remap, figures: { chunks: k, chunksKeptWhole: kept, attempts: attempt, cutVertices, facesAfter: triangleCount(reduced) }, notes };
}

/**
 * Locks the vertices `bad` and `rings` rings of their neighbours (breadth first, not widened
 * through vertices locked before); returns `bad` and the ring vertices this call locked.
 * decimateMesh's rounds and the slabs both widen their locks so. The vertices that share a
 * triangle with a vertex are its edge neighbours, so each ring is one pass over the triangles:
 * the slabs lock a few pinched spots of a whole skull, where building its neighbour table cost
 * ~0.2 s of a server job's preview and a ring pass ~10 ms.
 */
export function lockAround(bad: ArrayLike<number>, rings: number, indices: Uint32Array, lock: Uint8Array): number[] {
  const all = Array.from(bad);
  const inFrontier = new Uint8Array(lock.length);
  for (const v of all) {
    lock[v] = 1;
    inFrontier[v] = 1;
  }
  let frontier = all.slice();
  for (let ring = 0; ring < rings && frontier.length; ring++) {
    const next: number[] = [];
    for (let o = 0; o < indices.length; o += 3) {
      const a = indices[o]!, b = indices[o + 1]!, c = indices[o + 2]!;
      if (!(inFrontier[a]! | inFrontier[b]! | inFrontier[c]!)) continue;
      for (const w of [a, b, c]) {
        if (!lock[w]) {
          lock[w] = 1;
          next.push(w);
        }
      }
    }
    for (const v of frontier) inFrontier[v] = 0;
    for (const w of next) {
      inFrontier[w] = 1;
      all.push(w);
    }
    frontier = next;
  }
  return all;
}

function keptWhole(mesh: Mesh, k: number, attempts: number, cutVertices: number, notes: string[]): ChunkedResult {
  const remap = Int32Array.from({ length: vertexCount(mesh) }, (_, v) => v);
  return { mesh, remap, figures: { chunks: k, chunksKeptWhole: k, attempts, cutVertices, facesAfter: triangleCount(mesh) }, notes };
}
