/**
 * Dowels and hollowing on a real model: a 45 × 45 × 50 mm region of the phantom skull of
 * ct/philips-head-phantom-1mm (226 HU, the convert pipeline's surface and conditioning), which
 * holds a piece of skull and a separate 23 mm³ bone fragment 2 mm from it. Dowels: the fragment
 * is joined (2 shells → 1), the strut runs between the closest points, the volume grows by
 * about the strut's, the result is closed and manifold. Hollowing (1 mm wall): volume drops,
 * the cavity keeps 1 mm from the outer surface everywhere (measured point to triangle, and the
 * wall-thickness rays' median), closed and manifold, no closed void left (the cavity reaches the
 * outside through its drain holes); without drain holes the same cavity is a closed void.
 * Drain holes start on the cavity's floor, clear of its side walls, and run out through the
 * wall under it: on a box (centred in the floor, straight down) and on the skull region, the
 * hole's cylinder meets no material but the wall it drains through.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { importSeries } from '../dicom/import.js';
import type { Mesh } from '../geometry/types.js';
import { cropVolume } from '../segment/filters/crop.js';
import { thresholdVolume } from '../segment/threshold.js';
import { conditionMesh } from '../surface/condition.js';
import { buildTriangleGrid, NearestTriangle } from '../surface/distance.js';
import { manifold3dCheck } from '../surface/gate.js';
import { extractSurface } from '../surface/isosurface/index.js';
import { labelShells, shellVolumes_mm3 } from '../surface/mesh-utils.js';
import { checkMesh } from '../surface/topology.js';
import { box } from '../testing/meshes.js';
import { readNiftiLabels } from '../formats/nifti.js';
import { extractSurfaceMesh } from '../surface/isosurface/extract.js';
import { preparePrint } from './prepare.js';
import { resolvePrinter } from './catalogue.js';
import { closestAroundVertex, VertexGrid, vertexTriangles, type Vec3 } from './dowel-nearest.js';
import { addDowels, type DowelResult } from './dowels.js';
import { hollowSolid, type DrainHole, type HollowResult } from './hollow.js';
import { wallThickness } from './thickness.js';

let region: Mesh;
let dowelled: DowelResult;
let hollow: HollowResult;

beforeAll(async () => {
  const dir = dataPath('ct/philips-head-phantom-1mm');
  const sources = readdirSync(dir).sort().filter((n) => statSync(join(dir, n)).isFile()).map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
  const ct = (await importSeries(sources, {}, {})).output.volume;
  const v = cropVolume(ct, { min_ijk: [380, 370, 10], max_ijk: [480, 470, 60] }).output;
  const labels = thresholdVolume(v, 226, 3071);
  const iso = await extractSurface(labels, { field: v, level: 226 });
  region = (await conditionMesh(iso.output, { grid: labels.grid, minShell_mm3: 1 })).output;
  dowelled = await addDowels(region, {}, 'skull region');
  hollow = await hollowSolid(dowelled.mesh, { wall_mm: 1 }, [0, 0, 1], 'skull region');
}, 300_000);

describe('dowels on a real skull region with a separate fragment', () => {
  it('joins the fragment to the skull along the shortest segment; closed, manifold, one shell', async () => {
    const s = labelShells(region);
    const vols = Array.from(shellVolumes_mm3(region, s.shellOf, s.shellCount)).sort((a, b) => b - a);
    expect(vols).toHaveLength(2);
    expect(vols[1]).toBeGreaterThan(10);
    expect(dowelled).toMatchObject({ shellsBefore: 2, shellsAfter: 1, skippedShells: 0 });
    expect(dowelled.dowels).toHaveLength(1);
    const d = dowelled.dowels[0]!;
    expect(d.joined).toBe(true);
    expect(d.diameter_mm).toBe(3);
    // The recorded length is the distance between the recorded points, and no vertex pair of the
    // two shells is closer (the refinement onto triangles can only shorten it).
    expect(Math.hypot(d.to_mm[0] - d.from_mm[0], d.to_mm[1] - d.from_mm[1], d.to_mm[2] - d.from_mm[2])).toBeCloseTo(d.length_mm, 2);
    const fragTris = Array.from(s.shellOf).map((x, t) => (x === d.shell ? t : -1)).filter((t) => t >= 0);
    const frag: Mesh = { positions: region.positions, indices: Uint32Array.from(fragTris.flatMap((t) => [region.indices[3 * t]!, region.indices[3 * t + 1]!, region.indices[3 * t + 2]!])) };
    const mainTris = Array.from(s.shellOf).map((x, t) => (x !== d.shell ? t : -1)).filter((t) => t >= 0);
    const main: Mesh = { positions: region.positions, indices: Uint32Array.from(mainTris.flatMap((t) => [region.indices[3 * t]!, region.indices[3 * t + 1]!, region.indices[3 * t + 2]!])) };
    const near = new NearestTriangle(buildTriangleGrid(main));
    let brute = Infinity;
    for (const v of new Set(frag.indices)) brute = Math.min(brute, near.distance(region.positions[3 * v]!, region.positions[3 * v + 1]!, region.positions[3 * v + 2]!));
    expect(d.length_mm).toBeLessThanOrEqual(brute + 1e-3);
    expect(d.length_mm).toBeGreaterThan(brute - 0.5);
    // Volume grows by about the strut between the surfaces (π r² L), plus what of its 1 mm ends sticks out of the thin fragment.
    const grow = dowelled.volumeAfter_mm3 - dowelled.volumeBefore_mm3;
    const between = Math.PI * 1.5 ** 2 * d.length_mm;
    expect(grow).toBeGreaterThan(0.7 * between);
    expect(grow).toBeLessThan(Math.PI * 1.5 ** 2 * (d.length_mm + 2));
    expect(checkMesh(dowelled.mesh)).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1 });
    expect((await manifold3dCheck(dowelled.mesh)).status).toBe('NoError');
  });

  it('reports a shell farther than the longest strut instead of joining it', async () => {
    const far = await addDowels(region, { maxLength_mm: 1 }, 'skull region');
    expect(far.shellsAfter).toBe(2);
    expect(far.dowels[0]).toMatchObject({ joined: false });
    expect(far.dowels[0]!.reason).toMatch(/more than 1 mm|farther than 1 mm/);
    expect(far.mesh).toBe(region);
  });
});

describe('hollowing the same region with a 1 mm wall', () => {
  it('removes the inside, keeps the wall, stays closed and manifold', async () => {
    expect(hollow.removed_mm3).toBeGreaterThan(500);
    expect(hollow.volumeAfter_mm3).toBeLessThan(hollow.volumeBefore_mm3 - 500);
    expect(checkMesh(hollow.mesh)).toMatchObject({ closed: true, manifold: true, oriented: true });
    expect((await manifold3dCheck(hollow.mesh)).status).toBe('NoError');
    // Exact: every cavity vertex ≥ wall − 5 % from the outer surface (drain holes excepted: they are cut later).
    expect(hollow.minWall_mm).toBeGreaterThanOrEqual(0.95);
    // Independent: wall-thickness rays on the result. Half the surface is now the 1 mm wall.
    const t = wallThickness(hollow.mesh, 1);
    expect(t.median_mm).toBeGreaterThanOrEqual(0.95);
    expect(t.median_mm).toBeLessThan(1.5);
  });

  it('drains: every cavity reaches the outside through its holes, at its lowest points', () => {
    expect(hollow.cavities.length).toBeGreaterThanOrEqual(1);
    expect(hollow.holes.length).toBe(hollow.cavities.reduce((a, c) => a + c.holes, 0));
    expect(hollow.cavities[0]!.holes).toBe(2);
    for (const h of hollow.holes) {
      expect(h.diameter_mm).toBe(3);
      expect(h.length_mm).toBeLessThan(1.5); // through the 1 mm wall
    }
    // Lowest first (up = +z here): the first hole is at the cavity's lowest z.
    expect(hollow.holes[0]!.at_mm[2]).toBeLessThanOrEqual(hollow.holes[1]!.at_mm[2]);
    expect(hollow).toMatchObject({ closedVoids: 0, shells: 1 });
    const s = labelShells(hollow.mesh);
    expect(Array.from(shellVolumes_mm3(hollow.mesh, s.shellOf, s.shellCount)).every((v) => v > 0)).toBe(true);
  });

  it('without drain holes the cavity is a closed void (the check above can fail)', async () => {
    const sealed = await hollowSolid(dowelled.mesh, { wall_mm: 1, drainHoles: 0, voxel_mm: 0.5 }, [0, 0, 1], 'skull region');
    expect(sealed.holes).toHaveLength(0);
    expect(sealed.closedVoids).toBeGreaterThanOrEqual(1);
    expect(sealed.shells).toBeGreaterThanOrEqual(2);
  });
});

/**
 * Where a drain's cylinder (radius r, from the cavity to the outside) passes through material
 * of the solid `mesh` (closer than `wall` to its outer surface, and inside it), that material
 * must be the wall it drains through: the outer surface nearest each such point lies ahead
 * along the hole's direction, not beside it. A hole at a cavity's corner, running out through
 * a side wall, has floor material beside it: the surface nearest that lies below, across the
 * hole. Returns the points that break this (empty when the hole is clean).
 */
function drainCutsBeside(mesh: Mesh, hole: DrainHole, wall: number): string[] {
  const near = new NearestTriangle(buildTriangleGrid(mesh));
  const outer = new VertexGrid(mesh, Uint32Array.from({ length: mesh.positions.length / 3 }, (_, v) => v));
  const vt = vertexTriangles(mesh);
  const d = hole.direction;
  const a: Vec3 = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const u: Vec3 = [d[1] * a[2] - d[2] * a[1], d[2] * a[0] - d[0] * a[2], d[0] * a[1] - d[1] * a[0]];
  const un = Math.hypot(...u);
  const e1: Vec3 = [u[0] / un, u[1] / un, u[2] / un];
  const e2: Vec3 = [d[1] * e1[2] - d[2] * e1[1], d[2] * e1[0] - d[0] * e1[2], d[0] * e1[1] - d[1] * e1[0]];
  const r = (hole.diameter_mm / 2) * 0.9;
  const bad: string[] = [];
  const nd = new Float64Array(1);
  // Ahead of the exit the points are outside the solid; the wall's first 60 % is what is asked.
  for (let t = 0; t <= 0.6 * hole.length_mm; t += hole.length_mm / 10) {
    for (let k = 0; k < 12; k++) {
      const [c, s] = [Math.cos((k * Math.PI) / 6), Math.sin((k * Math.PI) / 6)];
      const p = [0, 1, 2].map((i) => hole.at_mm[i]! + d[i]! * t + r * (c * e1[i]! + s * e2[i]!)) as Vec3;
      const dist = near.distance(p[0], p[1], p[2]);
      if (dist >= 0.75 * wall) continue; // in the cavity, or deep enough to be the cavity's edge
      const q = closestAroundVertex(mesh, vt, outer.nearest(p[0], p[1], p[2], Infinity, nd), p);
      const to = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
      const len = Math.hypot(to[0]!, to[1]!, to[2]!) || 1;
      const ahead = (to[0]! * d[0] + to[1]! * d[1] + to[2]! * d[2]) / len;
      if (ahead < 0.5) bad.push(`t ${t.toFixed(2)} mm, ${k * 30}°: ${p.map((x) => x.toFixed(2)).join(', ')} is ${dist.toFixed(2)} mm from the surface beside the hole`);
    }
  }
  return bad;
}

describe('drain holes: on the cavity floor, through the wall under it', () => {
  it('a 40 × 30 × 20 mm box with a 2 mm wall: both holes on the floor, clear of the side walls, straight down', async () => {
    const solid = box([0, 0, 0], [40, 30, 20]);
    const h = await hollowSolid(solid, { wall_mm: 2 }, [0, 0, 1], 'box');
    expect(h.holes).toHaveLength(2);
    const r = h.holes[0]!.diameter_mm / 2;
    for (const x of h.holes) {
      expect(x.at_mm[2]).toBeCloseTo(2, 0);
      // The hole's rim stays on the floor (the cavity is 2..38 × 2..28 mm).
      expect(x.at_mm[0]).toBeGreaterThanOrEqual(2 + r);
      expect(x.at_mm[0]).toBeLessThanOrEqual(38 - r);
      expect(x.at_mm[1]).toBeGreaterThanOrEqual(2 + r);
      expect(x.at_mm[1]).toBeLessThanOrEqual(28 - r);
      expect(x.direction[2]).toBeLessThan(-0.99);
      expect(x.length_mm).toBeCloseTo(2, 0);
      expect(drainCutsBeside(solid, x, 2)).toEqual([]);
    }
    // The first at the floor's centre.
    expect(Math.hypot(h.holes[0]!.at_mm[0] - 20, h.holes[0]!.at_mm[1] - 15)).toBeLessThan(1.5);
    expect(h).toMatchObject({ closedVoids: 0, shells: 1 });
  });

  it('a real vertebra prepared for an SLA printer (L4 of TotalSegmentator\'s reference labels, 2 mm wall): every hole\'s cylinder meets no material but the wall it drains through', async () => {
    const labels = readNiftiLabels(readFileSync(dataPath('labelled', 'totalsegmentator', 'example_seg_fast_force_split.nii.gz')), 'example_seg_fast_force_split.nii.gz');
    const l4 = extractSurfaceMesh(labels, { label: 28 });
    const { output } = await preparePrint(l4, { printer: resolvePrinter('formlabs-form3plus'), hollow: { wall_mm: 2 } });
    const h = output.hollow!;
    expect(h.holes.length).toBeGreaterThanOrEqual(1);
    // hollowSolid works in the model's own frame (prepare gives it the print's up there).
    for (const x of h.holes) expect(drainCutsBeside(l4, x, 2), `hole at ${x.at_mm.join(', ')}`).toEqual([]);
    expect(h.closedVoids).toBe(0);
  });
});
