/**
 * The printability gate, run before any export: the mesh must be closed, manifold and
 * outward-oriented by our own edge counts AND accepted by an independent implementation,
 * manifold-3d (its Manifold constructor refuses any mesh that is not an oriented closed
 * 2-manifold). A mesh that fails is refused with a ScanError naming the counts, unless the
 * caller explicitly allows open meshes, in which case the record says it was let through.
 */
import Module from 'manifold-3d/manifold.js';
import { ScanError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { round, type StageRecord, type StageResult } from '../pipeline/record.js';
import { checkMesh, type MeshCheck } from './topology.js';

type ManifoldModule = Awaited<ReturnType<typeof Module>>;
let wasm: Promise<ManifoldModule> | undefined;

/** manifold-3d's WASM module, initialised once per process or worker. */
export function manifoldModule(): Promise<ManifoldModule> {
  if (!wasm) {
    wasm = Module().then((m) => {
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

export interface GateParams {
  /** Let a mesh that fails the gate through (recorded as a warning). */
  allowOpen?: boolean;
  /** Names the mesh (file or label) in the refusal message. */
  name?: string;
}

export interface GateResult extends StageResult<Mesh> {
  check: MeshCheck;
  manifold3d: ManifoldVerdict;
  printable: boolean;
}

export async function printabilityGate(mesh: Mesh, params: GateParams = {}): Promise<GateResult> {
  const allowOpen = params.allowOpen ?? false;
  const check = checkMesh(mesh);
  const verdict = await manifold3dCheck(mesh);
  const problems: string[] = [];
  if (check.triangles === 0) problems.push('the mesh is empty');
  if (check.openEdges) problems.push(`${check.openEdges} open edges`);
  if (check.nonManifoldEdges) problems.push(`${check.nonManifoldEdges} non-manifold edges`);
  if (check.nonManifoldVertices) problems.push(`${check.nonManifoldVertices} non-manifold vertices`);
  if (check.misorientedEdges) problems.push(`${check.misorientedEdges} misoriented edges`);
  if (check.invertedShells) problems.push(`${check.invertedShells} shells facing inward`);
  if (check.triangles > 0 && verdict.status !== 'NoError') problems.push(`manifold-3d: ${verdict.status}`);
  if (check.triangles > 0 && verdict.status === 'NoError' && !(verdict.volume_mm3 > 0)) problems.push(`manifold-3d volume ${verdict.volume_mm3} mm³ is not positive`);
  const printable = problems.length === 0;
  const record: StageRecord = {
    stage: 'gate',
    method: 'printability-gate',
    params: { allowOpen, checks: 'own edge/vertex counts + manifold-3d Manifold constructor' },
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
      manifold3d_status: verdict.status,
      manifold3d_volume_mm3: verdict.volume_mm3,
      manifold3d_genus: verdict.genus,
    },
  };
  if (!printable) {
    const what = `${params.name ? `${params.name}: ` : ''}mesh is not printable (${problems.join(', ')})`;
    if (!allowOpen) {
      throw new ScanError('MESH_NOT_PRINTABLE', `${what}; nothing was exported (pass --allow-open to export it anyway)`, { kind: 'input' });
    }
    record.findings = [{ code: 'MESH_NOT_PRINTABLE', severity: 'warn', message: `${what}; exported anyway because open meshes were allowed` }];
  }
  return { output: mesh, record, check, manifold3d: verdict, printable };
}
