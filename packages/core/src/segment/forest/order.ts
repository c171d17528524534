/**
 * Whether the forest's bone groups lie in an order anatomy allows, along the patient's
 * superior axis (LPS z). The shipped model was trained on abdominal and pelvic CTs; on a head
 * it names the skull's voxels by its nearest groups. Its bone volume can then look right
 * (ct/ge-head-tilt-variable-spacing: 121 % of the bone preset's, inside FOREST_DISAGREES'
 * bounds) while the names are impossible: a left femur of 378 cm³ whose centroid lies 26 mm
 * above the left hip's. Only orders that hold in every patient, whatever the field of view,
 * are checked:
 *  - the spine: cervical above thoracic above lumbar above sacrum;
 *  - a femur below the hip bone of its side, and below the sacrum.
 * Pairs whose order depends on where the scan starts and ends (the lumbar spine and the iliac
 * crests, ribs and the thoracic spine, arms, which may be raised above the head) are not.
 */
import { indexToPhysical } from '../../geometry/grid.js';
import type { LabelMap } from '../../geometry/types.js';
import { round, type Finding } from '../../pipeline/record.js';

/** A group only counts with at least this much bone (mm³): a stray piece says nothing of the order. */
export const ORDER_MIN_MM3 = 5000;

/** How far (mm) a group's centroid may lie above one that anatomy puts above it (noise, tilted patients). */
export const ORDER_TOLERANCE_MM = 10;

export interface GroupPlaces {
  /** Voxels per label (index 0 unused). */
  counts: Float64Array;
  /** Centroid z (LPS mm, superior positive) per label; NaN where a label has no voxel. */
  z_mm: Float64Array;
}

/** Voxel count and centroid height of every label 1 … nLabels of `labels`, in one pass. */
export function groupPlaces(labels: LabelMap, nLabels: number): GroupPlaces {
  const [nx, ny, nz] = labels.grid.dims;
  const d = labels.data;
  const counts = new Float64Array(nLabels + 1);
  const si = new Float64Array(nLabels + 1);
  const sj = new Float64Array(nLabels + 1);
  const sk = new Float64Array(nLabels + 1);
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const l = d[p]!;
        if (l === 0 || l > nLabels) continue;
        counts[l]!++;
        si[l]! += i;
        sj[l]! += j;
        sk[l]! += k;
      }
    }
  }
  const z_mm = new Float64Array(nLabels + 1).fill(NaN);
  for (let l = 1; l <= nLabels; l++) {
    const n = counts[l]!;
    if (n > 0) z_mm[l] = indexToPhysical(labels.grid, si[l]! / n, sj[l]! / n, sk[l]! / n)[2];
  }
  return { counts, z_mm };
}

/** Rank along the spine, head first, of a group name; femurs and hips are checked by side. */
const SPINE: Record<string, number> = { vertebrae_cervical: 0, vertebrae_thoracic: 1, vertebrae_lumbar: 2, sacrum: 3 };

/** The pairs [upper, lower] of group names that every anatomy orders so, among `groups`. */
export function orderedPairs(groups: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  const has = new Set(groups);
  const spine = groups.filter((g) => g in SPINE).sort((a, b) => SPINE[a]! - SPINE[b]!);
  for (let a = 0; a < spine.length; a++) for (let b = a + 1; b < spine.length; b++) pairs.push([spine[a]!, spine[b]!]);
  for (const side of ['left', 'right']) {
    const femur = `femur_${side}`;
    if (!has.has(femur)) continue;
    if (has.has(`hip_${side}`)) pairs.push([`hip_${side}`, femur]);
    if (has.has('sacrum')) pairs.push(['sacrum', femur]);
  }
  return pairs;
}

/**
 * The finding FOREST_ORDER_IMPLAUSIBLE where a group lies more than ORDER_TOLERANCE_MM above
 * one anatomy puts above it, both with at least ORDER_MIN_MM3 of bone; else undefined.
 * `groups[i]` is label i + 1.
 */
export function orderFinding(groups: readonly string[], places: GroupPlaces, voxel_mm3: number): Finding | undefined {
  const label = new Map(groups.map((g, i) => [g, i + 1]));
  const wrong: string[] = [];
  for (const [upper, lower] of orderedPairs(groups)) {
    const u = label.get(upper)!, l = label.get(lower)!;
    if (places.counts[u]! * voxel_mm3 < ORDER_MIN_MM3 || places.counts[l]! * voxel_mm3 < ORDER_MIN_MM3) continue;
    const above = places.z_mm[l]! - places.z_mm[u]!;
    if (above > ORDER_TOLERANCE_MM) wrong.push(`${lower} lies ${round(above, 1)} mm above ${upper}`);
  }
  if (wrong.length === 0) return undefined;
  return {
    code: 'FOREST_ORDER_IMPLAUSIBLE',
    severity: 'warn',
    message:
      `the forest's bone groups lie in an order no anatomy has (centroids along the patient's head-foot axis): ${wrong.join('; ')}. ` +
      'The model does not know this anatomy (it names only the bones it was trained on): its bone may be usable, its names are not',
  };
}
