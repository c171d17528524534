/**
 * The rims edge placement reports (PlaceResult.rims): the vertices it placed at a thin wall's end
 * (RIM_END, the record's vertices_edge_at_rims) and on its faces beside that end (RIM_BESIDE,
 * vertices_slab_beside_rims). A plate thinner than the blur: they lie at its rim, none on its
 * faces away from it; a sphere has none.
 */
import { describe, expect, it } from 'vitest';
import { placeVertices, RIM_BESIDE, RIM_END, RULE_EDGE, RULE_SLAB } from './place.js';
import { extractSurfaceMesh } from '../isosurface/extract.js';
import { makePhantom, phantomLabels } from '../../testing/phantoms.js';

const T = 40;
const B = 1200;
const WIDTH = 16;

describe('edge placement: the rims of thin walls', () => {
  it('flags the vertices at a thin plate’s rim and on its faces beside it, and none farther in', () => {
    const centre: [number, number, number] = [0.31, -0.17, 0.23];
    const plate = { kind: 'plate' as const, thickness_mm: 1.2, width_mm: WIDTH };
    const ph = makePhantom(plate, { spacing_mm: [0.5, 0.5, 0.5], centre_mm: centre, background_hu: T, object_hu: B, blurSigma_mm: 0.5, noiseSigma_hu: 5, seed: 3 });
    const raw = extractSurfaceMesh(phantomLabels(ph, 226), { field: ph.volume, level: 226 });
    // the density and blur given: a plate alone has no thick bone to read them from
    const r = placeVertices(raw, ph.volume, { bone_HU: B, blur_mm: 0.5 });
    const f = r.record.figures as Record<string, number>;
    const P = r.output.positions;
    const count = [0, 0, 0];
    const nearestToCentre = [Infinity, Infinity, Infinity];
    for (let v = 0; v < r.rims.length; v++) {
      const k = r.rims[v]!;
      if (!k) continue;
      count[k]!++;
      expect(r.rules[v]).toBe(k === RIM_END ? RULE_EDGE : RULE_SLAB);
      // in-plane distance from the plate's centre (its thickness runs along z): at the rim, half the width
      nearestToCentre[k] = Math.min(nearestToCentre[k]!, Math.max(Math.abs(P[3 * v]! - centre[0]), Math.abs(P[3 * v + 1]! - centre[1])));
    }
    expect(count[RIM_END]).toBe(f.vertices_edge_at_rims);
    expect(count[RIM_BESIDE]).toBe(f.vertices_slab_beside_rims);
    expect(count[RIM_END]).toBeGreaterThan(20);
    expect(count[RIM_BESIDE]).toBeGreaterThan(20);
    expect(count[RIM_END]).toBeLessThan(0.2 * f.vertices!);
    expect(nearestToCentre[RIM_END]).toBeGreaterThan(WIDTH / 2 - 1);
    // the faces beside the end: within ~2σ of it (σ 0.5 mm)
    expect(nearestToCentre[RIM_BESIDE]).toBeGreaterThan(WIDTH / 2 - 1.5);
  });

  it('flags none on a sphere (no thin wall)', () => {
    const ph = makePhantom({ kind: 'sphere', radius_mm: 8 }, { spacing_mm: [0.8, 0.8, 0.8], background_hu: T, object_hu: B, blurSigma_mm: 0.5, noiseSigma_hu: 10, seed: 5 });
    const raw = extractSurfaceMesh(phantomLabels(ph, 226), { field: ph.volume, level: 226 });
    const r = placeVertices(raw, ph.volume);
    expect(r.record.figures.vertices_edge_at_rims).toBe(0);
    expect(r.record.figures.vertices_slab_beside_rims).toBe(0);
    expect(r.rims.every((x) => x === 0)).toBe(true);
  });
});
