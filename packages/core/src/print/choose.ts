/**
 * Automatic printer and material choice (SPEC §2 "automatic printer/material choice"). Every
 * printer × material pair of the catalogue (a material the printer uses; with a printer or a
 * material named, only the pairs with it) is checked, and every reason a pair cannot take the
 * model is said, none dropped silently:
 *
 * - requirements: the material biocompatible and/or sterilisable (the catalogue's value must be
 *   true: null, "not stated", is not taken for yes); a technology;
 * - fit: the model as it lies (the quote slices it so) must fit the build volume at some turn
 *   about the vertical (footprint-fit.ts, exact); otherwise the refusal says whether prepare would
 *   fit it whole on another side down, or into how many parts it would cut it;
 * - walls: prepare's wall-thickness rays (thickness.ts, one sample per triangle, evenly strided),
 *   once per distinct minimum feature. A printer is refused when more than `maxThinShare`
 *   (default 25 %) of the samples are thinner than its minimum feature. Not "the thinnest wall":
 *   on real anatomy the thinnest ray reads ~0 mm where thin bone pinches the surface (the phantom
 *   skull: 0 mm, 1st percentile 0.16 mm), which would refuse every printer for every model,
 *   while prepare only warns of such spots. Measured at 0.4 mm (FDM): the skull 1.5 % of its
 *   samples, a real lumbar vertebra 5.2 %, the same at a quarter scale 17.7 %; a plate thinner
 *   than the minimum is thin nearly everywhere but its rim. A model that is thin over much of
 *   its surface is what this refuses; `maxThinShare: 0` gives the strict rule, and every pair
 *   reports its thin share either way.
 *
 * The rest are ranked by the quick estimate (choose-estimate.ts): by price when the catalogue
 * prices every one of them in one currency, else by print time; ties by printer id, then
 * material id. Pure and deterministic: same model, catalogue and parameters, same answer.
 */
import type { Mesh } from '../geometry/types.js';
import { inputError, usageError } from '../errors.js';
import { round } from '../pipeline/record.js';
import { bbox_mm, signedVolume_mm3 } from '../surface/mesh-utils.js';
import { findPrinter, resolveMaterial, TECHNOLOGIES, type MaterialSpec, type PrintCatalogue, type PrinterSpec, type Technology } from './catalogue.js';
import { FDM_QUICK_MODEL, fitAsItLies, partsNeeded, quickEstimate, type ModelFigures, type PairEstimate } from './choose-estimate.js';
import { footprintHull } from './footprint-fit.js';
import type { PrintRecord } from './prepare.js';
import { DEFAULT_THICKNESS, wallThickness, type ThicknessResult } from './thickness.js';

export const MATERIAL_NEEDS = ['biocompatible', 'sterilisable'] as const;
export type MaterialNeed = (typeof MATERIAL_NEEDS)[number];

export interface ChoiceParams {
  /** A catalogue printer (id or name) to choose a material for; absent or 'auto': any printer. */
  printer?: string;
  /** A catalogue material (id or name) to choose a printer for; absent or 'auto': any material. */
  material?: string;
  needs?: readonly MaterialNeed[];
  technology?: Technology;
  /** As the quote will be made (default true): the estimate counts support material. */
  supports?: boolean;
  /** Largest share (0–1) of the wall-thickness samples thinner than a printer's minimum feature it may still print (default 0.25). */
  maxThinShare?: number;
}

export type RefusalCode = 'TECHNOLOGY' | 'NOT_BIOCOMPATIBLE' | 'NOT_STERILISABLE' | 'TOO_LARGE' | 'TOO_THIN';
/** The refusal a pair gets when its material lacks a need asked for (the web panel reads the codes back as needs). */
export const NEED_REFUSAL = { biocompatible: 'NOT_BIOCOMPATIBLE', sterilisable: 'NOT_STERILISABLE' } as const satisfies Record<MaterialNeed, RefusalCode>;
/** Refusals that come from what was asked for, not from the model. */
const REQUIREMENT_CODES: readonly RefusalCode[] = ['TECHNOLOGY', ...MATERIAL_NEEDS.map((n) => NEED_REFUSAL[n])];

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export interface PairVerdict {
  printer: string;
  material: string;
  technology: Technology;
  /** 1 is the choice; null when refused. */
  rank: number | null;
  refusals: Refusal[];
  /** The turn about the vertical at which the model fits as it lies, or null when it does not. */
  turn_deg: number | null;
  /** Parts prepare would cut the model into for this printer (1: whole, another side down), when it does not fit as it lies. */
  partsNeeded?: number | null;
  /** Surface samples thinner than the printer's minimum feature. */
  thin: { minFeature_mm: number; samples: number; share: number; features: number; thinnest_mm: number | null };
  /** The quick estimate (ranked pairs only). */
  estimate: PairEstimate | null;
  /** One line: where it ranks and by what, or why it was refused. */
  why: string;
}

export interface PrintChoice {
  chosen: { printer: string; material: string } | null;
  rankedBy: 'price' | 'time';
  /** Why that criterion: all priced, or which prices the catalogue lacks. */
  rankedByWhy: string;
  /** Pairs that can print the model, best first. */
  ranked: PairVerdict[];
  /** Pairs that cannot, by printer id then material id, each with every reason. */
  refused: PairVerdict[];
  model: { size_mm: [number, number, number]; volume_mm3: number; triangles: number; thickness: Omit<ThicknessResult, 'locations' | 'thinSamples' | 'thinFeatures'> };
}

const DEFAULT_MAX_THIN_SHARE = 0.25;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const mm = (x: number): string => String(round(x, 1));
const pct = (x: number): string => `${round(100 * x, 1)} %`;
/** h:mm, as the web app shows durations. */
export function hoursText(s: number): string {
  const min = Math.round(s / 60);
  return `${Math.floor(min / 60)}:${String(min % 60).padStart(2, '0')} h`;
}

function needRefusal(material: MaterialSpec, need: MaterialNeed): Refusal | null {
  const v = material[need];
  if (v.value === true) return null;
  const code: RefusalCode = NEED_REFUSAL[need];
  const what = need === 'biocompatible' ? 'biocompatibility' : 'sterilisability';
  return { code, message: v.value === false ? `${material.id} is not ${need} (${v.source})` : `${what} of ${material.id} is not stated in the catalogue (${v.source}), and ${need} was asked for` };
}

function sizeRefusal(m: ModelFigures, printer: PrinterSpec, parts: number): Refusal {
  const [w, d, h] = printer.buildVolume_mm.value;
  const head = `${m.size_mm.map(mm).join(' × ')} mm does not fit ${printer.id} (${w} × ${d} × ${h} mm) as it lies at any turn about the vertical`;
  const tail = parts === 1
    ? `; another side down it fits whole (scan2print prepare --printer ${printer.id} orients it)`
    : Number.isFinite(parts)
      ? `; it needs splitting into ${parts} parts (scan2print prepare --printer ${printer.id})`
      : '; the build volume is too small even for split parts with connectors';
  return { code: 'TOO_LARGE', message: head + tail };
}

/**
 * Ranks every printer × material pair for the model (module comment). Usage errors for a
 * printer or material the catalogue lacks, a printer that does not use the material named, or
 * a material no printer uses. A choice with nothing that fits is an answer (chosen null, every
 * pair refused with its reasons): `requireChoice` turns it into an error.
 */
export function choosePrint(mesh: Mesh, catalogue: PrintCatalogue, params: ChoiceParams = {}): { output: PrintChoice; record: PrintRecord } {
  const auto = (x: string | undefined): boolean => x === undefined || x.trim().toLowerCase() === 'auto';
  const printerAsked = auto(params.printer) ? null : findPrinter(params.printer!, catalogue);
  const materialAsked = auto(params.material) ? null : resolveMaterial(params.material!, catalogue);
  const needs = [...new Set(params.needs ?? [])].sort();
  for (const n of needs) if (!MATERIAL_NEEDS.includes(n)) throw usageError('BAD_NEEDS', `needs ${String(n)}: expected ${MATERIAL_NEEDS.join(' or ')}`);
  if (params.technology !== undefined && !(TECHNOLOGIES as readonly string[]).includes(params.technology)) throw usageError('BAD_TECHNOLOGY', `technology ${String(params.technology)}: expected ${TECHNOLOGIES.join(', ')}`);
  const supports = params.supports ?? true;
  const maxThinShare = params.maxThinShare ?? DEFAULT_MAX_THIN_SHARE;
  if (!(maxThinShare >= 0 && maxThinShare <= 1)) throw usageError('BAD_THIN_SHARE', `maxThinShare ${maxThinShare}: expected a share from 0 to 1`);
  if (printerAsked && materialAsked && !printerAsked.materials.includes(materialAsked.id)) {
    throw usageError('MATERIAL_NOT_FOR_PRINTER', `--material ${materialAsked.id}: ${printerAsked.id} does not print it (it uses ${printerAsked.materials.join(', ')})`);
  }
  const materials = new Map(catalogue.materials.map((m) => [m.id, m]));
  const pairs: { printer: PrinterSpec; material: MaterialSpec }[] = [];
  for (const p of [...catalogue.printers].sort((a, b) => cmp(a.id, b.id))) {
    if (printerAsked && p.id !== printerAsked.id) continue;
    for (const id of [...p.materials].sort(cmp)) {
      const m = materials.get(id);
      if (m && (!materialAsked || m.id === materialAsked.id)) pairs.push({ printer: p, material: m });
    }
  }
  if (pairs.length === 0) {
    const why = materialAsked ? `--material ${materialAsked.id}: no printer of the catalogue prints it` : `${printerAsked?.id ?? 'the catalogue'} has no materials`;
    throw usageError('NO_PAIRS', why);
  }

  const box = bbox_mm(mesh);
  const size = [0, 1, 2].map((k) => box.max[k]! - box.min[k]!) as [number, number, number];
  const used: number[] = [];
  for (const i of mesh.indices) used.push(mesh.positions[3 * i]!, mesh.positions[3 * i + 1]!, 0);
  const fig: ModelFigures = { size_mm: size, volume_mm3: Math.abs(signedVolume_mm3(mesh)), hull: footprintHull(used) };
  // The rays' counts depend on the threshold only: one pass per distinct minimum feature.
  const thickness = new Map<number, ThicknessResult>();
  const thickAt = (minFeature: number): ThicknessResult => {
    let t = thickness.get(minFeature);
    if (!t) thickness.set(minFeature, (t = wallThickness(mesh, minFeature, DEFAULT_THICKNESS)));
    return t;
  };

  const verdicts: PairVerdict[] = pairs.map(({ printer, material }) => {
    const refusals: Refusal[] = [];
    if (params.technology && printer.technology !== params.technology) refusals.push({ code: 'TECHNOLOGY', message: `${printer.id} is ${printer.technology}, not the ${params.technology} asked for` });
    for (const n of needs) {
      const r = needRefusal(material, n);
      if (r) refusals.push(r);
    }
    const fit = fitAsItLies(fig, printer);
    let parts: number | undefined;
    if (!fit) {
      parts = partsNeeded(size, printer);
      refusals.push(sizeRefusal(fig, printer, parts));
    }
    const minFeature = printer.minFeature_mm.value;
    const t = thickAt(minFeature);
    const share = t.samples > 0 ? t.thinSamples / t.samples : 0;
    const thin = { minFeature_mm: minFeature, samples: t.thinSamples, share: round(share, 4), features: t.thinFeatures, thinnest_mm: t.min_mm };
    if (share > maxThinShare) {
      const message = `${pct(share)} of the surface is thinner than ${printer.id}'s minimum feature ${minFeature} mm`
        + ` (more than the ${pct(maxThinShare)} allowed; thinnest ${t.min_mm} mm): those walls would not print`;
      refusals.push({ code: 'TOO_THIN', message });
    }
    return {
      printer: printer.id, material: material.id, technology: printer.technology, rank: null, refusals,
      turn_deg: fit ? fit.turn_deg : null, ...(parts !== undefined ? { partsNeeded: Number.isFinite(parts) ? parts : null } : {}),
      thin, estimate: refusals.length === 0 ? quickEstimate(fig, printer, material, supports) : null, why: refusals.map((r) => r.message).join('; '),
    };
  });

  const ok = verdicts.filter((v) => v.refusals.length === 0);
  const currencies = new Set(ok.map((v) => v.estimate!.currency));
  const allPriced = ok.length > 0 && ok.every((v) => v.estimate!.price !== null) && currencies.size === 1;
  const rankedBy: PrintChoice['rankedBy'] = allPriced ? 'price' : 'time';
  const lacking = [...new Set(ok.flatMap((v) => v.estimate!.missing.map((x) => `${x.startsWith('material.') ? v.material : v.printer} ${x.replace(/^(printer|material)\./, '')}`)))].sort(cmp);
  const lacks = lacking.length ? lacking.slice(0, 6).join(', ') + (lacking.length > 6 ? `, and ${lacking.length - 6} more` : '') : 'one currency for all prices';
  const rankedByWhy = allPriced
    ? `every pair that fits is priced in ${[...currencies][0]}: ranked by estimated price`
    : ok.length === 0
      ? 'nothing fits'
      : `ranked by estimated print time: the catalogue lacks ${lacks}`;
  const key = (v: PairVerdict): number => (rankedBy === 'price' ? v.estimate!.price! : v.estimate!.printTime_s);
  ok.sort((a, b) => key(a) - key(b) || cmp(a.printer, b.printer) || cmp(a.material, b.material));
  const first = ok[0];
  ok.forEach((v, i) => {
    v.rank = i + 1;
    const e = v.estimate!;
    const figure = rankedBy === 'price' ? `${e.price!.toFixed(2)} ${e.currency}` : hoursText(e.printTime_s);
    const by = rankedBy === 'price' ? 'lowest estimated price' : 'shortest estimated print time';
    if (i === 0) v.why = `rank 1 of ${ok.length} that fit: ${by} (${figure})`;
    else {
      const more = rankedBy === 'price' ? `${(e.price! - first!.estimate!.price!).toFixed(2)} ${e.currency}` : hoursText(e.printTime_s - first!.estimate!.printTime_s);
      const than = key(v) === key(first!) ? 'as the choice (a tie, broken by printer id, then material id)' : `${more} more than the choice`;
      v.why = `rank ${i + 1} of ${ok.length}: estimated ${figure}, ${than}`;
    }
  });
  const refused = verdicts.filter((v) => v.refusals.length > 0);
  const t0 = thickAt(pairs[0]!.printer.minFeature_mm.value);
  const output: PrintChoice = {
    chosen: first ? { printer: first.printer, material: first.material } : null,
    rankedBy,
    rankedByWhy,
    ranked: ok,
    refused,
    model: {
      size_mm: size.map((x) => round(x, 3)) as [number, number, number],
      volume_mm3: round(fig.volume_mm3, 1),
      triangles: mesh.indices.length / 3,
      thickness: { samples: t0.samples, measured: t0.measured, min_mm: t0.min_mm, p1_mm: t0.p1_mm, p5_mm: t0.p5_mm, median_mm: t0.median_mm },
    },
  };
  const asked = { printer: printerAsked?.id ?? 'auto', material: materialAsked?.id ?? 'auto', needs, technology: params.technology ?? null, supports, maxThinShare, catalogue: catalogue.version };
  return { output, record: choiceRecord(output, asked) };
}

function choiceRecord(o: PrintChoice, params: Record<string, unknown>): PrintRecord {
  const findings: NonNullable<PrintRecord['findings']> = [];
  const chosen = o.ranked[0];
  if (!chosen) {
    const each = o.refused.map((v) => `${v.printer}/${v.material}: ${v.why}`).join('. ');
    findings.push({ code: 'NOTHING_FITS', severity: 'error', message: `no printer and material of the catalogue can print the model: ${each}` });
  } else if (chosen.thin.samples > 0) {
    const th = chosen.thin;
    const message = `${th.features} features thinner than ${chosen.printer}'s minimum ${th.minFeature_mm} mm (${pct(th.share)} of the surface; thinnest ${th.thinnest_mm} mm): scan2print prepare lists where`;
    findings.push({ code: 'THIN_FEATURES', severity: 'warn', message });
  }
  return {
    stage: 'print',
    method: 'choose-printer-material',
    params: {
      ...params,
      pairs: 'every printer × material the printer uses (with a printer or material named, only those)',
      fit: 'as it lies, turned about the vertical (footprint hull, exact), no margin: as the quote slices it',
      walls: `refused when more than maxThinShare of the wall-thickness ray samples (${DEFAULT_THICKNESS.maxSamples} at most) are thinner than the printer's minimum feature`,
      estimate: `volume/height model (quote.ts VOLUME_MODEL) for SLA, SLS, PolyJet; FDM quick model ${JSON.stringify(FDM_QUICK_MODEL)}; priced from the catalogue`,
      ranking: 'by estimated price when every pair that fits is priced in one currency, else by estimated print time; ties by printer id, then material id',
    },
    figures: { chosen: o.chosen, rankedBy: o.rankedBy, rankedByWhy: o.rankedByWhy, model: o.model, ranked: o.ranked, refused: o.refused },
    ...(findings.length ? { findings } : {}),
  };
}

/**
 * The chosen pair, or the error a host reports when there is none, naming why for each pair: a
 * usage error when what was asked for (needs, technology) leaves no pair, else an input error
 * naming the model file (it fits no printer, or is too thin for those that would take it).
 */
export function requireChoice(choice: PrintChoice, file?: string): { printer: string; material: string } {
  if (choice.chosen) return choice.chosen;
  const list = choice.refused.map((v) => `${v.printer}/${v.material}: ${v.why}`).join('. ');
  if (choice.refused.every((v) => v.refusals.some((r) => REQUIREMENT_CODES.includes(r.code)))) {
    throw usageError('NO_PAIR_MEETS_NEEDS', `no printer and material of the catalogue meet what was asked for: ${list}`);
  }
  throw inputError('NOTHING_FITS', `no printer and material of the catalogue can print it: ${list}`, file);
}
