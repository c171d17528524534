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
import { keptIndex, lockedTriangles, lockNear, meanEdge, safeAtKept } from './decimate-locks.js';
import { relaxLocked, type Relaxed } from './decimate-relax.js';

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
  const finish = async (dec: DecimateResult, rep: UntangleResult, attempt: number, listed = false, relaxed?: Relaxed): Promise<DecimatedUntangled> => {
    if (relaxed) {
      // the try's record, for the model the relaxed decimation made from its output
      const faces = relaxed.dec.output.indices.length / 3;
      const f = dec.record.figures;
      f.facesAfter = faces;
      if (typeof f.facesBefore === 'number' && f.facesBefore > 0) f.reduction_percent = round(100 * (1 - faces / f.facesBefore), 2);
      f.relaxedError_mm = round(relaxed.error_mm, 4);
      dec = { ...dec, output: relaxed.dec.output };
      dec.record.notes = [...(dec.record.notes ?? []), relaxed.note];
      rep = relaxed.rep;
      rep.record.notes = [...(rep.record.notes ?? []), 'of the relaxed decimation (see the decimation\'s notes)'];
    }
    if (tries.length) {
      dec.record.figures.retriesForCrossings = attempt;
      const faces = dec.output.indices.length / 3;
      const asked = dec.record.params.targetFaces;
      const notes = listed ? [...tries] : [...tries, ...(dec.record.notes ?? [])];
      if (params.targetFaces !== undefined && faces > 1.05 * params.targetFaces && asked !== params.targetFaces) {
        notes.push(`target ${params.targetFaces} faces not reached (${faces}): the triangles round the crossing sites ${relaxed ? `were decimated no coarser than ${round(relaxed.error_mm, 4)} mm` : 'kept their resolution'}`);
        // the decimation's own finding, if it made one, was about the raised target: this one replaces it
        const why = relaxed
          ? `the triangles round the places where decimating folded the surface through itself were decimated again only as far as an error of ${round(relaxed.error_mm, 3)} mm left nothing crossing (${attempt} ${attempt === 1 ? 'retry' : 'retries'} with them locked, then that; the record's notes say where)`
          : `the triangles round the places where decimating folded the surface through itself keep their resolution (${attempt} ${attempt === 1 ? 'retry' : 'retries'} with them locked; the record's notes say where)`;
        dec.record.findings = [...(dec.record.findings ?? []).filter((f) => f.code !== 'DECIMATION_TARGET_NOT_REACHED'), targetMissed(faces, params.targetFaces, why)];
      }
      dec.record.params.targetFaces = params.targetFaces ?? null;
      dec.record.notes = notes;
      if (attempt > 0) rep.record.notes = [...(rep.record.notes ?? []), `after decimating again with the crossing sites locked (${attempt} time${attempt > 1 ? 's' : ''}; see the decimation's notes)`];
    }
    let measured: Promise<void> | undefined;
    if (!params.skipHausdorff) {
      // on a worker, while the caller goes on (the record's figures are there once it settles);
      // started after the findings above, so that its own comes last on any thread
      measured = measureDecimation(dec.record, before, dec.output, ctx.pool);
      if (ctx.pool) measured.catch(() => {});
      else await measured;
    }
    return { output: rep.output, records: [dec.record, rep.record], ...(measured ? { measured } : {}) };
  };
  // the last try's decimation and repair, kept in case a retry cannot decimate at all
  let last: { dec: DecimateResult; rep: UntangleResult } | undefined;
  // the first try's simplifier error: the coarsest bound relaxLocked tries
  let firstError = 0;
  for (let attempt = 0; ; attempt++) {
    const dec = await decimate(before, { ...params, skipHausdorff: true, ...(targetFaces !== undefined ? { targetFaces } : {}), ...(lock ? { lock } : {}) });
    if (dec.output === before) {
      if (!last) return { output: before, records: [dec.record] };
      // the locks made it fail to stay manifold: the last try stands, its crossings counted
      tries.push('decimating with those vertices locked could not stay manifold: the decimation before it is kept, and the repair after it counts what crosses');
      return finish(last.dec, last.rep, attempt - 1, true);
    }
    if (attempt === 0) firstError = Number(dec.record.figures.simplifierError_mm ?? 0);
    await yieldToHost();
    // which vertex of `before` each kept one was: their safe positions, and relaxLocked's region
    const from = keptIndex(dec.output.positions, before.positions);
    const kept = safeAtKept(from, dec.output.positions, safe);
    const rep = await untangleMesh(dec.output, kept, untangle, ctx);
    if (rep.remaining === 0 && lock && params.targetFaces !== undefined && dec.output.indices.length / 3 > 1.05 * params.targetFaces) {
      // the retries left the region round the crossing sites at the input's resolution: decimated again, bounded
      const input = { lock: dec.lock ?? lock, from, repaired: rep.output, safe: kept, targetFaces: params.targetFaces, firstError_mm: firstError };
      return finish(dec, rep, attempt, false, await relaxLocked(input, untangle, ctx, decimate));
    }
    if (rep.remaining === 0 || attempt === DECIMATE_CROSSING_RETRIES) return finish(dec, rep, attempt);
    last = { dec, rep };
    const margin = (attempt + 1) * 2 * meanEdge(dec.output, rep.crossing);
    // the sites this decimation had to lock to stay manifold stay locked (else found again, a
    // simplifier run each), with those round the crossings
    lock = lockNear(before, dec.output, rep.crossing, margin, dec.lock ?? lock);
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
