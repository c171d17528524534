/**
 * Bounded decimation: quadric-error edge collapse (meshoptimizer's simplifier, WASM) to a
 * target face count and/or a maximum error in millimetres, then verified: the result must stay
 * closed, manifold and consistently wound. When it does not, the collapse is retried less
 * aggressively, and when nothing works the input is kept, and the record says so. The
 * symmetric Hausdorff distance between before and after is measured (on up to 150k sampled
 * vertices and centroids per side), not estimated from the simplifier.
 */
import type { MeshoptSimplifier as Simplifier } from 'meshoptimizer/simplifier';
import type { Mesh } from '../geometry/types.js';
import { round, type Finding, type StageRecord, type StageResult } from '../pipeline/record.js';
import { cleanupMesh, removeDegenerateFaces } from './cleanup.js';
import { hausdorffDistance, type OneSidedDistance } from './distance.js';
import { compactMesh, labelShells, markSmallShells, sharedMesh, triangleCount, type MeshShells } from './mesh-utils.js';
import type { WorkerPool } from '../parallel/pool.js';
import { lockAround, reduceInChunks, type ChunkedResult } from './decimate-chunked.js';
import { problemVertices } from './topology.js';
import { vertexNormals } from './vertex-normals.js';
import { yieldToHost } from '../parallel/yield.js';

/**
 * meshoptimizer's simplifier, loaded on the first decimation: its module decodes and compiles
 * its WebAssembly when imported (~15 ms on the main thread), which a default convert, which
 * does not decimate, would pay at start.
 */
async function simplifier(): Promise<typeof Simplifier> {
  const { MeshoptSimplifier } = await import('meshoptimizer/simplifier');
  await MeshoptSimplifier.ready;
  return MeshoptSimplifier;
}

export interface DecimateParams {
  /** Target number of triangles. */
  targetFaces?: number;
  /** Largest allowed deviation in mm (meshoptimizer's quadric error measure, absolute). */
  maxError_mm?: number;
  /**
   * Try the whole reduction in one round before halving rounds. Default true; previews skip it:
   * at 1/16 and below, on every skull tried, its five attempts pinched and halving took over.
   */
  oneRoundFirst?: boolean;
  /** Skip the Hausdorff measurement (previews). Default false. */
  skipHausdorff?: boolean;
  /**
   * Vertices of the input to keep (1 per vertex): no collapse removes them, so triangles with
   * all three corners locked stay as they are. The clean-up locks small shells itself.
   */
  lock?: Uint8Array;
}

const ATTEMPTS_PER_ROUND = 5;
/**
 * The vertex normals go into the collapse error with this weight (per unit of normal change, in
 * the error's millimetres). A quadric error alone does not see a thin plate's rim drawn in or a
 * ridge flattened (every face stays in its plane); the normals turning there do. Measured
 * (convert --decimate-ratio R, Hausdorff before → after, mean in brackets), weight 0 → 0.5:
 * philips 1 mm at 0.1: 1.57 (0.020) → 0.16 (0.022) mm, and no retry for crossings (2 before);
 * TotalSegmentator bone at 0.25: 5.41 (0.063) → 1.36 (0.065) mm; at 0.1: 7.52 (0.115) → 2.77
 * (0.128) mm, 30 480 → 28 866 faces. Weight 0.25 gave 2.37 (0.053) mm at 0.25, weight 1 1.61
 * (0.078), 2 1.67 (0.088): 0.5 holds the largest deviation lowest for a small rise in the mean.
 * Previews (reduceInChunks) decimate without: their size matters there, not their edges.
 */
const NORMAL_WEIGHT = 0.5;
const NORMAL_WEIGHTS = [NORMAL_WEIGHT, NORMAL_WEIGHT, NORMAL_WEIGHT];

/**
 * Each mesh's unit vertex normals, once: a round simplifies the same mesh up to five times, and
 * decimateUntangled and relaxLocked decimate the same mesh again for each try. A mesh's arrays
 * are not changed in place once it is built (as for smallShellLocks below).
 */
const meshNormals = new WeakMap<Mesh, Float32Array>();
function normalsOf(mesh: Mesh): Float32Array {
  let n = meshNormals.get(mesh);
  if (!n) meshNormals.set(mesh, (n = vertexNormals(mesh)));
  return n;
}
/**
 * The face count's divisor per fallback round: halving, and where a halving round cannot stay
 * manifold, gentler steps from the same mesh before the decimation stops short of its target
 * (a stop at the first failed halving left skull previews at 2-5× their 10k faces).
 */
const HALVING_STEPS = [2, 1.5, 1.2];
const HAUSDORFF_MAX_SAMPLES = 150_000;
/** Shells under max(this, 0.1 % of the mesh) triangles are locked during decimation. */
const SMALL_SHELL_MIN_TRIANGLES = 64;
const SMALL_SHELL_FRACTION = 0.001;
const EMPTY = new Float32Array(0);

/**
 * Small separate shells (bone fragments that survived the clean-up's minimum shell volume)
 * are locked: a quadric simplifier collapses a small closed shell away entirely, which deleted
 * a real fragment 3 cm from the skull in testing. Locked shells keep their few triangles.
 */
function smallShellLock(mesh: Mesh, known?: MeshShells): Uint8Array {
  let lock = smallShellLocks.get(mesh);
  if (!lock) {
    lock = new Uint8Array(mesh.positions.length / 3);
    const shells = known ?? labelShells(mesh);
    markSmallShells(mesh, shells, Math.max(SMALL_SHELL_MIN_TRIANGLES, Math.ceil(SMALL_SHELL_FRACTION * shells.shellOf.length)), lock);
    smallShellLocks.set(mesh, lock);
  }
  return lock.slice(); // the caller adds to its copy
}

/**
 * Each mesh's small-shell lock, once: decimateUntangled decimates the same mesh again for each
 * try (up to seven), and labelling a skull's shells costs ~0.2 s each time. A mesh's arrays are
 * not changed in place once it is built (conditioning makes new ones), so the lock stays right.
 */
const smallShellLocks = new WeakMap<Mesh, Uint8Array>();

/**
 * One simplification round on `mesh`. meshoptimizer's collapses do not check the link
 * condition everywhere, so a collapse can pinch two sheets together (a non-manifold edge or
 * vertex). After each attempt the broken spots are found and the vertices around them (a ring
 * that widens with every attempt) are locked, and the round is run again from the same input.
 */
async function simplifyRound(
  simplify: RoundSimplify,
  mesh: Mesh,
  targetFaces: number,
  errorBound: number,
  notes: string[],
  extraLock?: Uint8Array,
): Promise<{ mesh: Mesh; error: number; locked: number; remap: Int32Array; lock: Uint8Array } | undefined> {
  const nv = mesh.positions.length / 3;
  const lock = smallShellLock(mesh);
  if (extraLock) for (let v = 0; v < nv; v++) lock[v] |= extraLock[v]!;
  let locked = 0;
  for (let v = 0; v < nv; v++) locked += lock[v]!;
  for (let attempt = 1; attempt <= ATTEMPTS_PER_ROUND; attempt++) {
    // Each attempt is seconds of synchronous work on a skull: let the event loop run between them.
    await yieldToHost();
    const [idx, err] = simplify(mesh, locked ? lock : null, 3 * targetFaces, errorBound);
    // Collapses can leave degenerate, duplicate or cancelling faces: drop them before judging.
    // Vertices are not merged by position here: meshoptimizer collapses onto existing vertices,
    // so coincident positions are ones the input already had on separate sheets, and welding
    // them would itself pinch the surface (that made every attempt fail on real skulls).
    const candidate = removeDegenerateFaces({ positions: mesh.positions, indices: idx }).mesh;
    const bad = problemVertices(candidate);
    if (bad.length === 0 && candidate.indices.length > 0) {
      const remap = new Int32Array(nv);
      return { mesh: compactMesh(candidate, undefined, remap), error: err, locked, remap, lock };
    }
    // Lock the broken spots and `attempt` rings of input neighbours around them.
    lockAround(bad, attempt, mesh.indices, lock);
    locked = 0;
    for (let v = 0; v < nv; v++) locked += lock[v]!;
    notes.push(`round at ${triangleCount(mesh)} → ${targetFaces} faces, attempt ${attempt}: ${bad.length} vertices on broken edges/fans; locked ${locked} vertices around them and retried`);
  }
  return undefined;
}

export interface DecimateResult extends StageResult<Mesh> {
  /**
   * The vertices of the input its one round kept locked (small shells, the spots where a
   * collapse broke the manifold, the caller's lock): a caller decimating the same mesh again
   * can start from it instead of finding those spots again. Absent after halving rounds.
   */
  lock?: Uint8Array;
}

/** One simplification of a whole mesh: its new indices and the error it reports (mm). Tests hand in their own. */
export type RoundSimplify = (mesh: Mesh, lock: Uint8Array | null, targetIndexCount: number, errorBound: number) => [Uint32Array, number];

export async function decimateMesh(mesh: Mesh, params: DecimateParams, simplify?: RoundSimplify): Promise<DecimateResult> {
  const facesBefore = triangleCount(mesh);
  if (params.targetFaces === undefined && params.maxError_mm === undefined) throw new RangeError('decimation needs targetFaces or maxError_mm');
  if (params.targetFaces !== undefined && !(params.targetFaces >= 1)) throw new RangeError(`decimation target must be ≥ 1 face (got ${params.targetFaces})`);
  if (params.maxError_mm !== undefined && !(params.maxError_mm > 0)) throw new RangeError(`decimation max error must be > 0 mm (got ${params.maxError_mm})`);
  const MeshoptSimplifier = await simplifier();
  const scale = facesBefore ? MeshoptSimplifier.getScale(mesh.positions, 3) : 1;
  // Without an error bound the error is only limited by the mesh size (the target count rules).
  const errorBound = params.maxError_mm ?? scale;
  const simplifyWith: RoundSimplify =
    simplify ??
    ((m, lock, target, error) =>
      MeshoptSimplifier.simplifyWithAttributes(m.indices, m.positions, 3, normalsOf(m), 3, NORMAL_WEIGHTS, lock, target, error, ['ErrorAbsolute']));
  const finalTarget = Math.min(facesBefore, params.targetFaces ?? 0);
  const recordParams: Record<string, unknown> = {
    library: 'meshoptimizer simplifyWithAttributes (quadric error edge collapse), manifold-verified rounds',
    targetFaces: params.targetFaces ?? null,
    maxError_mm: params.maxError_mm ?? null,
    meshExtent_mm: round(scale, 3),
    flags: ['ErrorAbsolute'],
    attributes: `vertex normals (area-weighted), weight ${NORMAL_WEIGHT}`,
    rounds:
      params.maxError_mm !== undefined
        ? 'one round bounded by the error'
        : params.oneRoundFirst === false
          ? 'rounds that at most halve the face count'
          : 'one round to the target, else rounds that at most halve the face count',
  };
  const notes: string[] = [];
  let current = mesh;
  let reportedError = 0;
  let rounds = 0;
  let lockedTotal = 0;
  let failed = false;
  // First try the whole reduction in one round (fast, and one round's error does not add up);
  // only if that cannot stay manifold, fall back to rounds that at most halve the face count,
  // so each collapse region stays small and a broken spot can be locked locally.
  let direct = params.oneRoundFirst !== false;
  let step = 0; // into HALVING_STEPS
  let lock = params.lock; // the caller's lock, on the vertices of `current`
  let inputLock: Uint8Array | undefined; // the last round's whole lock, when it ran on the input (then the only round)
  while (facesBefore > 0) {
    const faces = triangleCount(current);
    const target = params.maxError_mm !== undefined || direct ? finalTarget : Math.max(finalTarget, Math.ceil(faces / HALVING_STEPS[step]!));
    const r = await simplifyRound(simplifyWith, current, target, errorBound, notes, lock);
    if (!r) {
      if (direct && params.maxError_mm === undefined) {
        direct = false;
        notes.push('one-round reduction could not stay manifold: falling back to halving rounds');
        continue;
      }
      if (!direct && params.maxError_mm === undefined && step + 1 < HALVING_STEPS.length && target > finalTarget) {
        step++;
        notes.push(`a round ÷ ${HALVING_STEPS[step - 1]} could not stay manifold: trying ÷ ${HALVING_STEPS[step]}`);
        continue;
      }
      failed = true;
      break;
    }
    direct = false;
    step = 0;
    rounds++;
    lockedTotal += r.locked;
    reportedError = Math.max(reportedError, r.error);
    const progress = triangleCount(r.mesh) < faces;
    inputLock = current === mesh ? r.lock : undefined;
    if (lock) {
      const next = new Uint8Array(r.mesh.positions.length / 3);
      for (let v = 0; v < r.remap.length; v++) if (r.remap[v]! >= 0 && lock[v]) next[r.remap[v]!] = 1;
      lock = next;
    }
    current = r.mesh;
    if (params.maxError_mm !== undefined || triangleCount(current) <= finalTarget || !progress) break;
  }
  const record: StageRecord = { stage: 'condition', method: 'decimate-quadric', params: recordParams, figures: {} };
  if (current === mesh) {
    record.findings = [
      { code: 'DECIMATION_SKIPPED', severity: 'warn', message: `decimation could not keep the mesh manifold (${ATTEMPTS_PER_ROUND} attempts with locked regions); the undecimated mesh is kept` },
    ];
    record.figures = { facesBefore, facesAfter: facesBefore, hausdorff_mm: 0 };
    if (notes.length) record.notes = notes;
    return { output: mesh, record };
  }
  if (failed) notes.push(`stopped at ${triangleCount(current)} faces: the next round could not stay manifold`);
  const output = current;
  record.figures = {
    facesBefore,
    facesAfter: triangleCount(output),
    reduction_percent: round(facesBefore ? 100 * (1 - triangleCount(output) / facesBefore) : 0, 2),
    rounds,
    verticesLocked: lockedTotal,
    simplifierError_mm: round(reportedError, 4),
  };
  if (params.targetFaces !== undefined && triangleCount(output) > params.targetFaces * 1.05) {
    notes.push(`target ${params.targetFaces} faces not reached (${triangleCount(output)}): the error bound or the topology stopped it`);
    record.findings = [targetMissed(triangleCount(output), params.targetFaces, 'the error bound or the mesh\'s topology stopped it')];
  }
  if (!params.skipHausdorff) await measureDecimation(record, mesh, output);
  if (mesh.groups) notes.push('per-triangle groups are not carried through decimation');
  if (notes.length) record.notes = notes;
  return { output, record, ...(inputLock ? { lock: inputLock } : {}) };
}

/**
 * The Hausdorff distance between the mesh before and after decimation, into the record.
 * Sampled on large meshes (every n-th vertex and centroid, at most 150k per side): the exact
 * all-points measure took ~20 s on a 1.6 M-triangle skull, longer than the decimation itself.
 */
export async function measureDecimation(record: StageRecord, before: Mesh, after: Mesh, pool?: WorkerPool): Promise<void> {
  // The figures' places now, so the record lists them in the same order whenever they arrive.
  record.figures.hausdorff_mm = null;
  record.figures.beforeToAfter = null;
  record.figures.afterToBefore = null;
  await yieldToHost();
  const h = pool
    ? await pool.run<HausdorffFigures>(HAUSDORFF_TASK, { before: sharedMesh(before), after: sharedMesh(after) } satisfies HausdorffPayload)
    : hausdorffTask({ before, after });
  record.figures.hausdorff_mm = h.hausdorff_mm;
  record.figures.beforeToAfter = h.aToB;
  record.figures.afterToBefore = h.bToA;
  // Last among the record's findings, whenever it arrives (callers set theirs before measuring).
  record.findings = [...(record.findings ?? []), deviation(h.hausdorff_mm, h.aToB)];
}

/**
 * How far the decimation moved the surface, said to the user: the model's accuracy line measures
 * from the model to the placed surface, so a feature the decimation removed (a thin plate's rim
 * drawn in, which a quadric error does not see) shows only here.
 */
function deviation(hausdorff_mm: number, aToB: OneSidedDistance): Finding {
  return {
    code: 'DECIMATION_DEVIATION',
    severity: 'info',
    message:
      `decimation moved the surface by up to ${round(hausdorff_mm, 2)} mm (Hausdorff distance; from the surface before to the one after: ` +
      `mean ${round(aToB.mean_mm, 3)} mm, 95 % within ${round(aToB.p95_mm, 2)} mm): thin edges and small features can be shortened by up to that much`,
  };
}

/**
 * The finding when a decimation ends above the faces asked for (by more than 5 %): the user asked
 * for a size and must hear, not only read in the record's notes, that the model is larger.
 */
export function targetMissed(faces: number, asked: number, why: string): Finding {
  return { code: 'DECIMATION_TARGET_NOT_REACHED', severity: 'info', message: `decimated to ${faces} faces, not the ${asked} asked for: ${why}` };
}

/**
 * The decimation's Hausdorff measurement as a pool task: ~0.6-0.7 s on one thread after a
 * skull's decimation, which the conditioning's next steps (clean-up, cavities, gate) need not
 * wait for (decimateUntangled starts it, conditionMesh awaits it). Same figures on any thread.
 */
export const HAUSDORFF_TASK = 'surface.hausdorff';

export interface HausdorffPayload {
  before: Mesh;
  after: Mesh;
}

type HausdorffFigures = ReturnType<typeof hausdorffDistance>;

export function hausdorffTask(p: HausdorffPayload): HausdorffFigures {
  return hausdorffDistance(p.before, p.after, HAUSDORFF_MAX_SAMPLES);
}

/** Above this many times the preview's face count, a first reduction runs in slabs (decimate-chunked.ts). */
const PREVIEW_CHUNKED_ABOVE = 16;
/** The slabs' reduction: at most this factor, and not below 4× the preview's face count. */
const PREVIEW_CHUNK_FACTOR = 8;

/**
 * A light copy for the web viewer: about `targetFaces` triangles, no error bound. A large
 * model is first reduced in slabs (~1 s on a 1.6 M-triangle skull, where one whole-mesh
 * attempt costs ~1.5 s and strong reductions of skulls needed several), then decimated to
 * the target as any mesh is. `shells`: the mesh's shells (edge-connected, as labelShells gives
 * them) where the caller has them already: labelling a skull's shells again was ~0.5 s of a
 * server job's preview, on a worker whose code for it was still cold. The same lock either way.
 */
export async function previewMesh(mesh: Mesh, targetFaces = 10_000, shells?: MeshShells): Promise<StageResult<Mesh>> {
  const facesBefore = triangleCount(mesh);
  if (facesBefore <= targetFaces) {
    return { output: mesh, record: { stage: 'export', method: 'preview', params: { targetFaces }, figures: { facesBefore, facesAfter: facesBefore } } };
  }
  let from = mesh;
  let first: ChunkedResult | undefined;
  if (facesBefore > PREVIEW_CHUNKED_ABOVE * targetFaces) {
    const MeshoptSimplifier = await simplifier();
    const factor = Math.min(PREVIEW_CHUNK_FACTOR, facesBefore / (4 * targetFaces));
    // No error bound (the target count rules), as in decimateMesh.
    const scale = MeshoptSimplifier.getScale(mesh.positions, 3);
    first = await reduceInChunks(mesh, { factor, lock: smallShellLock(mesh, shells) }, (ix, pos, lk, target) =>
      MeshoptSimplifier.simplifyWithAttributes(ix, pos, 3, EMPTY, 0, [], lk, target, scale, ['ErrorAbsolute', 'Sparse'])[0],
    );
    // The second step locks small shells by its own measure, relative to the smaller mesh, as
    // decimateMesh's halving rounds do: keeping the first step's lock tied up 8k of a 10k-face
    // budget in the small shells of a real skull, and the skull itself was collapsed to fit.
    from = first.mesh;
  }
  const r = await decimateMesh(from, { targetFaces, skipHausdorff: true, oneRoundFirst: false });
  r.record.stage = 'export';
  r.record.method = 'preview';
  // its size is ours to pick, not the user's: a preview over it is no news to them
  const findings = r.record.findings?.filter((f) => f.code !== 'DECIMATION_TARGET_NOT_REACHED');
  if (findings?.length) r.record.findings = findings;
  else delete r.record.findings;
  if (first) {
    const f = first.figures;
    r.record.params.firstStep = `slabs along the longest axis, cut vertices locked, meshoptimizer Sparse mode, faces ÷ ${round(facesBefore / Math.max(1, f.facesAfter), 1)}`;
    const facesAfter = triangleCount(r.output);
    r.record.figures = {
      ...r.record.figures,
      facesBefore,
      reduction_percent: round(100 * (1 - facesAfter / facesBefore), 2),
      chunkedFacesAfter: f.facesAfter,
      chunks: f.chunks,
      chunksKeptWhole: f.chunksKeptWhole,
      chunkedAttempts: f.attempts,
    };
    const groups = mesh.groups ? ['per-triangle groups are not carried through decimation'] : [];
    if (first.notes.length || groups.length) r.record.notes = [...first.notes, ...(r.record.notes ?? []), ...groups];
  }
  // Decimation can split off or turn a sliver inside out: re-orient the light copy too.
  const c = cleanupMesh(r.output);
  r.record.figures.trianglesFlipped = c.record.figures.trianglesFlipped;
  return { output: c.output, record: r.record };
}

/** previewMesh as a pool task: the server job's preview runs beside the other exports (pipeline/job.ts). */
export const PREVIEW_TASK = 'surface.preview';

export type PreviewTaskPayload = Mesh & { shells?: MeshShells };

export function previewTask({ shells, ...mesh }: PreviewTaskPayload): Promise<StageResult<Mesh>> {
  return previewMesh(mesh, undefined, shells);
}
