/**
 * What the quote panel says would help when nothing can print the model (no-choice.ts), read
 * from real choice records: core's choosePrint on boxes whose answers are known (as choose.spec),
 * for the cases the browser spec (test/browser/print-nofit.spec.ts) does not reach: walls too
 * thin, needs that free pairs only together, a build volume too small even for parts.
 */
import { describe, expect, it } from 'vitest';
import { choosePrint, PRINT_CATALOGUE, type PrintCatalogue } from '@scan2print/core';
import { box } from '../../../core/src/testing/meshes.js';
import { closestFirst, listText, remediesOf, requirementsAsked, type RefusedPair } from './no-choice.js';

const pairs = (xs: { printer: string; material: string }[]) => xs.map((v) => `${v.printer}/${v.material}`);

/** The shipped catalogue, changed by `edit`. */
function catalogue(edit: (c: PrintCatalogue) => void): PrintCatalogue {
  const c = structuredClone(PRINT_CATALOGUE);
  edit(c);
  return c;
}

describe('what would help when nothing can print it', () => {
  it('a thin plate with needs: each need, what dropping it frees, and the printers whose minimum feature is too coarse', () => {
    // 0.35 mm: under FDM's 0.4 mm and SLS's 0.8 mm, over resin's 0.3 mm. BioMed Clear's sterilisability not stated.
    const cat = catalogue((c) => {
      c.materials.find((m) => m.id === 'formlabs-biomed-clear')!.sterilisable = { value: null, source: 'test' };
    });
    const refused: RefusedPair[] = choosePrint(box([0, 0, 0], [60, 60, 0.35], 4), cat, { needs: ['biocompatible', 'sterilisable'] }).output.refused;
    expect(refused.length).toBe(14);
    expect(requirementsAsked(refused)).toEqual(['biocompatible', 'sterilisable']);
    const r = remediesOf(refused);
    expect(r.map((x) => x.kind)).toEqual(['requirement', 'requirement', 'thin']);
    expect(r[0]).toMatchObject({ requirement: 'biocompatible', without: [] });
    expect(r[1]).toMatchObject({ requirement: 'sterilisable', pairs: 14 });
    expect(pairs(r[1]!.kind === 'requirement' ? r[1]!.without : [])).toEqual([
      'formlabs-form3plus/formlabs-biomed-clear',
      'formlabs-form4/formlabs-biomed-clear',
      'stratasys-j5/stratasys-med610',
      'stratasys-j850/stratasys-med610',
    ]);
    expect(r[2]).toMatchObject({ kind: 'thin', printers: ['bambu-x1c', 'eos-formiga-p110', 'formlabs-fuse1', 'prusa-mk4', 'prusa-xl'] });
    // Closest first: the four refused only for sterilisability lead, in the record's order.
    expect(pairs(closestFirst(refused).slice(0, 4))).toEqual(pairs(r[1]!.kind === 'requirement' ? r[1]!.without : []));
  });

  it('needs that free pairs only together are said together', () => {
    // No material is biocompatible or sterilisable: dropping either need alone frees nothing.
    const cat = catalogue((c) => {
      for (const m of c.materials) {
        m.biocompatible = { value: false, source: 'test' };
        m.sterilisable = { value: false, source: 'test' };
      }
    });
    const refused = choosePrint(box([0, 0, 0], [20, 20, 20]), cat, { needs: ['biocompatible', 'sterilisable'] }).output.refused;
    const r = remediesOf(refused);
    expect(r.map((x) => x.kind)).toEqual(['requirement', 'requirement', 'requirements']);
    expect(r[2]).toMatchObject({ requirements: ['biocompatible', 'sterilisable'] });
    expect(r[2]!.kind === 'requirements' && r[2]!.without.length).toBe(14);
  });

  it('another side down first, then the fewest parts; a build volume too small even for parts last', () => {
    // 100 × 100 × 30 mm: the MK4 takes it on its side, the Form 3+ in parts, a 5 mm cube in none.
    const cat = catalogue((c) => {
      c.printers = c.printers.filter((p) => ['prusa-mk4', 'formlabs-form3plus', 'stratasys-j5'].includes(p.id));
      c.printers.find((p) => p.id === 'prusa-mk4')!.buildVolume_mm.value = [110, 40, 110];
      c.printers.find((p) => p.id === 'formlabs-form3plus')!.buildVolume_mm.value = [60, 60, 60];
      c.printers.find((p) => p.id === 'stratasys-j5')!.buildVolume_mm.value = [5, 5, 5];
    });
    const refused = choosePrint(box([0, 0, 0], [100, 100, 30]), cat).output.refused;
    const r = remediesOf(refused);
    expect(r.map((x) => x.kind)).toEqual(['turn', 'cut', 'too-small']);
    expect(r[0]).toMatchObject({ printers: ['prusa-mk4'], pairs: 2 });
    expect(r[1]).toMatchObject({ printers: ['formlabs-form3plus'], parts: refused.find((v) => v.printer === 'formlabs-form3plus')!.partsNeeded });
    expect(r[2]).toMatchObject({ printers: ['stratasys-j5'], pairs: 1 });
    expect(closestFirst(refused).map((v) => v.printer)).toEqual(['prusa-mk4', 'prusa-mk4', 'formlabs-form3plus', 'formlabs-form3plus', 'stratasys-j5']);
  });

  it('lists read as a sentence', () => {
    expect(listText([])).toBe('');
    expect(listText(['a'])).toBe('a');
    expect(listText(['a', 'b', 'c'])).toBe('a, b and c');
  });
});
