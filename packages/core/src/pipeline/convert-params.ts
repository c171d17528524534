/**
 * The parameters of a `convert` job, in one zod schema shared by every host: the CLI
 * validates its options through it, and the server validates `POST /api/cases/:id/jobs
 * {kind: "convert", params}` with it. Keys are the CLI's option names as commander stores
 * them (`--decimate-ratio` → decimateRatio); values are what the CLI takes (text as typed),
 * and also the JSON a client would naturally send (`threshold: 300`, `crop: [0,0,0,9,9,9]`,
 * `decimateRatio: 0.5`). Output files are not parameters: the host decides them.
 */
import { z } from 'zod';
import { isScanError, usageError } from '../errors.js';
import type { SegmentationOptions } from '../segment/pipeline.js';
import type { ConditionParams } from '../surface/condition.js';
import type { PlacementRule } from '../surface/edge/place.js';
import { conditionParamsFromArgs, MESH_ARG_DEFAULTS, refuseIgnoredMeshOptions } from './condition-args.js';
import { CONVERT_MIN_ISLAND_MM3, convertFillsMarrow } from './defaults.js';
import { optionsFromArgs, refuseHuOutsideCt, type SegmentArgs } from './segment-args.js';
import { ANATOMY_GRAPH } from '../anatomy/graph-data.js';
import { parseAnatomyNames, structureNames } from '../anatomy/graph.js';
import type { AnatomyRequest } from './convert-anatomy.js';
import { CONVERT_METHODS, isConvertMethod } from './convert-method.js';

// The convert methods (and the host's model hand-over) are part of the job's parameters' API.
export * from './convert-method.js';

/** The value as sent, short: a message must not copy back a megabyte, nor fail on a value nested too deep to print. */
function shown(v: unknown): string {
  let t: string;
  try {
    t = JSON.stringify(v) ?? String(v);
  } catch {
    return '(a value nested too deep to show)';
  }
  return t.length > 80 ? `${t.slice(0, 77)}…` : t;
}

/** A type error names the flag, the value as sent and what the flag takes, like the CLI's own messages. */
function refused(flag: string, what: string) {
  return { error: (iss: { input?: unknown }) => `${flag} ${shown(iss.input)}: expected ${what}` };
}

/** Longest text a parameter takes (a clinical purpose, a series UID, a list of numbers or names): the report and the audit entry carry it. */
const TEXT_MAX = 2000;
/** z.string() with TEXT_MAX and the flag named when it is longer. */
const str = (flag: string) => z.string().max(TEXT_MAX, `${flag}: at most ${TEXT_MAX} characters`);
/** For OpenAPI: which CLI option a key is, and what it means. */
const describe = (flag: string, meaning: string) => ({ description: `scan2print convert ${flag}: ${meaning}` });

const text = (flag: string, meaning: string) => z.string(refused(flag, 'text')).max(TEXT_MAX, `${flag}: at most ${TEXT_MAX} characters`).meta(describe(flag, meaning));
const flagValue = (flag: string, meaning: string) => z.boolean(refused(flag, 'true or false')).meta(describe(flag, meaning));
/** A number, or its text as typed on the command line (`"0.5"`, and words such as `"auto"` where the option takes them). */
const num = (flag: string, meaning: string) =>
  z.union([z.number(), str(flag)], refused(flag, 'a number or text')).meta(describe(flag, meaning));
/** Comma-separated numbers as text, one number, or an array of numbers. */
const list = (flag: string, meaning: string) =>
  z
    .union([z.array(z.number()).max(100), z.number(), str(flag)], refused(flag, 'comma-separated numbers, a number, or an array of numbers'))
    .meta(describe(flag, meaning));

/** The vertex placement rules `--placement` takes; the first is the default. */
export const PLACEMENT_RULES = ['edge', 'threshold'] as const satisfies readonly PlacementRule[];

/** The tissue modelled when none is named (`--tissue`). */
export const CONVERT_DEFAULT_TISSUE = 'bone';

/** The keys and their value types; convertParamsSchema adds the values' own rules. */
const convertParamsShape = z
  .object({
    series: z
      .union([z.number(), str('--series').min(1, '--series: empty (give a series UID or number, or leave it out)')], refused('--series', 'a number or text'))
      .meta(describe('--series', 'a series instance UID or series number (default: the largest CT series)'))
      .optional(),
    preset: text('--preset', 'a named HU range (bone, compact-bone-adult, …)').optional(),
    threshold: z
      .union(
        [z.array(z.union([str('--threshold'), z.number()])).max(100), str('--threshold'), z.number()],
        refused('--threshold', 'auto, N, "N,M", or an array of them'),
      )
      .meta(describe('--threshold', 'auto | N (N..3071) | "N,M" (a range) | "N1,N2,N3…"; an array is the flag repeated (default: auto)'))
      .optional(),
    method: text('--method', `a segmentation method instead of a threshold: ${Object.keys(CONVERT_METHODS).join(' or ')} (the host loads the shipped bone forest)`).optional(),
    thresholds: list('--thresholds', 'several lower thresholds, each N..3071 (e.g. [200, 300])').optional(),
    soft: num('--soft', 'soft threshold width in HU').optional(),
    seed: list('--seed', 'region-growing seed x,y,z (LPS mm); needs range').optional(),
    seedVoxel: list('--seed-voxel', 'region-growing seed voxel i,j,k; needs range').optional(),
    range: list('--range', 'HU range lo,hi for region growing').optional(),
    crop: list('--crop', 'voxel box i0,j0,k0,i1,j1,k1').optional(),
    cropMm: list('--crop-mm', 'box x0,y0,z0,x1,y1,z1 between two corners in LPS mm').optional(),
    isotropic: num('--isotropic', 'isotropic spacing in mm, or "auto"').optional(),
    median: num('--median', 'median filter radius in voxels').optional(),
    gaussian: list('--gaussian', 'Gaussian sigma in mm, one value or x,y,z').optional(),
    window: list('--window', 'HU clamp lo,hi').optional(),
    keepTable: flagValue('--keep-table', 'true to keep the scanner table / head holder (default false: removed)').default(false),
    minIsland: num('--min-island', 'drop components smaller than this volume in mm³').default(CONVERT_MIN_ISLAND_MM3),
    keep: num('--keep', '"largest", "all" or a number N of largest components').optional(),
    fillHoles: z
      .union([z.boolean(), z.string()], refused('--fill-holes', 'true, false, "3d", "2d" or "both"'))
      .meta(describe('--fill-holes', 'true (= "3d"), false, "3d", "2d" or "both"'))
      .optional(),
    fillMarrow: flagValue('--fill-marrow', 'fill bone marrow cavities (default: true for tissue "bone")').optional(),
    keepFaint: flagValue('--keep-faint', 'true to keep faint components (tissue at the automatic threshold plus noise, e.g. enhanced vessels; default false: removed)').optional(),
    close: num('--close', 'morphological closing radius in mm').optional(),
    open: num('--open', 'morphological opening radius in mm').optional(),
    connectivity: num('--connectivity', '6, 18 or 26 (default 26)').optional(),
    placement: text('--placement', `vertex placement: ${PLACEMENT_RULES.map((r) => `"${r}"`).join(' or ')} (default "edge": each vertex at the scanned edge, from the HU profile along the normal; "threshold": on the threshold's iso-surface)`).optional(),
    smooth: num('--smooth', 'smoothing iterations (1–1000) or "none"').default(Number(MESH_ARG_DEFAULTS.smooth)),
    smoothMethod: text('--smooth-method', '"windowed-sinc" or "taubin"').default(MESH_ARG_DEFAULTS.smoothMethod),
    passBand: num('--pass-band', 'windowed-sinc pass band in (0, 2)').optional(),
    decimate: num('--decimate', 'decimate to about this many triangles').optional(),
    maxError: num('--max-error', 'decimation error bound in mm').optional(),
    minShell: num('--min-shell', 'drop shells enclosing less than this volume in mm³').default(Number(MESH_ARG_DEFAULTS.minShell)),
    keepCavities: flagValue('--keep-cavities', 'keep internal voids (default false: filled)').default(false),
    allowOpen: flagValue('--allow-open', 'export even when the printability gate fails (default false)').default(false),
    decimateRatio: num('--decimate-ratio', 'a fraction in (0, 1] of the raw triangle count').optional(),
    purpose: text('--purpose', 'clinical purpose, recorded in the report').optional(),
    tissue: text('--tissue', 'tissue / anatomy modelled').min(1, '--tissue: empty (name the tissue, or leave it out for bone)').default(CONVERT_DEFAULT_TISSUE),
    anatomy: z
      .union([str('--anatomy'), z.array(str('--anatomy')).max(200)], refused('--anatomy', 'structure names, comma-separated, or an array of them'))
      .meta(describe('--anatomy', `one model of these bone structures, one named, coloured object per structure (${structureNames(ANATOMY_GRAPH).join(', ')})`))
      .optional(),
    force: flagValue('--force', 'build the model even when the input assessment finds errors (default false)').default(false),
  })
  .strict();

/** Convert params, values' own rules (ranges, combinations) included, with the CLI's messages; the ScanError code rides along. */
export const convertParamsSchema = convertParamsShape.superRefine((p, ctx) => {
  try {
    settingsOf(p);
  } catch (e) {
    if (!isScanError(e)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message, params: { code: e.code } });
  }
});

/** What a client sends (defaults optional). Not `ConvertParams`: that name is convertVolume's (pipeline/convert.ts). */
export type ConvertJobParams = z.input<typeof convertParamsSchema>;
type ParsedParams = z.output<typeof convertParamsSchema>;

/** The request body's `params` for OpenAPI (input side: defaults are optional). */
export const convertParamsJsonSchema = z.toJSONSchema(convertParamsSchema, { io: 'input' });

/** What a host hands runConvertJob besides the input and the outputs. */
export interface ConvertJobSettings {
  series?: string;
  /** `anatomy` rides here so every host hands it to convertVolume unchanged. */
  segmentation: SegmentationOptions & AnatomyRequest;
  condition: ConditionParams;
  decimateRatio?: number;
  /** Where the vertices go: at the scanned edge (default) or on the threshold's iso-surface. */
  placement: PlacementRule;
  tissue: string;
  purpose?: string;
  force: boolean;
}

/**
 * Validates convert params and applies the CLI's defaults: automatic threshold, table removed,
 * components under CONVERT_MIN_ISLAND_MM3 dropped, marrow filled for bone, 40 windowed-sinc
 * smoothing iterations. Throws a usage error naming the option, with the CLI's message.
 */
export function convertJobSettings(params: ConvertJobParams): ConvertJobSettings {
  // The shape only: the value rules run once, below, and throw their own first error.
  const r = convertParamsShape.safeParse(params);
  if (!r.success) throw usageErrorOf(r.error.issues);
  return settingsOf(r.data);
}

function usageErrorOf(issues: z.core.$ZodIssue[]) {
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) {
    const keys = unknown.keys.map((k) => `"${k}"`).join(', ');
    const s = unknown.keys.length > 1 ? 's' : '';
    return usageError('BAD_OPTION', `unknown convert option${s} ${keys} (options are the CLI's names in camelCase, e.g. "decimateRatio")`);
  }
  const first = issues[0]!;
  if (first.path.length === 0) return usageError('BAD_OPTION', `convert params: expected an object of options (${first.message})`);
  const custom = first.code === 'custom' ? (first.params as { code?: string } | undefined)?.code : undefined;
  return usageError(custom ?? 'BAD_OPTION', first.message);
}

const asText = (v: string | number | undefined) => (v === undefined ? undefined : String(v));
const asList = (v: string | number | number[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v));

/** Options that choose the threshold, which `--method` replaces (the CLI flag names, for the message). */
const THRESHOLD_KEYS = { preset: '--preset', threshold: '--threshold', thresholds: '--thresholds', soft: '--soft', seed: '--seed', seedVoxel: '--seed-voxel', range: '--range' } as const;

/** `method` checked: a known convert method, and not given together with a threshold option (as `segment --method`). */
function methodOf(p: ParsedParams): string | undefined {
  if (p.method === undefined) return undefined;
  if (!isConvertMethod(p.method)) {
    const known = Object.keys(CONVERT_METHODS).join(', ');
    throw usageError('UNKNOWN_METHOD', `--method ${p.method}: unknown segmentation method "${p.method}" for convert (known: ${known}; without --method: the automatic threshold)`);
  }
  const given = Object.entries(THRESHOLD_KEYS).filter(([k]) => p[k as keyof typeof THRESHOLD_KEYS] !== undefined).map(([, flag]) => flag);
  if (given.length) throw usageError('BAD_OPTION', `--method replaces --preset, --threshold(s), --seed/--range and --soft: give --method ${p.method} or ${given.join(' ')}, not both`);
  return p.method;
}

function settingsOf(p: ParsedParams): ConvertJobSettings {
  // The CLI checks HU values before anything else (option-rules.ts), so this does too.
  refuseHuOutsideCt(p);
  const method = methodOf(p);
  let decimateRatio: number | undefined;
  if (p.decimateRatio !== undefined) {
    decimateRatio = Number(p.decimateRatio);
    if (!(decimateRatio > 0 && decimateRatio <= 1)) {
      throw usageError('BAD_OPTION', `--decimate-ratio ${p.decimateRatio}: expected a fraction in (0, 1]`);
    }
  }
  const threshold = p.threshold === undefined ? undefined : (Array.isArray(p.threshold) ? p.threshold : [p.threshold]).map(String);
  const seg: SegmentArgs = {
    preset: p.preset,
    threshold,
    thresholds: asList(p.thresholds),
    soft: asText(p.soft),
    seed: asList(p.seed),
    seedVoxel: asList(p.seedVoxel),
    range: asList(p.range),
    crop: asList(p.crop),
    cropMm: asList(p.cropMm),
    isotropic: asText(p.isotropic),
    median: asText(p.median),
    gaussian: asList(p.gaussian),
    window: asList(p.window),
    keep: asText(p.keep),
    fillHoles: p.fillHoles,
    close: asText(p.close),
    open: asText(p.open),
    connectivity: asText(p.connectivity),
    // A bone model is the whole bone, marrow included (segment/marrow-fill.ts: never the brain
    // inside a skull); fillMarrow false keeps the threshold's shell.
    fillMarrow: p.fillMarrow ?? convertFillsMarrow(p.tissue),
    // Faint pieces (segment/faint-components.ts) go by default with the automatic threshold.
    keepFaint: p.keepFaint,
    // The table / head holder must not be printed; dust islands can exhaust memory when meshed.
    removeTable: p.keepTable !== true,
    minIsland: String(p.minIsland),
  };
  const anatomy = p.anatomy !== undefined ? parseAnatomyNames(p.anatomy, ANATOMY_GRAPH) : undefined;
  const segmentation: SegmentationOptions & AnatomyRequest = { ...optionsFromArgs(seg), ...(anatomy ? { anatomy: { structures: anatomy } } : {}) };
  // The clean-up (table, marrow, islands) stays: it runs on the method's labels as on a threshold's.
  if (method !== undefined) segmentation.method = { method };
  const mesh = {
    smooth: String(p.smooth),
    smoothMethod: p.smoothMethod,
    minShell: String(p.minShell),
    keepCavities: p.keepCavities,
    allowOpen: p.allowOpen,
    passBand: asText(p.passBand),
    decimate: asText(p.decimate),
    maxError: asText(p.maxError),
  };
  const condition = conditionParamsFromArgs(mesh, p.tissue);
  refuseIgnoredMeshOptions(mesh, decimateRatio);
  const placement = placementOf(p.placement);
  return {
    ...(p.series !== undefined ? { series: String(p.series) } : {}),
    segmentation,
    condition,
    ...(decimateRatio !== undefined ? { decimateRatio } : {}),
    placement,
    tissue: p.tissue,
    ...(p.purpose !== undefined ? { purpose: p.purpose } : {}),
    force: p.force,
  };
}

/** `--placement` checked: one of PLACEMENT_RULES (default the first, edge). */
function placementOf(v: string | undefined): PlacementRule {
  if (v === undefined) return PLACEMENT_RULES[0];
  const rule = PLACEMENT_RULES.find((r) => r === v);
  if (!rule) throw usageError('BAD_OPTION', `--placement ${v}: expected ${PLACEMENT_RULES.join(' or ')}`);
  return rule;
}
