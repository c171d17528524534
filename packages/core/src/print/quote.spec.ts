/**
 * The quote's pure parts: price arithmetic with a catalogue that has prices, what a missing
 * price does, the volume/height model of an SLA printer, catalogue validation. PrusaSlicer's
 * real G-code is parsed in packages/server/src/print/prusa-quote.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { CatalogueError, findPrinter, materialFor, PRINT_CATALOGUE, validateCatalogue, type PrintCatalogue } from './catalogue.js';
import { estimateByVolume, parsePrusaGcode, priceQuote, VOLUME_MODEL } from './quote.js';

/** The shipped catalogue with an organisation's prices filled in. */
function priced(): PrintCatalogue {
  const c = structuredClone(PRINT_CATALOGUE);
  for (const p of c.printers) {
    p.machineRate_per_h = { value: p.technology === 'FDM' ? 3 : 12, currency: 'EUR', source: 'our costing 2026' };
    p.setup = { value: 8, currency: 'EUR', source: 'our costing 2026' };
  }
  for (const m of c.materials) m.pricePerKg = { value: m.technology === 'FDM' ? 25 : 180, currency: 'EUR', source: 'supplier invoice' };
  return validateCatalogue(JSON.parse(JSON.stringify(c)), 'priced.json');
}

describe('priceQuote', () => {
  it('price = hours × rate + kg × price per kg + set-up, each part in cents, the total their sum', () => {
    const c = priced();
    const p = findPrinter('prusa-mk4', c);
    const q = priceQuote({ printTime_s: 5 * 3600 + 1234, material_g: 123.456 }, p, materialFor(p, 'pla', c), 'prusa-slicer', true, 'PrusaSlicer 2.5.0');
    expect(q.breakdown).toEqual({ machine: 16.03 /* 19 234 s = 5.3428 h × 3 */, material: 3.09 /* 0.123456 kg × 25 */, setup: 8 });
    expect(q.price).toBe(27.12);
    expect(q).toMatchObject({ currency: 'EUR', missing: [], printer: 'prusa-mk4', material: 'pla', method: 'prusa-slicer', supports: true, slicer: 'PrusaSlicer 2.5.0', material_g: 123.46 });
  });

  it('the shipped catalogue has no prices: time and grams stay, the price is null and the missing figures are named', () => {
    const p = findPrinter('prusa-mk4');
    const q = priceQuote({ printTime_s: 3600, material_g: 50 }, p, materialFor(p, 'petg'), 'prusa-slicer', false);
    expect(q.price).toBeNull();
    expect(q.currency).toBeNull();
    expect(q.breakdown).toEqual({ machine: null, material: null, setup: null });
    expect(q.missing).toEqual(['printer.machineRate_per_h', 'material.pricePerKg', 'printer.setup']);
    expect(q.printTime_s).toBe(3600);
    for (const pr of PRINT_CATALOGUE.printers) {
      expect(pr.machineRate_per_h.value).toBeNull();
      expect(pr.machineRate_per_h.source).toMatch(/not shipped/);
      expect(pr.setup.value).toBeNull();
    }
  });

  it('no conversion between currencies: different ones leave the price null and say why', () => {
    const c = priced();
    const p = findPrinter('prusa-xl', c);
    const m = { ...materialFor(p, 'pla', c), pricePerKg: { value: 30, currency: 'USD', source: 'US supplier' } };
    const q = priceQuote({ printTime_s: 7200, material_g: 100 }, p, m, 'prusa-slicer', true);
    expect(q.price).toBeNull();
    expect(q.breakdown).toEqual({ machine: 6, material: 3, setup: 8 });
    expect(q.missing).toEqual([expect.stringMatching(/^one currency .*EUR.*USD/)]);
  });
});

describe('estimateByVolume (SLA, SLS, PolyJet)', () => {
  const c = priced();
  const form3 = findPrinter('formlabs-form3plus', c);
  const resin = materialFor(form3, 'formlabs-biomed-clear', c);

  it('SLA: the stated formula, its figures in the model text, the assumed density named', () => {
    const e = estimateByVolume({ volume_mm3: 50_000, height_mm: 80, bbox_mm: [60, 70, 80] }, form3, resin);
    const k = VOLUME_MODEL.SLA;
    expect(e).toMatchObject({ layerHeight_mm: 0.1, layers: 800, supportsCounted: true });
    expect(e.printTime_s).toBe(Math.round(800 * k.perLayer_s + 50 * k.perCm3_s)); // 29 800 s
    expect(e.material_g).toBeCloseTo(50 * (1 + k.supportFraction) * k.assumedDensity_g_cm3, 9);
    expect(e.model).toContain('800 layers (80 mm at 0.1 mm) × 36 s/layer + 50 cm³ × 20 s/cm³');
    expect(e.model).toContain('supports and raft counted as 10 % of the part');
    expect(e.model).toMatch(/not a slicer/);
    expect(e.assumptions).toEqual([expect.stringContaining('density of formlabs-biomed-clear assumed 1.15')]);
    const q = priceQuote(e, form3, resin, 'volume-height-model', true);
    expect(q.price).toBe(Math.round((q.breakdown.machine! + q.breakdown.material! + q.breakdown.setup!) * 100) / 100);
    expect(q.breakdown.machine).toBe(Math.round((29_800 / 3600) * 12 * 100) / 100);
  });

  it('grows with the model: taller takes longer, bigger takes longer and weighs more', () => {
    const small = estimateByVolume({ volume_mm3: 10_000, height_mm: 30, bbox_mm: [30, 30, 30] }, form3, resin);
    const tall = estimateByVolume({ volume_mm3: 10_000, height_mm: 60, bbox_mm: [30, 30, 60] }, form3, resin);
    const big = estimateByVolume({ volume_mm3: 80_000, height_mm: 60, bbox_mm: [60, 60, 60] }, form3, resin);
    expect(tall.printTime_s).toBeGreaterThan(small.printTime_s);
    expect(tall.material_g).toBe(small.material_g);
    expect(big.printTime_s).toBeGreaterThan(tall.printTime_s);
    expect(big.material_g).toBeCloseTo(8 * small.material_g, 9);
  });

  it('supports off: no support resin; the layer height sets the layers, within the printer’s range, and the quote says both', () => {
    const size = { volume_mm3: 50_000, height_mm: 80, bbox_mm: [60, 70, 80] as [number, number, number] };
    const k = VOLUME_MODEL.SLA;
    const on = estimateByVolume(size, form3, resin, { supports: true });
    const off = estimateByVolume(size, form3, resin, { supports: false });
    expect(off.supportsCounted).toBe(false);
    expect(off.material_g).toBeCloseTo(50 * k.assumedDensity_g_cm3, 9);
    expect(on.material_g / off.material_g).toBeCloseTo(1 + k.supportFraction, 9);
    expect(off.printTime_s).toBe(on.printTime_s);
    expect(off.model).toMatch(/supports off: none counted/);
    // Half the layer height: twice the layers, the per-volume term unchanged.
    const fine = estimateByVolume(size, form3, resin, { layerHeight_mm: 0.05 });
    expect(fine).toMatchObject({ layerHeight_mm: 0.05, layers: 1600 });
    expect(fine.printTime_s).toBe(Math.round(1600 * k.perLayer_s + 50 * k.perCm3_s));
    expect(fine.model).toContain('1600 layers (80 mm at 0.05 mm)');
    expect(() => estimateByVolume(size, form3, resin, { layerHeight_mm: 0.5 })).toThrow(/--layer-height 0\.5: formlabs-form3plus prints 0\.025–0\.3 mm layers/);
    // Fuse 1 prints 0.11 mm only: the model's 0.1 mm is brought to it, another is refused.
    const fuse = findPrinter('formlabs-fuse1', c);
    const pa12 = materialFor(fuse, 'pa12', c);
    expect(estimateByVolume({ volume_mm3: 20_000, height_mm: 44, bbox_mm: [40, 40, 44] }, fuse, pa12)).toMatchObject({ layerHeight_mm: 0.11, layers: 400, supportsCounted: false });
    expect(() => estimateByVolume(size, fuse, pa12, { layerHeight_mm: 0.1 })).toThrow(/formlabs-fuse1 prints 0\.11–0\.11 mm layers/);
    // No range in the catalogue: any layer height, said to be unchecked.
    const j5 = findPrinter('stratasys-j5', c);
    const pj = estimateByVolume({ volume_mm3: 20_000, height_mm: 27, bbox_mm: [40, 40, 27] }, j5, materialFor(j5, 'stratasys-med610', c), { layerHeight_mm: 0.054 });
    expect(pj).toMatchObject({ layerHeight_mm: 0.054, layers: 500 });
    expect(pj.assumptions).toContainEqual(expect.stringMatching(/layer height 0\.054 mm as given, not checked: the catalogue has no layer range for stratasys-j5/));
  });

  it('uses the catalogue density when there is one (SLS PA 12) and refuses FDM', () => {
    const fuse = findPrinter('formlabs-fuse1', c);
    const e = estimateByVolume({ volume_mm3: 20_000, height_mm: 40, bbox_mm: [40, 40, 40] }, fuse, materialFor(fuse, 'pa12', c));
    expect(e.material_g).toBeCloseTo(20 * 0.93, 9);
    expect(e.assumptions).toEqual([]);
    const mk4 = findPrinter('prusa-mk4', c);
    expect(() => estimateByVolume({ volume_mm3: 1, height_mm: 1, bbox_mm: [1, 1, 1] }, mk4, materialFor(mk4, 'pla', c))).toThrow(/FDM/);
  });
});

describe('validateCatalogue', () => {
  it('accepts the shipped catalogue and its JSON round trip', () => {
    expect(validateCatalogue(JSON.parse(JSON.stringify(PRINT_CATALOGUE)), 'shipped.json')).toEqual(PRINT_CATALOGUE);
  });

  it('names the file and each bad field path', () => {
    const c = structuredClone(PRINT_CATALOGUE) as unknown as { printers: Record<string, unknown>[]; materials: Record<string, unknown>[] };
    c.printers[0]!.machineRate_per_h = { value: 4, currency: null, source: 'ours' };
    c.printers[1]!.materials = ['pla', 'unobtainium'];
    c.printers[2]!.materials = ['pa12'];
    c.materials[1]!.id = 'pla';
    c.materials[0]!.thresold = 1;
    let err: unknown;
    try {
      validateCatalogue(c, 'org-edit.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CatalogueError);
    const e = err as CatalogueError;
    expect(e.message).toMatch(/^org-edit\.json: not a valid print catalogue/);
    const paths = e.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['printers[0].machineRate_per_h.currency', 'materials[0]', 'materials[1].id']));
    expect(e.issues.find((i) => i.path === 'materials[1].id')!.message).toBe('duplicate id pla');
    // The superRefine runs only when the shapes pass: a second catalogue with only reference errors.
    const refs = structuredClone(PRINT_CATALOGUE);
    refs.printers[1]!.materials = ['pla', 'unobtainium'];
    refs.printers[2]!.materials = ['pa12'];
    const e2 = (() => {
      try {
        validateCatalogue(refs, 'refs.json');
      } catch (x) {
        return x as CatalogueError;
      }
      throw new Error('accepted');
    })();
    expect(e2.issues).toEqual([
      { path: 'printers[1].materials[1]', message: 'no material unobtainium in the catalogue' },
      { path: 'printers[2].materials[0]', message: 'pa12 is SLS, the printer is FDM' },
    ]);
    expect(e2.kind).toBe('input');
  });
});

describe('parsePrusaGcode', () => {
  it('refuses a G-code without PrusaSlicer’s estimate, naming the file', () => {
    expect(() => parsePrusaGcode('G28\nG1 X10\n', 'part.gcode')).toThrow(/^part\.gcode: no "; estimated printing time/);
    expect(() => parsePrusaGcode('; estimated printing time (normal mode) = soon\n', 'x.gcode')).toThrow(/not in PrusaSlicer's "1d 2h 3m 4s" form/);
  });
});
