/**
 * Segmentation options as a user types them (CLI flags, or the same names in a server job's
 * params) → SegmentationOptions. Every host parses them here, so the rules (what
 * `--threshold 200,300` means) and their messages are written down once:
 * - `--threshold auto`            automatic threshold (histogram method)
 * - `--threshold N`               range [N, 3071]
 * - `--threshold N,M`             range [N, M]
 * - `--threshold N1,N2,N3[,…]`    three or more values: several thresholds, each [Ni, 3071]
 * - `--threshold A --threshold B` repeated: several, each read as N or N,M
 * - `--thresholds N1,N2[,…]`      several thresholds, each [Ni, 3071] (any count, so two
 *                                 lower thresholds are `--thresholds 200,300`)
 * Messages name the CLI flag, so a server client reads the same message as a CLI user.
 */
import { usageError } from '../errors.js';
import type { Vec3 } from '../geometry/grid.js';
import { CT_MAX_HU } from '../segment/presets.js';
import type { MethodOptions, PreprocessOptions, SegmentationOptions } from '../segment/pipeline.js';
import type { CleanupOptions } from '../segment/pipeline-cleanup.js';
import type { CropBox } from '../segment/filters/crop.js';
import type { HuRange } from '../segment/threshold.js';

/** Segmentation option values as text, by commander's attribute names (`--crop-mm` → cropMm). */
export interface SegmentArgs {
  preset?: string;
  threshold?: string[];
  thresholds?: string;
  gaussian?: string;
  median?: string;
  window?: string;
  isotropic?: string;
  crop?: string;
  cropMm?: string;
  keep?: string;
  minIsland?: string;
  fillHoles?: string | boolean;
  fillMarrow?: boolean;
  /** Keep faint components (tissue at the threshold plus noise) that the automatic threshold's clean-up removes by default. */
  keepFaint?: boolean;
  close?: string;
  open?: string;
  removeTable?: boolean;
  seed?: string;
  seedVoxel?: string;
  range?: string;
  soft?: string;
  connectivity?: string;
}

/** The lowest value of CT data as stored (air is about −1000 HU). */
const CT_MIN_STORED_HU = -1024;

/** `--flag a,b,c` → numbers; refused (naming the flag) unless every part is a finite number and the count fits. */
export function parseNumberList(flag: string, s: string, count?: number): number[] {
  const parts = s.split(',').map((x) => x.trim());
  const v = parts.map(Number);
  if (parts.some((p) => p === '') || v.some((x) => !Number.isFinite(x)) || (count !== undefined && v.length !== count)) {
    throw usageError('BAD_OPTION', `${flag} ${s}: expected ${count ?? 'one or more'} comma-separated number${count === 1 ? '' : 's'}`);
  }
  return v;
}

function num(flag: string, s: string, min = -Infinity): number {
  const v = parseNumberList(flag, s, 1)[0]!;
  if (v < min) throw usageError('BAD_OPTION', `${flag} ${s}: must be ≥ ${min}`);
  return v;
}

/**
 * Upper bounds of the filter and morphology sizes, with what a larger one would do. Their cost
 * grows with the size cubed: on the 1 mm head phantom (512×512×140) a 50 mm closing took 29 s
 * and 2.1 GB, a 20 mm Gaussian 22 s, and a median of radius 5 voxels ~6 min; a size typed in
 * µm (--open 10000) ran out of memory instead of saying so.
 */
const SIZE_LIMITS = {
  '--close': { max: 20, why: 'mm: a closing that wide joins separate bones (gaps in bone close at 1–5 mm)' },
  '--open': { max: 20, why: 'mm: an opening that wide removes whole bones (spurs go at 0.5–2 mm)' },
  '--gaussian': { max: 10, why: 'mm: a blur that wide smooths bone away (noise needs 0.5–2 mm)' },
  '--median': { max: 3, why: 'voxels: each step costs about the radius cubed (1 or 2 takes out noise)' },
  // Not a cost: a grid that coarse holds no bone (--isotropic 1e6 gave one voxel and an empty map).
  '--isotropic': { max: 10, why: 'mm: bone needs a finer grid (2 mm is coarse already)' },
} as const;

/** num() with the flag's upper bound (SIZE_LIMITS). */
function size(flag: keyof typeof SIZE_LIMITS, s: string, min = 0): number {
  const v = num(flag, s, min);
  const { max, why } = SIZE_LIMITS[flag];
  if (v > max) throw usageError('BAD_OPTION', `${flag} ${s}: at most ${max} ${why}`);
  return v;
}

/** HU options by attribute name, with their flags for messages. */
const HU_ARGS: Record<string, string> = { threshold: '--threshold', thresholds: '--thresholds', range: '--range' };

function huValues(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '' && s.toLowerCase() !== 'auto');
}

/**
 * Refuses HU values outside the CT scale, naming the option and the value, before any work
 * (a threshold of 9000 would silently select nothing). Malformed numbers are left to the parsers.
 */
export function refuseHuOutsideCt(args: Record<string, unknown>): void {
  for (const [key, flag] of Object.entries(HU_ARGS)) {
    if (args[key] === undefined) continue;
    for (const s of huValues(args[key])) {
      const x = Number(s);
      if (!Number.isFinite(x)) continue;
      if (x < CT_MIN_STORED_HU || x > CT_MAX_HU) {
        throw usageError(
          'HU_OUT_OF_RANGE',
          `${flag} ${String(args[key])}: ${s} HU is outside the CT scale ${CT_MIN_STORED_HU}..${CT_MAX_HU} HU ` +
            '(air ≈ −1000, water 0, soft tissue ≈ 40, bone ≈ 200..2000); a bone threshold is typically 150..700 HU',
        );
      }
    }
  }
}

/** One `--threshold` value → ranges ('auto' handled by the caller). */
export function parseThresholdValue(s: string): HuRange[] {
  const v = parseNumberList('--threshold', s);
  if (v.length === 1) return [[v[0]!, CT_MAX_HU]];
  if (v.length === 2) {
    if (v[0]! > v[1]!) {
      throw usageError('BAD_OPTION', `--threshold ${s}: a range needs LO ≤ HI (for two separate thresholds use --thresholds ${s})`);
    }
    return [[v[0]!, v[1]!]];
  }
  return v.map((x) => [x, CT_MAX_HU] as HuRange);
}

export function methodFromArgs(o: SegmentArgs): MethodOptions {
  const given = [
    o.preset !== undefined,
    (o.threshold?.length ?? 0) > 0 || o.thresholds !== undefined,
    o.seed !== undefined || o.seedVoxel !== undefined,
  ];
  if (given.filter(Boolean).length > 1) {
    throw usageError('BAD_OPTION', 'give one of --preset, --threshold/--thresholds, or --seed with --range');
  }
  if (o.preset !== undefined) return { method: 'threshold', preset: o.preset };
  if (o.seed !== undefined || o.seedVoxel !== undefined) {
    if (o.range === undefined) throw usageError('BAD_OPTION', '--seed needs --range LO,HI (the HU range to grow in)');
    if (o.seed !== undefined && o.seedVoxel !== undefined) throw usageError('BAD_OPTION', 'give --seed (mm) or --seed-voxel, not both');
    const range = parseNumberList('--range', o.range, 2) as HuRange;
    const params =
      o.seed !== undefined
        ? { seed_mm: parseNumberList('--seed', o.seed, 3) as Vec3, range_HU: range }
        : { seed_ijk: parseNumberList('--seed-voxel', o.seedVoxel!, 3) as Vec3, range_HU: range };
    return { method: 'region-grow', params };
  }
  const values = o.threshold ?? [];
  if (values.some((v) => v.trim().toLowerCase() === 'auto')) {
    if (values.length > 1 || o.thresholds !== undefined) {
      throw usageError('BAD_OPTION', '--threshold auto cannot be combined with other thresholds');
    }
    return { method: 'auto-threshold' };
  }
  const ranges: HuRange[] = values.flatMap(parseThresholdValue);
  if (o.thresholds !== undefined) ranges.push(...parseNumberList('--thresholds', o.thresholds).map((x) => [x, CT_MAX_HU] as HuRange));
  if (!ranges.length) return { method: 'auto-threshold' }; // the default: the published automatic method
  return { method: 'threshold', ranges };
}

export function preprocessFromArgs(o: SegmentArgs): PreprocessOptions {
  const p: PreprocessOptions = {};
  if (o.crop !== undefined && o.cropMm !== undefined) throw usageError('BAD_OPTION', 'give --crop (voxel indices) or --crop-mm, not both');
  if (o.crop !== undefined) {
    const v = parseNumberList('--crop', o.crop, 6);
    // Checked here, not after the import: a job would be queued, then fail on its first step.
    for (let a = 0; a < 3; a++) {
      if (!Number.isInteger(v[a]) || !Number.isInteger(v[a + 3]) || v[a]! < 0 || v[a]! >= v[a + 3]!) {
        throw usageError('BAD_OPTION', `--crop ${o.crop}: voxel indices I0,J0,K0,I1,J1,K1, whole numbers with 0 ≤ start < end on each axis (end exclusive)`);
      }
    }
    p.crop = { min_ijk: v.slice(0, 3) as Vec3, max_ijk: v.slice(3) as Vec3 } satisfies CropBox;
  }
  if (o.cropMm !== undefined) {
    const v = parseNumberList('--crop-mm', o.cropMm, 6);
    p.crop = { corner1_mm: v.slice(0, 3) as Vec3, corner2_mm: v.slice(3) as Vec3 };
  }
  if (o.isotropic !== undefined) p.isotropic_mm = o.isotropic === 'auto' ? 'auto' : size('--isotropic', o.isotropic, 0.01);
  if (o.median !== undefined) {
    p.median_radius = size('--median', o.median);
    if (!Number.isInteger(p.median_radius)) throw usageError('BAD_OPTION', `--median ${o.median}: a whole number of voxels (0 to ${SIZE_LIMITS['--median'].max})`);
  }
  if (o.gaussian !== undefined) {
    const v = parseNumberList('--gaussian', o.gaussian);
    if (v.length !== 1 && v.length !== 3) throw usageError('BAD_OPTION', `--gaussian ${o.gaussian}: one sigma in mm, or three (x,y,z)`);
    for (const x of v) size('--gaussian', String(x));
    p.gaussian_mm = v.length === 1 ? v[0]! : (v as Vec3);
  }
  if (o.window !== undefined) {
    const [lo, hi] = parseNumberList('--window', o.window, 2);
    if (!(lo! < hi!)) throw usageError('BAD_OPTION', `--window ${o.window}: LO,HI in HU with LO < HI`);
    p.window = { lo_HU: lo!, hi_HU: hi!, mode: 'clamp' };
  }
  return p;
}

/** Lowest HU of a threshold that selects bone (above any soft tissue, enhanced or not). */
const BONE_LEVEL_HU = 150;

/**
 * Whether the method selects bone: the automatic threshold (a bone method: the histogram's
 * soft-tissue peak + 3σ), a bone preset, or thresholds that all start at bone level.
 */
export function selectsBone(m: MethodOptions): boolean {
  if (m.method === 'auto-threshold') return true;
  if (m.method !== 'threshold') return false;
  const t = m as { ranges?: HuRange[]; preset?: string };
  if (t.preset !== undefined) return /bone/.test(t.preset);
  return (t.ranges?.length ?? 0) > 0 && t.ranges!.every(([lo]) => lo >= BONE_LEVEL_HU);
}

export function cleanupFromArgs(o: SegmentArgs, method: MethodOptions = methodFromArgs(o)): CleanupOptions | undefined {
  const c: CleanupOptions = {};
  const bone = selectsBone(method);
  if (o.removeTable) c.removeTable = true;
  if (o.minIsland !== undefined) c.minIsland_mm3 = num('--min-island', o.minIsland, 0);
  if (o.keep !== undefined) {
    if (o.keep === 'largest' || o.keep === 'all') c.keep = o.keep;
    else {
      const n = num('--keep', o.keep, 1);
      if (!Number.isInteger(n)) throw usageError('BAD_OPTION', `--keep ${o.keep}: largest, all, or a whole number of components`);
      c.keep = n;
    }
  }
  if (o.fillHoles !== undefined && o.fillHoles !== false) {
    const m = o.fillHoles === true ? '3d' : o.fillHoles;
    if (m !== '3d' && m !== '2d' && m !== 'both') throw usageError('BAD_OPTION', `--fill-holes ${m}: 3d, 2d or both`);
    c.fillHoles = m;
  }
  // Filling the holes of a bone mask means the marrow too: a bone's cavity is open at the
  // scan's ends and between slices, so the 3-D fill alone leaves most of it (the marrow
  // fill never fills the brain: marrow-fill.ts). --no-fill-marrow keeps the 3-D fill only.
  if (o.fillMarrow === true || (c.fillHoles !== undefined && bone && o.fillMarrow !== false)) c.fillMarrow = true;
  // The automatic threshold knows the noise, so faint pieces (enhanced blood and organs) can
  // be told from bone; a clean-up asked for drops them, a bare threshold stays the threshold.
  const cleaning = Object.keys(c).length > 0 || o.close !== undefined || o.open !== undefined;
  if (method.method === 'auto-threshold' && cleaning && o.keepFaint !== true) c.rejectFaint = true;
  if (o.close !== undefined) c.close_mm = size('--close', o.close);
  if (o.open !== undefined) c.open_mm = size('--open', o.open);
  if (o.connectivity !== undefined) {
    const n = num('--connectivity', o.connectivity);
    if (n !== 6 && n !== 18 && n !== 26) throw usageError('BAD_OPTION', `--connectivity ${o.connectivity}: 6, 18 or 26`);
    c.connectivity = n;
  }
  c.stats = true;
  return c;
}

export function optionsFromArgs(o: SegmentArgs): SegmentationOptions {
  const opts: SegmentationOptions = { method: methodFromArgs(o), preprocess: preprocessFromArgs(o) };
  const c = cleanupFromArgs(o, opts.method);
  if (c) opts.cleanup = c;
  if (o.soft !== undefined) opts.soft = { width_HU: num('--soft', o.soft, 0.001) };
  return opts;
}
