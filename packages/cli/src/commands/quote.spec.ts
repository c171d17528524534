/**
 * `scan2print quote` through the built binary on a real model: the TotalSegmentator example
 * CT (20 slices, labelled/totalsegmentator/example_ct_dicom) converted by `scan2print convert
 * --decimate-ratio 0.25` (the run convert-untangle.spec reads too), its largest bone taken and
 * written at two scales (25 % and 40 %, so PrusaSlicer slices each in seconds). The quote grows
 * with the model, the price is the stated arithmetic (prices from options and from a catalogue
 * file), the shipped catalogue gives price null with what is missing and exit 0, an SLA printer
 * uses the volume model (with the supports and layer height asked for), bad input exits 2 or 3.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStlBinary } from '@scan2print/core';
import { decimatedBoneShell, scaledMesh } from '../../../../test/decimated-bone.js';
import { runScan2print } from '../../../../test/cli.js';
import { sharedOutput } from '../../../../test/convert-cache.js';

const dir = mkdtempSync(join(tmpdir(), 's2p-quote-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface QuoteJson {
  file: string;
  printTime_s: number;
  material_g: number;
  price: number | null;
  currency: string | null;
  method: string;
  breakdown: { machine: number | null; material: number | null; setup: number | null };
  missing: string[];
  supports: boolean;
  layerHeight_mm?: number;
  slicer?: string;
  configSha256?: string;
  model?: string;
}

const cents = (x: number): number => Math.round(x * 100) / 100;

let small = '';
let large = '';
beforeAll(async () => {
  // convert-untangle.spec's run: the test run's cache converts it once for every spec that asks.
  const bone = await decimatedBoneShell();
  small = join(dir, 'bone-25.stl');
  large = join(dir, 'bone-40.stl');
  writeFileSync(small, writeStlBinary(scaledMesh(bone, 0.25)));
  writeFileSync(large, writeStlBinary(scaledMesh(bone, 0.4)));
});

describe('scan2print quote on a bone from a real CT', () => {
  let a: QuoteJson;
  it('prices from the options: the stated arithmetic, --json shape', async () => {
    const r = await runScan2print(['quote', small, '--printer', 'prusa-mk4', '--material', 'pla', '--rate', '3.5', '--price-per-kg', '25', '--setup', '10', '--currency', 'EUR', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    a = JSON.parse(r.stdout) as QuoteJson;
    expect(a).toMatchObject({ method: 'prusa-slicer', currency: 'EUR', missing: [], supports: true, printer: 'prusa-mk4', material: 'pla', slicer: expect.stringMatching(/^PrusaSlicer 2\./), configSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(a.printTime_s).toBeGreaterThan(0);
    expect(a.material_g).toBeGreaterThan(0);
    expect(a.breakdown).toEqual({ machine: cents((a.printTime_s / 3600) * 3.5), material: cents((a.material_g / 1000) * 25), setup: 10 });
    expect(a.price).toBe(cents(a.breakdown.machine! + a.breakdown.material! + a.breakdown.setup!));
  });

  it('grows with model size; prices from a --catalogue file like `printers --json` prints', async () => {
    // The catalogue as `printers --json` prints it: one run per test run (prepare.spec checks it).
    const cat = JSON.parse((await sharedOutput(['printers', '--json'])).stdout);
    const mk4 = cat.printers.find((p: { id: string }) => p.id === 'prusa-mk4');
    mk4.machineRate_per_h = { value: 3.5, currency: 'EUR', source: 'our costing' };
    mk4.setup = { value: 10, currency: 'EUR', source: 'our costing' };
    cat.materials.find((m: { id: string }) => m.id === 'pla').pricePerKg = { value: 25, currency: 'EUR', source: 'supplier' };
    const catFile = join(dir, 'prices.json');
    writeFileSync(catFile, JSON.stringify(cat));
    const r = await runScan2print(['quote', large, '--printer', 'prusa-mk4', '--material', 'pla', '--catalogue', catFile, '--json']);
    expect(r.code).toBe(0);
    const b = JSON.parse(r.stdout) as QuoteJson;
    // 1.6× the size: 4.1× the volume; time and material grow (supports and perimeters keep it under 4.1×).
    expect(b.material_g).toBeGreaterThan(2 * a.material_g);
    expect(b.printTime_s).toBeGreaterThan(1.5 * a.printTime_s);
    expect(b.price!).toBeGreaterThan(a.price!);
    expect(b.price).toBe(cents(cents((b.printTime_s / 3600) * 3.5) + cents((b.material_g / 1000) * 25) + 10));
    expect(b.configSha256).toBe(a.configSha256); // same printer, material and options → same configuration
  });

  it('the shipped catalogue has no prices: time and grams, price null, what is missing; exit 0', async () => {
    const r = await runScan2print(['quote', small, '--printer', 'formlabs-form3plus', '--material', 'formlabs-biomed-clear', '--json']);
    expect(r.code).toBe(0);
    const q = JSON.parse(r.stdout) as QuoteJson;
    expect(q).toMatchObject({ method: 'volume-height-model', price: null, currency: null, missing: ['printer.machineRate_per_h', 'material.pricePerKg', 'printer.setup'] });
    expect(q.printTime_s).toBeGreaterThan(0);
    expect(q.model).toMatch(/SLA volume\/height model \(not a slicer\)/);
    const text = await runScan2print(['quote', small, '--printer', 'formlabs-form3plus', '--material', 'formlabs-biomed-clear']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/price: not computed, missing printer\.machineRate_per_h \(--rate\)/);
  });

  it('SLA: --no-supports and --layer-height change the volume model’s quote, which says both; a layer height the printer cannot print exits 2', async () => {
    const sla = (extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> => runScan2print(['quote', small, '--printer', 'formlabs-form3plus', '--material', 'formlabs-biomed-clear', ...extra]);
    const [on, off, fine] = await Promise.all([sla(['--json']), sla(['--json', '--no-supports']), sla(['--json', '--layer-height', '0.05'])]).then((rs) => rs.map((r) => JSON.parse(r.stdout) as QuoteJson));
    expect(on).toMatchObject({ supports: true, layerHeight_mm: 0.1 });
    expect(off).toMatchObject({ supports: false, layerHeight_mm: 0.1, printTime_s: on!.printTime_s });
    expect(off!.material_g).toBeLessThan(on!.material_g);
    expect(fine).toMatchObject({ supports: true, layerHeight_mm: 0.05, material_g: on!.material_g });
    expect(fine!.printTime_s).toBeGreaterThan(on!.printTime_s);
    const text = await sla(['--no-supports', '--layer-height', '0.05']);
    expect(text.stdout).toMatch(/on formlabs-form3plus in formlabs-biomed-clear, supports off, 0\.05 mm layers: volume\/height model/);
    expect(text.stdout).toMatch(/at 0\.05 mm\) × 36 s\/layer .*supports off: none counted/);
    const bad = await sla(['--layer-height', '0.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--layer-height 0\.5: formlabs-form3plus prints 0\.025–0\.3 mm layers/);
  });

  it('bad input: exit 2 for usage, 3 for an unusable file, the file and the problem named', async () => {
    const cases: [string[], number, RegExp][] = [
      [['quote', small, '--printer', 'my-printer', '--material', 'pla'], 2, /--printer my-printer: not a catalogue printer/],
      [['quote', small, '--printer', 'prusa-mk4', '--material', 'pa12'], 2, /prusa-mk4 does not print pa12/],
      [['quote', small, '--printer', 'prusa-mk4', '--material', 'pla', '--rate', '3'], 2, /need --currency/],
      [['quote', join(dir, 'nope.3mf'), '--printer', 'prusa-mk4', '--material', 'pla'], 3, /nope\.3mf: no such file/],
      [['quote', join(dir, 'prices.json'), '--printer', 'prusa-mk4', '--material', 'pla'], 2, /unknown model format/],
    ];
    const garbage = join(dir, 'garbage.stl');
    writeFileSync(garbage, 'solid? no');
    cases.push([['quote', garbage, '--printer', 'prusa-mk4', '--material', 'pla'], 3, /garbage\.stl: /]);
    const badCat = join(dir, 'bad-catalogue.json');
    writeFileSync(badCat, JSON.stringify({ version: '1', printers: [], materials: [{ id: 'pla' }] }));
    cases.push([['quote', small, '--printer', 'prusa-mk4', '--material', 'pla', '--catalogue', badCat], 3, /bad-catalogue\.json: not a valid print catalogue: materials\[0\]\.name/]);
    for (const [args, code, msg] of cases) {
      const r = await runScan2print(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
