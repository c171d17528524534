/**
 * Clean-up of one label map in the segment pipeline, composed from the clean-up
 * stages (components.ts, fill-holes.ts, morphology, table). Order, and why:
 *   0. metal flag (a finding; labels unchanged);
 *   1. table / head-holder removal — it is dense as bone and may touch the skull after
 *      a closing, so it goes first; then faint components (tissue at the threshold plus
 *      noise: enhanced blood and organs, faint-components.ts), before any filling sees them;
 *   2. opening, then closing (radius in mm);
 *   3. hole filling (3-D cavities, per-slice 2-D holes), then marrow filling (cavities
 *      enclosed by bone in slices of two axes, never the brain: marrow-fill.ts);
 *   4. components: drop islands under a volume, keep the N largest — last, so the
 *      per-component statistics in its record describe the final label map.
 */
import type { LabelMap, Volume } from '../geometry/types.js';
import type { StageContext, StageRecord, StageResult } from '../pipeline/record.js';
import { keepComponents, type Connectivity } from './components.js';
import { fillHoles } from './fill-holes.js';
import { fillMarrow, type MarrowFillParams } from './marrow-fill.js';
import { morphology } from './morphology.js';
import { removeTableOnPool, type RemoveTableParams } from './table.js';
import type { CoarseBody } from './table-body.js';
import { FAINT_DEFAULTS, rejectFaintComponents, type FaintComponentsParams } from './faint-components.js';
import type { RunComponents } from './components-runs.js';
import { flagMetal } from './metal.js';
import { yieldToHost } from '../parallel/yield.js';

export interface CleanupOptions {
  /** Remove the scanner table / head holder (true, or its parameters). */
  removeTable?: boolean | RemoveTableParams;
  /**
   * Remove faint components (faint-components.ts): true asks for it where the threshold and
   * the noise are known (runSegmentation fills them in from the automatic threshold).
   */
  rejectFaint?: boolean | FaintComponentsParams;
  /** Flag metal (HU ≥ 3000) as a finding (default true when the volume is given). */
  flagMetal?: boolean;
  /** Drop components smaller than this (mm³). */
  minIsland_mm3?: number;
  /** Keep the largest component, all, or the N largest. */
  keep?: 'largest' | 'all' | number;
  /** Fill 3-D cavities ('3d' or true), per-slice 2-D holes ('2d'), or both. */
  fillHoles?: boolean | '3d' | '2d' | 'both';
  /** Fill bone marrow cavities (true, or its parameters; marrow-fill.ts). Needs the volume. */
  fillMarrow?: boolean | MarrowFillParams;
  /** Morphological closing / opening radius in mm. */
  close_mm?: number;
  open_mm?: number;
  /** Component connectivity (default 26). */
  connectivity?: Connectivity;
  /** Per-component statistics in the record even without keep/min-island (default true). */
  stats?: boolean;
}

/**
 * Runs the clean-up steps in order. `givenUp`: the caller no longer needs `labels` (a label
 * map the method just made), so the steps may write into it as into a map a step here made.
 * `tableBody`: the body of table removal for this volume and opts.removeTable, started by the
 * caller on the pool (tableBodyOnPool), so that it is computed while other work goes on.
 */
export async function runCleanup(
  labels: LabelMap,
  volume: Volume | undefined,
  opts: CleanupOptions,
  ctx: StageContext,
  givenUp = false,
  tableBody?: Promise<CoarseBody>,
): Promise<{ output: LabelMap; records: StageRecord[] }> {
  const records: StageRecord[] = [];
  let cur = labels;
  // A map a step here made (or one the caller gave up) is written in place by table removal,
  // faint components, marrow fill and components: each would otherwise fill a new grid (fresh memory, ~30-50 ms
  // for 37 M voxels on a loaded host).
  const owned = () => givenUp || cur.data !== labels.data;
  const step = async (r: StageResult<LabelMap> | Promise<StageResult<LabelMap>>) => {
    const x = await r;
    records.push(x.record);
    cur = x.output;
    await yieldToHost(); // each step is a long synchronous pass: let the host run between them
  };
  if (volume && opts.flagMetal !== false) await step(flagMetal(cur, volume, {}, ctx));
  // table removal clears whole components: it hands the rest to the faint-component step, which
  // would otherwise label the same components again (~0.1 s on a head)
  let handed: RunComponents | undefined;
  if (opts.removeTable) {
    const p = opts.removeTable === true ? {} : opts.removeTable;
    const faint = opts.rejectFaint;
    const same = typeof faint === 'object' && (p.connectivity ?? 26) === (faint.connectivity ?? FAINT_DEFAULTS.connectivity);
    await step(removeTableOnPool(cur, volume, p, ctx, same ? (kept) => (handed = kept) : undefined, owned(), tableBody));
  }
  if (typeof opts.rejectFaint === 'object') await step(rejectFaintComponents(cur, volume, opts.rejectFaint, ctx, handed, owned()));
  handed = undefined;
  if (opts.open_mm) await step(morphology(cur, volume, { op: 'open', radius_mm: opts.open_mm }, ctx));
  if (opts.close_mm) await step(morphology(cur, volume, { op: 'close', radius_mm: opts.close_mm }, ctx));
  if (opts.fillHoles) {
    const mode = opts.fillHoles === true ? '3d' : opts.fillHoles;
    await step(fillHoles(cur, volume, { mode }, ctx));
  }
  if (opts.fillMarrow) await step(fillMarrow(cur, volume, opts.fillMarrow === true ? {} : opts.fillMarrow, ctx, owned()));
  if (opts.keep !== undefined || opts.minIsland_mm3 !== undefined || opts.stats !== false) {
    await step(
      keepComponents(
        cur,
        volume,
        {
          connectivity: opts.connectivity ?? 26,
          keep: opts.keep ?? 'all',
          minIsland_mm3: opts.minIsland_mm3 ?? 0,
        },
        ctx,
        owned(),
      ),
    );
  }
  return { output: cur, records };
}
