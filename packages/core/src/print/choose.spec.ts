/**
 * The automatic printer/material choice. On a real model: the phantom skull of
 * ct/philips-head-phantom-tilt as `scan2print convert --decimate-ratio 0.25` makes it (the run
 * convert.spec and prepare-ct.spec read, made once per test run by test/convert-cache.ts),
 * 139 × 183 × 132 mm as it lies: which printers take it as it lies, which need it on another
 * side or split, the ranking by the quick estimate (time without prices, price with them),
 * requirements, a material asked for, determinism. On synthetic boxes, whose answers are known:
 * too big for every printer, a wall thinner than some printers' minimum feature, a property no
 * material has.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedConvert, TILTED_SKULL } from '../../../../test/convert-cache.js';
import { dataPath } from '../../../../test/data.js';
import type { Mesh } from '../geometry/types.js';
import { read3mf } from '../formats/3mf.js';
import { box } from '../testing/meshes.js';
import { isScanError } from '../errors.js';
import { PRINT_CATALOGUE, validateCatalogue, type PrintCatalogue } from './catalogue.js';
import { FDM_QUICK_MODEL } from './choose-estimate.js';
import { choosePrint, requireChoice, type PrintChoice } from './choose.js';
import { estimateByVolume } from './quote.js';

/** The shipped catalogue with an organisation's prices: FDM hours cheap, resin and powder dear. */
function priced(): PrintCatalogue {
  const c = structuredClone(PRINT_CATALOGUE);
  const rate: Record<string, number> = { FDM: 3, SLA: 10, SLS: 25, PolyJet: 40 };
  for (const p of c.printers) {
    p.machineRate_per_h = { value: rate[p.technology]!, currency: 'EUR', source: 'our costing 2026' };
    p.setup = { value: 8, currency: 'EUR', source: 'our costing 2026' };
  }
  for (const m of c.materials) m.pricePerKg = { value: m.technology === 'FDM' ? 25 : 200, currency: 'EUR', source: 'supplier invoice' };
  return validateCatalogue(JSON.parse(JSON.stringify(c)), 'priced.json');
}

/** The error requireChoice throws, or null. */
function refusal(c: PrintChoice, file?: string): { code: string; kind: string; message: string } | null {
  try {
    requireChoice(c, file);
    return null;
  } catch (e) {
    if (!isScanError(e)) throw e;
    return { code: e.code, kind: e.kind, message: e.message };
  }
}

const pairsOf = (vs: { printer: string; material: string }[]): string[] => vs.map((v) => `${v.printer}/${v.material}`);

describe('the phantom skull (a real convert)', () => {
  let skull: Mesh;
  let auto: PrintChoice;
  beforeAll(async () => {
    const r = await sharedConvert(dataPath(TILTED_SKULL.input), [...TILTED_SKULL.args], { env: TILTED_SKULL.env });
    expect(r.code, r.stderr).toBe(0);
    const file = join(r.dir, 'skull.3mf');
    skull = read3mf(new Uint8Array(readFileSync(file)), file);
    auto = choosePrint(skull, PRINT_CATALOGUE).output;
  });

  it('refuses the printers it does not fit as it lies, saying whether another side down or a split would do', () => {
    const [x, y, z] = auto.model.size_mm;
    // 139 × 183 × 132 mm: too deep for a 145 mm square bed at any turn, too wide for 125 mm.
    expect([x, y, z].map(Math.round)).toEqual([139, 183, 132]);
    const refused = new Map(auto.refused.map((v) => [`${v.printer}/${v.material}`, v]));
    expect([...refused.keys()].sort()).toEqual(['formlabs-form3plus/formlabs-biomed-clear', 'formlabs-form3plus/formlabs-grey', 'formlabs-form4/formlabs-biomed-clear', 'formlabs-form4/formlabs-grey', 'formlabs-fuse1/pa12']);
    for (const v of refused.values()) expect(v.refusals.map((r) => r.code)).toEqual(['TOO_LARGE']);
    // 145 × 145 × 185: lying on its side (139 × 132 footprint, 183 high) it fits whole.
    expect(refused.get('formlabs-form3plus/formlabs-grey')).toMatchObject({ partsNeeded: 1, turn_deg: null });
    expect(refused.get('formlabs-form3plus/formlabs-grey')!.why).toMatch(/does not fit formlabs-form3plus \(145 × 145 × 185 mm\) .*another side down it fits whole/);
    // 200 × 125 × 210: no side fits whole (139 and 132 are both over 125), so prepare splits it.
    expect(refused.get('formlabs-form4/formlabs-grey')).toMatchObject({ partsNeeded: 2 });
    expect(refused.get('formlabs-form4/formlabs-grey')!.why).toMatch(/needs splitting into 2 parts \(scan2print prepare --printer formlabs-form4\)/);
  });

  it('ranks the pairs that fit by estimated print time without prices, ties by id; the estimate is the volume/height model', () => {
    expect(auto.rankedBy).toBe('time');
    expect(auto.rankedByWhy).toMatch(/lacks .*machineRate_per_h/);
    expect(auto.ranked.map((v) => v.rank)).toEqual(auto.ranked.map((_, i) => i + 1));
    expect(auto.ranked).toHaveLength(PRINT_CATALOGUE.printers.reduce((n, p) => n + p.materials.length, 0) - 5);
    for (let i = 1; i < auto.ranked.length; i++) {
      const [a, b] = [auto.ranked[i - 1]!, auto.ranked[i]!];
      expect(a.estimate!.printTime_s, `${a.printer} before ${b.printer}`).toBeLessThanOrEqual(b.estimate!.printTime_s);
      if (a.estimate!.printTime_s === b.estimate!.printTime_s) expect(`${a.printer}/${a.material}` < `${b.printer}/${b.material}`).toBe(true);
    }
    // The two PolyJet printers tie (same model): the lower id is chosen, the other says it is a tie.
    expect(auto.chosen).toEqual({ printer: 'stratasys-j5', material: 'stratasys-med610' });
    expect(auto.ranked[1]).toMatchObject({ printer: 'stratasys-j850', rank: 2 });
    expect(auto.ranked[1]!.why).toMatch(/a tie, broken by printer id/);
    const j5 = PRINT_CATALOGUE.printers.find((p) => p.id === 'stratasys-j5')!;
    const med610 = PRINT_CATALOGUE.materials.find((m) => m.id === 'stratasys-med610')!;
    const v = estimateByVolume({ volume_mm3: auto.model.volume_mm3, height_mm: auto.model.size_mm[2], bbox_mm: auto.model.size_mm }, j5, med610);
    expect(auto.ranked[0]!.estimate!.printTime_s).toBeCloseTo(v.printTime_s, -1);
    const fdm = auto.ranked.filter((x) => x.technology === 'FDM');
    expect(fdm).toHaveLength(6);
    expect(fdm[0]!.estimate!.model).toContain(`× ${FDM_QUICK_MODEL.perLayer_s} s/layer`);
    expect(auto.ranked[0]!.why).toMatch(/^rank 1 of 9 that fit: shortest estimated print time \(\d+:\d\d h\)$/);
  });

  it('measures the walls once per minimum feature; the skull\'s few thin spots refuse no printer, the strict rule refuses all', () => {
    // The thinnest ray reads ~0 mm where thin bone pinches the surface: a handful of spots.
    expect(auto.model.thickness.min_mm!).toBeLessThan(0.1);
    for (const v of [...auto.ranked, ...auto.refused]) {
      expect(v.thin.share, v.printer).toBeLessThan(0.05);
      expect(v.thin.share).toBeGreaterThan(0.005);
      expect(v.thin.samples).toBeGreaterThan(0);
    }
    const sls = auto.ranked.find((v) => v.printer === 'eos-formiga-p110')!;
    expect(sls.thin.share).toBeGreaterThan(auto.ranked[0]!.thin.share); // 0.8 mm leaves more thin than 0.3 mm
    const strict = choosePrint(skull, PRINT_CATALOGUE, { maxThinShare: 0 }).output;
    expect(strict.chosen).toBeNull();
    expect(strict.refused.every((v) => v.refusals.some((r) => r.code === 'TOO_THIN'))).toBe(true);
    const e = refusal(strict, 'skull.3mf');
    expect(e).toMatchObject({ code: 'NOTHING_FITS', kind: 'input' });
    expect(e!.message).toMatch(/^skull\.3mf: no printer and material .*prusa-mk4\/pla: [\d.]+ % of the surface is thinner than prusa-mk4's minimum feature 0\.4 mm/);
  });

  it('with the organisation\'s prices it ranks by estimated price; the cheap FDM hours win', () => {
    const c = choosePrint(skull, priced()).output;
    expect(c.rankedBy).toBe('price');
    const prices = c.ranked.map((v) => v.estimate!.price!);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(c.chosen!.printer).toBe('bambu-x1c');
    expect(c.ranked[0]!.why).toMatch(/lowest estimated price \(\d+\.\d\d EUR\)/);
  });

  it('a material asked for: only the printers that offer it; requirements: biocompatible and sterilisable resin does not fit as it lies', () => {
    const pla = choosePrint(skull, PRINT_CATALOGUE, { material: 'pla' }).output;
    expect(pairsOf(pla.ranked)).toEqual(['bambu-x1c/pla', 'prusa-mk4/pla', 'prusa-xl/pla']);
    expect(pla.refused).toEqual([]);
    const clean = choosePrint(skull, PRINT_CATALOGUE, { needs: ['sterilisable', 'biocompatible'] }).output;
    expect(clean.chosen).toBeNull();
    const why = new Map(clean.refused.map((v) => [`${v.printer}/${v.material}`, v.refusals.map((r) => r.code)]));
    expect(why.get('formlabs-form3plus/formlabs-biomed-clear')).toEqual(['TOO_LARGE']);
    expect(why.get('prusa-mk4/pla')).toEqual(['NOT_BIOCOMPATIBLE', 'NOT_STERILISABLE']);
    expect(why.get('stratasys-j5/stratasys-med610')).toEqual(['NOT_STERILISABLE']);
    // The needs leave pairs the model does not fit: the model's fault, an input error.
    expect(refusal(clean, 'skull.3mf')).toMatchObject({ code: 'NOTHING_FITS', kind: 'input' });
    expect(refusal(clean)!.message).toMatch(/stratasys-j5\/stratasys-med610: sterilisability of stratasys-med610 is not stated in the catalogue/);
  });

  it('is deterministic: the same model and catalogue give the same answer, whatever the catalogue order', () => {
    const shuffled = structuredClone(PRINT_CATALOGUE);
    shuffled.printers.reverse();
    shuffled.materials.reverse();
    for (const p of shuffled.printers) p.materials.reverse();
    expect(choosePrint(skull, shuffled).output).toEqual(auto);
  });
});

describe('synthetic models', () => {
  it('too big for every printer: every pair refused, with the parts a split needs; NOTHING_FITS names the file', () => {
    const c = choosePrint(box([0, 0, 0], [600, 500, 400], 2), PRINT_CATALOGUE).output;
    expect(c.chosen).toBeNull();
    expect(c.ranked).toEqual([]);
    expect(c.refused).toHaveLength(14);
    for (const v of c.refused) {
      expect(v.refusals.map((r) => r.code)).toEqual(['TOO_LARGE']);
      expect(v.partsNeeded).toBeGreaterThan(1);
    }
    // The J850 (490 × 390 × 200), best orientation: 400 mm along its 490 (1 part), 600 along 390 (2), 500 up its 200 (3).
    expect(c.refused.find((v) => v.printer === 'stratasys-j850')!.partsNeeded).toBe(6);
    const e = refusal(c, 'block.stl');
    expect(e).toMatchObject({ code: 'NOTHING_FITS', kind: 'input' });
    expect(e!.message).toMatch(/^block\.stl: no printer and material of the catalogue can print it: bambu-x1c\/petg: 600 × 500 × 400 mm does not fit bambu-x1c/);
  });

  it('a wall thinner than a printer\'s minimum feature refuses that printer only; a long part fits across the bed', () => {
    // A 0.5 mm plate: under SLS's 0.8 mm, over FDM's 0.4 mm and resin's 0.3 mm.
    const plate = box([0, 0, 0], [60, 60, 0.5], 4);
    const c = choosePrint(plate, PRINT_CATALOGUE).output;
    expect(c.refused.map((v) => v.printer)).toEqual(['eos-formiga-p110', 'formlabs-fuse1']);
    for (const v of c.refused) {
      expect(v.refusals.map((r) => r.code)).toEqual(['TOO_THIN']);
      expect(v.thin.share).toBeGreaterThan(0.3);
      expect(v.why).toMatch(/of the surface is thinner than .*minimum feature 0\.8 mm \(more than the 25 % allowed; thinnest 0\.5 mm\)/);
    }
    for (const v of c.ranked) expect(v.thin.samples, v.printer).toBe(0);
    // A 0.35 mm plate: FDM goes too.
    const thinner = choosePrint(box([0, 0, 0], [60, 60, 0.35], 4), PRINT_CATALOGUE).output;
    expect(new Set(thinner.ranked.map((v) => v.technology))).toEqual(new Set(['SLA', 'PolyJet']));
    // 180 mm long, 8 mm wide: over the Form 3+'s 145 mm side, inside its diagonal.
    const rod = choosePrint(box([0, 0, 0], [180, 8, 8]), PRINT_CATALOGUE, { printer: 'formlabs-form3plus' }).output;
    expect(rod.ranked.map((v) => v.material)).toEqual(['formlabs-biomed-clear', 'formlabs-grey']);
    expect(rod.ranked[0]!.turn_deg).toBeGreaterThan(10);
    expect(rod.ranked[0]!.turn_deg).toBeLessThan(80);
  });

  it('a property no material of the technology has: a usage error naming why for each pair', () => {
    const cube = box([0, 0, 0], [20, 20, 20], 2);
    const c = choosePrint(cube, PRINT_CATALOGUE, { technology: 'PolyJet', needs: ['sterilisable'] }).output;
    expect(c.chosen).toBeNull();
    for (const v of c.refused) expect(v.refusals.length).toBeGreaterThan(0);
    const e = refusal(c, 'cube.stl');
    expect(e).toMatchObject({ code: 'NO_PAIR_MEETS_NEEDS', kind: 'usage' });
    expect(e!.message).toMatch(/prusa-mk4\/pla: prusa-mk4 is FDM, not the PolyJet asked for; pla is not sterilisable/);
    expect(e!.message).toMatch(/stratasys-j5\/stratasys-med610: sterilisability of stratasys-med610 is not stated/);
    // Biocompatible and sterilisable, a cube that fits everything: only BioMed Clear, on either Form.
    const ok = choosePrint(cube, PRINT_CATALOGUE, { needs: ['biocompatible', 'sterilisable'] }).output;
    expect(pairsOf(ok.ranked)).toEqual(['formlabs-form3plus/formlabs-biomed-clear', 'formlabs-form4/formlabs-biomed-clear']);
  });

  it('a printer named: its materials ranked; what cannot be asked for is a usage error', () => {
    const cube = box([0, 0, 0], [20, 20, 20], 2);
    const mk4 = choosePrint(cube, PRINT_CATALOGUE, { printer: 'prusa-mk4', material: 'auto' }).output;
    // Same time (same quick model), so the tie goes by material id.
    expect(pairsOf(mk4.ranked)).toEqual(['prusa-mk4/petg', 'prusa-mk4/pla']);
    expect(mk4.ranked[0]!.estimate!.printTime_s).toBe(mk4.ranked[1]!.estimate!.printTime_s);
    expect(mk4.ranked[1]!.why).toMatch(/a tie/);
    expect(() => choosePrint(cube, PRINT_CATALOGUE, { printer: 'prusa-mk5' })).toThrow(/not a catalogue printer/);
    expect(() => choosePrint(cube, PRINT_CATALOGUE, { printer: 'prusa-mk4', material: 'pa12' })).toThrow(/prusa-mk4 does not print it/);
    expect(() => choosePrint(cube, PRINT_CATALOGUE, { needs: ['edible' as 'biocompatible'] })).toThrow(/needs edible: expected biocompatible or sterilisable/);
  });
});
