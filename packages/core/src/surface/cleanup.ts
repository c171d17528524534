/**
 * Mesh clean-up: merge duplicate vertices, drop degenerate and duplicated faces, orient every
 * shell consistently and outward (cavity walls inward, so the solid is what is printed),
 * drop shells under a volume, keep selected shells. Deterministic: the same mesh in gives the
 * same bytes out.
 */
import type { Mesh } from '../geometry/types.js';
import { round, type Finding, type StageRecord, type StageResult } from '../pipeline/record.js';
import { shellNesting } from './cavities.js';
import { countTopology } from './topology.js';
import {
  buildEdgeTable,
  compactMesh,
  labelShells,
  shellVolumes_mm3,
  triangleCount,
  tripleProduct,
  vertexCount,
} from './mesh-utils.js';

/** Merges vertices with identical coordinates (exact float equality; −0 equals +0). */
export function mergeDuplicateVertices(mesh: Mesh): { mesh: Mesh; merged: number } {
  const nv = vertexCount(mesh);
  const p = mesh.positions;
  const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
  let size = 1;
  while (size < 2 * nv) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  const rep = new Uint32Array(nv);
  let merged = 0;
  for (let v = 0; v < nv; v++) {
    let h = 2166136261;
    for (let a = 0; a < 3; a++) {
      const b = p[3 * v + a] === 0 ? 0 : bits[3 * v + a]!;
      h = Math.imul(h ^ b, 16777619);
      h ^= h >>> 15;
    }
    let slot = h & (size - 1);
    for (;;) {
      const w = table[slot]!;
      if (w === -1) {
        table[slot] = v;
        rep[v] = v;
        break;
      }
      if (p[3 * w] === p[3 * v] && p[3 * w + 1] === p[3 * v + 1] && p[3 * w + 2] === p[3 * v + 2]) {
        rep[v] = w;
        merged++;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  if (merged === 0) return { mesh, merged };
  const indices = new Uint32Array(mesh.indices.length);
  for (let i = 0; i < indices.length; i++) indices[i] = rep[mesh.indices[i]!]!;
  const out: Mesh = { positions: mesh.positions, indices };
  if (mesh.groups) out.groups = mesh.groups;
  return { mesh: out, merged };
}

/**
 * Drops faces with a repeated vertex (zero area after merging), and duplicated faces: two
 * copies with opposite winding cancel (both go, they are a zero-thickness fin), extra copies
 * with the same winding go.
 */
export function removeDegenerateFaces(mesh: Mesh): { mesh: Mesh; degenerate: number; duplicate: number } {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const keep = new Uint8Array(nTri);
  let degenerate = 0;
  let size = 1;
  while (size < 2 * nTri) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  let duplicate = 0;
  for (let t = 0; t < nTri; t++) {
    const a = ix[3 * t]!, b = ix[3 * t + 1]!, c = ix[3 * t + 2]!;
    if (a === b || b === c || a === c) {
      degenerate++;
      continue;
    }
    keep[t] = 1;
    const lo = Math.min(a, b, c), hi = Math.max(a, b, c), mid = a + b + c - lo - hi;
    let h = Math.imul(lo, 0x9e3779b1) ^ Math.imul(mid, 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35);
    h ^= h >>> 16;
    let slot = h & (size - 1);
    for (;;) {
      const u = table[slot]!;
      if (u === -1) {
        table[slot] = t;
        break;
      }
      if (keep[u] && sameVertexSet(ix, u, lo, mid, hi)) {
        duplicate++;
        keep[t] = 0;
        if (sameWinding(ix, u, a, b, c)) break;
        keep[u] = 0; // opposite winding: the pair cancels
        duplicate++;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  if (degenerate + duplicate === 0) return { mesh, degenerate, duplicate };
  const out: Mesh = { positions: mesh.positions, indices: ix };
  if (mesh.groups) out.groups = mesh.groups;
  const packed = compactTrianglesOnly(out, keep);
  return { mesh: packed, degenerate, duplicate };
}

function sameVertexSet(ix: Uint32Array, u: number, lo: number, mid: number, hi: number): boolean {
  const a = ix[3 * u]!, b = ix[3 * u + 1]!, c = ix[3 * u + 2]!;
  const l = Math.min(a, b, c), h = Math.max(a, b, c);
  return l === lo && h === hi && a + b + c - l - h === mid;
}

function sameWinding(ix: Uint32Array, u: number, a: number, b: number, c: number): boolean {
  const x = ix[3 * u]!, y = ix[3 * u + 1]!, z = ix[3 * u + 2]!;
  return (x === a && y === b && z === c) || (x === b && y === c && z === a) || (x === c && y === a && z === b);
}

/** Keeps the listed triangles without renumbering vertices (callers compact at the end). */
function compactTrianglesOnly(mesh: Mesh, keep: Uint8Array): Mesh {
  let n = 0;
  for (let t = 0; t < keep.length; t++) if (keep[t]) n++;
  const indices = new Uint32Array(3 * n);
  const groups = mesh.groups ? new Uint32Array(n) : undefined;
  let o = 0;
  for (let t = 0; t < keep.length; t++) {
    if (!keep[t]) continue;
    if (groups) groups[o] = mesh.groups![t]!;
    indices.set(mesh.indices.subarray(3 * t, 3 * t + 3), 3 * o++);
  }
  return groups ? { positions: mesh.positions, indices, groups } : { positions: mesh.positions, indices };
}

/**
 * Consistent winding by breadth-first search over edges used exactly twice, then each
 * connected piece is turned so its signed volume is positive, or negative for the wall of a
 * cavity (odd nesting depth), so the enclosed material is on the inside of every face.
 */
export function orientShells(mesh: Mesh): { mesh: Mesh; flipped: number; shellsFlipped: number; conflicts: number } {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const et = buildEdgeTable(ix, vertexCount(mesh));
  const flip = new Uint8Array(nTri);
  const comp = new Int32Array(nTri).fill(-1);
  const queue = new Uint32Array(nTri);
  let compCount = 0;
  let conflicts = 0;
  for (let seed = 0; seed < nTri; seed++) {
    if (comp[seed] !== -1) continue;
    const id = compCount++;
    comp[seed] = id;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    while (head < tail) {
      const t = queue[head++]!;
      for (let c = 0; c < 3; c++) {
        const h = 3 * t + c;
        const e = et.heEdge[h]!;
        const s = et.edgeStart[e]!;
        if (et.edgeStart[e + 1]! - s !== 2) continue;
        const h2 = et.edgeHe[s] === h ? et.edgeHe[s + 1]! : et.edgeHe[s]!;
        const t2 = (h2 / 3) | 0;
        const effTail = flip[t] ? ix[3 * t + ((c + 1) % 3)]! : ix[h]!;
        const want = ix[h2] === effTail ? 1 : 0; // same direction → t2 must be flipped
        if (comp[t2] === -1) {
          comp[t2] = id;
          flip[t2] = want;
          queue[tail++] = t2;
        } else if (t2 !== t && flip[t2] !== want) {
          conflicts++;
        }
      }
    }
  }
  // Signed volume of every piece with the flips applied.
  const p = mesh.positions;
  const vol = new Float64Array(compCount);
  for (let t = 0; t < nTri; t++) {
    const v = tripleProduct(p, 3 * ix[3 * t]!, 3 * ix[3 * t + 1]!, 3 * ix[3 * t + 2]!) / 6;
    vol[comp[t]!]! += flip[t] ? -v : v;
  }
  const { shellOf, shellCount } = labelShells(mesh, et);
  const depth = shellNesting(mesh, shellOf, shellCount);
  const compShell = new Int32Array(compCount).fill(-1);
  for (let t = 0; t < nTri; t++) if (compShell[comp[t]!] === -1) compShell[comp[t]!] = shellOf[t]!;
  const turn = new Uint8Array(compCount);
  let shellsFlipped = 0;
  for (let k = 0; k < compCount; k++) {
    const wantPositive = depth[compShell[k]!]! % 2 === 0;
    if (vol[k]! !== 0 && vol[k]! > 0 !== wantPositive) {
      turn[k] = 1;
      shellsFlipped++;
    }
  }
  const indices = ix.slice();
  let flipped = 0;
  for (let t = 0; t < nTri; t++) {
    if ((flip[t]! ^ turn[comp[t]!]!) === 1) {
      indices[3 * t + 1] = ix[3 * t + 2]!;
      indices[3 * t + 2] = ix[3 * t + 1]!;
      flipped++;
    }
  }
  const out: Mesh = { positions: mesh.positions, indices };
  if (mesh.groups) out.groups = mesh.groups;
  return { mesh: out, flipped, shellsFlipped, conflicts: conflicts >> 1 };
}

export interface CleanupParams {
  /** Drop shells whose enclosed volume is below this (mm³). Default 0 (keep all). */
  minShell_mm3?: number;
  /** 'all' (default), 'largest', N (the N largest by volume) or a list of ranks (0 = largest). */
  keepShells?: 'all' | 'largest' | number | number[];
}

/** Shell selection by volume: returns the kept triangles. */
export function selectShells(mesh: Mesh, params: CleanupParams): { keep: Uint8Array; dropped: number; droppedVolume_mm3: number; shells: number } {
  const { shellOf, shellCount } = labelShells(mesh);
  const vols = shellVolumes_mm3(mesh, shellOf, shellCount);
  const keepShell = new Uint8Array(shellCount).fill(1);
  const minVol = params.minShell_mm3 ?? 0;
  for (let s = 0; s < shellCount; s++) if (Math.abs(vols[s]!) < minVol) keepShell[s] = 0;
  const sel = params.keepShells ?? 'all';
  if (sel !== 'all') {
    const order = Array.from({ length: shellCount }, (_, i) => i).sort((a, b) => Math.abs(vols[b]!) - Math.abs(vols[a]!) || a - b);
    const ranks = new Set<number>(sel === 'largest' ? [0] : typeof sel === 'number' ? Array.from({ length: sel }, (_, i) => i) : sel);
    order.forEach((s, rank) => {
      if (!ranks.has(rank)) keepShell[s] = 0;
    });
  }
  const keep = new Uint8Array(shellOf.length);
  let dropped = 0;
  let droppedVolume = 0;
  for (let s = 0; s < shellCount; s++) {
    if (!keepShell[s]) {
      dropped++;
      droppedVolume += Math.abs(vols[s]!);
    }
  }
  for (let t = 0; t < keep.length; t++) keep[t] = keepShell[shellOf[t]!]!;
  return { keep, dropped, droppedVolume_mm3: droppedVolume, shells: shellCount };
}

function problemCount(mesh: Mesh): number {
  const t = countTopology(mesh);
  return t.openEdges + t.nonManifoldEdges + t.misorientedEdges + t.nonManifoldVertices;
}

/**
 * Merges coincident vertices only when that does not make the topology worse. Welding is what
 * closes a triangle soup (an STL), but after smoothing a collapsing speck can put two distinct
 * vertices on the same float position, and welding those would pinch the mesh.
 */
function mergeIfBetter(mesh: Mesh): { mesh: Mesh; merged: number; rejected: number } {
  const m = mergeDuplicateVertices(mesh);
  if (m.merged === 0) return { mesh, merged: 0, rejected: 0 };
  const after = removeDegenerateFaces(m.mesh).mesh;
  if (problemCount(after) <= problemCount(mesh)) return { mesh: m.mesh, merged: m.merged, rejected: 0 };
  return { mesh, merged: 0, rejected: m.merged };
}

/**
 * The clean-up stage: merge coincident vertices → drop degenerate/duplicate faces → orient →
 * shell selection → compact. A merge that would pinch the mesh is retried after the shell
 * selection (the coincident vertices usually belong to a speck that is dropped).
 */
export function cleanupMesh(mesh: Mesh, params: CleanupParams = {}): StageResult<Mesh> {
  let m1 = mergeIfBetter(mesh);
  const m2 = removeDegenerateFaces(m1.mesh);
  const m3 = orientShells(m2.mesh);
  const sel = selectShells(m3.mesh, params);
  let output = compactMesh(m3.mesh, sel.keep);
  let degenerate = m2.degenerate;
  let duplicate = m2.duplicate;
  let coincident = 0;
  if (m1.rejected > 0) {
    const retry = mergeIfBetter(output);
    if (retry.merged > 0) {
      const r2 = removeDegenerateFaces(retry.mesh);
      degenerate += r2.degenerate;
      duplicate += r2.duplicate;
      output = compactMesh(r2.mesh);
    } else {
      coincident = mergeDuplicateVertices(output).merged;
    }
    m1 = { mesh: m1.mesh, merged: retry.merged, rejected: m1.rejected };
  }
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
    },
  };
  if (m1.rejected > 0) record.notes = [`${m1.rejected} coincident vertices were not merged where merging would pinch the mesh; ${coincident} remain coincident after the shell selection`];
  const findings: Finding[] = [];
  if (m3.conflicts > 0) {
    findings.push({ code: 'MESH_NOT_ORIENTABLE', severity: 'error', message: `${m3.conflicts} edges cannot be oriented consistently (a one-sided, Möbius-like piece)` });
  }
  if (coincident > 0) {
    findings.push({ code: 'COINCIDENT_VERTICES', severity: 'warn', message: `${coincident} distinct vertices share a position: a reader that welds by position (STL) sees the mesh pinched there` });
  }
  if (findings.length) record.findings = findings;
  return { output, record };
}
