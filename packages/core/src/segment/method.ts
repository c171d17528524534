/**
 * The segmentation method contract (SPEC §1 step 4).
 *
 * A method turns an HU volume into a label map (and, for methods that have one, a
 * per-voxel probability on the same grid). It is a stage: it returns its output
 * with a StageRecord naming every parameter and what it measured.
 *
 * Kept deliberately small so what comes next slots in without changing callers:
 * - a learned per-voxel classifier (decision forest over local features) is one more
 *   SegmentationMethod whose params carry the trained model; it may fill `probability`;
 * - a method chained on another's result (classifier refining a threshold) receives
 *   that result through `MethodInput.prior`;
 * - a reducer (majority vote, STAPLE-like) combines several methods' outputs on the
 *   same grid into one, with its own record.
 * Clean-up steps have their own, narrower shape (labels in, labels out).
 */
import type { z } from 'zod';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { StageContext, StageRecord, StageResult } from '../pipeline/record.js';
import { usageError } from '../errors.js';

/** What every method produces: labels (0 = background) and optionally P(label) per voxel. */
export interface SegmentationOutput {
  labels: LabelMap;
  /** Float32 probability in [0, 1] on the labels' grid; its 0.5 isosurface is the boundary. */
  probability?: Volume;
}

/** Optional extra input: an earlier method's output, for chained methods. */
export interface MethodInput {
  prior?: SegmentationOutput;
}

export interface SegmentationMethod<P = any> {
  /** Stable method name, as written in records and accepted on the command line. */
  readonly name: string;
  /** One line for help texts and reports. */
  readonly description: string;
  /** Validates and fills defaults: `paramsSchema.parse(raw)` gives the params `run` needs. */
  readonly paramsSchema: z.ZodType<P>;
  run(volume: Volume, params: P, ctx: StageContext, input?: MethodInput): Promise<StageResult<SegmentationOutput>>;
}

/** Combines several methods' outputs (all on one grid) into one. */
export interface Reducer<P = any> {
  readonly name: string;
  readonly description: string;
  readonly paramsSchema: z.ZodType<P>;
  run(inputs: SegmentationOutput[], params: P, ctx: StageContext, volume?: Volume): Promise<StageResult<SegmentationOutput>>;
}

/** A clean-up step: labels (and the HU volume where it needs one) → labels. */
export type CleanupStep<P = any> = (
  labels: LabelMap,
  volume: Volume | undefined,
  params: P,
  ctx: StageContext,
) => StageResult<LabelMap> | Promise<StageResult<LabelMap>>;

const methods = new Map<string, SegmentationMethod>();

/** Methods register themselves here so hosts (CLI, server, browser) can list and run them by name. */
export function registerMethod(m: SegmentationMethod): void {
  methods.set(m.name, m);
}

export function getMethod(name: string): SegmentationMethod {
  const m = methods.get(name);
  if (!m) throw usageError('UNKNOWN_METHOD', `unknown segmentation method "${name}" (known: ${methodNames().join(', ')})`);
  return m;
}

export function methodNames(): string[] {
  return [...methods.keys()].sort();
}

const reducers = new Map<string, Reducer>();

export function registerReducer(r: Reducer): void {
  reducers.set(r.name, r);
}

export function getReducer(name: string): Reducer {
  const r = reducers.get(name);
  if (!r) throw usageError('UNKNOWN_REDUCER', `unknown reducer "${name}" (known: ${[...reducers.keys()].sort().join(', ')})`);
  return r;
}

/** Parses raw params with the method's schema and runs it; a bad parameter is a usage error. */
export async function runMethod(
  m: SegmentationMethod,
  volume: Volume,
  rawParams: unknown,
  ctx: StageContext,
  input?: MethodInput,
): Promise<StageResult<SegmentationOutput>> {
  const parsed = m.paramsSchema.safeParse(rawParams ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
    throw usageError('BAD_METHOD_PARAMS', `${m.name}: ${issues}`);
  }
  return m.run(volume, parsed.data, ctx, input);
}

/** A record skeleton for the segment stage. */
export function segmentRecord(method: string, params: Record<string, unknown>): StageRecord {
  return { stage: 'segment', method, params, figures: {} };
}
