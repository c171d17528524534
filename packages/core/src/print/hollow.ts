/**
 * Hollowing for resin printers: the solid keeps a wall of `wall_mm` and its inside is removed,
 * with drain holes through the wall at the lowest points of each cavity in the print
 * orientation, so uncured resin runs out and no closed void is left.
 *
 * manifold-3d has no offset, and a mesh offset (moving vertices along normals) self-intersects
 * wherever the wall is thinner than twice the offset, i.e. everywhere in a skull. So the inner
 * surface comes from a distance field instead: the solid is voxelised by ray parity
 * (hollow-voxelize.ts) at `voxel_mm`, an exact Euclidean distance transform gives every inside
 * voxel's distance to the nearest outside voxel (hollow-edt.ts; the surface lies half a voxel
 * closer, so that is subtracted), and in a band of two voxels around the wall the estimate is
 * replaced by the exact distance to the mesh's triangles, so the iso-surface `distance = wall`
 * sits where it should, not a voxel off. That iso-surface, extracted by the same consistent
 * marching cubes as the convert pipeline's (closed, manifold for any mask), is the cavity;
 * manifold-3d subtracts it and the drain cylinders. Cavities smaller than `minCavity_mm3` are
 * left solid (too small to drain or to matter). The largest cavity gets `drainHoles` holes
 * (on its floor, the lowest part in print orientation, clear of its side walls and nearest its
 * centre first, each at least `holeSpacing_mm` from the others: hollow-drain.ts), every other
 * cavity one, each along the shortest way from there to the outside (down through the floor).
 */
import type { Mesh } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { bbox_mm, labelShells, shellVolumes_mm3 } from '../surface/mesh-utils.js';
import { manifoldModule } from '../surface/gate.js';
import { buildTriangleGrid, NearestTriangle } from '../surface/distance.js';
import { extractSurface } from '../surface/isosurface/index.js';
import { usageError } from '../errors.js';
import { closestAroundVertex, dist2, VertexGrid, vertexTriangles, type Vec3 } from './dowel-nearest.js';
import { cylinderAlong } from './dowels.js';
import { drainSpots } from './hollow-drain.js';
import { squaredDistanceInside } from './hollow-edt.js';
import { voxelizeSolid, type VoxelGrid } from './hollow-voxelize.js';
import { free, fromManifold, toManifold } from './manifold-mesh.js';

export interface HollowParams {
  wall_mm: number;
  drainHoles: number;
  drainDiameter_mm: number;
  /** Voxel size of the distance field; default wall/3 within [0.2, 1] mm, coarser if over maxVoxels. */
  voxel_mm?: number;
  maxVoxels: number;
  minCavity_mm3: number;
  holeSpacing_mm: number;
  segments: number;
}

export const DEFAULT_HOLLOW: Omit<HollowParams, 'wall_mm'> = { drainHoles: 2, drainDiameter_mm: 3, maxVoxels: 16_000_000, minCavity_mm3: 10, holeSpacing_mm: 10, segments: 24 };

export interface DrainHole {
  cavity: number;
  /** On the cavity surface and where the hole leaves the outer surface, LPS mm. */
  at_mm: Vec3;
  exit_mm: Vec3;
  direction: Vec3;
  diameter_mm: number;
  /** Through the wall, cavity to outside. */
  length_mm: number;
}

export interface HollowResult {
  mesh: Mesh;
  wall_mm: number;
  voxel_mm: number;
  grid: [number, number, number];
  cavities: { volume_mm3: number; holes: number }[];
  /** Cavities below minCavity_mm3, left solid. */
  smallCavitiesLeft: number;
  holes: DrainHole[];
  volumeBefore_mm3: number;
  volumeAfter_mm3: number;
  removed_mm3: number;
  /** Measured: smallest distance from the cavity's vertices to the outer surface. */
  minWall_mm: number | null;
  /** Shells of the result with negative volume (closed voids: resin trapped). */
  closedVoids: number;
  shells: number;
  method: string;
}

export const HOLLOW_METHOD = 'ray-parity voxelisation, exact Euclidean distance transform (Felzenszwalb–Huttenlocher) − half a voxel, exact point–triangle distance in a 2-voxel band around the wall, marching-cubes iso-surface at the wall thickness = cavity; manifold-3d difference with the cavity and the drain cylinders';

export function hollowParams(p: Partial<HollowParams> & { wall_mm: number }): HollowParams {
  const h = { ...DEFAULT_HOLLOW, ...p };
  if (!(h.wall_mm > 0 && h.wall_mm < 50)) throw usageError('BAD_HOLLOW', `hollow wall ${h.wall_mm} mm: expected 0 < wall < 50`);
  if (!(Number.isInteger(h.drainHoles) && h.drainHoles >= 0 && h.drainHoles <= 20)) throw usageError('BAD_HOLLOW', `drain holes ${h.drainHoles}: expected an integer 0–20`);
  if (!(h.drainDiameter_mm > 0 && h.drainDiameter_mm < 30)) throw usageError('BAD_HOLLOW', `drain diameter ${h.drainDiameter_mm} mm: expected 0 < d < 30`);
  if (h.voxel_mm !== undefined && !(h.voxel_mm >= 0.05 && h.voxel_mm <= 5)) throw usageError('BAD_HOLLOW', `hollow voxel ${h.voxel_mm} mm: expected 0.05–5`);
  return h;
}

/** `up`: the print's up direction in the mesh's frame (unit vector), for "lowest". */
export async function hollowSolid(mesh: Mesh, params: Partial<HollowParams> & { wall_mm: number }, up: Vec3, name = 'model'): Promise<HollowResult> {
  const P = hollowParams(params);
  const m = await manifoldModule();
  const wall = P.wall_mm;
  const bb = bbox_mm(mesh);
  const size = [0, 1, 2].map((k) => bb.max[k]! - bb.min[k]!);
  let h = P.voxel_mm ?? Math.min(1, Math.max(0.2, wall / 3));
  const nVox = (hh: number): number => size.reduce((a, s) => a * (Math.ceil(s / hh) + 5), 1);
  while (nVox(h) > P.maxVoxels) h *= 1.05;
  h = round(h, 4);
  // Two voxels of outside around the bounding box, so every boundary voxel has an outside neighbour.
  const g: VoxelGrid = { origin: [bb.min[0]! - 2 * h, bb.min[1]! - 2 * h, bb.min[2]! - 2 * h], h, dims: size.map((s) => Math.ceil(s / h) + 5) as Vec3 };
  const mask = voxelizeSolid(mesh, g);
  const d2 = squaredDistanceInside(mask, g.dims);
  const field = new Float32Array(mask.length);
  const tri = buildTriangleGrid(mesh);
  const near = new NearestTriangle(tri);
  const [nx, ny] = g.dims;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const est = Math.sqrt(d2[i]!) * h - h / 2;
    if (Math.abs(est - wall) > 2 * h) { field[i] = est; continue; }
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    field[i] = near.distance(g.origin[0] + x * h, g.origin[1] + y * h, g.origin[2] + z * h);
  }
  const labels = new Uint8Array(mask.length);
  let any = false;
  for (let i = 0; i < mask.length; i++) if (field[i]! >= wall && mask[i]) { labels[i] = 1; any = true; }
  const volumeBefore = shellVolumes_mm3(mesh, new Uint32Array(mesh.indices.length / 3), 1)[0]!;
  const base = { wall_mm: wall, voxel_mm: h, grid: g.dims, method: HOLLOW_METHOD, volumeBefore_mm3: round(volumeBefore, 3) };
  if (!any) {
    return { ...base, mesh, cavities: [], smallCavitiesLeft: 0, holes: [], volumeAfter_mm3: round(volumeBefore, 3), removed_mm3: 0, minWall_mm: null, closedVoids: 0, shells: labelShells(mesh).shellCount };
  }
  const grid = { dims: g.dims, spacing_mm: [h, h, h] as Vec3, origin_mm: g.origin, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  const iso = await extractSurface({ grid, data: labels }, { field: { grid, data: field }, level: wall });
  const cav = iso.output;
  const sh = labelShells(cav);
  const vols = shellVolumes_mm3(cav, sh.shellOf, sh.shellCount);
  const keepShell = Array.from(vols, (v) => Math.abs(v) >= P.minCavity_mm3);
  let small = 0;
  for (let s = 0; s < sh.shellCount; s++) if (!keepShell[s] && vols[s]! > 0) small++;
  const keptTris: number[] = [];
  for (let t = 0; t < sh.shellOf.length; t++) if (keepShell[sh.shellOf[t]!]) keptTris.push(3 * t, 3 * t + 1, 3 * t + 2);
  const cavity: Mesh = { positions: cav.positions, indices: Uint32Array.from(keptTris, (k) => cav.indices[k]!) };

  // Drain holes: per kept positive cavity, its lowest vertices along `up`.
  const order = Array.from({ length: sh.shellCount }, (_, s) => s).filter((s) => keepShell[s] && vols[s]! > 0).sort((a, b) => vols[b]! - vols[a]! || a - b);
  const cavVerts: number[][] = order.map(() => []);
  const rank = new Map(order.map((s, k) => [s, k]));
  const seen = new Uint8Array(cav.positions.length / 3);
  for (let t = 0; t < sh.shellOf.length; t++) {
    const k = rank.get(sh.shellOf[t]!);
    if (k === undefined) continue;
    for (let c = 0; c < 3; c++) {
      const v = cav.indices[3 * t + c]!;
      if (!seen[v]) { seen[v] = 1; cavVerts[k]!.push(v); }
    }
  }
  const cp = cav.positions;
  const outer = new VertexGrid(mesh, Uint32Array.from({ length: mesh.positions.length / 3 }, (_, v) => v));
  const vt = vertexTriangles(mesh);
  const holes: DrainHole[] = [];
  const cavities: HollowResult['cavities'] = [];
  const nd = new Float64Array(1);
  order.forEach((s, k) => {
    const want = k === 0 ? P.drainHoles : Math.min(1, P.drainHoles);
    // On the cavity's floor, clear of its side walls (hollow-drain.ts), not at a corner of it.
    const chosen = drainSpots(cp, cavVerts[k]!, want, up, { spacing: P.holeSpacing_mm, radius: P.drainDiameter_mm / 2, band: h }).map((x) => x.at);
    for (const c of chosen) {
      const w = outer.nearest(c[0], c[1], c[2], Infinity, nd);
      const o = closestAroundVertex(mesh, vt, w, c);
      const len = Math.sqrt(dist2(o, c));
      const dir = [(o[0] - c[0]) / len, (o[1] - c[1]) / len, (o[2] - c[2]) / len] as Vec3;
      holes.push({ cavity: k, at_mm: c.map((x) => round(x, 3)) as Vec3, exit_mm: o.map((x) => round(x, 3)) as Vec3, direction: dir.map((x) => round(x, 6)) as Vec3, diameter_mm: P.drainDiameter_mm, length_mm: round(len, 3) });
    }
    cavities.push({ volume_mm3: round(vols[s]!, 3), holes: chosen.length });
  });

  // Measured wall: cavity vertices' distance to the outer surface (up to 50 000 samples).
  let minWall = Infinity;
  const kept = new Uint8Array(cp.length / 3);
  for (const v of cavity.indices) kept[v] = 1;
  const keptVerts: number[] = [];
  for (let v = 0; v < kept.length; v++) if (kept[v]) keptVerts.push(v);
  const stride = Math.max(1, Math.ceil(keptVerts.length / 50_000));
  for (let q = 0; q < keptVerts.length; q += stride) {
    const v = keptVerts[q]!;
    minWall = Math.min(minWall, near.distance(cp[3 * v]!, cp[3 * v + 1]!, cp[3 * v + 2]!));
  }

  const solid = toManifold(m, mesh, name);
  const cavSolid = toManifold(m, cavity, `${name} (cavity)`);
  // Each hole starts half a millimetre inside the cavity and ends 1 mm outside the model.
  const cyl = holes.map((x) => cylinderAlong(m, x.at_mm.map((c, i) => c - x.direction[i]! * 0.5) as Vec3, x.direction, x.length_mm + 1.5, x.diameter_mm / 2, P.segments));
  const cut = m.Manifold.union([cavSolid, ...cyl]);
  const res = solid.subtract(cut);
  const out = fromManifold(res);
  const volumeAfter = res.volume();
  free(solid, cavSolid, cut, res, ...cyl);
  const osh = labelShells(out);
  const ovol = shellVolumes_mm3(out, osh.shellOf, osh.shellCount);
  return {
    ...base,
    mesh: out,
    cavities,
    smallCavitiesLeft: small,
    holes,
    volumeAfter_mm3: round(volumeAfter, 3),
    removed_mm3: round(volumeBefore - volumeAfter, 3),
    minWall_mm: Number.isFinite(minWall) ? round(minWall, 3) : null,
    closedVoids: Array.from(ovol).filter((v) => v < 0).length,
    shells: osh.shellCount,
  };
}
