/**
 * The two functions print management takes from the quote work: core's validateCatalogue
 * (an edited catalogue's shape, with the field path of what is wrong) and quoteModel
 * (prusa-quote.ts: PrusaSlicer for FDM, the volume-height model otherwise). Both are looked
 * up when called, so this module compiles and serves (501 NOT_AVAILABLE for what is missing)
 * while either is not there yet.
 */
import * as core from '@scan2print/core';
import type { MaterialSpec, PrintCatalogue, PrinterSpec } from '@scan2print/core';
import { HttpError } from '../http/errors.js';

/** core's Quote (price may be null, naming what is missing). */
export type QuoteResult = { printTime_s: number; material_g: number; price: number | null; currency: string | null; method: string; missing: string[] } & Record<string, unknown>;

type Validate = (doc: unknown, file: string) => PrintCatalogue;
type QuoteModel = (file: string, printer: PrinterSpec, material: MaterialSpec, opts?: { supports?: boolean; workDir?: string; signal?: AbortSignal }) => Promise<QuoteResult>;

export function validateCatalogueDoc(doc: unknown, file: string): PrintCatalogue {
  const validate = (core as unknown as { validateCatalogue?: Validate }).validateCatalogue;
  if (!validate) throw new HttpError(501, 'NOT_AVAILABLE', 'catalogue validation (core validateCatalogue) is not in this build: edits are refused');
  return validate(doc, file);
}

// A computed specifier: TypeScript does not resolve it at build time.
const QUOTE_MODULE = './prusa-quote.js';

export async function runQuote(file: string, printer: PrinterSpec, material: MaterialSpec, opts: { supports: boolean; workDir: string }): Promise<QuoteResult> {
  let mod: { quoteModel?: QuoteModel };
  try {
    mod = (await import(QUOTE_MODULE)) as { quoteModel?: QuoteModel };
  } catch {
    mod = {};
  }
  if (!mod.quoteModel) throw new HttpError(501, 'NOT_AVAILABLE', 'the quote (quoteModel, PrusaSlicer) is not in this build');
  return mod.quoteModel(file, printer, material, opts);
}
