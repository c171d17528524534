/**
 * Automatic removal of the scanner table/bed and head holders from a bone mask
 * (SPEC §1 step 4; FIELD-NOTES: "the scanner table or head holder printed along with
 * the bone").
 *
 * What the data shows (measured before choosing): at bone thresholds (150–260 HU) the
 * head holder of the Philips phantom (mean ≈ 383 HU, ≤ 2.4 mm inscribed radius, 0.29 L)
 * and of the GE head (≈ 310 HU, ≤ 1.5 mm) is a bone-mask component of its own, separate
 * from the skull. Its HU mean and thinness differ from the skull, but so would a thin
 * rib or scapula; what does not vary is that supports lie OUTSIDE the patient's body,
 * separated from it by air or foam padding (< −400 HU) except at a few thin contacts.
 *
 * Method:
 *  1. body = HU > bodyThreshold_HU (−400), holes filled per axial slice (so a skull ring
 *     and what it encloses are one solid);
 *  2. open it: erode by openRadius_mm (3 mm) — this cuts thin contacts (padding, skin
 *     touching the holder) and removes thin plates (holders, table tops) — keep the
 *     largest 6-connected piece (the body core), then dilate it back by the radius plus
 *     one voxel and intersect with the filled body (the body with its own outline);
 *  3. each 26-connected component of the bone mask with less than `insideFraction`
 *     (0.5) of its voxels inside that body is a support and is removed whole; the rest
 *     is kept whole (no voxel-level cutting of bone).
 * Limitation: a support fused with bone in the mask (one component) is kept; the
 * record lists every removed component with its statistics so a reviewer sees it.
 */
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Finding, StageContext, StageResult } from '../pipeline/record.js';
import { round, timed } from '../pipeline/record.js';
import { inputError, usageError } from '../errors.js';
import { foregroundMask, labelComponents, type Connectivity } from './components.js';
import { fillHoles2DMask } from './fill-holes.js';
import { morphologyMask } from './morphology.js';
import { componentStats } from './stats.js';

export interface RemoveTableParams {
  /** Body/air boundary (default −400 HU). */
  bodyThreshold_HU?: number;
  /** Opening radius that separates thin supports from the body (default 3 mm). */
  openRadius_mm?: number;
  /** Minimum fraction of a bone component inside the body to keep it (default 0.5). */
  insideFraction?: number;
  /** Connectivity of bone components (default 26). */
  connectivity?: Connectivity;
}

/** The patient's body (filled, supports cut off) as a 0/1 mask on the volume's grid. */
export function bodyMask(volume: Volume, bodyThreshold_HU = -400, openRadius_mm = 3): { mask: Uint8Array; coreVoxels: number } {
  const g = volume.grid;
  const hu = volume.data;
  const n = hu.length;
  const body = new Uint8Array(n);
  for (let p = 0; p < n; p++) body[p] = hu[p]! > bodyThreshold_HU ? 1 : 0;
  fillHoles2DMask(body, g.dims, 2);
  const eroded = morphologyMask(body, g.dims, g.spacing_mm, 'erode', openRadius_mm);
  const cc = labelComponents(eroded, g.dims, 6);
  let best = 0;
  for (let c = 1; c <= cc.count; c++) if (cc.sizes[c]! > cc.sizes[best]!) best = c;
  const core = eroded; // reuse the buffer
  for (let p = 0; p < n; p++) core[p] = best !== 0 && cc.labels[p] === best ? 1 : 0;
  const coreVoxels = best === 0 ? 0 : cc.sizes[best]!;
  const back = morphologyMask(core, g.dims, g.spacing_mm, 'dilate', openRadius_mm + Math.max(...g.spacing_mm));
  for (let p = 0; p < n; p++) back[p] = back[p]! & body[p]!;
  return { mask: back, coreVoxels };
}

/** Clean-up stage: remove bone-mask components lying outside the body (table, bed, holders). */
export function removeTable(labels: LabelMap, volume: Volume | undefined, params: RemoveTableParams = {}, _ctx: StageContext = {}): StageResult<LabelMap> {
  return timed(() => {
    if (!volume) throw usageError('TABLE_NEEDS_VOLUME', 'table removal needs the HU volume (the body is found from it)');
    const g = labels.grid;
    if (volume.data.length !== labels.data.length) {
      throw inputError('GRID_MISMATCH', `label map (${g.dims.join('×')}) and volume (${volume.grid.dims.join('×')}) are on different grids`);
    }
    const bodyThreshold_HU = params.bodyThreshold_HU ?? -400;
    const openRadius_mm = params.openRadius_mm ?? 3;
    const insideFraction = params.insideFraction ?? 0.5;
    const connectivity = params.connectivity ?? 26;
    if (!(openRadius_mm >= 0)) throw usageError('BAD_RADIUS', `table opening radius must be ≥ 0 mm (got ${openRadius_mm})`);
    if (!(insideFraction >= 0 && insideFraction <= 1)) throw usageError('BAD_FRACTION', `insideFraction must be in [0, 1] (got ${insideFraction})`);

    const body = bodyMask(volume, bodyThreshold_HU, openRadius_mm);
    const cc = labelComponents(foregroundMask(labels), g.dims, connectivity);
    const inside = new Float64Array(cc.count + 1);
    const n = labels.data.length;
    let bodyVoxels = 0;
    for (let p = 0; p < n; p++) {
      bodyVoxels += body.mask[p]!;
      const c = cc.labels[p]!;
      if (c !== 0 && body.mask[p] !== 0) inside[c]!++;
    }
    // Removed components are renumbered 1..R (memory order) for their statistics.
    const removedId = new Int32Array(cc.count + 1);
    let r = 0;
    for (let c = 1; c <= cc.count; c++) if (inside[c]! < insideFraction * cc.sizes[c]!) removedId[c] = ++r;
    const src = labels.data;
    const data = src.slice();
    const ids = cc.labels; // reused in place for the removed components' statistics
    let removedVoxels = 0;
    let totalVoxels = 0;
    for (let p = 0; p < n; p++) {
      const c = ids[p]!;
      if (c === 0) continue;
      totalVoxels++;
      const rid = removedId[c]!;
      if (rid !== 0) {
        data[p] = 0;
        removedVoxels++;
      }
      ids[p] = rid;
    }
    const removed = componentStats(ids, r, g, volume).sort((a, b) => b.volume_mm3 - a.volume_mm3 || a.id - b.id);
    const vv = voxelVolume_mm3(g);
    const findings: Finding[] = [];
    if (body.coreVoxels === 0) {
      findings.push({ code: 'NO_BODY_FOUND', severity: 'warn', message: `no body above ${bodyThreshold_HU} HU survived a ${openRadius_mm} mm opening: every bone component was treated as outside the body` });
    }
    if (removedVoxels > 0) {
      findings.push({
        code: 'TABLE_REMOVED',
        severity: removedVoxels > 0.5 * totalVoxels ? 'warn' : 'info',
        message: `removed ${r} component(s), ${round(removedVoxels * vv / 1000, 2)} cm³ (${round((100 * removedVoxels) / Math.max(1, totalVoxels), 1)} % of the mask), lying outside the body: scanner table / head holder`,
      });
    }
    return {
      output: { grid: g, data, ...(labels.labels ? { labels: labels.labels } : {}) },
      record: {
        stage: 'segment',
        method: 'remove-table',
        params: { bodyThreshold_HU, openRadius_mm, insideFraction, connectivity, bodyFill: '2d per axial slice' },
        figures: {
          body_mm3: round(bodyVoxels * vv, 0),
          componentsFound: cc.count,
          componentsRemoved: r,
          removedVoxels,
          removed_mm3: round(removedVoxels * vv, 1),
          removedFraction: round(removedVoxels / Math.max(1, totalVoxels), 4),
          components: removed.slice(0, 20),
        },
        ...(findings.length ? { findings } : {}),
      },
    };
  });
}
