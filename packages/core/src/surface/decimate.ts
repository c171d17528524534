/**
 * Bounded decimation: quadric-error edge collapse (meshoptimizer's simplifier, WASM) to a
 * target face count and/or a maximum error in millimetres, then verified: the result must stay
 * closed, manifold and consistently wound. When it does not, the collapse is retried less
 * aggressively, and when nothing works the input is kept, and the record says so. The
 * symmetric Hausdorff distance between before and after is measured, not estimated.
 */
import { MeshoptSimplifier } from 'meshoptimizer/simplifier';
import type { Mesh } from '../geometry/types.js';
import { round, type StageRecord, type StageResult } from '../pipeline/record.js';
import { mergeDuplicateVertices, removeDegenerateFaces } from './cleanup.js';
import { hausdorffDistance } from './distance.js';
import { compactMesh, triangleCount } from './mesh-utils.js';
import { countTopology } from './topology.js';

export interface DecimateParams {
  /** Target number of triangles. */
  targetFaces?: number;
  /** Largest allowed deviation in mm (meshoptimizer's quadric error measure, absolute). */
  maxError_mm?: number;
  /** Skip the Hausdorff measurement (previews). Default false. */
  skipHausdorff?: boolean;
}

const MAX_ATTEMPTS = 4;

export async function decimateMesh(mesh: Mesh, params: DecimateParams): Promise<StageResult<Mesh>> {
  const facesBefore = triangleCount(mesh);
  if (params.targetFaces === undefined && params.maxError_mm === undefined) throw new RangeError('decimation needs targetFaces or maxError_mm');
  if (params.targetFaces !== undefined && !(params.targetFaces >= 1)) throw new RangeError(`decimation target must be ≥ 1 face (got ${params.targetFaces})`);
  if (params.maxError_mm !== undefined && !(params.maxError_mm > 0)) throw new RangeError(`decimation max error must be > 0 mm (got ${params.maxError_mm})`);
  await MeshoptSimplifier.ready;
  const scale = facesBefore ? MeshoptSimplifier.getScale(mesh.positions, 3) : 1;
  // Without an error bound the error is only limited by the mesh size (the target count rules).
  const errorBound = params.maxError_mm ?? scale;
  let target = Math.min(facesBefore, params.targetFaces ?? 0);
  const recordParams: Record<string, unknown> = {
    library: 'meshoptimizer simplify (quadric error, topology-preserving collapses)',
    targetFaces: params.targetFaces ?? null,
    maxError_mm: params.maxError_mm ?? null,
    meshExtent_mm: round(scale, 3),
    flags: ['ErrorAbsolute'],
  };
  const notes: string[] = [];
  let output: Mesh | undefined;
  let reportedError = 0;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS && facesBefore > 0; attempt++) {
    const [idx, err] = MeshoptSimplifier.simplify(mesh.indices, mesh.positions, 3, 3 * target, errorBound, ['ErrorAbsolute']);
    // Collapses can leave coincident or cancelling faces; merge and drop them before judging.
    let candidate = compactMesh({ positions: mesh.positions, indices: idx });
    candidate = removeDegenerateFaces(mergeDuplicateVertices(candidate).mesh).mesh;
    candidate = compactMesh(candidate);
    const topo = countTopology(candidate);
    const faces = triangleCount(candidate);
    if (topo.openEdges + topo.nonManifoldEdges + topo.misorientedEdges + topo.nonManifoldVertices === 0 && faces > 0) {
      output = candidate;
      reportedError = err;
      if (attempt > 1) notes.push(`attempt ${attempt} reached a manifold result at target ${target} faces`);
      break;
    }
    notes.push(
      `attempt ${attempt} (target ${target} faces → ${faces}) left ${topo.openEdges} open, ${topo.nonManifoldEdges} non-manifold, ${topo.misorientedEdges} misoriented edges, ${topo.nonManifoldVertices} non-manifold vertices: retrying less aggressively`,
    );
    // Less aggressive: halfway back towards the input face count.
    target = Math.ceil((Math.max(target, faces) + facesBefore) / 2);
  }
  const record: StageRecord = { stage: 'condition', method: 'decimate-quadric', params: recordParams, figures: {} };
  if (!output) {
    record.findings = [
      { code: 'DECIMATION_SKIPPED', severity: 'warn', message: `decimation could not keep the mesh manifold after ${MAX_ATTEMPTS} attempts; the undecimated mesh is kept` },
    ];
    record.figures = { facesBefore, facesAfter: facesBefore, hausdorff_mm: 0 };
    record.notes = notes;
    return { output: mesh, record };
  }
  record.figures = {
    facesBefore,
    facesAfter: triangleCount(output),
    reduction_percent: round(facesBefore ? 100 * (1 - triangleCount(output) / facesBefore) : 0, 2),
    simplifierError_mm: round(reportedError, 4),
  };
  if (!params.skipHausdorff) {
    const h = hausdorffDistance(mesh, output);
    record.figures.hausdorff_mm = h.hausdorff_mm;
    record.figures.beforeToAfter = h.aToB;
    record.figures.afterToBefore = h.bToA;
  }
  if (params.targetFaces !== undefined && triangleCount(output) > params.targetFaces * 1.05) {
    notes.push(`target ${params.targetFaces} faces not reached (${triangleCount(output)}): the error bound or the topology stopped it`);
  }
  if (mesh.groups) notes.push('per-triangle groups are not carried through decimation');
  if (notes.length) record.notes = notes;
  return { output, record };
}

/** A light copy for the web viewer: about `targetFaces` triangles, no error bound. */
export async function previewMesh(mesh: Mesh, targetFaces = 10_000): Promise<StageResult<Mesh>> {
  if (triangleCount(mesh) <= targetFaces) {
    return { output: mesh, record: { stage: 'export', method: 'preview', params: { targetFaces }, figures: { facesBefore: triangleCount(mesh), facesAfter: triangleCount(mesh) } } };
  }
  const r = await decimateMesh(mesh, { targetFaces, skipHausdorff: true });
  r.record.stage = 'export';
  r.record.method = 'preview';
  return r;
}
