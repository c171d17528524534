/**
 * Mesh clean-up: merge duplicate vertices, drop degenerate and duplicated faces, orient every
 * shell consistently and outward (cavity walls inward, so the solid is what is printed),
 * drop shells under a volume, keep selected shells. Deterministic: the same mesh in gives the
 * same bytes out. The steps live in coincident.ts, faces.ts, orient.ts, shell-select.ts and
 * weld-check.ts; this file runs them in order and records what they did.
 */
import type { Mesh } from '../geometry/types.js';
import { round, type Finding, type StageRecord, type StageResult } from '../pipeline/record.js';
import { separateCoincidentVertices } from './coincident.js';
import { compactShells } from './compact-shells.js';
import { shellsAfterMerge } from './carried-shells.js';
import { pairedOpposite } from './edge-table.js';
import { checkedFacesAndEdges, checkedFacesNear, keptFaces, removeDegenerateFaces, type FaceCheck } from './faces.js';
import { buildEdgeTable, compactEdgeTable, compactMesh, labelShells, triangleCount, vertexCount, type EdgeTable, type MeshShells, type NestedShells } from './mesh-utils.js';
import { orientShells, orientWoundShells } from './orient.js';
import { keptShellData, selectShells, type CleanupParams } from './shell-select.js';
import { mergeIfBetter, type MergeResult } from './weld-check.js';

export { coincidentRep, mergeDuplicateVertices, separateCoincidentVertices } from './coincident.js';
export { removeDegenerateFaces } from './faces.js';
export { orientShells } from './orient.js';
export { selectShells, type CleanupParams } from './shell-select.js';

/**
 * Connectivity of a mesh that a later step may reuse while the triangles stay the same
 * (placement and smoothing move vertices only): its edge table and shells, and what the face
 * checks dropped. Without `faces` the triangles are a clean-up's output: no degenerate or
 * duplicate faces.
 */
export interface MeshTopology extends MeshShells {
  /** The triangles this describes (before the face checks, when `faces` is given). */
  indices: Uint32Array;
  /** Edge table and shells (shellOf, shellCount) of the triangles the face checks keep. */
  edges: EdgeTable;
  /** The face checks' counts, and `keep` (1 per kept triangle) where they dropped any. */
  faces?: { degenerate: number; duplicate: number; keep?: Uint8Array };
}

export function meshTopology(mesh: Mesh): MeshTopology {
  const edges = buildEdgeTable(mesh.indices, vertexCount(mesh));
  return { indices: mesh.indices, edges, ...labelShells(mesh, edges) };
}

/**
 * What the clean-up works out from the triangles alone, positions unread: the face checks, the
 * edge table of the faces they keep and the shells. Edge placement moves the extractor's
 * vertices and keeps its triangles, so this can be worked out beside the placement and given
 * to the clean-up (`known`), which then computes only what positions decide: the coincident
 * vertices, the shells' volumes and nesting, the selection.
 */
export function checkedTopology(mesh: Mesh): MeshTopology {
  const { m2, edges, shells } = checkedFacesAndEdges(mesh);
  const { shellOf, shellCount } = shells ?? labelShells(m2.mesh, edges);
  return { indices: mesh.indices, edges, shellOf, shellCount, faces: { degenerate: m2.degenerate, duplicate: m2.duplicate, ...(m2.keep ? { keep: m2.keep } : {}) } };
}

/** The face checks' result for `mesh` from a topology of its triangles (its positions, the faces the checks kept). */
function knownFaces(mesh: Mesh, known: MeshTopology): FaceCheck {
  const f = known.faces;
  if (!f) return { mesh, degenerate: 0, duplicate: 0 };
  return { mesh: f.keep ? keptFaces(mesh, f.keep) : mesh, degenerate: f.degenerate, duplicate: f.duplicate };
}

/**
 * The clean-up stage: merge coincident vertices → drop degenerate/duplicate faces → orient →
 * shell selection → compact. A merge that would pinch the mesh is retried after the shell
 * selection (the coincident vertices usually belong to a speck that is dropped); vertices that
 * still share a position are then moved apart (separateCoincidentVertices), so a reader that
 * welds by position sees the same closed manifold.
 *
 * `known` is the topology of the same triangles worked out earlier: an earlier clean-up's output
 * (smoothing in between), or checkedTopology of the extractor's triangles (edge placement in
 * between). When no vertices merge, the face checks, the edge table and the shells are not
 * redone and only what positions change (shell volumes, nesting, orientation sign) is computed.
 */
export interface CleanupResult extends StageResult<Mesh> {
  /** Connectivity of the output, when it could be derived without a rebuild (no flips, no late merge). */
  topology?: MeshTopology;
  /**
   * Shells of the output (the kept shells renumbered), when the output's triangles are known to
   * be those, with which encloses which (shellEnclosures pairs, for fillCavities).
   */
  shells?: NestedShells;
  /**
   * `opts.remap`: each input vertex's index in the output (−1: dropped), when the output's
   * vertices are the compaction's (no late merge), so per-vertex data can follow them.
   */
  vertexRemap?: Int32Array;
}

/**
 * `opts.topology: false`: the caller does not use the output's topology, so it is not derived
 * (~0.1 s on a skull); `opts.remap`: return the input → output vertex map (vertexRemap);
 * `opts.room`: the output's mesh and edge table are views of buffers with room for that many
 * more vertices and triangles (a split after the clean-up grows them in place: condition-rims.ts).
 */
export function cleanupMesh(
  mesh: Mesh,
  params: CleanupParams = {},
  known?: MeshTopology,
  opts: { topology?: boolean; remap?: boolean; room?: { vertices: number; triangles: number } } = {},
): CleanupResult {
  let m1 = mergeIfBetter(mesh);
  const sameTriangles = known !== undefined && known.indices === mesh.indices;
  const reuse = sameTriangles && m1.mesh === mesh;
  // An earlier clean-up's output (no face checks pending) with vertices merged since (`touched`,
  // so not `reuse`): only the faces round them can have become degenerate or duplicated.
  const near = sameTriangles && !known.faces && m1.touched !== undefined;
  const checked: { m2: FaceCheck; edges?: EdgeTable; shells?: MeshShells } = reuse ? { m2: knownFaces(mesh, known), edges: known.edges } : near ? checkedNear(mesh, m1, known) : checkedFacesAndEdges(m1.mesh);
  const m2 = checked.m2;
  const edges = checked.edges;
  const shells = reuse ? { shellOf: known.shellOf, shellCount: known.shellCount } : (checked.shells ?? labelShells(m2.mesh, edges));
  // Whole-shell turns are applied by the compaction, which copies the triangles anyway. Without
  // an edge table the shells were carried over (checkedNear): wound consistently, as proven there.
  const m3 = edges ? orientShells(m2.mesh, edges, shells, { deferTurn: true }) : orientWoundShells(m2.mesh, shells, { deferTurn: true });
  const sel = selectShells(m3.mesh, params, shells, m3.shellVolumes);
  const remap = new Int32Array(vertexCount(m3.mesh));
  const room = opts.room ?? { vertices: 0, triangles: 0 };
  const packed = compactShells(m3.mesh, sel.keep, shells, m3.turnShell, remap, room);
  let output = packed.mesh;
  let outShells: CleanupResult['shells'] = keptShellData(packed, m3.enclosures, m3.shellVolumes);
  // Without flips the triangles' half-edges are unchanged, so the output's edge table follows
  // from this one (shells are dropped whole); a table built here is not used after that, so
  // its endpoint array is reused (not one a caller passed in `known`). (Patching it after flips measured slower than the
  // caller's rebuild: 0.39 s vs 0.31 s on a skull.)
  const edgeRoom = { edges: room.vertices + room.triangles, halfEdges: 3 * room.triangles };
  let topology: MeshTopology | undefined =
    edges && m3.flipped === 0 && opts.topology !== false ? { indices: output.indices, edges: compactEdgeTable(edges, sel.keep, remap, !reuse, edgeRoom), shellOf: outShells.shellOf, shellCount: outShells.shellCount } : undefined;
  let degenerate = m2.degenerate;
  let duplicate = m2.duplicate;
  let remapped = true;
  if (m1.rejected > 0) {
    const retry = mergeIfBetter(output);
    if (retry.merged > 0) {
      const r2 = removeDegenerateFaces(retry.mesh);
      degenerate += r2.degenerate;
      duplicate += r2.duplicate;
      output = compactMesh(r2.mesh);
      remapped = false;
      outShells = undefined;
      topology = undefined;
    }
    m1 = { mesh: m1.mesh, merged: retry.merged, rejected: m1.rejected };
  }
  const sep = m1.rejected > 0 ? separateCoincidentVertices(output) : { mesh: output, separated: 0, maxShift_mm: 0, remaining: 0 };
  output = sep.mesh;
  // moved vertices may move a shell's sample points across another's wall: no enclosures (nor volumes) then
  if (sep.separated > 0 && outShells) outShells = { shellOf: outShells.shellOf, shellCount: outShells.shellCount };
  const record: StageRecord = {
    stage: 'condition',
    method: 'cleanup',
    params: { minShell_mm3: params.minShell_mm3 ?? 0, keepShells: params.keepShells ?? 'all', mergeTolerance_mm: 0 },
    figures: {
      trianglesBefore: triangleCount(mesh),
      trianglesAfter: triangleCount(output),
      verticesMerged: m1.merged,
      degenerateFacesRemoved: degenerate,
      duplicateFacesRemoved: duplicate,
      trianglesFlipped: m3.flipped,
      shellsFlipped: m3.shellsFlipped,
      orientationConflicts: m3.conflicts,
      shellsBefore: sel.shells,
      shellsDropped: sel.dropped,
      droppedVolume_mm3: round(sel.droppedVolume_mm3, 3),
      coincidentVerticesSeparated: sep.separated,
      topologyReused: reuse,
    },
  };
  const notes: string[] = [];
  if (reuse) {
    notes.push(
      known.faces
        ? 'same triangles as extracted (only vertices moved since): their face checks, edge table and shells were worked out beforehand (beside the vertex placement) and reused'
        : 'same triangles as the previous clean-up (only vertices moved): its edge table, shells and face checks were reused',
    );
  }
  if (near) {
    const carried = edges ? '' : '; the shells and their winding were carried over from it, checked round them (no edge table rebuilt)';
    notes.push(`${m1.merged} vertices merged since the previous clean-up: the face checks looked at the faces round them only${carried}`);
  }
  if (m1.rejected > 0) notes.push(`${m1.rejected} coincident vertices were not merged where merging would pinch the mesh`);
  if (notes.length) record.notes = notes;
  if (sep.separated > 0) {
    record.corrections = [`moved ${sep.separated} vertices that shared a position with another shell or sheet apart (at most ${round(sep.maxShift_mm * 1000, 2)} µm, into their own sheet), so a reader that welds by position sees no pinch`];
  }
  const findings: Finding[] = [];
  if (m3.conflicts > 0) {
    findings.push({ code: 'MESH_NOT_ORIENTABLE', severity: 'error', message: `${m3.conflicts} edges cannot be oriented consistently (a one-sided, Möbius-like piece)` });
  }
  if (sep.remaining > 0) {
    findings.push({ code: 'COINCIDENT_VERTICES', severity: 'warn', message: `${sep.remaining} distinct vertices still share a position: a reader that welds by position (STL) sees the mesh pinched there` });
  }
  if (findings.length) record.findings = findings;
  const result: CleanupResult = { output, record };
  if (outShells) result.shells = outShells;
  if (topology && topology.indices === output.indices) result.topology = topology;
  if (opts.remap && remapped) result.vertexRemap = remap;
  return result;
}

/**
 * The face checks after vertices merged since the clean-up that `known` describes (its output:
 * closed, no faces pending), and the shells carried over from it where shellsAfterMerge proves
 * they hold, so no edge table is built; else the edge table of the faces kept, as before.
 */
function checkedNear(mesh: Mesh, m1: MergeResult, known: MeshTopology): { m2: FaceCheck; edges?: EdgeTable; shells?: MeshShells } {
  const touched = m1.touched!;
  const { m2, among } = checkedFacesNear(m1.mesh, touched);
  const wound = known.edges.uses !== undefined && pairedOpposite(known.edges.uses) && m1.problemsAfter === 0 && m1.rep !== undefined;
  const merge = { before: mesh.indices, after: m1.mesh.indices, rep: m1.rep!, touched, among, ...(m2.keep ? { keep: m2.keep } : {}) };
  const shells = wound ? shellsAfterMerge(known, merge) : undefined;
  if (shells) return { m2, shells };
  return { m2, edges: buildEdgeTable(m2.mesh.indices, vertexCount(m1.mesh)) };
}
