import { describe, expect, it } from 'vitest';
import { PRINT_CATALOGUE, validateCatalogue } from '@scan2print/core';
import { applyEdit, changesBetween, describeIssue, issuesOf, itemsOf, parseValue, PRINTER_FIELDS, MATERIAL_FIELDS, replaceItem, shownFields, toText, valueText, sourcedOf } from './catalogue-fields.js';
import { grams, hMm, isApproved, priceText } from './format.js';
import { buildTimeline } from './timeline.js';
import type { ScheduleJson } from './types.js';

const field = (key: string) => [...PRINTER_FIELDS, ...MATERIAL_FIELDS].find((f) => f.key === key)!;

describe('catalogue fields', () => {
  it('reads values with units and says what is not set', () => {
    const mk4 = itemsOf(PRINT_CATALOGUE, 'printers').find((p) => p.id === 'prusa-mk4')!;
    expect(valueText(field('buildVolume_mm'), sourcedOf(mk4, 'buildVolume_mm'))).toBe('250 × 210 × 220 mm');
    expect(valueText(field('layerHeight_mm'), sourcedOf(mk4, 'layerHeight_mm'))).toBe('0.05–0.3 mm');
    const pla = itemsOf(PRINT_CATALOGUE, 'materials').find((m) => m.id === 'pla')!;
    expect(valueText(field('pricePerKg'), sourcedOf(pla, 'pricePerKg'))).toBe('not set');
    expect(valueText(field('biocompatible'), sourcedOf(pla, 'biocompatible'))).toBe('no');
    expect(toText(field('buildVolume_mm'), sourcedOf(mk4, 'buildVolume_mm')).value).toBe('250 x 210 x 220');
  });

  it('parses typed text or says why not', () => {
    expect(parseValue(field('minFeature_mm'), '0,4')).toEqual({ ok: true, value: 0.4 });
    expect(parseValue(field('minFeature_mm'), '')).toMatchObject({ ok: false });
    expect(parseValue(field('minFeature_mm'), 'abc')).toMatchObject({ ok: false });
    expect(parseValue(field('layerHeight_mm'), '0.3 - 0.05')).toMatchObject({ ok: false, error: /finest/ });
    expect(parseValue(field('buildVolume_mm'), '250 x 210')).toMatchObject({ ok: false, error: /3 numbers/ });
    expect(parseValue(field('biocompatible'), '')).toEqual({ ok: true, value: null });
    expect(parseValue(field('colours'), 'white, bone ,')).toEqual({ ok: true, value: ['white', 'bone'] });
  });

  it('applies an edit with its source and currency, lists it as a change, refuses a price without currency', () => {
    const pla = itemsOf(PRINT_CATALOGUE, 'materials').find((m) => m.id === 'pla')!;
    const bad = applyEdit(pla, MATERIAL_FIELDS, { pricePerKg: { value: '24.5', currency: '', source: 'supplier quote 2026-11' } });
    expect(bad).toEqual({ errors: { pricePerKg: expect.stringMatching(/currency/) } });
    const noSource = applyEdit(pla, MATERIAL_FIELDS, { pricePerKg: { value: '24.5', currency: 'eur', source: ' ' } });
    expect('errors' in noSource).toBe(true);
    const ok = applyEdit(pla, MATERIAL_FIELDS, { pricePerKg: { value: '24.5', currency: 'eur', source: 'supplier quote 2026-11' } });
    if (!('item' in ok)) throw new Error('not applied');
    expect(ok.item.pricePerKg).toEqual({ value: 24.5, currency: 'EUR', source: 'supplier quote 2026-11' });
    const draft = replaceItem(PRINT_CATALOGUE, 'materials', ok.item);
    const ch = changesBetween(PRINT_CATALOGUE, draft);
    expect(ch).toHaveLength(1);
    expect(ch[0]).toMatchObject({ id: 'pla', field: 'Price per kg', from: expect.stringContaining('not set'), to: expect.stringContaining('24.5 EUR per kg') });
    // A field the catalogue lacks, left empty, is not added.
    const mk4 = itemsOf(PRINT_CATALOGUE, 'printers').find((p) => p.id === 'prusa-mk4')!;
    const same = applyEdit({ ...mk4, nozzle_mm: undefined }, PRINTER_FIELDS, { nozzle_mm: { value: '', currency: '', source: '' } });
    expect('item' in same && same.item.nozzle_mm).toBeFalsy();
    // Re-applying a material untouched changes nothing, whatever key order the stored catalogue has.
    const petg = itemsOf(PRINT_CATALOGUE, 'materials').find((m) => m.id === 'petg')!;
    const reordered = { ...petg, pricePerKg: { source: (petg.pricePerKg as { source: string }).source, value: null, currency: null } } as typeof petg;
    const texts = Object.fromEntries(MATERIAL_FIELDS.map((f) => [f.key, toText(f, sourcedOf(reordered, f.key))]));
    const again = applyEdit(reordered, MATERIAL_FIELDS, texts);
    expect('item' in again && changesBetween(PRINT_CATALOGUE, replaceItem(PRINT_CATALOGUE, 'materials', again.item))).toEqual([]);
    // Colours are shown only where the catalogue has them (core's schema does not take them yet).
    expect(shownFields('materials', itemsOf(PRINT_CATALOGUE, 'materials')).map((f) => f.key)).not.toContain('colours');
    expect(shownFields('materials', [{ id: 'x', name: 'x', colours: { value: ['white'], source: 's' } }]).map((f) => f.key)).toContain('colours');
  });

  it('names a 400 issue by item and field, from zod paths or from the message', () => {
    const fromZod = issuesOf({ error: { code: 'INVALID', message: 'x', issues: [{ path: ['catalogue', 'printers', 0, 'machineRate_per_h', 'value'], message: 'Expected number' }] } });
    expect(describeIssue(PRINT_CATALOGUE, fromZod[0]!)).toBe('Original Prusa MK4, Machine hourly rate: Expected number');
    const fromText = issuesOf({ error: { code: 'BAD_CATALOGUE', message: 'catalogue: materials[1].density_g_cm3.value: must be > 0; printers.2.minFeature_mm: required' } });
    expect(fromText.map((i) => i.path)).toEqual([['materials', 1, 'density_g_cm3', 'value'], ['printers', 2, 'minFeature_mm']]);
    expect(describeIssue(PRINT_CATALOGUE, fromText[0]!)).toBe('PETG (Prusament PETG), Density: must be > 0');
    // As the server answers an edit core's validateCatalogue refuses (400 INVALID_CATALOGUE with its message).
    let message = '';
    try {
      const bad = structuredClone(PRINT_CATALOGUE) as unknown as { printers: Array<Record<string, unknown>> };
      bad.printers[0]!.machineRate_per_h = { value: 30, currency: null, source: 'lab sheet' };
      validateCatalogue(bad, 'catalogue');
    } catch (e) {
      message = (e as Error).message;
    }
    const real = issuesOf({ error: { code: 'INVALID_CATALOGUE', message } });
    expect(real.map((i) => describeIssue(PRINT_CATALOGUE, i))).toEqual(['Original Prusa MK4, Machine hourly rate (currency): a price needs its currency']);
    // With issues whose paths are strings from the request body's root.
    const listed = issuesOf({ error: { code: 'INVALID_CATALOGUE', message: 'x', issues: [{ path: 'catalogue.printers[0].materials[1]', message: 'petx is not a material of this catalogue' }] } });
    expect(listed[0]!.path).toEqual(['catalogue', 'printers', 0, 'materials', 1]);
    expect(describeIssue(PRINT_CATALOGUE, listed[0]!)).toBe('Original Prusa MK4, materials (1): petx is not a material of this catalogue');
  });
});

describe('print formats', () => {
  it('h:mm, grams, a price or what is missing, approval', () => {
    expect(hMm(3723)).toBe('1:02');
    expect(hMm(59)).toBe('0:01');
    expect(hMm(36_000)).toBe('10:00');
    expect(grams(4.26)).toBe('4.3 g');
    expect(grams(123.6)).toBe('124 g');
    expect(priceText({ price: 12.345, currency: 'EUR', missing: [] })).toBe('12.35 EUR');
    expect(priceText({ price: null, currency: null, missing: ['machine hourly rate of prusa-mk4', 'price per kg of pla'] })).toBe('no price: missing machine hourly rate of prusa-mk4, price per kg of pla');
    expect(isApproved(null)).toBe(false);
  });

  it('approved: the state and the signed model gate together, as the server decides (a gate alone, or a state alone, is not)', () => {
    const signed = { model: { signed: true, modelVersionId: 'v1' } };
    const wf = (state: string, gates: Record<string, unknown>) => ({ state, gates, next: [], history: [] }) as Parameters<typeof isApproved>[0];
    for (const state of ['approved', 'print-preparation', 'printing', 'qc-passed', 'delivered']) expect(isApproved(wf(state, signed)), state).toBe(true);
    for (const state of ['in-review', 'changes-requested', 'cancelled', 'rejected']) expect(isApproved(wf(state, signed)), state).toBe(false);
    expect(isApproved(wf('print-preparation', {}))).toBe(false);
    expect(isApproved(wf('approved', { model: { signed: false } }))).toBe(false);
  });
});

describe('timeline layout', () => {
  const now = Date.parse('2026-11-30T10:20:00Z');
  const plan: ScheduleJson = {
    printers: [
      { id: 'p1', catalogueId: 'prusa-mk4', name: 'MK4 #1', status: 'up', outages: [] },
      { id: 'p2', catalogueId: 'prusa-mk4', name: 'MK4 #2', status: 'down', outages: [{ from: '2026-11-30T10:00:00Z', to: null }] },
    ],
    jobs: [
      { id: 'j1', caseId: 'c1', caseTitle: 'skull: guide', due: '2026-11-30T12:00:00Z', duration_s: 7200 },
      { id: 'j2', caseId: 'c2', caseTitle: 'mandible', due: null, duration_s: 3600 },
      { id: 'j3', caseId: 'c3', caseTitle: 'pelvis', due: null, duration_s: 3600 },
    ],
    plates: [{ printerId: 'p1', start: '2026-11-30T10:20:00Z', end: '2026-11-30T13:20:00Z', jobIds: ['j1', 'j2'] }],
    late: [{ jobId: 'j1', due: '2026-11-30T12:00:00Z', end: '2026-11-30T13:20:00Z' }],
    unplaceable: [{ jobId: 'j3', reason: 'larger than every printer' }],
    makespan_s: 10_800,
  };
  it('places plates and outages in whole hours from now, flags late plates, lists waiting jobs', () => {
    const t = buildTimeline(plan, now);
    expect(t.from).toBe(Date.parse('2026-11-30T10:00:00Z'));
    expect(t.to).toBe(Date.parse('2026-11-30T22:00:00Z'));
    const [r1, r2] = t.rows;
    expect(r1!.plates).toHaveLength(1);
    expect(r1!.plates[0]).toMatchObject({ label: 'skull: guide, mandible', late: true });
    expect(r1!.plates[0]!.x).toBeCloseTo(20 / 720, 6);
    expect(r1!.plates[0]!.w).toBeCloseTo(180 / 720, 6);
    expect(r2!.outages).toEqual([expect.objectContaining({ x: 0, w: 1, open: true })]);
    expect(t.waiting).toEqual([{ job: plan.jobs[2], reason: 'larger than every printer' }]);
    expect(t.late.map((l) => l.job.caseTitle)).toEqual(['skull: guide']);
    expect(t.ticks.length).toBeGreaterThanOrEqual(7);
    expect(t.ticks.length).toBeLessThanOrEqual(13);
  });
});
