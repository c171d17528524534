/**
 * The stage contract. Every pipeline stage is a function
 *   (input, params, ctx) → { output, record }
 * The record says what the stage did (method, every parameter, the figures it
 * measured, findings). The ISO/IEC 3532-1 report is assembled only from records.
 */
import type { WorkerPool } from '../parallel/pool.js';

export type Severity = 'info' | 'warn' | 'error';

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  files?: string[];
}

/**
 * Every stage name a record may carry, in pipeline order. One closed set, so the CLI, the
 * server and the browser name the same step the same way (the report groups by it).
 */
export const STAGE_NAMES = [
  'request',
  'environment',
  'input',
  'import',
  'assess',
  'preprocess',
  'segment',
  'surface',
  'condition',
  'gate',
  'accuracy',
  'export',
  'report',
  'evaluate',
  'anonymise',
  'validate',
] as const;

export type StageName = (typeof STAGE_NAMES)[number];

export function isStageName(s: string): s is StageName {
  return (STAGE_NAMES as readonly string[]).includes(s);
}

export interface StageRecord {
  /** Pipeline step (see STAGE_NAMES). */
  stage: StageName;
  /** Method name, e.g. "threshold", "auto-threshold", "flying-edges". */
  method: string;
  /** Every parameter the method used, defaults included. */
  params: Record<string, unknown>;
  /** What the stage measured (counts, distances, histogram figures, …), units in the key names. */
  figures: Record<string, unknown>;
  findings?: Finding[];
  /** Corrections applied to the input (tilt resampling, duplicate removal, …). */
  corrections?: string[];
  notes?: string[];
  wall_ms?: number;
  peakRss_bytes?: number;
}

export interface StageResult<T> {
  output: T;
  record: StageRecord;
}

export type ProgressFn = (fraction: number, message?: string) => void;

export interface StageContext {
  /** Worker pool supplied by the host (Node worker_threads, browser workers, or inline). */
  pool?: WorkerPool;
  progress?: ProgressFn;
  /**
   * Peak memory (bytes) since the previous call, supplied by hosts that can measure it
   * (the CLI samples process RSS); stages stamp it into their records as peakRss_bytes.
   */
  peakMemory?: () => number;
}

/** Stamps the host's peak memory since the last stamp into records that lack one. */
export function stampPeakMemory(ctx: StageContext, records: StageRecord[]): void {
  if (!ctx.peakMemory) return;
  const peak = ctx.peakMemory();
  for (const r of records) if (r.peakRss_bytes === undefined) r.peakRss_bytes = peak;
}

/** Wraps a synchronous body with wall-time measurement into its record. */
export function timed<T>(body: () => StageResult<T>): StageResult<T> {
  const t0 = now();
  const r = body();
  r.record.wall_ms = round(now() - t0, 1);
  return r;
}

export async function timedAsync<T>(body: () => Promise<StageResult<T>>): Promise<StageResult<T>> {
  const t0 = now();
  const r = await body();
  r.record.wall_ms = round(now() - t0, 1);
  return r;
}

function now(): number {
  return performance.now();
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
