/**
 * `convert --anatomy NAME[,NAME…]`: identify the structures in the bone label map
 * (anatomy/identify.ts) and build ONE model holding each requested structure as its own
 * closed part — mesh groups that the 3MF writer turns into one named, coloured object per
 * structure (the model's `parts`). Each structure is meshed and conditioned on its own label
 * map, so touching structures (a femoral head in its socket) stay separate closed solids.
 */
import type { LabelMap, Mesh, Volume } from '../geometry/types.js';
import { inputError, usageError } from '../errors.js';
import { ANATOMY_GRAPH } from '../anatomy/graph-data.js';
import { identifyStructures, type ForestEvidence } from '../anatomy/identify.js';
import { checkMesh } from '../surface/topology.js';
import { checkWelded } from '../surface/gate.js';
import { absorbFragments } from './structure-fragments.js';
import type { ThreeMfPart } from '../formats/3mf.js';
import { round, type StageContext, type StageRecord } from './record.js';
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { ConvertModel, MeshLabelResult } from './convert.js';

/** Rides on the segmentation options (so every host passes it through unchanged). */
export interface AnatomyRequest {
  anatomy?: { structures: string[] };
}

export type StructureMesher = (labels: LabelMap, name: string, ctx: StageContext) => Promise<MeshLabelResult>;

/** Triangles of several meshes in one, each tagged with its group id (1, 2, …). */
export function mergeMeshes(parts: Mesh[]): Mesh {
  let nv = 0;
  let nt = 0;
  for (const m of parts) {
    nv += m.positions.length;
    nt += m.indices.length;
  }
  const positions = new Float32Array(nv);
  const indices = new Uint32Array(nt);
  const groups = new Uint32Array(nt / 3);
  let pv = 0;
  let pt = 0;
  parts.forEach((m, k) => {
    positions.set(m.positions, pv);
    const base = pv / 3;
    for (let i = 0; i < m.indices.length; i++) indices[pt + i] = m.indices[i]! + base;
    groups.fill(k + 1, pt / 3, (pt + m.indices.length) / 3);
    pv += m.positions.length;
    pt += m.indices.length;
  });
  return { positions, indices, groups };
}

export async function meshStructures(
  labels: LabelMap[],
  volume: Volume,
  request: NonNullable<AnatomyRequest['anatomy']>,
  records: StageRecord[],
  mesh: StructureMesher,
  ctx: StageContext,
  forest?: ForestEvidence,
): Promise<ConvertModel> {
  if (labels.length !== 1) throw usageError('ANATOMY_ONE_THRESHOLD', `--anatomy builds its structures from one label map: give one threshold, not ${labels.length}`);
  // The forest's own per-voxel probabilities (forest, threshold-forest): a voxel is renamed only where it is sure.
  const id = identifyStructures(labels[0]!, volume, forest ? { forest } : {});
  records.push(id.record);
  const found = request.structures.map((n) => id.output.structures.find((s) => s.name === n));
  const missing = request.structures.filter((_, i) => !found[i]);
  const chosen = found.filter((s): s is NonNullable<typeof s> => s !== undefined);
  const identified = id.output.structures.map((s) => s.name).join(', ') || 'none';
  if (chosen.length === 0) {
    throw inputError('ANATOMY_NOT_FOUND', `none of the requested structures (${request.structures.join(', ')}) was identified in this scan (identified: ${identified})`);
  }
  if (missing.length) {
    (id.record.findings ??= []).push({ code: 'ANATOMY_NOT_FOUND', severity: 'warn', message: `not identified in this scan, so not modelled: ${missing.join(', ')} (identified: ${identified})` });
  }
  const grid = labels[0]!.grid;
  // Speckled names (a confident forest renames single voxels) would mesh as islands of one
  // structure inside another: made whole first (structure-fragments.ts).
  const whole = absorbFragments(id.labels);
  records.push(whole.record);
  const src = whole.output.data;
  const modelData = new Uint8Array(src.length);
  const meshes: Mesh[] = [];
  const own: StageRecord[] = [];
  const parts: Record<number, ThreeMfPart> = {};
  let printable = true;
  // Voxels each structure is modelled from (identification's count, after the fragments moved).
  const voxels = chosen.map(() => 0);
  for (let k = 0; k < chosen.length; k++) {
    const s = chosen[k]!;
    const one = new Uint8Array(src.length);
    for (let p = 0; p < src.length; p++) {
      if (src[p] === s.label) {
        one[p] = 1;
        modelData[p] = k + 1;
        voxels[k]!++;
      }
    }
    const part = await mesh({ grid, data: one, labels: { 1: s.name } }, s.name, {
      ...ctx,
      progress: (f, m) => ctx.progress?.((k + f) / chosen.length, m ? `${s.name}: ${m}` : s.name),
    });
    for (const r of part.records) own.push({ ...r, params: { ...r.params, structure: s.name } });
    meshes.push(part.mesh);
    printable &&= part.printable;
    const def = ANATOMY_GRAPH.structures.find((d) => d.name === s.name);
    parts[k + 1] = { name: s.name, ...(def ? { color: def.color } : {}) };
  }
  const merged = mergeMeshes(meshes);
  // The 3MF keeps each structure an object of its own, but an STL is one triangle soup that a
  // slicer welds by position and fills by nesting: the merged mesh must pass as ONE mesh too
  // (no structure's shell inside another's, no vertex shared where two structures touch).
  const check = checkMesh(merged);
  const welded = checkWelded(merged, check);
  const asOne = check.closed && check.manifold && check.oriented && welded.openEdges === 0 && welded.nonManifoldEdges === 0 && welded.misorientedEdges === 0 && welded.nonManifoldVertices === 0;
  printable &&= asOne;
  const name = chosen.map((s) => s.name).join('+');
  own.unshift({
    stage: 'segment',
    method: 'anatomy-structures',
    params: { requested: request.structures, model: name },
    figures: { structures: chosen.map((s, k) => ({ name: s.name, group: k + 1, voxels: voxels[k]!, volume_mm3: round(voxels[k]! * voxelVolume_mm3(grid), 1), confidence: s.confidence })) },
  });
  own.push({
    stage: 'gate',
    method: 'structures-merged',
    params: { parts: chosen.map((s) => s.name), rule: 'printable when every structure passed its own gate and the merged mesh (what an STL holds) is closed, manifold and oriented, also welded by position' },
    figures: { ...check, ...Object.fromEntries(Object.entries(welded).map(([k, v]) => [`welded_${k}`, v])), printable },
  });
  if (!asOne) {
    (own[own.length - 1]!.findings ??= []).push({
      code: 'STRUCTURES_NOT_ONE_SOLID',
      severity: 'error',
      message: `the structures' merged mesh is not one valid solid (closed ${check.closed}, manifold ${check.manifold}, oriented ${check.oriented}: ${check.invertedShells} shell(s) inverted by nesting; welded by position: ${welded.nonManifoldEdges} non-manifold edge(s), ${welded.coincidentAcrossShells} vertex(es) shared across shells)`,
    });
  }
  const labelNames: Record<number, string> = {};
  chosen.forEach((s, k) => (labelNames[k + 1] = s.name));
  return { name, labels: { grid, data: modelData, labels: labelNames }, mesh: merged, check, printable, records: own, parts };
}
