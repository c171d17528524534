/**
 * The print API's JSON as the server sends it (routes/print.ts): the organisation's versioned
 * catalogue (core's PrintCatalogue shape), a quote, the lab's printers and the stored plan.
 * The catalogue is kept as core types it; the fields the editor shows are read by name
 * (catalogue-fields.ts), so a field a newer catalogue adds needs no change here.
 */
import type { MaterialSpec, PrintCatalogue, PrinterSpec } from '@scan2print/core';

export type { MaterialSpec, PrintCatalogue, PrinterSpec };

/** GET /api/print/catalogue. Version 0 is the shipped catalogue. */
export interface CatalogueVersion {
  version: number;
  catalogue: PrintCatalogue;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface CatalogueVersionInfo {
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** One printer × material pair of an automatic choice: its rank, or why it was refused (core PairVerdict). */
export interface ChoiceVerdict {
  printer: string;
  material: string;
  technology: string;
  rank: number | null;
  refusals: { code: string; message: string }[];
  estimate: { printTime_s: number; material_g: number; price: number | null; currency: string | null; model: string } | null;
  why: string;
  /** Set when the model does not fit as it lies: 1 another side down, N parts, null too small even for parts (core's PairVerdict, prepare's verdict). */
  partsNeeded?: number | null;
}

/** The automatic choice's record (core choosePrint), answered beside a quote made with printer "auto". */
export interface ChoiceRecord {
  method: string;
  params: Record<string, unknown>;
  figures: {
    chosen: { printer: string; material: string } | null;
    rankedBy: 'price' | 'time' | string;
    rankedByWhy: string;
    ranked: ChoiceVerdict[];
    refused: ChoiceVerdict[];
  };
  findings?: { code: string; severity: string; message: string }[];
}

export type { MaterialNeed } from '@scan2print/core';

/** POST /api/cases/:id/quote (core's Quote plus which model version was quoted, and when). */
export interface QuoteJson {
  printTime_s: number;
  material_g: number;
  price: number | null;
  currency: string | null;
  method: 'prusa-slicer' | 'volume-height-model' | string;
  breakdown?: { machine: number | null; material: number | null; setup: number | null };
  /** What the price lacks (a null rate or price per kg, in the server's words). */
  missing?: string[];
  printer: string;
  material: string;
  supports?: boolean;
  slicer?: string;
  modelVersionId?: string;
  /** The server's id for this quote: a print job names it, and takes its print time from it. */
  quoteId?: string;
  quotedAt?: string;
  /** With printer "auto": what was chosen, the alternatives and the refusals. */
  choice?: ChoiceRecord;
}

export interface Outage {
  from: string;
  /** null: down until further notice. */
  to: string | null;
  note?: string | null;
}

/** A machine in the lab (GET /api/print/printers): one catalogue printer model, up or down. */
export interface LabPrinter {
  id: string;
  catalogueId: string;
  name: string;
  status: 'up' | 'down';
  outages: Outage[];
}

export interface PlacementJson {
  id: string;
  x: number;
  y: number;
  rotated: boolean;
}

export interface PlateJson {
  printerId: string;
  start: string;
  end: string;
  jobIds: string[];
  parts?: PlacementJson[];
}

export interface ScheduleJobJson {
  id: string;
  caseId: string;
  caseTitle: string;
  due: string | null;
  duration_s: number;
  printer?: string | null;
  material?: string | null;
  state?: string;
  /** queued, or printing (its plate holds its machine). */
  status?: string;
}

/** GET /api/print/schedule: core's SchedulePlan with the printers and jobs it planned. */
export interface ScheduleJson {
  plates: PlateJson[];
  late: { jobId: string; due: string; end: string }[];
  unplaceable: { jobId: string; reason: string }[];
  makespan_s: number;
  printers: LabPrinter[];
  jobs: ScheduleJobJson[];
  plannedAt?: string;
  now?: string;
}

/** A 400's field errors: a path into the request body (['catalogue','printers',0,'minFeature_mm','value']) and what is wrong. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

/** A case's print job as GET /api/cases/:id/print-jobs lists it: queued → printing → printed | failed (or cancelled). */
export interface CasePrintJob {
  id: string;
  printer: string;
  material: string;
  duration_s: number;
  status: 'queued' | 'printing' | 'printed' | 'failed' | 'cancelled' | string;
  printerId: string | null;
  printerName: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  note: string | null;
}

