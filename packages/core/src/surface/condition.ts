/**
 * Conditioning: the raw isosurface → a printable mesh, in a fixed order, each step with its
 * record: clean-up → rim refinement (after edge placement) → smoothing → self-intersection
 * repair → decimation → clean-up → fill cavities → printability gate.
 * Connectivity (edge table, shells) is computed once per set of triangles and reused while
 * only vertex positions change; the gate then judges the final mesh from scratch.
 */
import type { Mesh } from '../geometry/types.js';
import type { StageContext, StageRecord } from '../pipeline/record.js';
import { fillCavities } from './cavities.js';
import { cleanupMesh, meshTopology, type CleanupParams, type CleanupResult, type MeshTopology } from './cleanup.js';
import { decimateMesh } from './decimate.js';
import { noteVolumeChange } from './decimate-volume.js';
import { signedVolume_mm3 } from './mesh-utils.js';
import { printabilityGate } from './gate.js';
import { scanBorderVertices, smoothMeshAsync, type SmoothParams } from './smooth.js';
import type { Grid } from '../geometry/grid.js';
import type { MeshCheck } from './topology.js';
import type { MeshShells } from './mesh-utils.js';
import { untangleMesh } from './untangle.js';
import { decimateUntangled } from './decimate-untangled.js';
import { edgeUses, pairedOpposite } from './edge-table.js';
import { yieldToHost } from '../parallel/yield.js';
import { refineRims, rimsBeforeCleanup, type RimPlan, type RimRefineParams } from './condition-rims.js';
import { withRoom } from './room.js';

export interface ConditionParams extends CleanupParams {
  /** Smoothing (default SMOOTH_DEFAULTS: windowed-sinc, 40 iterations, pass band 0.05); `false` or method 'none' to skip. */
  smooth?: SmoothParams | false;
  /** Decimation to a face count and/or an error bound; omitted = no decimation. */
  decimate?: { targetFaces?: number; maxError_mm?: number };
  keepCavities?: boolean;
  allowOpen?: boolean;
  /** Names the mesh in a refusal. */
  name?: string;
  /** The grid the mesh was extracted from: vertices on its outer faces (scan-border caps) are held during smoothing. */
  grid?: Grid;
  /** Repair self-intersections after smoothing (default true; untangle.ts); `false` to skip. */
  untangle?: boolean;
  /** Split long edges at the rims edge placement found, before smoothing (condition-rims.ts); `false` to skip. */
  refineRims?: RimRefineParams | false;
}

export const CONDITION_DEFAULTS = { minShell_mm3: 1 };

export interface ConditionResult {
  output: Mesh;
  records: StageRecord[];
  check: MeshCheck;
  printable: boolean;
}

/**
 * Topology of the input's triangles worked out beforehand (checkedTopology, beside the edge
 * placement), handed to the first clean-up. The clean-up takes it out of the holder, so that
 * no caller's frame keeps its edge table (~70 MB on a skull) after the clean-up.
 */
export interface TopologyHandOver {
  topology?: MeshTopology;
  /**
   * Where the input's vertices were before anything moved them (the marching-cubes surface,
   * which never passes through itself): the self-intersection repair moves crossing corners
   * back toward them. Without it, toward their positions before smoothing.
   */
  safePositions?: Float32Array;
  /**
   * The input's vertices edge placement put at a thin wall's end (PlaceResult.rims), refined
   * before smoothing, and the scan's blur it estimated (PlaceResult.blurMax_mm).
   */
  rims?: { flags: Uint8Array; blur_mm: number };
}

/**
 * `beforeGate` gets the final mesh before the gate judges it (to start work beside the gate),
 * with its shells as the clean-up and the cavity filling left them (edge-connected; the same
 * as labelShellsByVertex's on a mesh the gate passes); `known`, the input triangles' topology
 * (the results are the same without it).
 */
export async function conditionMesh(
  mesh: Mesh,
  params: ConditionParams = {},
  ctx: StageContext = {},
  beforeGate?: (final: Mesh, shells: MeshShells) => void,
  known?: TopologyHandOver,
): Promise<ConditionResult> {
  const records: StageRecord[] = [];
  // The steps' intermediates (the first clean-up's mesh and edge table, ~130 MB on a skull)
  // live in conditionSteps' frame only: an async function keeps every local it has until it
  // returns, so here they would still be held while the gate runs, at the job's peak memory.
  const { mesh: m, shells, measured, volumeChange_percent } = await conditionSteps(mesh, params, ctx, records, known);
  beforeGate?.(m, shells);
  const t0 = performance.now();
  const gate = await printabilityGate(
    m,
    { allowOpen: params.allowOpen ?? false, ...(params.name ? { name: params.name } : {}), ...(volumeChange_percent !== undefined ? { decimationVolumeChange_percent: volumeChange_percent } : {}) },
    ctx,
  );
  gate.record.wall_ms = Math.round(performance.now() - t0);
  records.push(gate.record);
  // the decimation's Hausdorff distance, measured on a worker beside the steps since
  await measured;
  ctx.progress?.(1, 'gate');
  return { output: m, records, check: gate.check, printable: gate.printable };
}

/** clean-up → smoothing → repair → decimation → clean-up → fill cavities: the mesh the gate judges. */
async function conditionSteps(
  mesh: Mesh,
  params: ConditionParams,
  ctx: StageContext,
  records: StageRecord[],
  known?: TopologyHandOver,
): Promise<{ mesh: Mesh; shells: MeshShells; measured?: Promise<void>; volumeChange_percent?: number }> {
  const step = <T extends { output: Mesh; record: StageRecord }>(r: T): Mesh => {
    records.push(r.record);
    return r.output;
  };
  const t = (): number => performance.now();
  // Each step is synchronous work of up to a few seconds on a skull: yieldToHost between them
  // lets the host's event loop run (progress, signals, a test runner's heartbeat).
  const cleanupParams: CleanupParams = { minShell_mm3: params.minShell_mm3 ?? CONDITION_DEFAULTS.minShell_mm3, keepShells: params.keepShells ?? 'all' };
  const progress = ctx.progress ?? (() => {});

  // The clean mesh's connectivity, shared by smoothing and the second clean-up (smoothing
  // moves vertices only, so without decimation the second clean-up reuses it).
  const first = firstSteps(mesh, cleanupParams, params.refineRims, records, known);
  let m = first.mesh;
  const { topology, safe: carriedSafe } = first;
  let t0 = 0;
  progress(0.15, 'clean-up');
  await yieldToHost();

  // the repair's safe positions: the marching-cubes surface carried through the clean-up, else these (before smoothing)
  const safe = carriedSafe ?? m.positions;

  if (params.smooth !== false && params.smooth?.method !== 'none') {
    t0 = t();
    const smoothParams: SmoothParams = { ...(params.smooth ?? {}), edges: topology.edges, shells: topology };
    if (params.grid) smoothParams.fixed = scanBorderVertices(m, params.grid);
    m = step(await smoothMeshAsync(m, smoothParams, ctx));
    if (params.grid) records[records.length - 1]!.params.holdScanBorderCaps = true;
    records[records.length - 1]!.wall_ms = Math.round(t() - t0);
  }
  progress(0.4, 'smoothing');
  await yieldToHost();

  const untangle = params.untangle !== false && m.positions !== safe;
  const safeIs = carriedSafe ? 'the marching-cubes surface (before vertex placement and smoothing)' : 'the positions before smoothing';
  if (untangle) {
    t0 = t();
    // Smoothing moved vertices only: the clean-up's edge table says whether the mesh is closed.
    const closed = m.indices === topology.indices && pairedOpposite(edgeUses(topology.indices, topology.edges));
    m = step(await untangleMesh(m, safe, { safeIs, closed }, ctx));
    records[records.length - 1]!.wall_ms = Math.round(t() - t0);
  }
  progress(0.5, 'self-intersections');
  await yieldToHost();

  let measured: Promise<void> | undefined;
  let volumeChange_percent: number | undefined;
  if (params.decimate && (params.decimate.targetFaces !== undefined || params.decimate.maxError_mm !== undefined)) {
    t0 = t();
    const volumeBefore = signedVolume_mm3(m);
    const decimationAt = records.length;
    if (untangle) {
      // Decimation folds the surface again in places: the same repair after it, each kept vertex
      // going back toward its own safe position, and where that cannot end the crossings, the
      // decimation again with the crossing sites locked (decimate-untangled.ts).
      const d = await decimateUntangled(m, safe, params.decimate, { safeIs: `${safeIs}, at the vertices decimation kept` }, ctx);
      // the decimation's time: all of it but the last repair's (retries and their repairs included; with a
      // pool, not its Hausdorff measurement, which runs on a worker beside the steps after it)
      d.records[0]!.wall_ms = Math.round(t() - t0 - (d.records[1]?.wall_ms ?? 0));
      for (const r of d.records) records.push(r);
      m = d.output;
      measured = d.measured;
    } else {
      m = step(await decimateMesh(m, params.decimate));
      records[records.length - 1]!.wall_ms = Math.round(t() - t0);
    }
    volumeChange_percent = noteVolumeChange(records[decimationAt]!, volumeBefore, signedVolume_mm3(m));
  }
  progress(0.7, 'decimation');
  await yieldToHost();

  t0 = t();
  const clean2 = cleanupMesh(m, cleanupParams, topology, { topology: false }); // its shells are used, not its edges
  m = step(clean2);
  records[records.length - 1]!.wall_ms = Math.round(t() - t0);

  await yieldToHost();
  t0 = t();
  const filled = fillCavities(m, { keepCavities: params.keepCavities ?? false }, clean2.shells);
  m = step(filled);
  records[records.length - 1]!.wall_ms = Math.round(t() - t0);
  progress(0.85, 'cavities');
  await yieldToHost();
  return { mesh: m, shells: filled.shells, ...(measured ? { measured } : {}), ...(volumeChange_percent !== undefined ? { volumeChange_percent } : {}) };
}

/**
 * The first clean-up, then the rim refinement (condition-rims.ts) where the hand-over has rims.
 * A plain function: the clean-up's mesh and edge table, which the refinement replaces, are
 * garbage when it returns (an async caller would hold them to the gate: ~0.2 GB on a skull).
 */
function firstSteps(
  mesh: Mesh,
  params: CleanupParams,
  refine: RimRefineParams | false | undefined,
  records: StageRecord[],
  known?: TopologyHandOver,
): { mesh: Mesh; topology: MeshTopology; safe?: Float32Array } {
  let t0 = performance.now();
  const nv = mesh.positions.length / 3;
  const rims = refine !== false && known?.rims?.flags.length === nv ? known.rims : undefined;
  const plan = rims ? rimsBeforeCleanup(mesh, rims, refine || {}) : undefined;
  const planned_ms = performance.now() - t0;
  t0 = performance.now();
  const { clean, safe, near } = firstCleanup(mesh, params, known, plan);
  records.push(clean.record);
  const topology = clean.topology ?? meshTopology(clean.output);
  clean.record.wall_ms = Math.round(performance.now() - t0);
  if (!plan) return { mesh: clean.output, topology, ...(safe ? { safe } : {}) };
  t0 = performance.now();
  const r = refineRims(clean.output, topology, plan, near, safe);
  r.record.wall_ms = Math.round(performance.now() - t0 + planned_ms);
  records.push(r.record);
  return { mesh: r.output, topology: r.topology, ...(r.safe ? { safe: r.safe } : {}) };
}

/**
 * The first clean-up, with the topology taken from the hand-over (a plain function: its locals
 * go when it returns), and the hand-over's safe positions and the rim plan's flags carried to
 * the clean mesh's vertices; the clean mesh has the room the plan asks for.
 */
function firstCleanup(mesh: Mesh, params: CleanupParams, known?: TopologyHandOver, plan?: RimPlan): { clean: CleanupResult; safe?: Float32Array; near?: Uint8Array } {
  const topology = known?.topology;
  const nv = mesh.positions.length / 3;
  const safeIn = known?.safePositions?.length === 3 * nv ? known.safePositions : undefined;
  const nearIn = plan?.near;
  if (known) {
    known.topology = undefined;
    known.safePositions = undefined;
    known.rims = undefined;
  }
  const room = plan?.room ?? { vertices: 0, triangles: 0 };
  const clean = cleanupMesh(mesh, params, topology, { remap: safeIn !== undefined || nearIn !== undefined, room });
  const remap = clean.vertexRemap;
  if (!remap) return { clean };
  const nOut = clean.output.positions.length / 3;
  let near: Uint8Array | undefined;
  if (nearIn) {
    near = new Uint8Array(nOut);
    for (let v = 0; v < remap.length; v++) if (remap[v]! >= 0 && nearIn[v]) near[remap[v]!] = 1;
  }
  if (!safeIn) return { clean, ...(near ? { near } : {}) };
  const safe = withRoom(Float32Array, 3 * nOut, 3 * room.vertices);
  // plain writes: a subarray view per vertex cost ~30 ms on a skull's 0.8 M vertices
  for (let v = 0; v < remap.length; v++) {
    const w = remap[v]!;
    if (w < 0) continue;
    safe[3 * w] = safeIn[3 * v]!;
    safe[3 * w + 1] = safeIn[3 * v + 1]!;
    safe[3 * w + 2] = safeIn[3 * v + 2]!;
  }
  return { clean, safe, ...(near ? { near } : {}) };
}
