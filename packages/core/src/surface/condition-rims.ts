/**
 * The conditioning's rim step, between the first clean-up and smoothing: where edge placement
 * put vertices at a thin wall's end or on its faces beside it (PlaceResult.rims), long edges are
 * split so that smoothing does not take the rim in (split-edges.ts says why;
 * bench/fidelity/rims.mjs measures it).
 * Nothing moves: the split mesh is the same surface, with the same edge table and shells
 * carried over (split-topology.ts), and the self-intersection repair's safe positions follow
 * (a midpoint of the marching-cubes surface's edge is on that surface, which never crosses).
 *
 * In two parts, so that it costs ~0.1 s on a skull instead of ~0.25 s: before the clean-up the
 * rims are grown and the split counted (rimsBeforeCleanup), so that the clean-up allocates its
 * arrays with room for the pieces; after it the split grows them in place (refineRims). Fresh
 * memory here costs a page fault per 4 KB: a copy of the mesh and its edge table took 0.25 s
 * (philips 1 mm, 3 051 splits: the step 115-178 ms in place, bench/results/convert.md).
 *
 * Only on scans whose blur, as edge placement estimated it, is at most `maxBlur_mm` (σ, along
 * every axis): a wall thin against the blur is not shown as a wall, so there is no rim to keep,
 * and on such scans edges are long everywhere. The GE head's 1–7 mm slices (σ 2.43 mm along
 * them): a third more triangles and the self-intersection repair 3 s longer; the Philips tilt's
 * 2.4 mm slices (σ 1.28 mm): 4 % more. The phantoms the rims bench covers (0.5–1.25 mm voxels)
 * read σ 0.71–0.83 mm, the Philips 1 mm head 0.46 mm.
 */
import type { Mesh } from '../geometry/types.js';
import type { StageRecord } from '../pipeline/record.js';
import type { MeshTopology } from './cleanup.js';
import { countLongEdges, growFlags, splitLongEdges } from './split-edges.js';
import { grownView } from './room.js';
import { splitTopology } from './split-topology.js';

export const RIM_REFINE_DEFAULTS = { maxEdge_mm: 0.8, rings: 2, maxBlur_mm: 1.0, minRun: 3 };

export interface RimRefineParams {
  /**
   * Split edges longer than this near a rim (default 0.8 mm, about half the thinnest plate the
   * fidelity targets name, 1.5 mm: a rim side face crossed by two edges or more). At 1 mm, on
   * 1 mm voxels, the edges of a grid step's length were left whole: the 1.5 mm plate at 1 mm
   * voxels (exact blur σ 0.5 mm, noise 15 HU) came out −3.08 %, now −2.77 %; the flat 1.5 mm
   * plate at 0.5×0.5×1 mm rims −0.109 → −0.099 mm. Every plate row of the exact grid (σ 0.5 and
   * 0.8 mm, noise 15-30 HU) stays within its targets and the spheres do not change; the Philips
   * 1 mm head splits 5 342 edges instead of 3 051 (+0.68 % triangles instead of +0.4 %).
   * 0.7 and 0.6 mm: volumes at most 0.1 point closer and rims up to 0.026 mm, for up to twice the
   * splits (the flat 1.5 mm plate at 0.5×0.5×1 mm: 387 at 0.8, 813 at 0.7).
   */
  maxEdge_mm?: number;
  /** Rings of triangles round the flagged rim vertices that count as near (default 2). */
  rings?: number;
  /** Refine only where the scan's blur σ is at most this along every axis (default 1 mm). */
  maxBlur_mm?: number;
  /**
   * Refine only where at least this many rim vertices lie together, joined through the vertices
   * near them (default 3). A rim is a line along a wall's end; noise flags lone vertices (a
   * sphere at noise 40 HU: 10, one or two together), and splitting there kept the noise the
   * smoothing would have taken out (mean distance 0.045 → 0.059 mm at 1.25 mm voxels; at σ 0.8 mm
   * on 0.5×0.5×1 mm, 0.034 → 0.042, and 0.035 with 2). A plate's rim runs in tens to hundreds;
   * its few lone rim vertices go too (1.5 mm plate at 1 mm voxels, edges over 1 mm split: −2.99 %
   * with all, −3.08 %).
   */
  minRun?: number;
}

/** What rimsBeforeCleanup found: the vertices near a rim (or none: not refined), the room the split needs, the record so far. */
export interface RimPlan {
  near?: Uint8Array;
  room: { vertices: number; triangles: number };
  record: StageRecord;
  maxEdge_mm: number;
}

/**
 * `rims.flags`: non-zero per vertex of `mesh` (before the clean-up) at a rim or on a face beside
 * it (PlaceResult.rims); `rims.blur_mm` the scan's widest blur σ. The near flags follow the
 * clean-up's vertex map (the caller's).
 */
export function rimsBeforeCleanup(mesh: Mesh, rims: { flags: Uint8Array; blur_mm: number }, params: RimRefineParams = {}): RimPlan {
  const p = { ...RIM_REFINE_DEFAULTS, ...params };
  let rimVertices = 0;
  for (let v = 0; v < rims.flags.length; v++) if (rims.flags[v]) rimVertices++;
  const record: StageRecord = {
    stage: 'condition',
    method: 'refine-rims',
    params: { maxEdge_mm: p.maxEdge_mm, rings: p.rings, maxBlur_mm: p.maxBlur_mm, minRun: p.minRun, blur_mm: round3(rims.blur_mm) },
    figures: { rimVertices, rimVerticesInRuns: 0, verticesNear: 0, edgesSplit: 0, trianglesBefore: null, trianglesAfter: null },
  };
  const plan: RimPlan = { room: { vertices: 0, triangles: 0 }, record, maxEdge_mm: p.maxEdge_mm };
  if (rims.blur_mm > p.maxBlur_mm) {
    record.notes = [`not refined: the scan's blur σ is ${round3(rims.blur_mm)} mm along its widest axis (refined up to ${p.maxBlur_mm} mm): walls thin against it are not shown as walls`];
    return plan;
  }
  if (rimVertices === 0) return plan;
  const runs = nearRuns(mesh.indices, rims.flags, growFlags(mesh.indices, rims.flags, p.rings), p.minRun);
  record.figures.rimVerticesInRuns = runs.rimsKept;
  if (runs.rimsKept === 0) return plan;
  const near = runs.near;
  const { splits, pieces } = countLongEdges(mesh, near, p.maxEdge_mm);
  plan.near = near;
  plan.room = { vertices: splits, triangles: pieces };
  return plan;
}

/**
 * `near` (the rims grown by rings) without its parts that hold fewer than `minRun` rim vertices:
 * a part is a set of near vertices joined by edges, so rim vertices a few edges apart (a rim's
 * line broken by noise) count together.
 */
function nearRuns(indices: Uint32Array, rims: Uint8Array, near: Uint8Array, minRun: number): { near: Uint8Array; rimsKept: number } {
  // union-find over the near vertices only (thousands on a skull), smaller id as root
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    for (let p = parent.get(r)!; p !== r; p = parent.get(r)!) r = p;
    for (let y = x, p = parent.get(y)!; p !== r; y = p, p = parent.get(y)!) parent.set(y, r);
    return r;
  };
  for (let v = 0; v < near.length; v++) if (near[v]) parent.set(v, v);
  for (let t = 0; t < indices.length; t += 3) {
    for (let c = 0; c < 3; c++) {
      const a = indices[t + c]!, b = indices[t + (c === 2 ? 0 : c + 1)]!;
      if (!near[a] || !near[b]) continue;
      const ra = find(a), rb = find(b);
      if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
    }
  }
  const count = new Map<number, number>();
  for (const v of parent.keys()) {
    if (!rims[v]) continue;
    const r = find(v);
    count.set(r, (count.get(r) ?? 0) + 1);
  }
  const out = new Uint8Array(near.length);
  let rimsKept = 0;
  for (const v of parent.keys()) {
    if ((count.get(find(v)) ?? 0) < minRun) continue;
    out[v] = 1;
    if (rims[v]) rimsKept++;
  }
  return { near: out, rimsKept };
}

export interface RimRefined {
  output: Mesh;
  topology: MeshTopology;
  /** The safe positions for the split mesh (the given ones, then the new vertices' midpoints). */
  safe?: Float32Array;
  record: StageRecord;
}

/**
 * The split of the clean mesh (`near`: the plan's flags carried to its vertices), in place:
 * `mesh`, `topology` and `safe` must not be used after. `safe`: the repair's safe positions.
 */
export function refineRims(mesh: Mesh, topology: MeshTopology, plan: RimPlan, near: Uint8Array | undefined, safe: Float32Array | undefined): RimRefined {
  const record = plan.record;
  const nT = mesh.indices.length / 3;
  record.figures.trianglesBefore = record.figures.trianglesAfter = nT;
  const kept = { output: mesh, topology, ...(safe ? { safe } : {}), record };
  if (plan.near && !near) record.notes = ['not refined: the clean-up merged vertices late, so the rims could not follow its vertices'];
  if (!near) return kept;
  let verticesNear = 0;
  for (let v = 0; v < near.length; v++) verticesNear += near[v]!;
  record.figures.verticesNear = verticesNear;
  const split = splitLongEdges(mesh, near, plan.maxEdge_mm, { inPlace: true });
  if (split.splits === 0) return kept;
  record.figures.edgesSplit = split.splits;
  record.figures.trianglesAfter = split.mesh.indices.length / 3;
  const out: RimRefined = { output: split.mesh, topology: splitTopology(topology, split, { inPlace: true }), record };
  if (safe) {
    const n = safe.length;
    const s = grownView(safe, n + 3 * split.splits);
    const { ends } = split;
    for (let k = 0; k < split.splits; k++) {
      const a = ends[2 * k]!, b = ends[2 * k + 1]!;
      for (let c = 0; c < 3; c++) s[n + 3 * k + c] = (safe[3 * a + c]! + safe[3 * b + c]!) / 2;
    }
    out.safe = s;
  }
  return out;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
