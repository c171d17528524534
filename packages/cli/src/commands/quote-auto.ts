/**
 * `scan2print quote --printer auto [--material auto|M] [--needs …] [--technology T]`: the
 * automatic choice (core choosePrint) before the quote. Every printer × material pair of the
 * catalogue is checked against the model as it lies and what was asked for, the rest ranked by a
 * quick estimate; the chosen pair is then quoted the normal way (PrusaSlicer for FDM), and the
 * output says what was chosen, the alternatives and every refusal with its reason.
 */
import { readFileSync } from 'node:fs';
import {
  choosePrint,
  hoursText,
  MATERIAL_NEEDS,
  readModelFile,
  requireChoice,
  TECHNOLOGIES,
  usageError,
  type MaterialNeed,
  type PrintCatalogue,
  type PrintChoice,
  type PrintRecord,
  type Technology,
} from '@scan2print/core';

export interface AutoOptions {
  printer: string;
  material?: string;
  needs?: string;
  technology?: string;
  supports: boolean;
  layerHeight?: string;
  rate?: string;
  pricePerKg?: string;
  setup?: string;
}

/** How many alternatives the text output lists (--json lists them all). */
const SHOWN = 5;

export const isAuto = (x: string | undefined): boolean => x !== undefined && x.trim().toLowerCase() === 'auto';

/** Whether the options ask for a choice; usage errors for what a choice cannot take. */
export function wantsChoice(o: AutoOptions): boolean {
  const auto = isAuto(o.printer) || isAuto(o.material);
  if (!auto) {
    if (o.material === undefined) throw usageError('BAD_OPTION', `--material is required with --printer ${o.printer} (or --material auto to choose one)`);
    if (o.needs !== undefined || o.technology !== undefined) throw usageError('BAD_OPTION', '--needs and --technology apply to an automatic choice: use them with --printer auto or --material auto');
    return false;
  }
  // One figure for every printer (an FDM hour and a PolyJet hour cost differently) would rank nothing.
  if (o.rate !== undefined || o.pricePerKg !== undefined || o.setup !== undefined) {
    throw usageError('BAD_OPTION', '--rate, --price-per-kg and --setup price one printer and material: with auto, give each its prices in a --catalogue file');
  }
  if (o.layerHeight !== undefined) throw usageError('BAD_OPTION', '--layer-height is for a printer you name: each printer has its own range (scan2print printers)');
  return true;
}

function needsOf(text: string | undefined): MaterialNeed[] {
  if (text === undefined) return [];
  const words = text.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
  const bad = words.filter((w) => !(MATERIAL_NEEDS as readonly string[]).includes(w));
  if (bad.length || words.length === 0) throw usageError('BAD_OPTION', `--needs ${text}: expected a comma-separated list of ${MATERIAL_NEEDS.join(', ')}`);
  return words as MaterialNeed[];
}

function technologyOf(text: string | undefined): Technology | undefined {
  if (text === undefined) return undefined;
  const t = TECHNOLOGIES.find((x) => x.toLowerCase() === text.trim().toLowerCase());
  if (!t) throw usageError('BAD_OPTION', `--technology ${text}: expected one of ${TECHNOLOGIES.join(', ')}`);
  return t;
}

/**
 * The choice for the model file: the pair to quote, and the choice's record. Exit 2 when what
 * was asked for leaves no pair, exit 3 (naming the file) when the model fits none, each pair's
 * reasons in the message.
 */
export function chooseFor(modelFile: string, catalogue: PrintCatalogue, o: AutoOptions): { printer: string; material: string; output: PrintChoice; record: PrintRecord } {
  const needs = needsOf(o.needs);
  const technology = technologyOf(o.technology);
  const { mesh } = readModelFile(modelFile, (f) => new Uint8Array(readFileSync(f)));
  const { output, record } = choosePrint(mesh, catalogue, {
    printer: o.printer,
    ...(o.material !== undefined ? { material: o.material } : {}),
    needs,
    ...(technology ? { technology } : {}),
    supports: o.supports,
  });
  return { ...requireChoice(output, modelFile), output, record };
}

/** The choice in words: the pair, why, the best alternatives and every refusal. */
export function describeChoice(c: PrintChoice): string {
  const first = c.ranked[0]!;
  const lines = [`chosen: ${first.printer} in ${first.material} (${first.why}; ${c.rankedByWhy})`];
  const est = (v: PrintChoice['ranked'][number]): string => {
    const e = v.estimate!;
    return `${hoursText(e.printTime_s)}, ${Math.round(e.material_g)} g${e.price !== null ? `, ${e.price.toFixed(2)} ${e.currency}` : ''}`;
  };
  lines.push(`  estimate ${est(first)} (${first.estimate!.model}); the quote below is the real one`);
  const rest = c.ranked.slice(1);
  if (rest.length) {
    lines.push('alternatives (quick estimates, not quotes):');
    for (const v of rest.slice(0, SHOWN)) lines.push(`  ${v.rank}. ${v.printer} in ${v.material}: ${est(v)}${v.why.includes('tie') ? ' (a tie, broken by id)' : ''}`);
    if (rest.length > SHOWN) lines.push(`  … and ${rest.length - SHOWN} more (--json lists them)`);
  }
  if (c.refused.length) {
    lines.push('refused:');
    for (const v of c.refused) lines.push(`  ${v.printer} in ${v.material}: ${v.why}`);
  }
  return `${lines.join('\n')}\n`;
}
