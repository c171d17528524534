/**
 * Unary term of identification: how well one region's features fit one structure. Each
 * expected feature range is flat inside and falls off as a Gaussian outside (σ per feature
 * below); a sided structure on the wrong side of the mid-sagittal plane gets SIDE_PENALTY
 * (left and right are never swapped); a region mostly outside the body (a table, a holder)
 * fits no structure.
 */
import type { Range, StructureDef } from './graph.js';
import type { RegionFeatures } from './features.js';

/** Score of "fits no structure". */
export const NULL_SCORE = -6;
/** A sided structure on the other side of the midline. */
const SIDE_PENALTY = -25;
/** |lateral| under this is on the midline: no side can be told. */
const MIDLINE = 0.03;
/**
 * |lateral| under this is a midline piece for StructureFeatures.midlineAnterior: the sacrum's lateral range (its body
 * and the medial sacral crest), short of the sacroiliac joints (measured on example_ct: hip pieces there ≥ 0.16).
 */
export const MIDLINE_BAND = 0.15;
/** σ of the fall-off outside each range (volume: in natural log units). */
const SIGMA: Record<string, number> = { bodyWidth_mm: 25, lateral: 0.08, anterior: 0.15, widthFraction: 0.08, volume_cm3: 0.3, meanHU: 120, air: 0.04, midlineBone: 0.2, limb: 0.2, compact: 0.08, ribLevel: 0.25, boneSpan: 0.1 };

function outside(x: number, r: Range, sigma: number): number {
  const d = x < r[0] ? r[0] - x : x > r[1] ? x - r[1] : 0;
  return -0.5 * (d / sigma) ** 2;
}

export interface UnaryTerm {
  total: number;
  /** The feature costing most, for messages. */
  worst: { feature: string; cost: number; value: number; range: Range } | null;
}

export function unary(f: RegionFeatures, s: StructureDef): UnaryTerm {
  let total = 0;
  let worst: UnaryTerm['worst'] = null;
  const add = (feature: string, cost: number, value: number, range: Range) => {
    total += cost;
    if (cost < -0.5 && (!worst || cost < worst.cost)) worst = { feature, cost, value, range };
  };
  const e = s.features;
  add('bodyWidth_mm', outside(f.bodyWidth_mm, e.bodyWidth_mm, SIGMA.bodyWidth_mm!), f.bodyWidth_mm, e.bodyWidth_mm);
  add('lateral', outside(f.lateral, e.lateral, SIGMA.lateral!), f.lateral, e.lateral);
  add('anterior', outside(f.anterior, e.anterior, SIGMA.anterior!), f.anterior, e.anterior);
  // Pieces are narrower than the whole: only the upper width bound binds.
  add('widthFraction', outside(f.widthFraction, [0, e.widthFraction[1]], SIGMA.widthFraction!), f.widthFraction, e.widthFraction);
  // A region may be a piece of the structure: only the upper volume bound binds.
  const v = Math.log(Math.max(1e-3, f.volume_mm3 / 1000));
  const vmax = e.pieceMax_cm3 ?? e.volume_cm3[1];
  add('volume_cm3', outside(v, [-Infinity, Math.log(vmax)], SIGMA.volume_cm3!), f.volume_mm3 / 1000, [0, vmax]);
  add('air', outside(f.air, e.air, SIGMA.air!), f.air, e.air);
  if (e.areaMax_cm2 !== undefined) add('area_cm2', outside(Math.log(Math.max(1e-3, f.area_cm2)), [-Infinity, Math.log(e.areaMax_cm2)], SIGMA.volume_cm3!), f.area_cm2, [0, e.areaMax_cm2]);
  if (s.logPrior) total += s.logPrior;
  if (e.boneSpan) add('boneSpan', outside(f.boneSpan, e.boneSpan, SIGMA.boneSpan!), f.boneSpan, e.boneSpan);
  if (e.ribLevel) add('ribLevel', outside(f.ribLevel, e.ribLevel, SIGMA.ribLevel!), f.ribLevel, e.ribLevel);
  if (e.midlineAnterior && f.lateral < MIDLINE_BAND) add('midlineAnterior', outside(f.anterior, e.midlineAnterior, SIGMA.anterior!), f.anterior, e.midlineAnterior);
  if (e.compact) add('compact', outside(f.compact, e.compact, SIGMA.compact!), f.compact, e.compact);
  const limb = e.limb ?? [0, 0.5];
  add('limb', outside(f.limb, limb, SIGMA.limb!), f.limb, limb);
  const mid = e.midlineBone ?? [0.5, 1];
  add('midlineBone', outside(f.midlineBone, mid, SIGMA.midlineBone!), f.midlineBone, mid);
  add('meanHU', outside(f.meanHU, e.meanHU, SIGMA.meanHU!), f.meanHU, e.meanHU);
  if (s.side && f.lateral > MIDLINE && (f.lateralSigned > 0) !== (s.side === 'left')) add('side', SIDE_PENALTY, f.lateralSigned, s.side === 'left' ? [0, 1] : [-1, 0]);
  if (f.inside < 0.25) add('insideBody', -30, f.inside, [0.25, 1]);
  return { total, worst };
}
