/**
 * Dowels and hollowing on a real model: a 45 × 45 × 50 mm region of the phantom skull of
 * ct/philips-head-phantom-1mm (226 HU, the convert pipeline's surface and conditioning), which
 * holds a piece of skull and a separate 23 mm³ bone fragment 2 mm from it. Dowels: the fragment
 * is joined (2 shells → 1), the strut runs between the closest points, the volume grows by
 * about the strut's, the result is closed and manifold. Hollowing (1 mm wall): volume drops,
 * the cavity keeps 1 mm from the outer surface everywhere (measured point to triangle, and the
 * wall-thickness rays' median), closed and manifold, no closed void left (the cavity reaches the
 * outside through its drain holes); without drain holes the same cavity is a closed void.
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
import { addDowels, type DowelResult } from './dowels.js';
import { hollowSolid, type HollowResult } from './hollow.js';
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
