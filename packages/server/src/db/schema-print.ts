/** Kysely table types added by migration 0007-print (issue 12: catalogue, printers, quotes, print jobs, plans). */
import type { ColumnType } from 'kysely';

type CreatedAt = ColumnType<Date, string | undefined, never>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;
type Json = ColumnType<unknown, string, string>;

/** One version of an organisation's catalogue (1, 2, …; version 0 is core's PRINT_CATALOGUE and not stored). */
export interface PrintCataloguesTable {
  org_id: string;
  version: number;
  /** core's PrintCatalogue, validated (validateCatalogue) before it is stored. */
  catalogue: Json;
  updated_by: string;
  audit_seq: Nullable<number>;
  created_at: CreatedAt;
}

/** A machine of the organisation: one of the catalogue's printer models, up or down. */
export interface PrintersTable {
  id: string;
  org_id: string;
  /** PrinterSpec.id in the organisation's catalogue. */
  catalogue_id: string;
  name: string;
  status: ColumnType<'up' | 'down', 'up' | 'down' | undefined, 'up' | 'down'>;
  created_by: string;
  created_at: CreatedAt;
}

/** A time a printer is down; to_at null = until further notice (it is down now). */
export interface PrinterOutagesTable {
  id: string;
  org_id: string;
  printer_id: string;
  from_at: Date | string;
  to_at: Nullable<Date | string>;
  note: Nullable<string>;
  created_by: Nullable<string>;
  created_at: CreatedAt;
}

/** A quote given for an approved model version (core's Quote, as returned). */
export interface PrintQuotesTable {
  id: string;
  org_id: string;
  case_id: string;
  model_version_id: string;
  printer: string;
  material: string;
  supports: boolean;
  quote: Json;
  created_by: string;
  created_at: CreatedAt;
  /** SHA-256 of the canonical JSON of {printer, material} as quoted (0014; null for older quotes: stale). */
  catalogue_hash: Nullable<string>;
  /** {printer, material}: the catalogue records the quote was made with, to say what changed since. */
  catalogue_entry: ColumnType<unknown, string | null | undefined, string | null>;
}

/** A case's approved model to print on a catalogue printer model in a material; the schedule places it. */
export interface PrintJobsTable {
  id: string;
  org_id: string;
  case_id: string;
  model_version_id: string;
  /** PrinterSpec.id: any of the organisation's machines of that model may print it. */
  printer: string;
  material: string;
  duration_s: number;
  /** {id, bbox_mm}[]: the model's parts as they stand on the bed, mm. */
  parts: Json;
  quote: ColumnType<unknown, string | null | undefined, string | null>;
  /** queued → printing → printed | failed; cancelled when the case stops standing approved. */
  status: ColumnType<string, string | undefined, string>;
  created_by: string;
  created_at: CreatedAt;
  /** The print_quotes row its duration is from (0012; null for older jobs). */
  quote_id: Nullable<string>;
  /** The machine it prints or printed on (from 'printing' on). */
  printer_id: Nullable<string>;
  started_at: Nullable<Date | string>;
  finished_at: Nullable<Date | string>;
  /** The technician's note on finishing (why it failed). */
  note: Nullable<string>;
}

/** The latest plan of an organisation (re-planned on every change), as GET /api/print/schedule answers. */
export interface PrintPlansTable {
  org_id: string;
  plan: Json;
  planned_at: Date | string;
}

export interface PrintTables {
  print_catalogues: PrintCataloguesTable;
  printers: PrintersTable;
  printer_outages: PrinterOutagesTable;
  print_quotes: PrintQuotesTable;
  print_jobs: PrintJobsTable;
  print_plans: PrintPlansTable;
}
