/**
 * Dowels: a separate shell that must stay in place (a bone fragment, an ossicle) is joined to
 * the main body (the largest shell) by a cylindrical strut along the shortest segment between
 * them, then unioned with manifold-3d, so the model prints and handles as one piece with the
 * fragment where the scan put it. The shortest segment comes from a vertex grid over the main
 * body (dowel-nearest.ts) searched from every vertex of the shell, refined onto the triangles
 * at both ends. The strut reaches `insert_mm` past each end into the bodies so the union is a
 * solid joint, not a tangent touch. Shells farther than `maxLength_mm` are reported and left as
 * they are; shells below `minShell_mm3` (debris) and negative shells (voids) are not joined.
 */
import type { Mesh } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { compactMesh, labelShells, shellVolumes_mm3 } from '../surface/mesh-utils.js';
import { manifoldModule } from '../surface/gate.js';
import { usageError } from '../errors.js';
import { closestAroundVertex, dist2, VertexGrid, vertexTriangles, type Vec3 } from './dowel-nearest.js';
import { free, fromManifold, toManifold, type Manifold, type ManifoldModule, type Mat4 } from './manifold-mesh.js';

export interface DowelParams {
  diameter_mm: number;
  maxLength_mm: number;
  /** Shells smaller than this are debris, not fragments. */
  minShell_mm3: number;
  /** How far the strut reaches into each body past the closest points. */
  insert_mm: number;
  segments: number;
}

export const DEFAULT_DOWELS: DowelParams = { diameter_mm: 3, maxLength_mm: 30, minShell_mm3: 1, insert_mm: 1, segments: 24 };

export interface Dowel {
  /** Shell index in the input (labelShells order). */
  shell: number;
  shellVolume_mm3: number;
  /** Closest points, LPS mm: on the shell, and on the main body. */
  from_mm: Vec3;
  to_mm: Vec3;
  length_mm: number;
  diameter_mm: number;
  joined: boolean;
  /** Why not joined (farther than maxLength_mm). */
  reason?: string;
}

export interface DowelResult {
  mesh: Mesh;
  dowels: Dowel[];
  mainShell: number;
  shellsBefore: number;
  shellsAfter: number;
  /** Shells below minShell_mm3 or with negative volume, left as they were. */
  skippedShells: number;
  volumeBefore_mm3: number;
  volumeAfter_mm3: number;
  /** Shells of no volume (|V| < DEGENERATE_SHELL_MM3) the union left, removed from the output. */
  degenerateShellsRemoved: number;
  method: string;
}

/**
 * A shell the union returns with less volume than this (mm³, either sign) is debris of the
 * boolean, not material: on the phantom skull manifold-3d returned, beside the joined body, a
 * 12-triangle sliver of zero volume far from any strut (a needle-thin stretch of the input
 * surface split off). It would print as nothing and count as a separate part.
 */
export const DEGENERATE_SHELL_MM3 = 1e-3;

export const DOWEL_METHOD = 'shortest segment between the shell and the largest shell (vertex grid, refined onto incident triangles), strut = 24-gon cylinder extended insert_mm into both bodies, manifold-3d union';

export function dowelParams(p: Partial<DowelParams> | undefined): DowelParams {
  const d = { ...DEFAULT_DOWELS, ...(p ?? {}) };
  if (!(d.diameter_mm > 0 && d.diameter_mm < 50)) throw usageError('BAD_DOWELS', `dowel diameter ${d.diameter_mm} mm: expected 0 < d < 50`);
  if (!(d.maxLength_mm > 0)) throw usageError('BAD_DOWELS', `dowel max length ${d.maxLength_mm} mm: expected > 0`);
  if (!(d.insert_mm >= 0) || !(d.minShell_mm3 >= 0) || !(Number.isInteger(d.segments) && d.segments >= 6)) throw usageError('BAD_DOWELS', 'dowel insert ≥ 0 mm, minimum shell ≥ 0 mm³ and ≥ 6 segments expected');
  return d;
}

export async function addDowels(mesh: Mesh, params: Partial<DowelParams> | undefined, name = 'model'): Promise<DowelResult> {
  const d = dowelParams(params);
  const m = await manifoldModule();
  const { shellOf, shellCount } = labelShells(mesh);
  const vols = shellVolumes_mm3(mesh, shellOf, shellCount);
  let main = 0;
  for (let s = 1; s < shellCount; s++) if (vols[s]! > vols[main]!) main = s;
  const volumeBefore = vols.reduce((a, b) => a + b, 0);
  // Vertices per shell (a vertex belongs to the shell of any triangle using it).
  const nv = mesh.positions.length / 3;
  const shellOfVertex = new Int32Array(nv).fill(-1);
  const ix = mesh.indices;
  for (let t = 0; t < ix.length / 3; t++) for (let c = 0; c < 3; c++) shellOfVertex[ix[3 * t + c]!] = shellOf[t]!;
  const count = new Uint32Array(shellCount + 1);
  for (let v = 0; v < nv; v++) if (shellOfVertex[v]! >= 0) count[shellOfVertex[v]! + 1]!++;
  for (let s = 0; s < shellCount; s++) count[s + 1]! += count[s]!;
  const fill = count.slice(0, shellCount);
  const byShell = new Uint32Array(count[shellCount]!);
  for (let v = 0; v < nv; v++) if (shellOfVertex[v]! >= 0) byShell[fill[shellOfVertex[v]!]!++] = v;
  const vertsOf = (s: number): Uint32Array => byShell.subarray(count[s]!, count[s + 1]!);

  const dowels: Dowel[] = [];
  let skipped = 0;
  // nothing joined: the mesh as it came, with what was found
  const unchanged = (): DowelResult => ({ mesh, dowels, mainShell: main, shellsBefore: shellCount, shellsAfter: shellCount, skippedShells: skipped, volumeBefore_mm3: round(volumeBefore, 3), volumeAfter_mm3: round(volumeBefore, 3), degenerateShellsRemoved: 0, method: DOWEL_METHOD });
  const candidates: number[] = [];
  for (let s = 0; s < shellCount; s++) {
    if (s === main) continue;
    if (!(vols[s]! >= d.minShell_mm3)) { skipped++; continue; }
    candidates.push(s);
  }
  if (candidates.length === 0) {
    return unchanged();
  }
  const grid = new VertexGrid(mesh, vertsOf(main));
  const vt = vertexTriangles(mesh);
  const d2 = new Float64Array(1);
  for (const s of candidates) {
    // Bound by the longest strut allowed (plus the vertex spacing the refinement may remove).
    let best = Infinity, bestS = -1, bestM = -1;
    const bound = d.maxLength_mm + 2 * grid.cell;
    for (const v of vertsOf(s)) {
      const limit = Math.min(bound, Math.sqrt(best));
      const w = grid.nearest(mesh.positions[3 * v]!, mesh.positions[3 * v + 1]!, mesh.positions[3 * v + 2]!, limit, d2);
      if (w >= 0 && (d2[0]! < best || (d2[0] === best && v < bestS))) { best = d2[0]!; bestS = v; bestM = w; }
    }
    if (bestS < 0) {
      dowels.push({ shell: s, shellVolume_mm3: round(vols[s]!, 3), from_mm: [0, 0, 0], to_mm: [0, 0, 0], length_mm: Infinity, diameter_mm: d.diameter_mm, joined: false, reason: `farther than ${d.maxLength_mm} mm from the main body` });
      continue;
    }
    // Refine: the main body's closest point to the shell's vertex, then the shell's to that.
    const p = mesh.positions;
    const to = closestAroundVertex(mesh, vt, bestM, [p[3 * bestS]!, p[3 * bestS + 1]!, p[3 * bestS + 2]!]);
    const from = closestAroundVertex(mesh, vt, bestS, to);
    const len = Math.sqrt(dist2(from, to));
    const rec: Dowel = { shell: s, shellVolume_mm3: round(vols[s]!, 3), from_mm: from.map((x) => round(x, 3)) as Vec3, to_mm: to.map((x) => round(x, 3)) as Vec3, length_mm: round(len, 3), diameter_mm: d.diameter_mm, joined: len <= d.maxLength_mm };
    if (!rec.joined) rec.reason = `${rec.length_mm} mm from the main body, more than ${d.maxLength_mm} mm`;
    dowels.push(rec);
  }
  const joined = dowels.filter((x) => x.joined);
  if (joined.length === 0) {
    return unchanged();
  }
  const solid = toManifold(m, mesh, name);
  const struts = joined.map((x) => strut(m, x.from_mm, x.to_mm, d));
  const u = m.Manifold.union([solid, ...struts]);
  const united = fromManifold(u);
  const volumeAfter = u.volume();
  free(solid, u, ...struts);
  const { mesh: out, shells: after, removed } = withoutDegenerateShells(united);
  return { mesh: out, dowels, mainShell: main, shellsBefore: shellCount, shellsAfter: after, skippedShells: skipped, volumeBefore_mm3: round(volumeBefore, 3), volumeAfter_mm3: round(volumeAfter, 3), degenerateShellsRemoved: removed, method: DOWEL_METHOD };
}

/** The mesh without its shells of no volume (DEGENERATE_SHELL_MM3), and the shells kept and removed. */
export function withoutDegenerateShells(mesh: Mesh): { mesh: Mesh; shells: number; removed: number } {
  const { shellOf, shellCount } = labelShells(mesh);
  const vols = shellVolumes_mm3(mesh, shellOf, shellCount);
  let removed = 0;
  for (let s = 0; s < shellCount; s++) if (Math.abs(vols[s]!) < DEGENERATE_SHELL_MM3) removed++;
  if (removed === 0) return { mesh, shells: shellCount, removed };
  const keep = new Uint8Array(shellOf.length);
  for (let t = 0; t < keep.length; t++) keep[t] = Math.abs(vols[shellOf[t]!]!) < DEGENERATE_SHELL_MM3 ? 0 : 1;
  return { mesh: compactMesh(mesh, keep), shells: shellCount - removed, removed };
}

/** A cylinder of the dowel's diameter from `a` to `b`, extended by insert_mm at both ends. */
export function strut(m: ManifoldModule, a: readonly number[], b: readonly number[], d: Pick<DowelParams, 'diameter_mm' | 'insert_mm' | 'segments'>): Manifold {
  let dir = [b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!];
  let len = Math.hypot(dir[0]!, dir[1]!, dir[2]!);
  // Touching shells (no gap): any direction; the strut is then a short plug across the contact.
  if (len < 1e-6) { dir = [0, 0, 1]; len = 0; } else dir = dir.map((x) => x / len);
  return cylinderAlong(m, a.map((x, k) => x - dir[k]! * d.insert_mm) as Vec3, dir as Vec3, len + 2 * d.insert_mm, d.diameter_mm / 2, d.segments);
}

/** A cylinder of radius r from `start` along the unit vector `dir` for `length` mm. */
export function cylinderAlong(m: ManifoldModule, start: Vec3, dir: Vec3, length: number, r: number, segments: number): Manifold {
  // An orthonormal frame (u, v, dir): u from the axis least aligned with dir.
  const ax = Math.abs(dir[0]) <= Math.abs(dir[1]) && Math.abs(dir[0]) <= Math.abs(dir[2]) ? [1, 0, 0] : Math.abs(dir[1]) <= Math.abs(dir[2]) ? [0, 1, 0] : [0, 0, 1];
  let u = [dir[1] * ax[2]! - dir[2] * ax[1]!, dir[2] * ax[0]! - dir[0] * ax[2]!, dir[0] * ax[1]! - dir[1] * ax[0]!];
  const n = Math.hypot(u[0]!, u[1]!, u[2]!);
  u = u.map((x) => x / n);
  const v = [dir[1] * u[2]! - dir[2] * u[1]!, dir[2] * u[0]! - dir[0] * u[2]!, dir[0] * u[1]! - dir[1] * u[0]!];
  const base = m.Manifold.cylinder(length, r, r, segments);
  // Column-major: columns u, v, dir (a proper rotation: u × v = dir), then the start point.
  const out = base.transform([u[0]!, u[1]!, u[2]!, 0, v[0]!, v[1]!, v[2]!, 0, dir[0], dir[1], dir[2], 0, start[0], start[1], start[2], 1] as Mat4);
  base.delete();
  return out;
}
