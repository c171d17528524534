/**
 * `scan2print quote --printer auto` through the built binary on a real model: the largest bone
 * of the TotalSegmentator example CT as quote.spec takes it (the shared decimated convert of
 * test/convert-cache.ts), at a quarter of its size (PrusaSlicer slices it in seconds) and five
 * times it (no printer takes it whole). The choice is made, then the chosen pair is quoted with
 * real PrusaSlicer as a named one is (the same configuration, so the same slice); the output
 * says what was chosen, the alternatives and every refusal; prices rank by price; nothing that
 * fits and requirements nothing meets exit 3 and 2, naming why for each pair.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStlBinary } from '@scan2print/core';
import { decimatedBoneShell, scaledMesh } from '../../../../test/decimated-bone.js';
import { runScan2print } from '../../../../test/cli.js';
import { sharedOutput } from '../../../../test/convert-cache.js';

const dir = mkdtempSync(join(tmpdir(), 's2p-quote-auto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Verdict {
  printer: string;
  material: string;
  technology: string;
  rank: number | null;
  refusals: { code: string; message: string }[];
  estimate: { printTime_s: number; price: number | null } | null;
  why: string;
}
interface QuoteJson {
  printer: string;
  material: string;
  method: string;
  printTime_s: number;
  material_g: number;
  price: number | null;
  configSha256?: string;
  slicer?: string;
  choice?: { stage: string; method: string; params: Record<string, unknown>; figures: { chosen: { printer: string; material: string }; rankedBy: string; ranked: Verdict[]; refused: Verdict[] } };
}

let small = '';
let huge = '';
beforeAll(async () => {
  // convert-untangle.spec's run: the test run's cache converts it once for every spec that asks.
  const bone = await decimatedBoneShell();
  small = join(dir, 'bone-25.stl');
  huge = join(dir, 'bone-500.stl');
  writeFileSync(small, writeStlBinary(scaledMesh(bone, 0.25)));
  writeFileSync(huge, writeStlBinary(scaledMesh(bone, 5)));
});

describe('scan2print quote --printer auto on a bone from a real CT', () => {
  it('--material pla: chooses among the printers that offer PLA, then quotes that pair with PrusaSlicer as a named quote does', async () => {
    const r = await runScan2print(['quote', small, '--printer', 'auto', '--material', 'pla', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const q = JSON.parse(r.stdout) as QuoteJson;
    const c = q.choice!;
    expect(c).toMatchObject({ stage: 'print', method: 'choose-printer-material', params: { printer: 'auto', material: 'pla', supports: true } });
    // The three FDM printers that print PLA tie on the quick model: the lowest id is chosen.
    expect(c.figures.chosen).toEqual({ printer: 'bambu-x1c', material: 'pla' });
    expect(c.figures.ranked.map((v) => v.printer)).toEqual(['bambu-x1c', 'prusa-mk4', 'prusa-xl']);
    expect(c.figures.refused).toEqual([]);
    expect(q).toMatchObject({ printer: 'bambu-x1c', material: 'pla', method: 'prusa-slicer', slicer: expect.stringMatching(/^PrusaSlicer 2\./) });
    expect(q.printTime_s).toBeGreaterThan(0);
    const named = JSON.parse((await runScan2print(['quote', small, '--printer', 'bambu-x1c', '--material', 'pla', '--json'])).stdout) as QuoteJson;
    expect(named.choice).toBeUndefined();
    // The same configuration, so the same slice: PrusaSlicer's estimate may differ by a second between runs (its threads).
    expect(q.configSha256).toBe(named.configSha256);
    expect(Math.abs(q.printTime_s - named.printTime_s)).toBeLessThanOrEqual(Math.max(2, 0.01 * named.printTime_s));
    expect(Math.abs(q.material_g - named.material_g)).toBeLessThanOrEqual(0.01 * named.material_g + 0.01);
  });

  it('any printer and material: the choice in words, the alternatives, and each refusal with its reason', async () => {
    const r = await runScan2print(['quote', small, '--printer', 'auto']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^chosen: (\S+) in (\S+) \(rank 1 of \d+ that fit: shortest estimated print time \(\d+:\d\d h\); ranked by estimated print time: the catalogue lacks /);
    const [, printer, material] = /^chosen: (\S+) in (\S+)/.exec(lines[0]!)!;
    expect(r.stdout).toContain(`${printer} in ${material}, supports on`); // the quote is of the chosen pair
    expect(r.stdout).toMatch(/\nalternatives \(quick estimates, not quotes\):\n {2}2\. \S+ in \S+: \d+:\d\d h, \d+ g/);
    // A quarter-size vertebra has thin walls: a third of its surface under SLS's 0.8 mm.
    expect(r.stdout).toMatch(/\nrefused:\n {2}eos-formiga-p110 in pa12: [\d.]+ % of the surface is thinner than eos-formiga-p110's minimum feature 0\.8 mm/);
  });

  it('with the organisation\'s prices (a --catalogue file) it ranks by price; --technology and --needs narrow the choice', async () => {
    const cat = JSON.parse((await sharedOutput(['printers', '--json'])).stdout);
    const rate: Record<string, number> = { FDM: 3, SLA: 10, SLS: 25, PolyJet: 40 };
    for (const p of cat.printers) {
      p.machineRate_per_h = { value: rate[p.technology], currency: 'EUR', source: 'our costing' };
      p.setup = { value: p.id === 'prusa-xl' ? 2 : 8, currency: 'EUR', source: 'our costing' };
    }
    for (const m of cat.materials) m.pricePerKg = { value: m.technology === 'FDM' ? 25 : 200, currency: 'EUR', source: 'supplier' };
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify(cat));
    const r = await runScan2print(['quote', small, '--printer', 'auto', '--technology', 'fdm', '--catalogue', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const q = JSON.parse(r.stdout) as QuoteJson;
    expect(q.choice!.figures.rankedBy).toBe('price');
    // The XL's lower set-up makes it the cheapest FDM printer; the price is the real quote's.
    expect(q.choice!.figures.chosen.printer).toBe('prusa-xl');
    expect(q.price).not.toBeNull();
    const prices = q.choice!.figures.ranked.map((v) => v.estimate!.price!);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(q.choice!.figures.refused.every((v) => v.refusals.some((x) => x.code === 'TECHNOLOGY'))).toBe(true);
    const bio = await runScan2print(['quote', small, '--printer', 'auto', '--needs', 'biocompatible,sterilisable', '--json']);
    expect(bio.code, bio.stderr).toBe(0);
    const b = JSON.parse(bio.stdout) as QuoteJson;
    expect(b).toMatchObject({ material: 'formlabs-biomed-clear', method: 'volume-height-model' });
    expect(b.choice!.figures.ranked.map((v) => v.printer)).toEqual(expect.arrayContaining(['formlabs-form3plus', 'formlabs-form4']));
  });

  it('nothing fits: exit 3 naming the file and why for each pair; requirements nothing meets, and bad options: exit 2', async () => {
    const big = await runScan2print(['quote', huge, '--printer', 'auto', '--material', 'pla']);
    expect(big.code).toBe(3);
    expect(big.stderr).toMatch(/bone-500\.stl: no printer and material of the catalogue can print it: bambu-x1c\/pla: /);
    expect(big.stderr).toMatch(/: [\d.]+ × [\d.]+ × [\d.]+ mm does not fit bambu-x1c \(256 × 256 × 256 mm\) .*needs splitting into \d+ parts \(scan2print prepare --printer bambu-x1c\)\. prusa-mk4\/pla: .*prusa-xl\/pla: /);
    expect(big.stdout).toBe('');
    const cases: [string[], RegExp][] = [
      [
        ['--printer', 'auto', '--technology', 'PolyJet', '--needs', 'sterilisable'],
        /no printer and material of the catalogue meet what was asked for: .*stratasys-j5\/stratasys-med610: sterilisability of stratasys-med610 is not stated/,
      ],
      [['--printer', 'auto', '--needs', 'edible'], /--needs edible: expected a comma-separated list of biocompatible, sterilisable/],
      [['--printer', 'auto', '--technology', 'DLP'], /--technology DLP: expected one of FDM, SLA, SLS, PolyJet/],
      [['--printer', 'auto', '--rate', '3', '--currency', 'EUR'], /with auto, give each its prices in a --catalogue file/],
      [['--printer', 'prusa-mk4'], /--material is required with --printer prusa-mk4 \(or --material auto/],
      [['--printer', 'prusa-mk4', '--material', 'pla', '--needs', 'biocompatible'], /--needs and --technology apply to an automatic choice/],
      [['--printer', 'prusa-mk4', '--material', 'auto', '--technology', 'SLA'], /no printer and material .* meet what was asked for: prusa-mk4\/petg: prusa-mk4 is FDM, not the SLA asked for/],
    ];
    for (const [args, msg] of cases) {
      const r = await runScan2print(['quote', small, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
