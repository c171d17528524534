/**
 * The self-intersection repair on the series where it has most to do: ct/ge-head-tilt-variable-
 * spacing (slices 1.25-4 mm apart, gantry tilt). After edge placement and smoothing its skull
 * passes through itself at ~18 500 triangles (1.2 %: thin walls whose two faces moved past each
 * other, folds); the repair moves ~26 000 vertices back toward the marching-cubes surface over
 * ~25 rounds. The model as written must cross itself nowhere: a re-check that missed triangles
 * moved in earlier rounds once left 9 crossing triangles here, found only by a full check of
 * the written file (bench/surface/self-intersections.mjs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DECIMATE_CROSSING_RETRIES, findSelfIntersections, readStl, type Mesh, type Report } from '@scan2print/core';
import { DECIMATED_BONE, sharedStlConvert } from '../../../../test/convert-cache.js';

/** `convert SERIES -o m.stl --report r.json --quiet ...flags` (a shared run): its report and the STL read back. */
async function convertToStl(series: string, flags: readonly string[] = []): Promise<{ report: Report; mesh: Mesh }> {
  const r = await sharedStlConvert(series, flags);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return {
    report: JSON.parse(readFileSync(join(r.dir, 'r.json'), 'utf8')) as Report,
    mesh: readStl(new Uint8Array(readFileSync(join(r.dir, 'm.stl'))), 'm.stl'),
  };
}

let mesh: Mesh;
let report: Report;

beforeAll(async () => {
  ({ report, mesh } = await convertToStl('ct/ge-head-tilt-variable-spacing'));
}, 600_000);

describe('default convert of the GE head (4 mm slices, tilt): the self-intersection repair', () => {
  it('leaves no triangle passing through another in the model as written, after thousands found', () => {
    const repair = report.records.find((x) => x.method === 'self-intersection-repair')!;
    const f = repair.figures as Record<string, number>;
    expect(f.crossingTrianglesFound).toBeGreaterThan(5000);
    expect(f.remainingCrossingTriangles).toBe(0);
    expect(repair.findings ?? []).toEqual([]);
    // the STL read back (welded by position, as a slicer reads it), checked whole
    expect(findSelfIntersections(mesh.positions, mesh.indices).triangles).toBe(0);
  });

  it('moves a few percent of the vertices, most by under a millimetre, and keeps the surface on the placed one', () => {
    const f = report.records.find((x) => x.method === 'self-intersection-repair')!.figures as Record<string, number>;
    const vertices = mesh.positions.length / 3;
    // measured: 26278 of 785184 vertices, mean 0.77 mm, 7356 over 1 mm
    expect(f.verticesMoved).toBeLessThan(0.05 * vertices);
    expect(f.meanShift_mm).toBeLessThan(1);
    expect(f.verticesMovedOver1mm).toBeLessThan(f.verticesMoved! / 2);
    // the final model against the placed surface (before smoothing and repair): measured 0.1177 mm (0.1162 without the repair)
    const acc = report.records.find((x) => x.stage === 'accuracy')!.figures as Record<string, number>;
    expect(acc.mean_mm).toBeLessThan(0.13);
  });
});

/**
 * Decimated: the repair runs again on the decimated mesh, and where crossings are left (under
 * decimated triangles the safe positions can cross too), the decimation runs again with the
 * crossing sites locked and the target raised by what the locked triangles would have lost, so
 * that the rest is not decimated harder (a try at the plain target folded the surface elsewhere).
 * The TotalSegmentator bone at a tenth is the hardest case here: each try folds the unlocked
 * rest somewhere new (25, 47, 20, 10, 4 crossing triangles left), so it takes five retries, and
 * the locked regions then hold 96 % of the vertices at the input's resolution. With three
 * retries, as before, the model kept 10 crossing triangles. The locked region is then decimated
 * again on the crossing-free model, its error bounded (decimate-relax.ts): measured 77 498 →
 * 28 866 faces for the 16 474 asked for, nothing crossing.
 */
describe('decimated convert of the TotalSegmentator bone: crossings left after the repair are decimated again, locked', () => {
  let dmesh: Mesh;
  let drep: Report;
  beforeAll(async () => {
    ({ report: drep, mesh: dmesh } = await convertToStl(DECIMATED_BONE.series, DECIMATED_BONE.flags));
  }, 600_000);

  it('writes a model that crosses itself nowhere, and the records say how', () => {
    const repairs = drep.records.filter((x) => x.method === 'self-intersection-repair');
    expect(repairs.length).toBe(2);
    for (const r of repairs) {
      expect((r.figures as Record<string, number>).remainingCrossingTriangles).toBe(0);
      expect(r.findings ?? []).toEqual([]);
    }
    expect(findSelfIntersections(dmesh.positions, dmesh.indices).triangles).toBe(0);
    const dec = drep.records.find((x) => x.method === 'decimate-quadric')!;
    const retries = Number(dec.figures.retriesForCrossings);
    // more than the three retries that used to be the limit (measured: 5)
    expect(retries).toBeGreaterThan(3);
    expect(retries).toBeLessThanOrEqual(DECIMATE_CROSSING_RETRIES);
    const tries = (dec.notes ?? []).filter((n) => n.startsWith('try '));
    expect(tries.length).toBe(retries);
    expect(tries[0]).toMatch(/^try 1: \d+ triangles still crossed after the repair; decimated again from the same mesh with \d+ of its vertices \(\d+ triangles\) locked/);
    // the record keeps the target asked for, and says why the model is over it
    const asked = Number(dec.params.targetFaces);
    expect(asked / Number(dec.figures.facesBefore)).toBeCloseTo(0.1, 2); // of the raw count, a little above the clean one
    const faces = dmesh.indices.length / 3;
    expect(faces).toBeGreaterThan(1.05 * asked);
    expect(dec.notes!.some((n) => n.startsWith(`target ${asked} faces not reached`))).toBe(true);
    // and the user hears it (a finding, printed on the console), once, in the asked-for terms
    const missed = (dec.findings ?? []).filter((f) => f.code === 'DECIMATION_TARGET_NOT_REACHED');
    expect(missed.map((f) => f.severity)).toEqual(['info']);
    expect(missed[0]!.message).toMatch(new RegExp(`^decimated to ${Number(dec.figures.facesAfter)} faces, not the ${asked} asked for: .*\\(${retries} retries with them locked`));
    expect(drep.findings.filter((f) => f.code === 'DECIMATION_TARGET_NOT_REACHED').length).toBe(1);
  });

  it('decimates the locked region again on the crossing-free model, bounded: near the size asked for, not two thirds of the input', () => {
    const dec = drep.records.find((x) => x.method === 'decimate-quadric')!;
    const relaxed = Number(dec.figures.relaxedError_mm);
    // a bound no coarser than the first try's simplifier error (measured 0.577 mm, its half)
    expect(relaxed).toBeGreaterThan(0);
    expect(relaxed).toBeLessThan(1);
    expect(dec.notes!.filter((n) => /^the \d+ vertices locked round the crossing sites decimated again on the crossing-free model \(\d+ faces\), the rest locked, no coarser than [\d.]+ mm/.test(n)).length).toBe(1);
    const missed = (dec.findings ?? []).find((f) => f.code === 'DECIMATION_TARGET_NOT_REACHED')!;
    expect(missed.message).toContain(`decimated again only as far as an error of ${Math.round(relaxed * 1000) / 1000} mm`);
    // measured: 28 284 of 164 268 faces written (over 77 000 without this step)
    const faces = dmesh.indices.length / 3;
    expect(faces).toBeLessThan(0.25 * Number(dec.figures.facesBefore));
    expect(faces).toBe(Number(drep.models[0]!.checks.triangles));
  });
});
