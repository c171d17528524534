/**
 * Print preparation on synthetic solids, whose right answers are known: a box longer than the
 * build volume (parts fit, are closed, manifold and oriented, pegs sit in holes axis on axis,
 * the parts re-assemble into the box within the connectors' volume, same input → same parts),
 * a box that fits (one part, no connectors), a thin fin (found, located, measured), a T shape
 * (the support criterion puts the flat top on the bed), a size implausible in mm, loose pieces,
 * plain cuts, and the catalogue.
 */
import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import { manifoldModule } from '../surface/gate.js';
import { box } from '../testing/meshes.js';
import { checkAssembly } from './assembly-check.js';
import { PRINT_CATALOGUE, resolveMaterial, resolvePrinter } from './catalogue.js';
import { connectorGap_mm, DEFAULT_CONNECTORS } from './connectors.js';
import { fromManifold, invert, toManifold, transformMesh } from './manifold-mesh.js';
import { bbox_mm, concatMeshes } from '../surface/mesh-utils.js';
import { findSelfIntersections } from '../surface/self-intersections.js';
import { preparePrint } from './prepare.js';
import { implausibleSize } from './prepare-record.js';
import { wallThickness } from './thickness.js';

async function unionOf(meshes: Mesh[]): Promise<Mesh> {
  const m = await manifoldModule();
  const ms = meshes.map((x, i) => toManifold(m, x, `solid ${i}`));
  const u = m.Manifold.union(ms);
  const out = fromManifold(u);
  for (const x of [...ms, u]) x.delete();
  return out;
}

const printer120 = resolvePrinter('120x120x120');

describe('catalogue', () => {
  it('every printer and material value names its source; lookups by id, name and WxDxH', () => {
    expect(PRINT_CATALOGUE.printers.length).toBeGreaterThanOrEqual(8);
    for (const p of PRINT_CATALOGUE.printers) {
      for (const v of [p.buildVolume_mm, p.layerHeight_mm, p.minFeature_mm]) expect(v.source.length, p.id).toBeGreaterThan(10);
      expect(p.buildVolume_mm.value.every((x) => x > 0)).toBe(true);
      for (const id of p.materials) expect(() => resolveMaterial(id), `${p.id} → ${id}`).not.toThrow();
    }
    for (const m of PRINT_CATALOGUE.materials) for (const v of [m.density_g_cm3, m.pricePerKg, m.biocompatible, m.sterilisable]) expect(v.source.length, m.id).toBeGreaterThan(10);
    expect(resolvePrinter('Original Prusa MK4').buildVolume_mm).toEqual([250, 210, 220]);
    expect(resolvePrinter('prusa-mk4').technology).toBe('FDM');
    expect(printer120).toMatchObject({ buildVolume_mm: [120, 120, 120], technology: 'unknown' });
    expect(() => resolvePrinter('my printer')).toThrow(/not a catalogue printer .*120x120x120/);
    expect(() => resolvePrinter('0x10x10')).toThrow(/> 0 mm/);
  });
});

describe('a 300 × 90 × 70 mm box for a 120 mm cube printer', async () => {
  // Off the origin, as patient coordinates are; 4×4 quads per face so the mesh is not trivial.
  const model = box([-150.5, -40.25, 12], [149.5, 49.75, 82], 4);
  const { output, record } = await preparePrint(model, { printer: printer120, name: 'box' });

  it('is split along its length into parts that fit, closed, manifold and oriented', () => {
    expect(output.fitsWhole).toBe(false);
    // 300 mm in pieces of at most 120 − 0.5 margin − 3.8 peg (all but the last): 3 parts.
    expect(output.parts).toHaveLength(3);
    expect(output.cuts).toHaveLength(2);
    for (const p of output.parts) {
      expect(p, p.name).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1, manifold3d: 'NoError', fits: true });
      for (const s of p.size_mm) expect(s).toBeLessThanOrEqual(120);
    }
    expect(record.findings?.some((f) => f.code === 'PART_NOT_PRINTABLE')).toBeFalsy();
  });

  it('each cut face carries connectors; pegs sit in the holes axis on axis, nowhere outside them', async () => {
    expect(output.connectors.length).toBeGreaterThanOrEqual(4);
    for (const c of output.connectors) expect(c.pegPart).not.toBe(c.holePart);
    const check = await checkAssembly(model, output, { ...DEFAULT_CONNECTORS, union: true });
    expect(check.connectors).toHaveLength(output.connectors.length);
    const pegArea = 24 / 2 * Math.sin((2 * Math.PI) / 24) * (DEFAULT_CONNECTORS.pegDiameter_mm / 2) ** 2;
    for (const c of check.connectors) {
      expect(c, `connector ${c.id}`).toMatchObject({ pegs: 1, voids: 1 });
      // The whole protruding peg (24-gon × peg length) is there, and all of it inside the hole.
      expect(c.pegVolume_mm3).toBeCloseTo(pegArea * (DEFAULT_CONNECTORS.pegLength_mm - 1e-3), 3); // the box starts 1 µm past the cut
      expect(c.pegOutsideVoid_mm3).toBeLessThan(1e-3);
      expect(c.axisOffset_mm).toBeLessThan(0.01);
    }
  });

  it('re-assembled, the parts equal the box within the connectors’ volume', async () => {
    const check = await checkAssembly(model, output, { ...DEFAULT_CONNECTORS, union: true });
    expect(check.modelVolume_mm3).toBeCloseTo(300 * 90 * 70, 0);
    // Missing: the clearance around pegs in holes; extra: nothing (pegs fill holes' own space).
    expect(check.missing_mm3! + check.extra_mm3!).toBeLessThanOrEqual(output.connectorVolume_mm3);
    expect(check.missing_mm3).toBeGreaterThan(0);
    expect(check.extra_mm3).toBeLessThan(1e-3);
    expect(Math.abs(check.partsVolume_mm3 - check.modelVolume_mm3)).toBeLessThanOrEqual(output.connectorVolume_mm3);
  });

  it('the same input gives the same parts', async () => {
    const again = await preparePrint(model, { printer: printer120, name: 'box' });
    expect(again.output.parts.map((p) => [Array.from(p.mesh.positions), Array.from(p.mesh.indices)])).toEqual(output.parts.map((p) => [Array.from(p.mesh.positions), Array.from(p.mesh.indices)]));
    expect(JSON.stringify(again.record)).toBe(JSON.stringify(record));
  });
});

describe('a 230 × 150 × 60 mm slab cut both ways for a 120 mm cube printer', () => {
  it('connectors near the line where the two cuts meet keep a wall between them; every peg sits in its own hole, axis on axis', async () => {
    // Each face kept its connectors 2.5 mm inside its own edges, but the other cut's holes reach
    // 4 mm into the same part: holes of the two cuts overlapped whole (gap −3 mm), a peg met the
    // other connector's hole (axis offset 0.5 mm), as on the phantom skull.
    const model = box([-114.7, -75.2, 10], [115.3, 74.8, 70], 4);
    const { output } = await preparePrint(model, { printer: printer120, name: 'slab' });
    expect(output.cuts.map((c) => c.axis).sort()).toEqual(['x', 'y']);
    expect(output.connectors.length).toBeGreaterThanOrEqual(8);
    const axis = { x: 0, y: 1, z: 2 } as const;
    const placed = output.connectors.map((c) => {
      const a = axis[c.axis as keyof typeof axis];
      return { a, c: c.at_mm[a]!, u: c.at_mm[(a + 1) % 3]!, v: c.at_mm[(a + 2) % 3]! };
    });
    let nearest = Infinity;
    for (let i = 0; i < placed.length; i++) for (let j = i + 1; j < placed.length; j++) if (placed[i]!.a !== placed[j]!.a) nearest = Math.min(nearest, connectorGap_mm(placed[i]!, placed[j]!, DEFAULT_CONNECTORS));
    expect(nearest).toBeGreaterThanOrEqual(DEFAULT_CONNECTORS.wall_mm - 1e-9);
    expect(nearest).toBeLessThan(5); // the connectors still sit near the corner where the cuts meet
    const check = await checkAssembly(model, output, { ...DEFAULT_CONNECTORS });
    for (const c of check.connectors) {
      expect(c, `connector ${c.id}`).toMatchObject({ pegs: 1, voids: 1 });
      expect(c.pegOutsideVoid_mm3).toBeLessThan(1e-3);
      expect(c.axisOffset_mm).toBeLessThan(0.01);
    }
  });

  it('the gap between two connectors: their cylinders from peg root to hole bottom', () => {
    const p = DEFAULT_CONNECTORS;
    // two parallel connectors on one cut 10 mm apart: 10 − 3 mm of material
    expect(connectorGap_mm({ a: 2, c: 0, u: 0, v: 0 }, { a: 2, c: 0, u: 10, v: 0 }, p)).toBeCloseTo(7, 12);
    // an x-connector (peg root from x = −1, hole to x = 4) and a y-connector crossing 2 mm past that
    // hole's bottom (x = 6): 2 mm between the axes, the cylinders overlap; at x = 8, z = 2: √20 − 3
    expect(connectorGap_mm({ a: 0, c: 0, u: 0, v: 0 }, { a: 1, c: -2, u: 0, v: 6 }, p)).toBeCloseTo(2 - 3, 12);
    expect(connectorGap_mm({ a: 0, c: 0, u: 0, v: 0 }, { a: 1, c: -2, u: 2, v: 8 }, p)).toBeCloseTo(Math.hypot(4, 2) - 3, 12);
  });
});

describe('fit and orientation', () => {
  it('a box that fits stays one part with no connectors, its long side flat for the height criterion', async () => {
    const model = box([0, 0, 0], [40, 100, 20]);
    const { output, record } = await preparePrint(model, { printer: resolvePrinter('prusa-mk4'), orientBy: 'height' });
    expect(output.fitsWhole).toBe(true);
    expect(output.parts).toHaveLength(1);
    expect(output.connectors).toHaveLength(0);
    expect(output.parts[0]!.size_mm[2]).toBeCloseTo(20, 3);
    expect(output.parts[0]!.volume_mm3).toBeCloseTo(40 * 100 * 20, 1);
    expect(record.params.orientBy).toBe('height');
  });

  it('two separate blocks: one part of two pieces, warned with --dowels suggested; joined by a dowel, no warning', async () => {
    const two = concatMeshes([box([0, 0, 0], [30, 30, 20]), box([40, 0, 0], [60, 30, 20])]);
    const loose = await preparePrint(two, { printer: printer120 });
    expect(loose.output.parts).toHaveLength(1);
    expect(loose.output.parts[0]!.shells).toBe(2);
    expect(loose.record.findings).toContainEqual({ code: 'LOOSE_SHELLS', severity: 'warn', message: expect.stringMatching(/^part-1 \(2 pieces\): shells not connected to each other, which print as separate pieces; --dowels joins/) });
    const joined = await preparePrint(two, { printer: printer120, dowels: {} });
    expect(joined.output.parts[0]!.shells).toBe(1);
    expect(joined.record.findings?.some((f) => f.code === 'LOOSE_SHELLS') ?? false).toBe(false);
  });

  it('a hollowed part is one piece: its cavity surface (an inward shell) is not counted as loose', async () => {
    // No drain holes: the cavity stays a closed shell inside the part.
    const { output, record } = await preparePrint(box([0, 0, 0], [30, 30, 30], 3), { printer: printer120, hollow: { wall_mm: 3, drainHoles: 0 } });
    expect(output.parts[0]!.shells).toBe(2);
    expect(record.findings?.some((f) => f.code === 'LOOSE_SHELLS') ?? false).toBe(false);
  });

  it('plain cuts (connectors off): no warning that a cut face lacks room for a connector', async () => {
    const { output, record } = await preparePrint(box([0, 0, 0], [200, 40, 30], 2), { printer: printer120, connectors: false });
    expect(output.parts).toHaveLength(2);
    expect(output.connectors).toHaveLength(0);
    expect(record.findings?.map((f) => f.code)).toEqual(['SPLIT']);
  });

  it('a T shape: the support criterion puts its flat top on the bed', async () => {
    const t = await unionOf([box([-5, -5, 0], [5, 5, 40]), box([-30, -30, 40], [30, 30, 45])]);
    const { output } = await preparePrint(t, { printer: resolvePrinter('prusa-mk4'), orientBy: 'support' });
    const chosen = output.orientation.chosen;
    const upright = output.orientation.table.find((c) => c.up === '+z')!;
    expect(chosen.up).toBe('-z');
    // Upright, the top's underside (60² − 10² mm²) overhangs.
    expect(upright.supportArea_mm2).toBeCloseTo(3500, 0);
    expect(chosen.supportArea_mm2).toBeLessThan(1);
  });
});

describe('wall thickness', () => {
  it('a 0.2 mm fin on a block is found, located and measured; the block alone has none', async () => {
    const block = box([0, 0, 0], [30, 30, 10], 6);
    // Dense triangles on the fin, so its samples lie closer than the clustering radius.
    const fin = box([10, 14.9, 10 - 0.01], [20, 15.1, 16], 8);
    const finned = await unionOf([block, fin]);
    const thin = (await preparePrint(finned, { printer: resolvePrinter('prusa-mk4') })).output.thickness;
    expect(thin.thinFeatures).toBe(1);
    expect(thin.min_mm).toBeCloseTo(0.2, 2);
    const at = thin.locations[0]!.at_mm;
    expect(at[0]).toBeGreaterThanOrEqual(10);
    expect(at[0]).toBeLessThanOrEqual(20);
    expect(Math.abs(at[1] - 15)).toBeLessThanOrEqual(0.11);
    expect(at[2]).toBeGreaterThanOrEqual(10);
    const solid = (await preparePrint(block, { printer: resolvePrinter('prusa-mk4') })).output.thickness;
    expect(solid.thinFeatures).toBe(0);
    expect(solid.min_mm).toBeCloseTo(10, 3);
  });

  it('a NaN or infinite corner does not hang the ray walk: its triangles are skipped, the rest measured', () => {
    // Readers refuse such files; this is the defence behind them (a NaN once looped forever here).
    const m = box([0, 0, 0], [30, 30, 10], 3);
    m.positions[0] = NaN;
    const r = wallThickness(m, 0.4);
    expect(r.samples).toBeLessThan(m.indices.length / 3);
    expect(r.measured).toBeGreaterThan(0);
    expect(r.min_mm).toBeCloseTo(10, 3);
    // An infinite corner makes the whole grid meaningless: nothing measured, but it returns.
    m.positions[0] = Infinity;
    expect(wallThickness(m, 0.4).samples).toBeLessThan(m.indices.length / 3);
  });
});

describe('a size implausible in millimetres', () => {
  it('warns under 10 mm (inches, metres) and over 25.4 × the largest build side; plausible sizes pass quietly', async () => {
    // A 5.5 × 5.3 × 7.4 mm "skull": one exported in inches.
    const { record } = await preparePrint(box([0, 0, 0], [5.5, 5.3, 7.4]), { printer: resolvePrinter('prusa-mk4') });
    expect(record.findings?.[0]).toEqual({ code: 'SIZE_IMPLAUSIBLE', severity: 'warn', message: expect.stringMatching(/^the model's largest side 7\.4 mm is under 10 mm: it may be in inches or metres/) });
    expect(implausibleSize([0.18, 0.15, 0.2], [250, 210, 220])?.message).toMatch(/0\.2 mm is under 10 mm/);
    expect(implausibleSize([4600, 3800, 6500], [250, 210, 220])).toMatchObject({ code: 'SIZE_IMPLAUSIBLE', severity: 'warn', message: expect.stringMatching(/largest side 6500 mm is over 25\.4 × the printer's largest side \(250 mm\)/) });
    for (const size of [[10, 4, 4], [180, 150, 200], [6350, 10, 10]]) expect(implausibleSize(size, [250, 210, 220]), size.join('×')).toBeUndefined();
  });
});

describe('self-intersections', () => {
  it('two blocks overlapping as two shells: the crossing triangles counted, located and warned; their union has none', async () => {
    const a = box([0, 0, 0], [20, 20, 10], 4);
    // Off the first box's grid, so edges pass through faces (not along them).
    const b = box([10.3, 5.2, 5.1], [30.3, 15.2, 15.1], 4);
    const both = concatMeshes([a, b]);
    const { output, record } = await preparePrint(both, { printer: resolvePrinter('prusa-mk4') });
    const want = findSelfIntersections(both.positions, both.indices);
    expect(want.triangles).toBeGreaterThan(0);
    expect(output.selfIntersections).toMatchObject({ triangles: want.triangles, pairs: want.pairs });
    // Every site near the two boxes' meeting lines: the overlap's box, widened by a triangle (5 mm).
    for (const s of output.selfIntersections.sites) {
      expect(s.at_mm[0]).toBeGreaterThanOrEqual(10.3 - 3);
      expect(s.at_mm[0]).toBeLessThanOrEqual(20 + 3);
      expect(s.at_mm[1]).toBeGreaterThanOrEqual(5.2 - 3);
      expect(s.at_mm[1]).toBeLessThanOrEqual(15.2 + 3);
      expect(s.at_mm[2]).toBeGreaterThanOrEqual(5.1 - 3);
      expect(s.at_mm[2]).toBeLessThanOrEqual(10 + 3);
    }
    expect(output.selfIntersections.sites.reduce((n, s) => n + s.triangles, 0)).toBe(want.triangles);
    const finding = record.findings?.find((f) => f.code === 'SELF_INTERSECTIONS');
    expect(finding?.message).toContain(`${want.triangles} triangles pass through other triangles`);
    const union = await preparePrint(await unionOf([a, b]), { printer: resolvePrinter('prusa-mk4') });
    expect(union.output.selfIntersections).toEqual({ triangles: 0, pairs: 0, sites: [] });
    expect(union.record.findings?.some((f) => f.code === 'SELF_INTERSECTIONS') ?? false).toBe(false);
  });
});

describe('plates', () => {
  it('packed: parts in their print orientation share a plate, inside the bed, the gap kept; each: one part per plate', async () => {
    // 200 × 40 × 30 mm for a 120 mm cube: two parts, each about 100 × 40 (or turned), which fit one plate together.
    const bar = box([10, -20, 5], [210, 20, 35], 2);
    const packed = (await preparePrint(bar, { printer: printer120, plates: 'packed', connectors: false })).output;
    expect(packed.parts).toHaveLength(2);
    expect(packed.plateMode).toBe('packed');
    expect(packed.plates).toHaveLength(1);
    expect(packed.plates[0]!.parts.map((p) => p.name)).toEqual(['part-1', 'part-2']);
    const boxes = packed.plates[0]!.parts.map((pp) => {
      const part = packed.parts.find((p) => p.name === pp.name)!;
      // The plate transform takes the LPS part onto the bed: bring the print-frame mesh back to LPS first.
      const onBed = transformMesh(transformMesh(part.mesh, invert(part.transform)), pp.transform);
      const b = bbox_mm(onBed);
      expect(b.max[2] - b.min[2]).toBeCloseTo(part.size_mm[2], 2);
      return b;
    });
    for (const b of boxes) {
      for (let k = 0; k < 3; k++) expect(b.min[k]).toBeGreaterThanOrEqual(-1e-3);
      expect(b.max[0]).toBeLessThanOrEqual(120 + 1e-3);
      expect(b.max[1]).toBeLessThanOrEqual(120 + 1e-3);
      expect(b.min[2]).toBeCloseTo(0, 3);
    }
    const [a, b] = boxes as [ReturnType<typeof bbox_mm>, ReturnType<typeof bbox_mm>];
    expect(Math.max(b.min[0] - a.max[0], a.min[0] - b.max[0], b.min[1] - a.max[1], a.min[1] - b.max[1])).toBeGreaterThanOrEqual(5 - 1e-3);
    const each = (await preparePrint(bar, { printer: printer120, connectors: false })).output;
    expect(each.plateMode).toBe('each');
    expect(each.plates.map((p) => p.parts.map((x) => x.name))).toEqual([['part-1'], ['part-2']]);
    expect(each.plates[0]!.parts[0]!.transform).toEqual(each.parts[0]!.transform);
  });
});

describe('hollowing and dowels through preparePrint', () => {
  it('a 30 mm cube hollowed with a 2 mm wall: a 26 mm cubic cavity, two drain holes at the bottom, an FDM printer warned', async () => {
    const cube = box([0, 0, 0], [30, 30, 30], 3);
    const { output, record } = await preparePrint(cube, { printer: resolvePrinter('prusa-mk4'), hollow: { wall_mm: 2 }, orientBy: 'height' });
    const h = output.hollow!;
    expect(h.cavities).toHaveLength(1);
    // The inner offset of a cube is a cube: 26³ mm³, less what marching cubes rounds off at its edges.
    expect(h.removed_mm3).toBeGreaterThan(0.95 * 26 ** 3);
    expect(h.removed_mm3).toBeLessThan(26 ** 3 + 2 * Math.PI * 1.5 ** 2 * 3);
    expect(h.minWall_mm).toBeGreaterThanOrEqual(1.95);
    expect(h.holes).toHaveLength(2);
    // Lowest in the print orientation: the up axis's lowest cavity face, 2 mm through the wall.
    const r = output.orientation.transform.rotation;
    const up = [r[6]!, r[7]!, r[8]!];
    const height = (p: number[]): number => p[0]! * up[0]! + p[1]! * up[1]! + p[2]! * up[2]!;
    const lowest = Math.min(height([2, 2, 2]), height([28, 28, 28]));
    for (const x of h.holes) {
      expect(height(x.at_mm)).toBeCloseTo(lowest, 0);
      expect(x.length_mm).toBeCloseTo(2, 1);
    }
    expect(h).toMatchObject({ closedVoids: 0, shells: 1 });
    expect(output.parts[0]).toMatchObject({ closed: true, manifold: true, oriented: true, manifold3d: 'NoError' });
    expect(record.findings?.map((f) => f.code)).toContain('HOLLOW_FDM');
    expect(record.params.hollow).toMatchObject({ wall_mm: 2, drainHoles: 2, drainDiameter_mm: 3 });
  });
});
