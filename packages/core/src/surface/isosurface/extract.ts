/**
 * Stage "surface": label map (+ optional HU or probability field) → closed, manifold,
 * outward-oriented triangle mesh in patient LPS millimetres.
 *
 * Topology comes from the binary mask alone through a consistent case table (see
 * case-table.ts), so the mesh is a closed 2-manifold for any label map; geometry (where
 * along each crossed grid edge its one vertex sits) comes from the field where the field's
 * threshold agrees with the mask and from the smoothed mask elsewhere (extract-slab.ts).
 * Slabs of cube layers run on the worker pool; vertices are numbered in one global order,
 * so the output is byte-identical whatever the pool size or slab count.
 */
import type { LabelMap, Mesh, Volume } from '../../geometry/types.js';
import { sameGrid, voxelCount, type Grid } from '../../geometry/grid.js';
import type { StageContext, StageRecord, StageResult } from '../../pipeline/record.js';
import { round, timedAsync } from '../../pipeline/record.js';
import { sharedFloat32, sharedUint32, slabRanges, toShared } from '../../parallel/pool.js';
import { usageError } from '../../errors.js';
import { extractSlab, type IsoSlabPayload, type IsoSlabResult } from './extract-slab.js';

export const ISOSURFACE_TASK = 'surface.isosurface';

export interface ExtractSurfaceParams {
  /** Label value to mesh; default: every non-zero label. */
  label?: number;
  /** HU or probability field on the same grid, used to place vertices sub-voxel. */
  field?: Volume;
  /** Iso level in field units (inside ⇔ field ≥ level); estimated from the mask when omitted. */
  level?: number;
  /** Vertices stay in [ε, 1−ε] of their grid edge so no triangle degenerates (default 0.02). */
  edgeClamp?: number;
  /** Number of slabs (default: one per pool worker for large volumes, else 1). Output does not depend on it. */
  slabs?: number;
}

/** Volumes smaller than this run in one slab on the calling thread. */
const MIN_PARALLEL_VOXELS = 1 << 21;

export const PLACEMENT_RULE =
  'one vertex per crossed grid edge; t on the edge from the field at `level` (linear) where field ≥ level agrees with the mask at both ends, ' +
  'else from the 3×3×3 binomial-smoothed mask at 0.5, else the edge midpoint; edges into the one-voxel background padding at the midpoint (the scanned voxel face); t clamped to [ε, 1−ε]';

export async function extractSurface(labels: LabelMap, params: ExtractSurfaceParams = {}, ctx: StageContext = {}): Promise<StageResult<Mesh>> {
  return timedAsync(async () => {
    const grid = labels.grid;
    const [nx, ny, nz] = grid.dims;
    const n = voxelCount(grid);
    if (labels.data.length !== n) throw usageError('LABELS_SIZE', `label map has ${labels.data.length} voxels, its grid needs ${n}`);
    const label = params.label ?? 0;
    if (!Number.isInteger(label) || label < 0) throw usageError('BAD_LABEL', `label must be a non-negative integer (0 = any non-zero), got ${label}`);
    const eps = params.edgeClamp ?? 0.02;
    if (!(eps > 0 && eps < 0.5)) throw usageError('BAD_EDGE_CLAMP', `edgeClamp must be in (0, 0.5), got ${eps}`);
    const field = params.field;
    if (field) {
      if (!sameGrid(field.grid, grid) || field.data.length !== n) {
        throw usageError('FIELD_GRID_MISMATCH', `the field's grid (${describeGrid(field.grid)}) is not the label map's grid (${describeGrid(grid)}): resample it first`);
      }
    }
    let level = params.level ?? NaN;
    let levelSource: 'given' | 'estimated' | 'none' = field ? 'given' : 'none';
    if (field && params.level === undefined) {
      level = estimateIsoLevel(labels, label, field);
      levelSource = 'estimated';
    }
    if (field && !Number.isFinite(level)) throw usageError('BAD_LEVEL', `iso level must be a finite number, got ${params.level}`);

    const pool = ctx.pool && ctx.pool.size > 1 && n >= MIN_PARALLEL_VOXELS ? ctx.pool : undefined;
    // One slab per worker: measured faster than finer slabs (each slab re-reads its boundary
    // planes and pays a message round trip), and the output does not depend on the count.
    const slabCount = Math.max(1, Math.min(nz + 1, params.slabs ?? (pool ? pool.size : 1)));
    const matrix = gridMatrix(labels);
    const labelData = pool ? toShared(labels.data) : labels.data;
    const fieldData = field ? (pool ? toShared(field.data) : field.data) : null;
    const ranges = slabRanges(nz + 1, slabCount).map(([a, b]) => [a + 1, b + 1] as [number, number]);
    const payloads: IsoSlabPayload[] = ranges.map(([c0, c1]) => ({
      labels: labelData,
      field: fieldData,
      dims: [nx, ny, nz],
      matrix,
      label,
      level: field ? level : 0,
      eps,
      c0,
      c1,
      sharedOutput: pool !== undefined,
    }));
    let done = 0;
    const results = await Promise.all(
      payloads.map(async (pl) => {
        const r = pool ? await pool.run<IsoSlabResult>(ISOSURFACE_TASK, pl) : extractSlab(pl);
        ctx.progress?.(++done / payloads.length, 'isosurface');
        return r;
      }),
    );
    const mesh = mergeSlabs(results, pool !== undefined);
    const placement = [0, 0, 0, 0];
    let maskVoxels = 0;
    let borderVoxels = 0;
    for (const r of results) {
      for (let i = 0; i < 4; i++) placement[i]! += r.placement[i]!;
      maskVoxels += r.maskVoxels;
      borderVoxels += r.borderVoxels;
    }
    const record: StageRecord = {
      stage: 'surface',
      method: 'manifold-marching-cubes',
      params: {
        label: label === 0 ? 'any non-zero' : label,
        field: field ? 'given' : 'none',
        level: field ? level : null,
        level_source: levelSource,
        edge_clamp: eps,
        padding_voxels: 1,
        ambiguity_rule: 'faces separate inside corners (inside 6-connected, outside 18-connected); loops triangulated without new vertices',
        placement_rule: PLACEMENT_RULE,
        slabs: ranges.length,
      },
      figures: {
        vertices: mesh.positions.length / 3,
        triangles: mesh.indices.length / 3,
        mask_voxels: maskVoxels,
        border_voxels: borderVoxels,
        vertices_from_field: placement[0],
        vertices_from_smoothed_mask: placement[1],
        vertices_at_midpoint: placement[2],
        vertices_at_scan_border: placement[3],
        workers: pool ? pool.size : 1,
      },
      findings: [],
    };
    if (borderVoxels > 0) {
      record.findings!.push({
        code: 'SURFACE_CLOSED_AT_BORDER',
        severity: 'info',
        message: `${borderVoxels} segmented voxels touch the edge of the volume meshed (the scanned range, or the crop box where one was asked for): the surface is closed there by a flat cap at the outer face of the last voxels (the anatomy continues beyond it)`,
      });
    }
    if (maskVoxels === 0) {
      record.findings!.push({ code: 'EMPTY_SURFACE', severity: 'warn', message: `no voxel has ${label === 0 ? 'a non-zero label' : `label ${label}`}: the mesh is empty` });
    }
    if (field && levelSource === 'estimated') {
      record.notes = [`iso level ${round(level, 4)} estimated from the field values on both sides of the mask boundary`];
    }
    if (field && placement[1]! + placement[2]! > 0) {
      const frac = (placement[1]! + placement[2]!) / Math.max(1, mesh.positions.length / 3);
      (record.notes ??= []).push(`${round(100 * frac, 2)} % of vertices placed from the mask where it disagrees with the field threshold (clean-up or a label range)`);
    }
    return { output: mesh, record };
  });
}

/**
 * The same surface computed synchronously in one slab on the calling thread, without the
 * record (for measurements such as the accuracy reference). Identical to extractSurface's mesh.
 */
export function extractSurfaceMesh(labels: LabelMap, params: Omit<ExtractSurfaceParams, 'slabs'> = {}): Mesh {
  const [nx, ny, nz] = labels.grid.dims;
  const label = params.label ?? 0;
  const field = params.field;
  if (field && (!sameGrid(field.grid, labels.grid) || field.data.length !== labels.data.length)) {
    throw usageError('FIELD_GRID_MISMATCH', `the field's grid (${describeGrid(field.grid)}) is not the label map's grid (${describeGrid(labels.grid)}): resample it first`);
  }
  const level = field ? (params.level ?? estimateIsoLevel(labels, label, field)) : 0;
  const r = extractSlab({ labels: labels.data, field: field ? field.data : null, dims: [nx, ny, nz], matrix: gridMatrix(labels), label, level, eps: params.edgeClamp ?? 0.02, c0: 1, c1: nz + 2 });
  return mergeSlabs([r]);
}

function describeGrid(g: Grid): string {
  return `${g.dims.join('×')} voxels of ${g.spacing_mm.map((x) => +x.toFixed(4)).join('×')} mm at [${g.origin_mm.map((x) => +x.toFixed(3)).join(', ')}]`;
}

function gridMatrix(labels: LabelMap): number[] {
  const { direction: d, spacing_mm: s, origin_mm: o } = labels.grid;
  return [o[0], o[1], o[2], d[0] * s[0], d[1] * s[0], d[2] * s[0], d[3] * s[1], d[4] * s[1], d[5] * s[1], d[6] * s[2], d[7] * s[2], d[8] * s[2]];
}

/** Concatenates slab results: slab s's local vertex L is global offset_s + L (see extract-slab.ts). */
/**
 * The slabs' meshes as one. With `shared` (a pool ran the slabs) the arrays are allocated on
 * shared memory: the edge placement posts the positions to the pool and the convert the
 * triangles, and a copy of each there cost this thread ~0.1 s on a skull.
 */
function mergeSlabs(results: IsoSlabResult[], shared = false): Mesh {
  if (results.length === 1) {
    const r = results[0]!;
    const positions = r.ownVertices * 3 === r.positions.length ? r.positions : r.positions.slice(0, 3 * r.ownVertices);
    return { positions, indices: r.indices };
  }
  let nv = 0;
  let ni = 0;
  for (const r of results) {
    nv += r.ownVertices;
    ni += r.indices.length;
  }
  const positions = shared ? sharedFloat32(3 * nv) : new Float32Array(3 * nv);
  const indices = shared ? sharedUint32(ni) : new Uint32Array(ni);
  let vo = 0;
  let io = 0;
  for (const r of results) {
    positions.set(r.positions.subarray(0, 3 * r.ownVertices), 3 * vo);
    const src = r.indices;
    if (vo === 0) indices.set(src, io);
    else for (let i = 0; i < src.length; i++) indices[io + i] = src[i]! + vo;
    vo += r.ownVertices;
    io += src.length;
  }
  return { positions, indices };
}

/**
 * Iso level for a field given without one: scanning neighbours along x that straddle the
 * mask boundary, halfway between the highest outside and the lowest inside value when the
 * mask is a plain threshold of the field, else the midpoint of the inside and outside means.
 */
export function estimateIsoLevel(labels: LabelMap, label: number, field: Volume): number {
  const [nx] = labels.grid.dims;
  const lab = labels.data;
  const f = field.data;
  let minIn = Infinity;
  let maxOut = -Infinity;
  let sumIn = 0;
  let sumOut = 0;
  let count = 0;
  for (let v = 0; v + 1 < lab.length; v++) {
    if ((v + 1) % nx === 0) continue;
    const a = label === 0 ? lab[v] !== 0 : lab[v] === label;
    const b = label === 0 ? lab[v + 1] !== 0 : lab[v + 1] === label;
    if (a === b) continue;
    const fin = a ? f[v]! : f[v + 1]!;
    const fout = a ? f[v + 1]! : f[v]!;
    if (fin < minIn) minIn = fin;
    if (fout > maxOut) maxOut = fout;
    sumIn += fin;
    sumOut += fout;
    count++;
  }
  if (count === 0) return 0;
  return maxOut < minIn ? (minIn + maxOut) / 2 : (sumIn + sumOut) / (2 * count);
}
