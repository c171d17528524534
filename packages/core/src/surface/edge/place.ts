/**
 * Stage "surface" (placement): moves each vertex of the extracted mesh from the threshold
 * iso-surface to the scanned object's edge, estimated from the HU profile along the
 * surface normal near it. Topology is the segmentation's (a sensitive threshold keeps thin
 * bone); positions come from a local model of the blurred edge:
 *  - a step (thick structure): half-way between the local tissue and bone plateaus;
 *  - a peak with no bone plateau (thinner than about three times the blur): the blurred
 *    slab's outer face from the profile's area and centroid (slab.ts), bone density from
 *    the scan's thick bone;
 *  - anything else (no contrast, another structure in the tissue window, air behind a thin
 *    wall, the profile leaves the scan): the threshold's position is kept (counted).
 * The shift is clamped (default the larger of 1.5 voxels and 2.5 σ of the blur, along the
 * normal) so no vertex can fly off; a smoothing pass afterwards averages the per-vertex noise.
 * Linear in the vertex count, typed arrays only, deterministic.
 */
import type { Mesh, Volume } from '../../geometry/types.js';
import type { StageContext, StageRecord } from '../../pipeline/record.js';
import { round } from '../../pipeline/record.js';
import { fitBlur, VOXEL_BLUR_C, type BlurEstimate } from './blur.js';
import { meanCurvature } from './curvature.js';
import { PROFILE_WALL_MM, profileHalfLength, type ProfileLimits } from './plateau.js';
import { makeSampler } from './profile.js';
import { restoreCollapsedShells } from './shells.js';
import { surfacePoints } from './sample-points.js';
import { combineEstimate, EDGE_ESTIMATE_TASK, estimateSlab, type CombinedEstimate, type EstimateSamples, type EstimateSlab } from './estimate.js';
import { slabRanges } from '../../parallel/pool.js';
import { areaNormalSums } from '../vertex-normals.js';
import {
  directionsSlab,
  EDGE_DIRECTIONS_TASK,
  EDGE_PLACE_TASK,
  placeSlab,
  RULE_EDGE,
  RULE_OUTSIDE,
  RULE_SLAB,
  RULE_THRESHOLD,
  RIM_BESIDE,
  RIM_END,
  FACE_FAR_SHIFT_SIGMA,
  FACE_FAR_SIGMA,
  FACE_PROBE_MIN,
  FACE_SHIFT_SIGMA,
  INTERP_CURVATURE_C_THICK,
  INTERP_CURVATURE_K,
  INTERP_CURVATURE_MAX,
  INTERP_CURVATURE_MAX_ASPECT,
  LATERAL_MIN,
  LATERAL_SIGMA,
  type DirectionsSlab,
  type PlaceSlab,
} from './place-slab.js';

export type PlacementRule = 'edge' | 'threshold';

export interface PlaceParams {
  /** 'edge' (default): the local edge model; 'threshold': keep the threshold iso-surface. */
  placement?: PlacementRule;
  /** Bone density for the slab model (HU); default: median bone plateau of the scan's thick edges. */
  bone_HU?: number;
  /** Point-spread σ (mm; the voxel's share is added per axis); default: estimated from the scan's edge profiles. */
  blur_mm?: number;
  /** Profile sample step (mm, default 0.2). */
  step_mm?: number;
  /** Largest shift along the normal, in voxels (default 1.5), or maxShift_sigma where that is larger. */
  maxShift_voxels?: number;
  /**
   * Largest shift along the normal, in σ of the blur along it (default 2.5), where that is larger
   * than maxShift_voxels. The threshold's iso-surface lies σ·Φ⁻¹(1 − f) outside the edge, f the
   * threshold's fraction of the tissue-to-bone step: the automatic threshold at noise 20 HU (100 HU,
   * f ≈ 0.05 for bone at 1200 HU) lies 1.6 σ out, ~0.9 mm at σ 0.54 mm, where 1.5 voxels of 0.5 mm
   * pixels are 0.75 mm: two thirds of a sphere's vertices stopped short (+1.8 % volume, mean
   * 0.086 mm). 2.5 σ covers f down to 0.6 %.
   */
  maxShift_sigma?: number;
  /** Smallest bone–tissue contrast accepted as an edge (HU, default 100). */
  minContrast_HU?: number;
}

export const PLACE_DEFAULTS = { placement: 'edge' as PlacementRule, step_mm: 0.2, maxShift_voxels: 1.5, maxShift_sigma: 2.5, minContrast_HU: 100, plateau_mm: 1.0, minPlateau_mm: 0.4 };

export { RIM_BESIDE, RIM_END, RULE_EDGE, RULE_OUTSIDE, RULE_SLAB, RULE_THRESHOLD };

export interface PlaceResult {
  output: Mesh;
  /** Which rule placed each vertex (RULE_*). */
  rules: Uint8Array;
  /**
   * Where the conditioning refines the mesh before smoothing (condition-rims.ts): RIM_END where the
   * edge rule placed the vertex at a thin wall's end, its rim (a subset of RULE_EDGE); RIM_BESIDE
   * where the slab rule placed it on a face beside that end (a subset of RULE_SLAB); else 0.
   */
  rims: Uint8Array;
  /** The scan's blur σ (mm) as estimated, along the axis where it is widest; 0 where none was estimated. */
  blurMax_mm: number;
  record: StageRecord;
}

/** Estimation pass: at most this many surface points (sample-points.ts), for the blur and the bone density. */
const ESTIMATE_POINTS = 20000;
/** Share of vertices sized as thin walls from which a density read from thin walls is a finding. */
const THIN_WALL_DENSITY_SHARE = 0.01;

/** Below this many vertices the pool's hand-offs cost more than they save. */
const MIN_PARALLEL_VERTICES = 50_000;

/** What the placement asks its driver to run over every vertex: a slab kernel's shared arguments. */
type PlacePhase =
  | { kind: 'directions'; work: Omit<DirectionsSlab, 'v0' | 'v1'> }
  | { kind: 'estimate'; work: Omit<EstimateSlab, 'v0' | 'v1'>; count: number; beside?: () => unknown }
  | { kind: 'place'; work: Omit<PlaceSlab, 'v0' | 'v1'> };

/** Single-threaded placement (the reference the pool's result must equal byte for byte). */
export function placeVertices(mesh: Mesh, volume: Volume, params: PlaceParams = {}, ctx: StageContext = {}): PlaceResult {
  const g = placeCore(mesh, volume, params, ctx, (n) => new Float64Array(n), (n) => new Float32Array(n), (n) => new Uint8Array(n));
  const nv = mesh.positions.length / 3;
  for (let r = g.next(); ; ) {
    if (r.done) return r.value;
    const y = r.value;
    if (y.kind === 'estimate') {
      const parts = [estimateSlab({ ...y.work, v0: 0, v1: y.count })];
      y.beside?.();
      r = g.next(parts);
      continue;
    }
    if (y.kind === 'directions') directionsSlab({ ...y.work, v0: 0, v1: nv });
    else placeSlab({ ...y.work, v0: 0, v1: nv });
    r = g.next();
  }
}

/** placeVerticesAsync's options. */
export interface PlaceAsyncOptions {
  /** Below this many vertices placement stays on this thread (default MIN_PARALLEL_VERTICES). */
  minParallelVertices?: number;
  /**
   * Work for this thread that does not need the placed positions (the triangles' topology for
   * the clean-up): run once, while the pool runs the profiles (the longest pass, when this
   * thread would wait), or after placement where it runs on this thread.
   */
  beside?: () => void;
}

/**
 * Placement with the per-vertex passes (directions, the blur and density sample, profiles) in slabs of vertices on the
 * context's worker pool; the same bytes as placeVertices. Needs the volume on shared memory
 * (the importer's volumes are); otherwise, or without a pool, it runs on this thread.
 */
export async function placeVerticesAsync(mesh: Mesh, volume: Volume, params: PlaceParams = {}, ctx: StageContext = {}, opts: PlaceAsyncOptions = {}): Promise<PlaceResult> {
  const pool = ctx.pool;
  const nv = mesh.positions.length / 3;
  const sharedOk = typeof SharedArrayBuffer !== 'undefined' && volume.data.buffer instanceof SharedArrayBuffer;
  let beside = opts.beside;
  const runBeside = (): void => {
    const f = beside;
    beside = undefined;
    f?.();
  };
  if (!pool || pool.size < 2 || !sharedOk || nv < (opts.minParallelVertices ?? MIN_PARALLEL_VERTICES) || (params.placement ?? PLACE_DEFAULTS.placement) === 'threshold') {
    const r = placeVertices(mesh, volume, params, ctx);
    runBeside();
    return r;
  }
  const g = placeCore(mesh, volume, params, ctx, shared(Float64Array, 8), shared(Float32Array, 4), shared(Uint8Array, 1));
  const ranges = slabRanges(nv, pool.size);
  for (let r = g.next(); ; ) {
    if (r.done) {
      runBeside();
      r.value.record.params.workers = pool.size;
      return r.value;
    }
    const y = r.value;
    if (y.kind === 'estimate') {
      // the ranges' samples in range order: the one-thread pass's order
      const parts = Promise.all(slabRanges(y.count, pool.size).map(([v0, v1]) => pool.run<EstimateSamples>(EDGE_ESTIMATE_TASK, { ...y.work, v0, v1 } satisfies EstimateSlab)));
      y.beside?.();
      r = g.next(await parts);
      continue;
    }
    const task = y.kind === 'directions' ? EDGE_DIRECTIONS_TASK : EDGE_PLACE_TASK;
    const slabs = Promise.all(ranges.map(([v0, v1]) => pool.run(task, { ...y.work, v0, v1 })));
    if (y.kind === 'place') runBeside();
    await slabs;
    r = g.next();
  }
}

function shared<T>(Ctor: new (b: ArrayBufferLike) => T, bytes: number): (n: number) => T {
  return (n) => new Ctor(new SharedArrayBuffer(n * bytes));
}

function* placeCore(
  mesh: Mesh,
  volume: Volume,
  params: PlaceParams,
  ctx: StageContext,
  f64: (n: number) => Float64Array,
  f32: (n: number) => Float32Array,
  u8: (n: number) => Uint8Array,
): Generator<PlacePhase, PlaceResult, EstimateSamples[] | undefined> {
  const t0 = performance.now();
  const placement = params.placement ?? PLACE_DEFAULTS.placement;
  const nv = mesh.positions.length / 3;
  const rules = new Uint8Array(nv);
  if (placement === 'threshold') {
    return {
      output: mesh,
      rules,
      rims: new Uint8Array(nv),
      blurMax_mm: 0,
      record: { stage: 'surface', method: 'threshold-level-placement', params: { placement }, figures: { vertices: nv, vertices_threshold: nv }, wall_ms: round(performance.now() - t0, 1) },
    };
  }
  const h = params.step_mm ?? PLACE_DEFAULTS.step_mm;
  const maxShiftVox = params.maxShift_voxels ?? PLACE_DEFAULTS.maxShift_voxels;
  const maxShiftSigma = params.maxShift_sigma ?? PLACE_DEFAULTS.maxShift_sigma;
  const lim: ProfileLimits = { minContrast: params.minContrast_HU ?? PLACE_DEFAULTS.minContrast_HU, plateau_mm: PLACE_DEFAULTS.plateau_mm, minPlateau_mm: PLACE_DEFAULTS.minPlateau_mm };
  const S = makeSampler(volume);
  const onPool = f32(1).buffer instanceof SharedArrayBuffer;
  // (only read: the extraction's own shared positions are posted as they are)
  const P = onPool && !(mesh.positions.buffer instanceof SharedArrayBuffer) ? copyTo(mesh.positions, f32) : mesh.positions;
  const normals = areaNormalSums(mesh, f64(mesh.positions.length));
  const dirs = f32(3 * nv);
  yield { kind: 'directions', work: { S, positions: P, normals, dirs } };
  const tDirs = performance.now();
  // The curvature needs the directions only: with a pool it is worked out here while the
  // workers run the first estimation round (this thread would wait), else after that round.
  let curvatureOf: Float32Array | undefined;
  const curvatureOnce = (): Float32Array => (curvatureOf ??= meanCurvature(mesh, dirs));

  // 1. the scan's blur and bone density, from a deterministic sample of surface points (two rounds: windows depend on σ)
  const pts = surfacePoints(P, mesh.indices, dirs, ESTIMATE_POINTS, f32);
  let blur: BlurEstimate = { sigma_mm: [0, 0, 0], median_mm: 0, samples: 0 };
  const psf0 = params.blur_mm ?? 0.5;
  let sigma = S.spacing.map((s) => Math.sqrt(psf0 * psf0 + VOXEL_BLUR_C * s * s)) as [number, number, number];
  let bone = params.bone_HU ?? NaN;
  let boneEstimate: CombinedEstimate | undefined;
  const rounds = params.blur_mm !== undefined && params.bone_HU !== undefined ? 0 : 2;
  for (let r = 0; r < rounds; r++) {
    const work = { S, positions: pts.positions, dirs: pts.dirs, h, sigma, K: maxHalfLength(sigma, h), lim };
    const count = pts.count;
    const parts = yield r === 0 ? { kind: 'estimate', work, count, beside: curvatureOnce } : { kind: 'estimate', work, count };
    const est = combineEstimate(parts!);
    if (params.blur_mm === undefined) {
      blur = fitBlur(est.sig2, est.axis2, est.count, psf0, S.spacing);
      sigma = blur.sigma_mm;
    }
    if (params.bone_HU === undefined) {
      bone = est.bone;
      boneEstimate = est;
    }
  }
  if (params.blur_mm !== undefined) blur = { sigma_mm: sigma, median_mm: psf0, samples: 0 };

  // 2. every vertex; a blurred curved edge's half-way surface lies σ²·H inside the edge (H the mean curvature)
  const tEstimate = performance.now();
  const curvature = curvatureOnce();
  const curv = onPool ? copyTo(curvature, f32) : curvature; // the workers read it from shared memory
  const K = maxHalfLength(sigma, h);
  const out = f32(P.length);
  const rulesOut = u8(nv);
  const shift = f64(nv);
  const clampedAt = u8(nv);
  const rims = u8(nv);
  yield { kind: 'place', work: { S, positions: P, dirs, curv, sigma, bone, K, h, lim, maxShiftVox, maxShiftSigma, out, rules: rulesOut, shift, clamped: clampedAt, rims } };
  // statistics in vertex order, whatever ran the slabs
  const counts = [0, 0, 0, 0];
  let clamped = 0;
  const rimCount = [0, 0, 0];
  let sum = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  for (let v = 0; v < nv; v++) {
    const rule = rulesOut[v]!;
    rules[v] = rule;
    counts[rule]!++;
    clamped += clampedAt[v]!;
    rimCount[rims[v]!]!++;
    if (rule !== RULE_EDGE && rule !== RULE_SLAB) continue;
    const d = shift[v]!;
    sum += d;
    sumAbs += Math.abs(d);
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  const tProfiles = performance.now();
  // shells that would collapse or turn inside out keep the threshold's positions
  const reverted = new Uint8Array(nv);
  const shellsRestored = restoreCollapsedShells(mesh, out, reverted);
  let revertedVertices = 0;
  if (shellsRestored) {
    for (let v = 0; v < nv; v++) {
      if (!reverted[v] || rules[v] === RULE_THRESHOLD || rules[v] === RULE_OUTSIDE) continue;
      counts[rules[v]!]!--;
      counts[RULE_THRESHOLD]!++;
      rules[v] = RULE_THRESHOLD;
      rimCount[rims[v]!]!--;
      rims[v] = 0;
      revertedVertices++;
    }
  }
  ctx.progress?.(1, 'edge placement');
  const moved = counts[RULE_EDGE]! + counts[RULE_SLAB]!;
  const record: StageRecord = {
    stage: 'surface',
    method: 'edge-model-placement',
    params: {
      placement,
      rule: `step: half-way between the local tissue and bone plateaus, plus (σ² + C·s_t²)·H for the curvature (H mean curvature, s_t² the voxel's mean squared side across the profile: the grid's interpolation blurs along the edge, the more the sharper the scanner's own blur psf_t along the edge: C = min(${INTERP_CURVATURE_MAX}, ${INTERP_CURVATURE_K}·s_t/psf_t), ${INTERP_CURVATURE_C_THICK} on voxels over ${INTERP_CURVATURE_MAX_ASPECT}:1; |σH| ≤ 0.15: the formula holds for smooth surfaces, not at sharp edges); peak without a bone plateau: blurred slab (area and centroid, Treece et al. 2010), unless a parallel profile ${LATERAL_SIGMA} σ aside holds under ${100 * LATERAL_MIN} % of its area (the end of a thin structure, its rim): the peak's outer half-maximum, counted as edge, unless every probe holding over ${100 * FACE_PROBE_MIN} % of its area has the wall within ${FACE_SHIFT_SIGMA} σ of its centroid and one holds more (a face beside the rim): the slab with the fullest probe's area (the probes and one ${FACE_FAR_SIGMA} σ farther in where the wall goes on, its centroid within ${FACE_FAR_SHIFT_SIGMA} σ) about the wall's centre (the line through the centroids of that probe and one σ beyond it, taken back to the profile, where the two hold the same area; else the profile's own centroid), counted as slab; else the threshold position`,
      estimate_sample: `up to ${ESTIMATE_POINTS} points spread by area inside the triangles (not the vertices: their grid phase is set by the threshold)`,
      wall_end_probe: { lateral_sigma: LATERAL_SIGMA, min_area_fraction: LATERAL_MIN, face_probe_min_fraction: FACE_PROBE_MIN, face_shift_sigma: FACE_SHIFT_SIGMA, face_far_sigma: FACE_FAR_SIGMA, face_far_shift_sigma: FACE_FAR_SHIFT_SIGMA },
      direction: 'field gradient (central differences), the mesh normal where they disagree by more than 60°',
      step_mm: h,
      profile_half_length_mm: `4σ + ${PROFILE_WALL_MM} mm, σ along the profile (up to ${round(K * h, 3)})`,
      maxShift_voxels: maxShiftVox,
      maxShift_sigma: maxShiftSigma,
      minContrast_HU: lim.minContrast,
      plateau_mm: lim.plateau_mm,
      minPlateau_mm: lim.minPlateau_mm,
      bone_HU: params.bone_HU ?? 'estimated',
      blur_mm: params.blur_mm ?? 'estimated',
    },
    figures: {
      vertices: nv,
      vertices_edge: counts[RULE_EDGE]!,
      vertices_edge_at_rims: rimCount[RIM_END]!,
      vertices_slab_beside_rims: rimCount[RIM_BESIDE]!,
      vertices_slab: counts[RULE_SLAB]!,
      vertices_threshold_fallback: counts[RULE_THRESHOLD]!,
      vertices_outside_scan: counts[RULE_OUTSIDE]!,
      vertices_clamped: clamped,
      shells_kept_at_threshold: shellsRestored,
      vertices_in_shells_kept_at_threshold: revertedVertices,
      blur_sigma_mm: sigma.map((s) => round(s, 3)),
      blur_psf_sigma_mm: round(blur.median_mm, 3),
      blur_voxel_c: VOXEL_BLUR_C,
      blur_profiles: blur.samples,
      bone_HU: Number.isFinite(bone) ? round(bone, 1) : null,
      ...(boneEstimate
        ? {
            bone_from: boneEstimate.boneFrom,
            bone_solid_HU: Number.isFinite(boneEstimate.solidBone) ? round(boneEstimate.solidBone, 1) : null,
            bone_solid_samples: boneEstimate.solidSamples,
            bone_solid_backed: boneEstimate.solidBacked,
          }
        : {}),
      shift_mean_mm: moved ? round(sum / moved, 4) : 0,
      shift_meanAbs_mm: moved ? round(sumAbs / moved, 4) : 0,
      shift_max_mm: round(maxAbs, 4),
    },
    notes: [
      `time (ms): directions ${round(tDirs - t0, 1)}, blur and density ${round(tEstimate - tDirs, 1)}, profiles ${round(tProfiles - tEstimate, 1)}, shell guard ${round(performance.now() - tProfiles, 1)}`,
    ],
    wall_ms: round(performance.now() - t0, 1),
  };
  const findings: NonNullable<StageRecord['findings']> = [];
  if (nv && counts[RULE_THRESHOLD]! > 0.2 * nv) {
    findings.push({
      code: 'EDGE_PLACEMENT_FALLBACK',
      severity: 'info',
      message: `${round((100 * counts[RULE_THRESHOLD]!) / nv, 1)} % of vertices kept at the threshold: their HU profile shows no clear edge (low contrast, neighbouring structures, or air behind a thin wall)`,
    });
  }
  // A thin wall is sized as area / (bone − tissue): with the density read from thin walls
  // themselves (no solid thick bone in the scan: their peaks, or their rims' plateaus), that is
  // ill-conditioned. Measured on validatePhantom's plates without the density insert (exact
  // blur, noise 20 HU, 0.5×0.5×1 to 0.8×0.8×2 mm): walls of 1.5-3 mm came out 0.33 mm thinner
  // to 0.86 mm thicker.
  if (nv && boneEstimate && !boneEstimate.solidBacked && counts[RULE_SLAB]! > THIN_WALL_DENSITY_SHARE * nv) {
    findings.push({
      code: 'BONE_DENSITY_FROM_THIN_WALLS',
      severity: 'warn',
      message: `the bone's density (${round(bone, 0)} HU) was read from thin walls (${boneEstimate.boneFrom === 'thin walls' ? 'their peaks' : 'their rims'}), as the scan shows no solid thick bone to read it from, and ${round((100 * counts[RULE_SLAB]!) / nv, 1)} % of the surface's vertices were sized as thin walls with it (on phantoms without thick bone, walls of 1.5-3 mm came out 0.3 mm thinner to 0.9 mm thicker): check thin walls against the scan`,
    });
  }
  if (findings.length) record.findings = findings;
  // on the pool the positions stay on shared memory: the placed surface is the accuracy's reference, posted to a worker
  return { output: { positions: out, indices: mesh.indices }, rules, rims, blurMax_mm: Math.max(...sigma), record };
}

/** The longest profile's half-length (the widest axis's σ): each profile takes its own, ≤ this (plateau.ts). */
function maxHalfLength(sigma: number[], h: number): number {
  return profileHalfLength(Math.max(...sigma), h);
}

function copyTo<T extends Float32Array | Float64Array>(a: Float32Array, alloc: (n: number) => T): T {
  const out = alloc(a.length);
  out.set(a);
  return out;
}
