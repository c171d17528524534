/**
 * What the page and the parse worker (parse.worker.ts) say to each other. Nothing here
 * carries an original identifier: series are named by number, description and a short
 * index, findings are core's, and the removal report lists attribute names, never values.
 */
import type { Finding } from '@scan2print/core';

/**
 * Page → worker: read these files (a folder's files or zips) and describe their series, or
 * anonymise them with `key`. The page runs both at once, in two workers (two cores).
 */
export interface PrepareRequest {
  type: 'describe' | 'anonymise';
  files: File[];
  /** The organisation's project key (≥ 16 bytes): same key, same patient key and UIDs. */
  key: Uint8Array;
}

export interface SeriesView {
  /** Position in the list (the original SeriesInstanceUID stays in the worker). */
  index: number;
  number: number | null;
  modality: string | null;
  description: string | null;
  orientation: string | null;
  kind: string;
  volume: boolean;
  files: number;
  /** Slices of the assembled stack (duplicates dropped), when it is a volume. */
  slices: number | null;
  /** Pixel spacing (column, row) and the median step between slices, mm. */
  spacing_mm: [number, number, number] | null;
  tiltDegrees: number | null;
  /** Middle slice in a bone window and a soft-tissue window, PNG. */
  thumbnails: { bone: Blob; soft: Blob } | null;
  findings: Finding[];
  /** Set when the series could not be read as a volume. */
  error: string | null;
}

export interface RemovedAttribute {
  tag: string;
  keyword: string;
  /** The profile's action (X remove, Z empty, D dummy, U new UID, private …). */
  action: string;
  /** In how many files it was present. */
  files: number;
}

export interface AnonymisedReport {
  /** One-way keyed patient keys (PatientID after anonymisation). */
  patientKeys: string[];
  files: { input: number; written: number; notDicom: number; dicomdirs: number; refused: number; failed: number };
  /** Elements touched per action class over all files (core's ActionCounts). */
  actions: Record<string, number>;
  removed: RemovedAttribute[];
  /** Messages for files left out (no original names: input number and reason code). */
  skipped: string[];
  findings: Finding[];
  uidsReplaced: number;
  zipBytes: number;
  rawBytes: number;
}

export type WorkerReply =
  | { type: 'progress'; stage: 'read' | 'describe' | 'anonymise' | 'zip'; fraction: number; message: string }
  | { type: 'parsed'; series: SeriesView[]; notDicom: number; unreadable: number; skipped: string[]; sources: number; ms: number }
  | { type: 'anonymised'; zip: Blob; report: AnonymisedReport; ms: number }
  | { type: 'error'; message: string };
