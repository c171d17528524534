/** Kysely table types added by migration 0008-pacs (issue 15). */
import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, string | undefined, never>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;
type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;

/** Which organisation a DICOM caller (calling AE, called AE or any) or a STOW-RS token belongs to. */
export interface PacsRoutesTable {
  id: string;
  org_id: string;
  calling_ae: Nullable<string>;
  /** Null: any called AE title. */
  called_ae: Nullable<string>;
  /** SHA-256 of the STOW-RS token (shown once, never stored). */
  stow_token_hash: Nullable<string>;
  /** Start a convert job when a study received through this route became a case. */
  auto_convert: Generated<boolean>;
  /** The convert parameters of that job (POST /api/cases/:id/jobs params); null: defaults. */
  convert_params: NullableJson;
  description: Nullable<string>;
  created_by: Nullable<string>;
  created_at: CreatedAt;
}

export const RECEPTION_STATES = ['receiving', 'case-created', 'refused', 'failed'] as const;
export type ReceptionState = (typeof RECEPTION_STATES)[number];

/** One received study (or one refused association). */
export interface PacsReceptionsTable {
  id: string;
  /** Null when the caller was refused (no route). */
  org_id: Nullable<string>;
  route_id: Nullable<string>;
  via: string;
  calling_ae: Nullable<string>;
  called_ae: Nullable<string>;
  remote_address: Nullable<string>;
  status: ReceptionState;
  instances: Generated<number>;
  refused_instances: Generated<number>;
  case_id: Nullable<string>;
  job_id: Nullable<string>;
  error: Nullable<string>;
  /** The Study Instance UID of the case's files, as stored (anonymised); null for refusals and receptions before 0011-pacs-study. */
  study_uid: Nullable<string>;
  /** What the receipt noticed ({code, severity, message}[]): an interrupted transfer, instance numbers missing, refusals. */
  findings: ColumnType<unknown, string | undefined, string>;
  created_at: CreatedAt;
  completed_at: Nullable<Date>;
}

export interface PacsDestinationsTable {
  id: string;
  org_id: string;
  name: string;
  ae_title: Nullable<string>;
  host: Nullable<string>;
  port: Nullable<number>;
  dicomweb_url: Nullable<string>;
  kind: 'dimse' | 'dicomweb';
  created_at: CreatedAt;
}

export interface PacsSendsTable {
  id: string;
  org_id: string;
  case_id: string;
  job_id: Nullable<string>;
  destination_id: string;
  status: string;
  objects: Json;
  error: Nullable<string>;
  created_at: CreatedAt;
}

/**
 * A study being received, kept until its reception is recorded (0013-pacs-spool); its id is
 * the reception's and the case's. Held by one server process (owner) while its lease runs.
 */
export interface PacsSpoolStudiesTable {
  id: string;
  org_id: string;
  route_id: Nullable<string>;
  via: string;
  calling_ae: Nullable<string>;
  called_ae: Nullable<string>;
  remote_address: Nullable<string>;
  /** As stored (anonymised), like pacs_receptions.study_uid. */
  study_uid: string;
  owner: string;
  lease_until: Date;
  created_at: CreatedAt;
}

/** One acknowledged instance of a spooled study: its (anonymised) bytes at object_key. */
export interface PacsSpoolInstancesTable {
  id: string;
  study_id: string;
  /** Arrival order: of two instances with one SOP Instance UID, the later one is kept. */
  seq: Generated<number>;
  object_key: string;
  bytes: number;
  anonymised_by: 'checked' | 'server';
  received_at: Date;
}

/**
 * What the receiver noted against a spooled study besides its instances (0015-pacs-spool-notes),
 * replayed into it when it is taken back after a kill (study-assembler.ts StudyNote).
 */
export interface PacsSpoolNotesTable {
  /** The order noted: the first refusal reasons are kept, as in memory. */
  seq: Generated<number>;
  study_id: string;
  kind: 'refused' | 'other-patient' | 'interrupted';
  count: number;
  /** string[]: the refusals' reasons; for 'interrupted', which association ended without a release. */
  reasons: Json;
  noted_at: CreatedAt;
}

export interface PacsTables {
  pacs_routes: PacsRoutesTable;
  pacs_receptions: PacsReceptionsTable;
  pacs_destinations: PacsDestinationsTable;
  pacs_sends: PacsSendsTable;
  pacs_spool_studies: PacsSpoolStudiesTable;
  pacs_spool_instances: PacsSpoolInstancesTable;
  pacs_spool_notes: PacsSpoolNotesTable;
}
