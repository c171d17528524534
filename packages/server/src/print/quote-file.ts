/**
 * Quoting a model file with the slicer, as the quote and print-job routes do: the catalogue's
 * printer and material by id (or chosen for the model: chooseSpecs), the approved model written
 * to a temporary folder, the slice limit, and the client going away (its slicing then stops);
 * and the quote stored, as a job names it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyReply } from 'fastify';
import { isScanError, requireChoice, ScanError, type MaterialNeed, type PrintCatalogue, type PrintChoice, type PrintRecord, type Quote, type Technology } from '@scan2print/core';
import type { Services } from '../context.js';
import { HttpError } from '../http/errors.js';
import type { ApprovedModel } from './approved-model.js';
import { ChoiceStopped, chooseOnThread } from './choose-thread.js';
import { quoteModel } from './prusa-quote.js';
import { entryColumns } from './quote-basis.js';

const unknownPrinter = (cat: PrintCatalogue, id: string) => new HttpError(400, 'UNKNOWN_PRINTER', `printer ${id}: not in the catalogue (${cat.printers.map((p) => p.id).join(', ')})`);
const unknownMaterial = (cat: PrintCatalogue, id: string) => new HttpError(400, 'UNKNOWN_MATERIAL', `material ${id}: not in the catalogue (${cat.materials.map((m) => m.id).join(', ')})`);

/** The catalogue's printer and material by id; 400 naming what is wrong. */
export function specsOf(cat: PrintCatalogue, printerId: string, materialId: string) {
  const printer = cat.printers.find((p) => p.id === printerId);
  if (!printer) throw unknownPrinter(cat, printerId);
  const material = cat.materials.find((m) => m.id === materialId);
  if (!material) throw unknownMaterial(cat, materialId);
  if (!printer.materials.includes(material.id)) {
    throw new HttpError(400, 'MATERIAL_NOT_FOR_PRINTER', `material ${materialId}: printer ${printer.id} prints ${printer.materials.join(', ')}`);
  }
  return { printer, material };
}

export interface ChoiceAsk {
  /** A catalogue printer id, or 'auto'. */
  printer: string;
  /** A catalogue material id, or 'auto'. */
  material: string;
  needs?: MaterialNeed[];
  technology?: Technology;
  supports: boolean;
}

/** The choice as a stored quote keeps it: what was chosen and why, each pair's rank or refusal in a line. */
export type StoredChoice = Pick<PrintChoice, 'chosen' | 'rankedBy' | 'rankedByWhy'> & {
  ranked: { printer: string; material: string; rank: number | null; why: string }[];
  refused: { printer: string; material: string; why: string }[];
};

/** A choice that found no pair: the status and error a client gets, and the choice saying why for each pair. */
export class NoChoice extends HttpError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly choice: PrintRecord,
  ) {
    super(status, code, message);
  }
}

/** The pair chooseSpecs chose (as specsOf gives it), the choice's record, and the choice as a stored quote keeps it. */
export interface ChosenSpecs {
  spec: ReturnType<typeof specsOf>;
  record: PrintRecord;
  stored: StoredChoice;
}

/**
 * The automatic choice (core choosePrint) for the approved model's 3MF: the pair to quote (as
 * specsOf gives it) and the choice's record. A printer or material named beside 'auto' must be
 * in the catalogue (400 as specsOf says it). No pair: NoChoice, 400 NO_PAIR_MEETS_NEEDS when what
 * was asked for leaves none, 422 NOTHING_FITS when the model fits none, each pair's reasons in
 * the message. Runs on a thread of its own (choose-thread.ts): reading the 3MF and the wall
 * rays (one pass per distinct minimum feature) take about 2 s for a 225 000-triangle skull,
 * which on this thread stalled every other request.
 */
export async function chooseSpecs(cat: PrintCatalogue, bytes: Uint8Array, name: string, ask: ChoiceAsk, gone?: AbortSignal): Promise<ChosenSpecs> {
  // By id only, as specsOf: core's lookup would also take a name.
  if (ask.printer !== 'auto' && !cat.printers.some((p) => p.id === ask.printer)) throw unknownPrinter(cat, ask.printer);
  if (ask.material !== 'auto' && !cat.materials.some((m) => m.id === ask.material)) throw unknownMaterial(cat, ask.material);
  const params = {
    printer: ask.printer,
    material: ask.material,
    ...(ask.needs ? { needs: ask.needs } : {}),
    ...(ask.technology ? { technology: ask.technology } : {}),
    supports: ask.supports,
  };
  const limit = chooseLimit_ms();
  const stop = limited(limit, gone);
  const { output, record } = await chooseOnThread(cat, bytes, name, params, stop.signal).catch((e: unknown) => {
    if (!(e instanceof ChoiceStopped)) throw e;
    if (stop.timedOut()) {
      throw new HttpError(504, 'CHOICE_TIMEOUT', `the printer choice for ${name} did not finish within ${limit / 1000} s and was stopped; try again when the server is less busy`);
    }
    // As a quote's slicing: the client cancelled or left, and it is no server fault to log as one.
    throw new HttpError(499, 'CLIENT_GONE', `the printer choice for ${name} was stopped: the client went away`);
  });
  let chosen: { printer: string; material: string };
  try {
    chosen = requireChoice(output, name);
  } catch (e) {
    if (!isScanError(e)) throw e;
    throw new NoChoice(e.kind === 'usage' ? 400 : 422, e.code, e.message, record);
  }
  const stored: StoredChoice = {
    chosen: output.chosen,
    rankedBy: output.rankedBy,
    rankedByWhy: output.rankedByWhy,
    ranked: output.ranked.map((v) => ({ printer: v.printer, material: v.material, rank: v.rank, why: v.why })),
    refused: output.refused.map((v) => ({ printer: v.printer, material: v.material, why: v.why })),
  };
  return { spec: specsOf(cat, chosen.printer, chosen.material), record, stored };
}

/**
 * How long one quote may slice before the slicer is stopped (SCAN2PRINT_SLICE_LIMIT_S, default
 * 600 s; a skull slices in about a minute on 2 idle cores): a stuck or starved PrusaSlicer must
 * not hold a core, and the request, for ever.
 */
export function sliceLimit_ms(): number {
  return envLimit_ms('SCAN2PRINT_SLICE_LIMIT_S', 600);
}

/**
 * How long one automatic choice may run before its thread is ended (SCAN2PRINT_CHOOSE_LIMIT_S,
 * default 120 s; a 225 000-triangle skull takes about 2 s on an idle core). The choice is bounded
 * work, but a starved server or a pathological model must not hold a thread and the request for
 * ever, as a stuck slicer may not (sliceLimit_ms).
 */
export function chooseLimit_ms(): number {
  return envLimit_ms('SCAN2PRINT_CHOOSE_LIMIT_S', 120);
}

/** Seconds from the environment (read at each call), in ms: `dflt` when unset, not a number or not above 0. */
function envLimit_ms(name: string, dflt: number): number {
  const s = Number(process.env[name] ?? dflt);
  return (Number.isFinite(s) && s > 0 ? s : dflt) * 1000;
}

/** A signal that aborts after `limit_ms` or when `gone` does (the client left); `timedOut` says it was the limit. */
function limited(limit_ms: number, gone?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean } {
  const timer = AbortSignal.timeout(limit_ms);
  return { signal: gone ? AbortSignal.any([gone, timer]) : timer, timedOut: () => timer.aborted };
}

/** Aborts when the client goes before its answer is sent (a quote page left): the slicing then stops. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) ac.abort();
  });
  return ac.signal;
}

/**
 * `run` on the model written to a temporary folder, with a signal that stops it at the slice
 * limit (504 SLICE_TIMEOUT) or when `gone` aborts. A refusal names the model, not the
 * temporary file, and gives advice a web user can follow.
 */
export async function quoteFile<T>(
  s: Services,
  model: { objectKey: string; name: string },
  run: (file: string, workDir: string, signal: AbortSignal) => Promise<T>,
  bytes?: Uint8Array,
  gone?: AbortSignal,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 's2p-quote-'));
  const limit = sliceLimit_ms();
  const stop = limited(limit, gone);
  try {
    const file = join(dir, model.name.replace(/[^\w.-]/g, '_'));
    await writeFile(file, bytes ?? (await s.store.get(model.objectKey)));
    try {
      return await run(file, dir, stop.signal);
    } catch (e) {
      // The client cancelled or left: nobody reads the answer, and it is no server fault to log as one.
      if (gone?.aborted) throw new HttpError(499, 'CLIENT_GONE', `the quote of ${model.name} was stopped: the client went away`);
      if (stop.timedOut()) {
        throw new HttpError(504, 'SLICE_TIMEOUT', `PrusaSlicer did not finish ${model.name} within ${limit / 1000} s and was stopped; try again when the server is less busy`);
      }
      if (!isScanError(e)) throw e;
      const message = e.message
        .split(file)
        .join(model.name)
        .replace('split it first (scan2print prepare)', 'choose a printer with a larger build volume, or split the downloaded model with scan2print prepare');
      throw new ScanError(e.code, message, { kind: e.kind, cause: e });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The case's approved model quoted for a printer and material and stored (print_quotes): its
 * id is what a print job names, and the job's duration is this quote's. The row keeps the
 * catalogue entry `spec` it was made with (quote-basis.ts): a later edit of it makes it stale.
 */
export async function quoteAndStore(
  s: Services,
  q: { caseId: string; orgId: string; userId: string; model: ApprovedModel; spec: ReturnType<typeof specsOf>; supports: boolean; choice?: StoredChoice },
  bytes?: Uint8Array,
  gone?: AbortSignal,
): Promise<{ id: string; quote: Quote }> {
  const { printer, material } = q.spec;
  const quote = await quoteFile(s, q.model, (file, workDir, signal) => quoteModel(file, printer, material, { supports: q.supports, workDir, signal }), bytes, gone);
  const id = randomUUID();
  await s.db
    .insertInto('print_quotes')
    .values({
      id, org_id: q.orgId, case_id: q.caseId, model_version_id: q.model.versionId, printer: printer.id, material: material.id, supports: q.supports,
      // An automatic choice is kept with the quote it led to: what was chosen and why.
      quote: JSON.stringify(q.choice ? { ...quote, choice: q.choice } : quote), created_by: q.userId,
      // The printer and material records it was sliced and priced with: the job takes it only while they stand.
      ...entryColumns(q.spec),
    })
    .execute();
  return { id, quote };
}
