/**
 * Mesh conditioning options as a user types them (the CLI's mesh option group, or the same
 * names in a server job's params) → ConditionParams, with the CLI's messages. `mesh`,
 * `convert`, `validate` and the server parse them here, so they cannot drift apart.
 */
import { usageError } from '../errors.js';
import { CONDITION_DEFAULTS, type ConditionParams } from '../surface/condition.js';
import { SMOOTH_DEFAULTS } from '../surface/smooth.js';

/** Mesh option values as text, by commander's attribute names (`--smooth-method` → smoothMethod). */
export interface MeshArgs {
  smooth: string;
  smoothMethod: string;
  passBand?: string;
  decimate?: string;
  maxError?: string;
  minShell: string;
  keepCavities?: boolean;
  allowOpen?: boolean;
}

/** What the mesh options are when not given (the CLI shows these in --help). */
export const MESH_ARG_DEFAULTS = {
  smooth: String(SMOOTH_DEFAULTS.iterations),
  smoothMethod: 'windowed-sinc',
  minShell: String(CONDITION_DEFAULTS.minShell_mm3),
} as const satisfies Partial<MeshArgs>;

/** `--flag value` → a number that passes `check`, else a usage error naming the flag and `what` was expected. */
export function parseNumberOption(
  value: string | undefined,
  name: string,
  check: (x: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x) || !check(x)) throw usageError('BAD_OPTION', `${name} ${value}: expected ${what}`);
  return x;
}

const noSmoothing = (smooth: string) => smooth === 'none' || smooth === '0';

export function conditionParamsFromArgs(opts: MeshArgs, name: string): ConditionParams {
  const params: ConditionParams = { name };
  if (noSmoothing(opts.smooth)) params.smooth = false;
  else {
    const iterations = (x: number) => Number.isInteger(x) && x > 0 && x <= 1000;
    const n = parseNumberOption(opts.smooth, '--smooth', iterations, 'a number of iterations (1–1000) or "none"');
    if (opts.smoothMethod !== 'windowed-sinc' && opts.smoothMethod !== 'taubin') {
      throw usageError('BAD_OPTION', `--smooth-method ${opts.smoothMethod}: expected windowed-sinc or taubin`);
    }
    const passBand = parseNumberOption(opts.passBand, '--pass-band', (x) => x > 0 && x < 2, 'a pass band in (0, 2)');
    params.smooth = { method: opts.smoothMethod, iterations: n!, ...(passBand !== undefined ? { passBand } : {}) };
  }
  const faces = parseNumberOption(opts.decimate, '--decimate', (x) => Number.isInteger(x) && x >= 4, 'a whole number of faces ≥ 4');
  const maxError = parseNumberOption(opts.maxError, '--max-error', (x) => x > 0, 'a distance in mm > 0');
  if (faces !== undefined || maxError !== undefined) {
    params.decimate = {
      ...(faces !== undefined ? { targetFaces: faces } : {}),
      ...(maxError !== undefined ? { maxError_mm: maxError } : {}),
    };
  }
  params.minShell_mm3 = parseNumberOption(opts.minShell, '--min-shell', (x) => x >= 0, 'a volume in mm³ ≥ 0')!;
  params.keepCavities = opts.keepCavities === true;
  params.allowOpen = opts.allowOpen === true;
  return params;
}

/** Options that would be accepted and silently ignored are refused instead (output options are the host's to check). */
export function refuseIgnoredMeshOptions(
  opts: Pick<MeshArgs, 'smooth' | 'smoothMethod' | 'passBand' | 'decimate'>,
  decimateRatio?: number,
): void {
  if (opts.decimate !== undefined && decimateRatio !== undefined) {
    throw usageError('BAD_OPTION', 'give --decimate FACES or --decimate-ratio R, not both (a face count overrides the ratio)');
  }
  if (opts.passBand !== undefined && noSmoothing(opts.smooth)) {
    throw usageError('BAD_OPTION', '--pass-band has no effect with --smooth none');
  }
  if (opts.passBand !== undefined && opts.smoothMethod === 'taubin') {
    throw usageError('BAD_OPTION', '--pass-band applies to windowed-sinc smoothing only, not --smooth-method taubin');
  }
}
