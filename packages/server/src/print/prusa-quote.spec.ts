/**
 * quoteModel against the real PrusaSlicer (a test dependency, installed by
 * scripts/install-test-deps.sh): the G-code it wrote parses to the quote's figures, the
 * generated configuration carries the printer's bed and height and is hashed, supports add
 * material, a 3MF is measured as its build items place it, and bad models are refused before
 * or by the slicer with the file named. Small
 * synthetic solids keep each slice under a second; real CT models are quoted by the CLI spec.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatMeshes, findPrinter, materialFor, parsePrusaGcode, write3mf, writeStlBinary, type Mesh } from '@scan2print/core';
import { box } from '../../../core/src/testing/meshes.js';
import { quoteModel } from './prusa-quote.js';
import { prusaConfig } from './prusa-config.js';

const dir = mkdtempSync(join(tmpdir(), 's2p-prusa-quote-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, mesh: Mesh): string => {
  const f = join(dir, name);
  writeFileSync(f, writeStlBinary(mesh));
  return f;
};
const mk4 = findPrinter('prusa-mk4');
const pla = materialFor(mk4, 'pla');

describe('quoteModel with PrusaSlicer', () => {
  it('parses the G-code PrusaSlicer wrote; the configuration holds the printer’s bed and height and its hash is in the quote', async () => {
    const cube = write('cube.stl', box([0, 0, 0], [20, 20, 20], 1));
    const work = join(dir, 'cube-work');
    const q = await quoteModel(cube, mk4, pla, { workDir: work });
    const gcodeFile = join(work, 'model.gcode');
    const gcode = readFileSync(gcodeFile, 'utf8');
    const est = parsePrusaGcode(gcode, gcodeFile);
    expect(est.slicer).toMatch(/^PrusaSlicer 2\.\d+\.\d+/);
    expect(q).toMatchObject({ method: 'prusa-slicer', printTime_s: est.printTime_s, material_g: est.filament_g, slicer: est.slicer, supports: true, price: null, printer: 'prusa-mk4', material: 'pla' });
    // A 20 mm cube at 15 % infill: a few grams, minutes not hours; grams = cm³ × PLA's 1.24 g/cm³.
    expect(q.printTime_s).toBeGreaterThan(300);
    expect(q.printTime_s).toBeLessThan(3600);
    expect(est.filament_g!).toBeGreaterThan(1);
    expect(est.filament_g!).toBeLessThan(8);
    expect(est.filament_g!).toBeCloseTo(est.filament_cm3! * 1.24, 1);
    expect(est.filament_mm!).toBeCloseTo((est.filament_cm3! * 1000) / (Math.PI * 0.875 ** 2), -1);
    // The G-code's own configuration dump shows what PrusaSlicer used.
    expect(gcode).toMatch(/^; bed_shape = 0x0,250x0,250x210,0x210$/m);
    expect(gcode).toMatch(/^; max_print_height = 220$/m);
    expect(gcode).toMatch(/^; support_material = 1$/m);
    expect(gcode).toMatch(/^; layer_height = 0\.2$/m);
    const ini = readFileSync(join(work, 'prusa-config.ini'), 'utf8');
    expect(q.configSha256).toBe(createHash('sha256').update(ini).digest('hex'));
    // Same inputs → same bytes.
    expect(prusaConfig(mk4, pla, { supports: true }).ini).toBe(ini);
    expect(prusaConfig(mk4, pla, { supports: false }).sha256).not.toBe(q.configSha256);
  });

  it('a floating block needs supports: more filament with them than without', async () => {
    const m = write('bridge.stl', concatMeshes([box([0, 0, 0], [10, 10, 5], 1), box([20, 0, 10], [35, 10, 15], 1)]));
    const on = await quoteModel(m, mk4, pla);
    const off = await quoteModel(m, mk4, pla, { supports: false });
    expect(on.supports).toBe(true);
    expect(off.supports).toBe(false);
    expect(on.material_g).toBeGreaterThan(off.material_g);
    expect(on.configSha256).not.toBe(off.configSha256);
  });

  it('an SLA printer gets the volume/height model, no slicer run', async () => {
    const form3 = findPrinter('formlabs-form3plus');
    const q = await quoteModel(write('sla.stl', box([0, 0, 0], [30, 20, 40], 2)), form3, materialFor(form3, 'formlabs-grey'));
    expect(q.method).toBe('volume-height-model');
    expect(q.printTime_s).toBe(Math.round(40 * 360 + 24 * 20));
    expect(q.model).toMatch(/SLA volume\/height model/);
    expect(q.slicer).toBeUndefined();
  });

  it('SLA: --no-supports counts no support resin and the layer height sets the time; the quote says both; a layer the printer cannot print is refused', async () => {
    const form3 = findPrinter('formlabs-form3plus');
    const grey = materialFor(form3, 'formlabs-grey');
    const m = write('sla-options.stl', box([0, 0, 0], [30, 20, 40], 2));
    const on = await quoteModel(m, form3, grey);
    const off = await quoteModel(m, form3, grey, { supports: false });
    const fine = await quoteModel(m, form3, grey, { layerHeight_mm: 0.05 });
    expect(on).toMatchObject({ supports: true, layerHeight_mm: 0.1 });
    expect(off).toMatchObject({ supports: false, layerHeight_mm: 0.1, printTime_s: on.printTime_s });
    expect(off.material_g).toBeLessThan(on.material_g);
    expect(off.model).toMatch(/supports off: none counted/);
    // 800 layers instead of 400, 36 s each; the 24 cm³ term unchanged.
    expect(fine).toMatchObject({ layerHeight_mm: 0.05, printTime_s: Math.round(800 * 36 + 24 * 20), material_g: on.material_g });
    await expect(quoteModel(m, form3, grey, { layerHeight_mm: 0.5 })).rejects.toMatchObject({ kind: 'usage', code: 'BAD_LAYER_HEIGHT', message: expect.stringMatching(/--layer-height 0\.5: formlabs-form3plus prints 0\.025–0\.3 mm layers/) });
  });

  it('a 3MF is measured as its build items place it (prepare\'s parts lie on the bed), not as the raw object data', async () => {
    // 30 × 20 × 250 mm standing: too tall for the J850's 200 mm; its build item lays it along x
    // (x → z, z → −x, then +250 mm in x): 250 × 20 × 30 mm, as an STL lying so is quoted.
    const j850 = findPrinter('stratasys-j850');
    const med610 = materialFor(j850, 'stratasys-med610');
    const standing = box([0, 0, 0], [30, 20, 250], 2);
    const placed = join(dir, 'placed.3mf');
    writeFileSync(placed, write3mf(standing, { title: 'placed', transforms: { 0: [0, 0, 1, 0, 1, 0, -1, 0, 0, 250, 0, 0] } }));
    const q = await quoteModel(placed, j850, med610);
    const lying = await quoteModel(write('lying.stl', box([0, 0, 0], [250, 20, 30], 2)), j850, med610);
    expect(q.method).toBe('volume-height-model');
    expect({ printTime_s: q.printTime_s, material_g: q.material_g }).toEqual({ printTime_s: lying.printTime_s, material_g: lying.material_g });
    // The same object data without the placement stands too tall.
    const raw = join(dir, 'standing.3mf');
    writeFileSync(raw, write3mf(standing, { title: 'standing' }));
    await expect(quoteModel(raw, j850, med610)).rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/standing\.3mf: 30 × 20 × 250 mm does not fit/) });
    // A scaling build item is refused before any quote: the part would not print 1:1.
    const half = join(dir, 'half.3mf');
    writeFileSync(half, write3mf(box([0, 0, 0], [40, 30, 20]), { title: 'half', transforms: { 0: [0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5, 0, 0, 0] } }));
    await expect(quoteModel(half, mk4, pla)).rejects.toMatchObject({ kind: 'input', code: '3MF_TRANSFORM_NOT_RIGID', message: expect.stringMatching(/half\.3mf: build item 1 .*scales the model by 0\.5/) });
  });

  it('refuses bad models naming the file: open mesh, not a mesh, too large, a config PrusaSlicer rejects, no slicer', async () => {
    const b = box([0, 0, 0], [20, 20, 20], 1);
    const open = write('open.stl', { positions: b.positions, indices: b.indices.slice(0, -3) });
    await expect(quoteModel(open, mk4, pla)).rejects.toThrow(/open\.stl: not a closed manifold solid \(3 open edges/);
    const text = join(dir, 'notes.stl');
    writeFileSync(text, 'not a mesh at all');
    await expect(quoteModel(text, mk4, pla)).rejects.toThrow(/notes\.stl: not a mesh file/);
    // Longer than the MK4 bed's diagonal (326 mm): no turn about z fits it.
    const long = write('long.stl', box([0, 0, 0], [330, 20, 20], 3));
    await expect(quoteModel(long, mk4, pla)).rejects.toMatchObject({ kind: 'input', code: 'TOO_LARGE', message: expect.stringMatching(/long\.stl: 330 × 20 × 20 mm does not fit prusa-mk4 .* at any turn about z/) });
    // 300 mm fits across the 250 × 210 mm bed (about 38° turned): PrusaSlicer slices it turned.
    const across = await quoteModel(write('across.stl', box([0, 0, 0], [300, 20, 20], 3)), mk4, pla);
    expect(across.printTime_s).toBeGreaterThan(60);
    // The X1C has no layer range in the catalogue, so a 0.9 mm layer reaches PrusaSlicer, which
    // refuses layers thicker than the nozzle.
    const x1c = findPrinter('bambu-x1c');
    const cube = write('cube2.stl', b);
    const work = join(dir, 'refused');
    await expect(quoteModel(cube, x1c, materialFor(x1c, 'pla'), { layerHeight_mm: 0.9, workDir: work })).rejects.toMatchObject({ code: 'SLICER_FAILED', message: expect.stringMatching(/cube2\.stl: PrusaSlicer failed \(exit \d+\)/) });
    expect(existsSync(join(work, 'model.gcode'))).toBe(false);
    await expect(quoteModel(cube, mk4, pla, { slicer: join(dir, 'no-such-slicer') })).rejects.toMatchObject({ code: 'NO_SLICER', kind: 'internal' });
    await expect(quoteModel(cube, mk4, materialFor(findPrinter('formlabs-fuse1'), 'pa12'))).rejects.toMatchObject({ code: 'MATERIAL_NOT_FOR_PRINTER' });
  });
});
