/**
 * `scan2print quote model.3mf --printer P --material M [--json]`: the instant quote (print
 * time, material, price) of a model for a catalogue printer and material: PrusaSlicer's
 * estimate for FDM printers, a documented volume/height model for SLA, SLS and PolyJet.
 * `--printer auto` (and/or `--material auto`) chooses the pair first (quote-auto.ts). The
 * shipped catalogue has no prices; give them with --rate/--price-per-kg/--setup/--currency or
 * a catalogue file with prices (`scan2print printers --json`, filled in). Without them the
 * time and grams are still given, the price is null and `missing` names what it needs.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import {
  findPrinter,
  inputError,
  materialFor,
  parseNumberOption,
  PRINT_CATALOGUE,
  usageError,
  validateCatalogue,
  type MaterialSpec,
  type PrintCatalogue,
  type PrinterSpec,
  type Quote,
} from '@scan2print/core';
import type { RegisterCommand } from './index.js';
import { preflightOutputs } from '../util/output-set.js';
import { chooseFor, describeChoice, wantsChoice, type AutoOptions } from './quote-auto.js';

interface QuoteOptions extends AutoOptions {
  printer: string;
  material?: string;
  supports: boolean;
  layerHeight?: string;
  catalogue?: string;
  rate?: string;
  pricePerKg?: string;
  setup?: string;
  currency?: string;
  keep?: string;
  json?: boolean;
}

export const QUOTE_EXAMPLES = [
  'scan2print quote skull.3mf --printer prusa-mk4 --material pla',
  'scan2print quote skull.3mf --printer prusa-mk4 --material pla --rate 4 --price-per-kg 25 --setup 10 --currency EUR --json',
  'scan2print quote skull.3mf --printer formlabs-form3plus --material formlabs-biomed-clear --catalogue our-prices.json',
  'scan2print quote skull.3mf --printer auto --needs biocompatible --json',
  'scan2print quote skull.3mf --printer auto --material pla --catalogue our-prices.json',
];

/** Which option gives each missing figure. */
const FLAG_FOR: Record<string, string> = { 'printer.machineRate_per_h': '--rate', 'material.pricePerKg': '--price-per-kg', 'printer.setup': '--setup' };

function loadCatalogue(file: string | undefined): PrintCatalogue {
  if (file === undefined) return PRINT_CATALOGUE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('READ_FAILED', code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a catalogue JSON file' : `cannot read (${(e as Error).message})`, file, e);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw inputError('BAD_CATALOGUE', `not JSON (${(e as Error).message})`, file, e);
  }
  return validateCatalogue(doc, file);
}

/** The command line's prices replace the catalogue's, recorded as such. */
function withPrices(printer: PrinterSpec, material: MaterialSpec, o: QuoteOptions): { printer: PrinterSpec; material: MaterialSpec } {
  const money = (v: string | undefined, flag: string): number | undefined => parseNumberOption(v, flag, (x) => x >= 0, 'an amount ≥ 0');
  const rate = money(o.rate, '--rate');
  const perKg = money(o.pricePerKg, '--price-per-kg');
  const setup = money(o.setup, '--setup');
  const given = rate !== undefined || perKg !== undefined || setup !== undefined;
  if (o.currency !== undefined && !/^[A-Z]{3}$/.test(o.currency)) throw usageError('BAD_OPTION', `--currency ${o.currency}: expected an ISO 4217 code such as EUR`);
  if (given && o.currency === undefined) throw usageError('BAD_OPTION', '--rate, --price-per-kg and --setup need --currency (e.g. --currency EUR)');
  const cur = o.currency ?? null;
  const src = 'given on the command line';
  return {
    printer: {
      ...printer,
      ...(rate !== undefined ? { machineRate_per_h: { value: rate, currency: cur, source: src } } : {}),
      ...(setup !== undefined ? { setup: { value: setup, currency: cur, source: src } } : {}),
    },
    material: { ...material, ...(perKg !== undefined ? { pricePerKg: { value: perKg, currency: cur, source: src } } : {}) },
  };
}

type QuoteModel = typeof import('@scan2print/server').quoteModel;

/**
 * quoteModel's own module beside the server package's entry point: loading the whole server
 * (web framework, database) costs another ~1 s of CPU per quote. The package exports only its
 * index, so the module is found next to it; the index is the fallback.
 */
async function loadQuoteModel(): Promise<QuoteModel> {
  try {
    const m = (await import(new URL('./print/prusa-quote.js', import.meta.resolve('@scan2print/server')).href)) as { quoteModel?: QuoteModel };
    if (typeof m.quoteModel === 'function') return m.quoteModel;
  } catch {
    // fall through to the package's index
  }
  return (await import('@scan2print/server')).quoteModel;
}

export function formatDuration(s: number): string {
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = Math.round(s % 60);
  return `${d ? `${d}d ` : ''}${d || h ? `${h}h ` : ''}${m}m ${sec}s`;
}

function describe(q: Quote, file: string): string {
  const lines = [
    `${basename(file)} on ${q.printer} in ${q.material}, supports ${q.supports ? 'on' : 'off'}${q.layerHeight_mm !== undefined ? `, ${q.layerHeight_mm} mm layers` : ''}: ${q.method === 'prusa-slicer' ? `${q.slicer ?? 'PrusaSlicer'} estimate` : 'volume/height model (an estimate, not a slice)'}`,
    `print time ${formatDuration(q.printTime_s)} (${q.printTime_s} s), material ${q.material_g} g`,
  ];
  const b = q.breakdown;
  if (q.price !== null) lines.push(`price ${q.price.toFixed(2)} ${q.currency}: machine ${b.machine!.toFixed(2)} + material ${b.material!.toFixed(2)} + set-up ${b.setup!.toFixed(2)}`);
  else lines.push(`price: not computed, missing ${q.missing.map((m) => (FLAG_FOR[m] ? `${m} (${FLAG_FOR[m]})` : m)).join(', ')}`);
  if (q.model) lines.push(`model: ${q.model}`);
  for (const a of q.assumptions ?? []) lines.push(`assumed: ${a}`);
  if (q.configSha256) lines.push(`PrusaSlicer configuration sha256 ${q.configSha256}`);
  return `${lines.join('\n')}\n`;
}

export const registerQuote: RegisterCommand = (program: Command) => {
  program
    .command('quote')
    .description('instant quote of a model: print time, material and price for a catalogue printer and material, or for the pair chosen with --printer auto (PrusaSlicer for FDM, a documented volume/height model for SLA/SLS/PolyJet)')
    .argument('<model>', 'closed, manifold model (.3mf, .stl, .obj, .ply), mm, as it will lie on the bed')
    .requiredOption('--printer <id>', `catalogue printer (${PRINT_CATALOGUE.printers.map((p) => p.id).join(', ')}), or auto: choose the printer and material that can print the model soonest (cheapest when the catalogue has prices)`)
    .option('--material <id>', 'catalogue material the printer uses (see scan2print printers), or auto (the default with --printer auto); with --printer auto, only printers that offer it')
    .option('--needs <list>', 'with auto: what the material must be, comma-separated: biocompatible, sterilisable (the catalogue must say so; "not stated" does not count)')
    .option('--technology <tech>', 'with auto: only printers of this technology (FDM, SLA, SLS, PolyJet)')
    .option('--no-supports', 'without support material (default: supports on; SLA: no support resin counted)')
    .option('--layer-height <mm>', 'layer height within the printer’s range (default: FDM 0.2 mm; SLA and SLS 0.1 mm, PolyJet 0.027 mm, brought into that range)')
    .option('--catalogue <file>', 'catalogue JSON with your prices (the shape `scan2print printers --json` prints)')
    .option('--rate <per_h>', 'machine price per hour of printing (overrides the catalogue)')
    .option('--price-per-kg <amount>', 'material price per kg (overrides the catalogue)')
    .option('--setup <amount>', 'set-up cost per print job (overrides the catalogue)')
    .option('--currency <code>', 'currency of --rate/--price-per-kg/--setup (ISO 4217, e.g. EUR)')
    .option('--keep <dir>', 'keep the generated PrusaSlicer configuration and G-code in this folder')
    .option('--json', 'print the quote as JSON')
    .addHelpText('after', `\nExamples:\n${QUOTE_EXAMPLES.map((e) => `  $ ${e}`).join('\n')}\n`)
    .action(async (modelFile: string, opts: QuoteOptions) => {
      const catalogue = loadCatalogue(opts.catalogue);
      const auto = wantsChoice(opts);
      const layer = parseNumberOption(opts.layerHeight, '--layer-height', (x) => x > 0 && x <= 1, 'mm (0 < x ≤ 1)');
      // A --keep folder that is a file (or under one) fails now, naming it, not in the slicer's mkdir.
      if (opts.keep !== undefined) preflightOutputs([join(opts.keep, 'model.gcode')]);
      // The choice reads and measures the model; the chosen pair is then quoted as a named one is.
      const choice = auto ? chooseFor(modelFile, catalogue, opts) : null;
      const printer0 = findPrinter(choice?.printer ?? opts.printer, catalogue);
      const material0 = materialFor(printer0, choice?.material ?? opts.material!, catalogue);
      const { printer, material } = withPrices(printer0, material0, opts);
      const quoteModel = await loadQuoteModel();
      const q = await quoteModel(modelFile, printer, material, {
        supports: opts.supports,
        ...(layer !== undefined ? { layerHeight_mm: layer } : {}),
        ...(opts.keep !== undefined ? { workDir: opts.keep } : {}),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify({ file: modelFile, ...q, ...(choice ? { choice: choice.record } : {}) }, null, 2)}\n`);
      else process.stdout.write(`${choice ? describeChoice(choice.output) : ''}${describe(q, modelFile)}`);
    });
};
