/**
 * Decimation, then the self-intersection repair on the decimated mesh. Decimation folds the
 * surface in places (long triangles cutting across a thin wall or a tight curve); the repair
 * moves each kept vertex back toward the safe position of the vertex it was, but under
 * decimated triangles those positions can cross too, so some crossings could be left (5 / 15 /
 * 20 / 7 triangles on the four real series at --decimate-ratio 0.25). Where any are left, the
 * same decimation runs again from the same mesh with the input's vertices round them locked:
 * the triangles there stay as they were before decimation, where the first repair left nothing
 * crossing. The locked region grows with each retry.
 */
import type { Mesh } from '../geometry/types.js';
import type { StageContext, StageRecord } from '../pipeline/record.js';
import { round } from '../pipeline/record.js';
import { yieldToHost } from '../parallel/yield.js';
import { decimateMesh, measureDecimation, targetMissed, type DecimateParams, type DecimateResult } from './decimate.js';
import { untangleMesh, type UntangleParams, type UntangleResult } from './untangle.js';

export interface DecimatedUntangled {
  output: Mesh;
  records: StageRecord[];
  /**
   * The decimation's Hausdorff measurement, when it runs on the pool: the decimation record's
   * hausdorff figures are filled in once this settles. Await it before the record is read.
   */
  measured?: Promise<void>;
}

/**
 * Decimations again with the crossing sites locked, at most. Each try folds the unlocked rest
 * somewhere new, so the locked region has to grow over most of a hard mesh: the TotalSegmentator
 * bone at --decimate-ratio 0.1 needs 5 (25, 47, 20, 10, 4 crossing triangles left by the tries
 * before); with 3 its model kept 10. A retry costs one decimation and its repair, only where
 * crossings are left.
 */
export const DECIMATE_CROSSING_RETRIES = 6;

/**
 * `before`: the mesh to decimate (repaired: nothing crosses); `safe`: its vertices' safe
 * positions. Returns the decimated, repaired mesh and the records of the decimation and the
 * repair that made it (the last try; earlier tries are counted in their notes).
 */
export async function decimateUntangled(
  before: Mesh,
  safe: Float32Array,
  params: DecimateParams,
  untangle: UntangleParams,
  ctx: StageContext = {},
  // the decimation itself; a test hands in one that fails on its second call, to reach the
  // fallback below, which no real series here does
  decimate: (mesh: Mesh, params: DecimateParams) => Promise<DecimateResult> = decimateMesh,
): Promise<DecimatedUntangled> {
  let lock: Uint8Array | undefined;
  let targetFaces = params.targetFaces;
  const tries: string[] = [];
  // the decimation kept (try `attempt`, 0 the first) and the repair after it: their records
  // (`listed`: its own notes are in `tries` already, as when a retry failed and it stands)
  const finish = async (dec: DecimateResult, rep: UntangleResult, attempt: number, listed = false): Promise<DecimatedUntangled> => {
    let measured: Promise<void> | undefined;
    if (!params.skipHausdorff) {
      // on a worker, while the caller goes on (the record's figures are there once it settles)
      measured = measureDecimation(dec.record, before, dec.output, ctx.pool);
      if (ctx.pool) measured.catch(() => {});
      else await measured;
    }
    if (tries.length) {
      dec.record.figures.retriesForCrossings = attempt;
      const faces = dec.output.indices.length / 3;
      const asked = dec.record.params.targetFaces;
      const notes = listed ? [...tries] : [...tries, ...(dec.record.notes ?? [])];
      if (params.targetFaces !== undefined && faces > 1.05 * params.targetFaces && asked !== params.targetFaces) {
        notes.push(`target ${params.targetFaces} faces not reached (${faces}): the triangles round the crossing sites kept their resolution`);
        // the decimation's own finding, if it made one, was about the raised target: this one replaces it
        const why = `the triangles round the places where decimating folded the surface through itself keep their resolution (${attempt} ${attempt === 1 ? 'retry' : 'retries'} with them locked; the record's notes say where)`;
        dec.record.findings = [...(dec.record.findings ?? []).filter((f) => f.code !== 'DECIMATION_TARGET_NOT_REACHED'), targetMissed(faces, params.targetFaces, why)];
      }
      dec.record.params.targetFaces = params.targetFaces ?? null;
      dec.record.notes = notes;
      if (attempt > 0) rep.record.notes = [...(rep.record.notes ?? []), `after decimating again with the crossing sites locked (${attempt} time${attempt > 1 ? 's' : ''}; see the decimation's notes)`];
    }
    return { output: rep.output, records: [dec.record, rep.record], ...(measured ? { measured } : {}) };
  };
  // the last try's decimation and repair, kept in case a retry cannot decimate at all
  let last: { dec: DecimateResult; rep: UntangleResult } | undefined;
  for (let attempt = 0; ; attempt++) {
    const dec = await decimate(before, { ...params, skipHausdorff: true, ...(targetFaces !== undefined ? { targetFaces } : {}), ...(lock ? { lock } : {}) });
    if (dec.output === before) {
      if (!last) return { output: before, records: [dec.record] };
      // the locks made it fail to stay manifold: the last try stands, its crossings counted
      tries.push('decimating with those vertices locked could not stay manifold: the decimation before it is kept, and the repair after it counts what crosses');
      return finish(last.dec, last.rep, attempt - 1, true);
    }
    await yieldToHost();
    const kept = safeOfKept(dec.output.positions, before.positions, safe);
    const rep = await untangleMesh(dec.output, kept, untangle, ctx);
    if (rep.remaining === 0 || attempt === DECIMATE_CROSSING_RETRIES) return finish(dec, rep, attempt);
    last = { dec, rep };
    const margin = (attempt + 1) * 2 * meanEdge(dec.output, rep.crossing);
    // the sites this decimation had to lock to stay manifold stay locked (else found again, a
    // simplifier run each), with those round the crossings
    lock = lockAround(before, dec.output, rep.crossing, margin, dec.lock ?? lock);
    let locked = 0;
    for (let v = 0; v < lock.length; v++) locked += lock[v]!;
    // The locked triangles keep their resolution; the target grows by what they would have lost,
    // so that the rest is not decimated harder to make up for them (which folded it elsewhere:
    // new crossings at each try on the TotalSegmentator bone).
    const lockedTris = lockedTriangles(before, lock);
    if (params.targetFaces !== undefined) targetFaces = params.targetFaces + Math.round(lockedTris * (1 - params.targetFaces / (before.indices.length / 3)));
    tries.push(...(dec.record.notes ?? []));
    tries.push(
      `try ${attempt + 1}: ${rep.remaining} triangles still crossed after the repair; decimated again from the same mesh with ${locked} of its vertices (${lockedTris} triangles) locked: those within ${round(margin, 2)} mm of those triangles, and where this decimation locked to stay manifold${targetFaces !== params.targetFaces ? `, to ${targetFaces} faces` : ''}`,
    );
    await yieldToHost();
  }
}

/** Triangles with all three corners locked. */
function lockedTriangles(mesh: Mesh, lock: Uint8Array): number {
  const I = mesh.indices;
  let n = 0;
  for (let o = 0; o < I.length; o += 3) if (lock[I[o]!] && lock[I[o + 1]!] && lock[I[o + 2]!]) n++;
  return n;
}

/** Mean edge length of the listed triangles. */
function meanEdge(mesh: Mesh, tris: ArrayLike<number>): number {
  const P = mesh.positions, I = mesh.indices;
  let sum = 0;
  for (let i = 0; i < tris.length; i++) {
    const t = tris[i]!;
    for (let k = 0; k < 3; k++) {
      const a = 3 * I[3 * t + k]!, b = 3 * I[3 * t + ((k + 1) % 3)]!;
      sum += Math.hypot(P[a]! - P[b]!, P[a + 1]! - P[b + 1]!, P[a + 2]! - P[b + 2]!);
    }
  }
  return tris.length ? sum / (3 * tris.length) : 0;
}

/**
 * `prev` (or none) with every vertex of `before` inside the box of a listed triangle of `mesh`
 * grown by `margin` locked. The boxes are binned in a dense grid over their union (cells about
 * the median box's size, at most 2^20), so each vertex meets only the boxes of its own cell.
 */
function lockAround(before: Mesh, mesh: Mesh, tris: ArrayLike<number>, margin: number, prev?: Uint8Array): Uint8Array {
  const P = mesh.positions, I = mesh.indices;
  const n = tris.length;
  const box = new Float64Array(6 * n);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  const extents: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = tris[i]!;
    const o = 6 * i;
    box.set([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity], o);
    for (let k = 0; k < 3; k++) {
      const v = 3 * I[3 * t + k]!;
      for (let a = 0; a < 3; a++) {
        box[o + a] = Math.min(box[o + a]!, P[v + a]! - margin);
        box[o + 3 + a] = Math.max(box[o + 3 + a]!, P[v + a]! + margin);
      }
    }
    let e = 0;
    for (let a = 0; a < 3; a++) {
      e = Math.max(e, box[o + 3 + a]! - box[o + a]!);
      lo[a] = Math.min(lo[a]!, box[o + a]!);
      hi[a] = Math.max(hi[a]!, box[o + 3 + a]!);
    }
    extents.push(e);
  }
  const lock = prev ? prev.slice() : new Uint8Array(before.positions.length / 3);
  if (n === 0) return lock;
  extents.sort((x, y) => x - y);
  let cell = Math.max(extents[n >> 1]!, 1e-3);
  const dim = (a: number): number => Math.floor((hi[a]! - lo[a]!) / cell) + 1;
  while (dim(0) * dim(1) * dim(2) > 1 << 20) cell *= 1.5;
  const [nx, ny, nz] = [dim(0), dim(1), dim(2)];
  const at = (x: number, a: number, d: number): number => Math.min(d - 1, Math.max(0, Math.floor((x - lo[a]!) / cell)));
  // boxes by cell (counting sort): a box is in every cell it touches
  const start = new Uint32Array(nx * ny * nz + 1);
  const each = (i: number, f: (c: number) => void): void => {
    const o = 6 * i;
    for (let k = at(box[o + 2]!, 2, nz); k <= at(box[o + 5]!, 2, nz); k++)
      for (let j = at(box[o + 1]!, 1, ny); j <= at(box[o + 4]!, 1, ny); j++)
        for (let c = at(box[o]!, 0, nx); c <= at(box[o + 3]!, 0, nx); c++) f(c + nx * (j + ny * k));
  };
  for (let i = 0; i < n; i++) each(i, (c) => start[c + 1]!++);
  for (let c = 0; c < nx * ny * nz; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, nx * ny * nz);
  const list = new Uint32Array(start[nx * ny * nz]!);
  for (let i = 0; i < n; i++) each(i, (c) => (list[fill[c]!++] = i));
  const Q = before.positions;
  for (let v = 0; v < Q.length / 3; v++) {
    if (lock[v]) continue;
    const x = Q[3 * v]!, y = Q[3 * v + 1]!, z = Q[3 * v + 2]!;
    if (x < lo[0]! || x > hi[0]! || y < lo[1]! || y > hi[1]! || z < lo[2]! || z > hi[2]!) continue;
    const c = at(x, 0, nx) + nx * (at(y, 1, ny) + ny * at(z, 2, nz));
    for (let p = start[c]!; p < start[c + 1]!; p++) {
      const o = 6 * list[p]!;
      if (x >= box[o]! && x <= box[o + 3]! && y >= box[o + 1]! && y <= box[o + 4]! && z >= box[o + 2]! && z <= box[o + 5]!) {
        lock[v] = 1;
        break;
      }
    }
  }
  return lock;
}

/**
 * Decimation keeps vertices where they were (it picks which to keep): each kept vertex's safe
 * position is that of the vertex at the same position before it (the first, where two shared one).
 */
export function safeOfKept(kept: Float32Array, before: Float32Array, safe: Float32Array): Float32Array {
  const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  const kb = bits(kept), bb = bits(before);
  const hash = (u: Uint32Array, o: number) => (Math.imul(u[o]!, 73856093) ^ Math.imul(u[o + 1]!, 19349663) ^ Math.imul(u[o + 2]!, 83492791)) >>> 0;
  // Kept vertices chained by hash bucket in typed arrays (a Map of arrays cost ~0.2 s a try on
  // a decimated skull), each chain in ascending vertex order: inserted from the last vertex.
  const nk = kept.length / 3;
  let size = 1;
  while (size < 2 * nk) size *= 2;
  const mask = size - 1;
  const head = new Int32Array(size).fill(-1);
  const next = new Int32Array(nk);
  for (let w = nk - 1; w >= 0; w--) {
    const b = hash(kb, 3 * w) & mask;
    next[w] = head[b]!;
    head[b] = w;
  }
  const out = kept.slice(); // a vertex not found stays where it is
  const found = new Uint8Array(nk);
  for (let v = 0; v < before.length / 3; v++) {
    const x = bb[3 * v]!, y = bb[3 * v + 1]!, z = bb[3 * v + 2]!;
    // The first kept vertex not yet found at exactly this position (the same bits).
    for (let w = head[hash(bb, 3 * v) & mask]!; w >= 0; w = next[w]!) {
      if (found[w] || kb[3 * w] !== x || kb[3 * w + 1] !== y || kb[3 * w + 2] !== z) continue;
      found[w] = 1;
      out[3 * w] = safe[3 * v]!;
      out[3 * w + 1] = safe[3 * v + 1]!;
      out[3 * w + 2] = safe[3 * v + 2]!;
    }
  }
  return out;
}
