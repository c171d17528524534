/**
 * The printability gate, run before any export: the mesh must be closed, manifold and
 * outward-oriented by our own edge counts AND accepted by an independent implementation,
 * manifold-3d (its Manifold constructor refuses any mesh that is not an oriented closed
 * 2-manifold). A mesh that fails is refused with a ScanError naming the counts, unless the
 * caller explicitly allows open meshes, in which case the record says it was let through.
 */
import { DECIMATION_VOLUME_GATE_PERCENT } from './decimate-volume.js';
import { ScanError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { round, type StageContext, type StageRecord, type StageResult } from '../pipeline/record.js';
import type { WorkerPool } from '../parallel/pool.js';
import { coincidentRep } from './coincident.js';
import { buildEdgeTable, labelShells, vertexCount } from './mesh-utils.js';
import { checkMesh, countTopology, type MeshCheck } from './topology.js';

type ManifoldModule = Awaited<ReturnType<typeof import('manifold-3d/manifold.js').default>>;
let wasm: Promise<ManifoldModule> | undefined;

/**
 * manifold-3d's WASM module, loaded and initialised once per process or worker, on first use:
 * a default convert of a skull never runs it (over CROSS_CHECK_MAX_TRIANGLES), so it does not
 * load its 82 kB of JavaScript at start.
 */
export function manifoldModule(): Promise<ManifoldModule> {
  if (!wasm) {
    wasm = import('manifold-3d/manifold.js')
      .then(({ default: Module }) => Module())
      .then((m) => {
        m.setup();
        return m;
      });
  }
  return wasm;
}

export interface ManifoldVerdict {
  status: string;
  volume_mm3: number;
  genus: number | null;
  triangles: number;
}

/** manifold-3d's verdict on a mesh: 'NoError' for an oriented closed 2-manifold. */
export async function manifold3dCheck(mesh: Mesh): Promise<ManifoldVerdict> {
  const m = await manifoldModule();
  if (mesh.indices.length === 0) return { status: 'Empty', volume_mm3: 0, genus: null, triangles: 0 };
  let man: InstanceType<ManifoldModule['Manifold']> | undefined;
  try {
    const mm = new m.Mesh({ numProp: 3, vertProperties: mesh.positions, triVerts: mesh.indices });
    man = new m.Manifold(mm);
    const status = man.status();
    return { status, volume_mm3: round(man.volume(), 3), genus: man.genus(), triangles: man.numTri() };
  } catch (e) {
    // The constructor throws for a mesh that is not an oriented 2-manifold.
    const code = (e as { code?: string })?.code;
    return { status: typeof code === 'string' ? code : 'NotManifold', volume_mm3: 0, genus: null, triangles: 0 };
  } finally {
    man?.delete();
  }
}

export const MANIFOLD3D_TASK = 'surface.manifold3d-check';

/** manifold3dCheck on the pool when there is one (seconds of WASM off the calling thread). */
export async function manifold3dCheckOn(mesh: Mesh, pool?: WorkerPool): Promise<ManifoldVerdict> {
  if (!pool || pool.size < 2) return manifold3dCheck(mesh);
  return pool.run<ManifoldVerdict>(MANIFOLD3D_TASK, { positions: mesh.positions, indices: mesh.indices } satisfies Mesh);
}

export interface GateParams {
  /** Let a mesh that fails the gate through (recorded as a warning). */
  allowOpen?: boolean;
  /** Names the mesh (file or label) in the refusal message. */
  name?: string;
  /**
   * Confirm with manifold-3d as well: true, false, or up to this many triangles (default
   * CROSS_CHECK_MAX_TRIANGLES). Its constructor costs ~2 µs a triangle (3–7 s on a skull),
   * and it judges the indexed mesh only, so our own linear counts, which also judge the mesh
   * welded by position, are the gate; manifold-3d is the independent second opinion on small
   * meshes and in the specs.
   */
  crossCheck?: boolean | number;
  /** How much decimation changed the volume (%): past DECIMATION_VOLUME_GATE_PERCENT the model is refused (decimate-volume.ts). */
  decimationVolumeChange_percent?: number;
}

/** Meshes up to this size are also confirmed by manifold-3d by default (~0.5 s). */
export const CROSS_CHECK_MAX_TRIANGLES = 250_000;

export interface WeldedCheck {
  /** Vertices that share their exact float32 position with an earlier vertex. */
  coincidentVertices: number;
  /** Of those, vertices whose twin lies on another shell (two parts touching at a point). */
  coincidentAcrossShells: number;
  openEdges: number;
  nonManifoldEdges: number;
  misorientedEdges: number;
  nonManifoldVertices: number;
  /** Triangles that welding collapses (two corners at one position). */
  degenerateTriangles: number;
}

/**
 * The mesh as a reader that welds by position sees it (every STL reader and most slicers):
 * vertices with identical float32 coordinates become one, then the same edge and vertex
 * counts. Linear: a hash of the positions and one edge table, only when any position repeats.
 */
export function checkWelded(mesh: Mesh, indexed: Pick<MeshCheck, 'openEdges' | 'nonManifoldEdges' | 'misorientedEdges' | 'nonManifoldVertices'>, shellOf?: Uint32Array): WeldedCheck {
  const { rep, coincident } = coincidentRep(mesh.positions);
  const same = { openEdges: indexed.openEdges, nonManifoldEdges: indexed.nonManifoldEdges, misorientedEdges: indexed.misorientedEdges, nonManifoldVertices: indexed.nonManifoldVertices };
  if (coincident === 0) return { coincidentVertices: 0, coincidentAcrossShells: 0, ...same, degenerateTriangles: 0 };
  const ix = mesh.indices;
  const nv = vertexCount(mesh);
  const used = new Uint8Array(nv);
  for (let i = 0; i < ix.length; i++) used[ix[i]!] = 1;
  const shells = shellOf ?? labelShells(mesh).shellOf;
  const shellOfVertex = new Int32Array(nv).fill(-1);
  for (let t = 0; t < shells.length; t++) for (let k = 0; k < 3; k++) shellOfVertex[ix[3 * t + k]!] = shells[t]!;
  // Count only used vertices; the representative may be unused, so map through the first used one.
  const firstUsed = new Int32Array(nv).fill(-1);
  let coincidentUsed = 0;
  let across = 0;
  for (let v = 0; v < nv; v++) {
    if (!used[v]) continue;
    const r = rep[v]!;
    if (firstUsed[r] === -1) {
      firstUsed[r] = v;
      continue;
    }
    coincidentUsed++;
    if (shellOfVertex[firstUsed[r]!] !== shellOfVertex[v]) across++;
  }
  if (coincidentUsed === 0) return { coincidentVertices: 0, coincidentAcrossShells: 0, ...same, degenerateTriangles: 0 };
  let degenerate = 0;
  const keep: number[] = [];
  for (let t = 0; t < ix.length / 3; t++) {
    const a = firstUsed[rep[ix[3 * t]!]!]!, b = firstUsed[rep[ix[3 * t + 1]!]!]!, c = firstUsed[rep[ix[3 * t + 2]!]!]!;
    if (a === b || b === c || a === c) degenerate++;
    else keep.push(a, b, c);
  }
  const welded: Mesh = { positions: mesh.positions, indices: Uint32Array.from(keep) };
  const topo = countTopology(welded, buildEdgeTable(welded.indices, nv));
  return {
    coincidentVertices: coincidentUsed,
    coincidentAcrossShells: across,
    openEdges: topo.openEdges,
    nonManifoldEdges: topo.nonManifoldEdges,
    misorientedEdges: topo.misorientedEdges,
    nonManifoldVertices: topo.nonManifoldVertices,
    degenerateTriangles: degenerate,
  };
}

export interface GateResult extends StageResult<Mesh> {
  check: MeshCheck;
  welded: WeldedCheck;
  manifold3d: ManifoldVerdict;
  printable: boolean;
}

export async function printabilityGate(mesh: Mesh, params: GateParams = {}, ctx: StageContext = {}): Promise<GateResult> {
  const allowOpen = params.allowOpen ?? false;
  const edges = buildEdgeTable(mesh.indices, vertexCount(mesh));
  const shells = { ...labelShells(mesh, edges), edges };
  const check = checkMesh(mesh, shells);
  const welded = checkWelded(mesh, check, shells.shellOf);
  const cross = params.crossCheck ?? CROSS_CHECK_MAX_TRIANGLES;
  const crossLimit = cross === true ? Infinity : cross === false ? -1 : cross;
  const runCross = check.triangles <= crossLimit;
  const verdict: ManifoldVerdict = runCross ? await manifold3dCheckOn(mesh, ctx.pool) : { status: 'not run', volume_mm3: 0, genus: null, triangles: 0 };
  const problems: string[] = [];
  if (check.triangles === 0) problems.push('the mesh is empty');
  const lost = params.decimationVolumeChange_percent;
  if (lost !== undefined && Math.abs(lost) > DECIMATION_VOLUME_GATE_PERCENT) {
    problems.push(`decimation changed its volume by ${Math.round(lost * 10) / 10} % (over ${DECIMATION_VOLUME_GATE_PERCENT} %): not the anatomy at 1:1, ask for less reduction`);
  }
  if (check.openEdges) problems.push(`${check.openEdges} open edges`);
  if (check.nonManifoldEdges) problems.push(`${check.nonManifoldEdges} non-manifold edges`);
  if (check.nonManifoldVertices) problems.push(`${check.nonManifoldVertices} non-manifold vertices`);
  if (check.misorientedEdges) problems.push(`${check.misorientedEdges} misoriented edges`);
  if (check.invertedShells) problems.push(`${check.invertedShells} shells facing inward`);
  const weldedWorse =
    welded.openEdges > check.openEdges ||
    welded.nonManifoldEdges > check.nonManifoldEdges ||
    welded.misorientedEdges > check.misorientedEdges ||
    welded.nonManifoldVertices > check.nonManifoldVertices ||
    welded.degenerateTriangles > 0;
  if (welded.coincidentAcrossShells > 0 || weldedWorse) {
    problems.push(
      `${welded.coincidentVertices} vertices share a position with another vertex (${welded.coincidentAcrossShells} on a different shell): ` +
        `a reader that welds by position (STL, most slicers) sees ${welded.nonManifoldEdges} non-manifold edges, ${welded.nonManifoldVertices} non-manifold vertices, ` +
        `${welded.openEdges} open edges and ${welded.degenerateTriangles} collapsed triangles`,
    );
  }
  if (runCross && check.triangles > 0 && verdict.status !== 'NoError') problems.push(`manifold-3d: ${verdict.status}`);
  if (runCross && check.triangles > 0 && verdict.status === 'NoError' && !(verdict.volume_mm3 > 0)) problems.push(`manifold-3d volume ${verdict.volume_mm3} mm³ is not positive`);
  const printable = problems.length === 0;
  const record: StageRecord = {
    stage: 'gate',
    method: 'printability-gate',
    params: {
      allowOpen,
      checks: 'own edge/vertex counts on the indexed mesh and on the mesh welded by exact float32 position (as STL readers do); manifold-3d Manifold constructor as a second opinion',
      // Said so the record does not read as more than it is (bench/results/self-intersections.md).
      notChecked:
        'self-intersections (triangles passing through other triangles of the model): the conditioning finds and repairs them after smoothing and again after decimation, decimating again with the sites locked where the repair leaves any (its self-intersection-repair records count what is left), `scan2print prepare` checks the model as printed',
      crossCheckMaxTriangles: crossLimit === Infinity ? 'all' : crossLimit,
    },
    figures: {
      printable,
      closed: check.closed,
      manifold: check.manifold,
      oriented: check.oriented,
      shells: check.shells,
      triangles: check.triangles,
      openEdges: check.openEdges,
      nonManifoldEdges: check.nonManifoldEdges,
      nonManifoldVertices: check.nonManifoldVertices,
      misorientedEdges: check.misorientedEdges,
      invertedShells: check.invertedShells,
      volume_mm3: check.volume_mm3,
      coincidentVertices: welded.coincidentVertices,
      coincidentAcrossShells: welded.coincidentAcrossShells,
      welded_openEdges: welded.openEdges,
      welded_nonManifoldEdges: welded.nonManifoldEdges,
      welded_nonManifoldVertices: welded.nonManifoldVertices,
      welded_misorientedEdges: welded.misorientedEdges,
      welded_degenerateTriangles: welded.degenerateTriangles,
      manifold3d_status: verdict.status,
      manifold3d_volume_mm3: runCross ? verdict.volume_mm3 : null,
      manifold3d_genus: verdict.genus,
    },
  };
  if (!printable) {
    const what = `${params.name ? `${params.name}: ` : ''}mesh is not printable (${problems.join(', ')})`;
    // An empty mesh is nothing to print, open or not: --allow-open must not turn it into an empty file and exit 0.
    if (check.triangles === 0) {
      throw new ScanError('MESH_EMPTY', `${what}; nothing was exported: no surface is left to print (every shell was removed or nothing was segmented)`, { kind: 'input' });
    }
    if (!allowOpen) {
      throw new ScanError('MESH_NOT_PRINTABLE', `${what}; nothing was exported (pass --allow-open to export it anyway)`, { kind: 'input' });
    }
    record.findings = [{ code: 'MESH_NOT_PRINTABLE', severity: 'warn', message: `${what}; exported anyway because open meshes were allowed` }];
  }
  return { output: mesh, record, check, welded, manifold3d: verdict, printable };
}
