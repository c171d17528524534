/**
 * The forest's own per-voxel naming (its most probable bone group and how sure it is of it),
 * taken from a method's output so it can travel past clean-up to identification
 * (anatomy/forest-evidence.ts). Clean-up changes which voxels are bone, not what the forest
 * said about each voxel, so this stays valid on the cleaned label map's grid.
 */
import { cloneGrid } from '../../geometry/grid.js';
import type { ForestEvidence } from '../../anatomy/identify-types.js';
import type { SegmentationOutput } from '../method.js';
import type { ForestOutput } from './predict.js';

/** The forest evidence in a method's output (`forest` and `threshold-forest` carry it), else undefined. */
export function forestEvidenceOf(output: SegmentationOutput): ForestEvidence | undefined {
  const f = output as Partial<ForestOutput>;
  if (!f.groups || !(f.group instanceof Uint8Array) || !(f.confidence instanceof Uint8Array)) return undefined;
  const names: Record<number, string> = {};
  f.groups.forEach((g, i) => (names[i + 1] = g));
  return { labels: { grid: cloneGrid(output.labels.grid), data: f.group, labels: names }, groups: [...f.groups], confidence: f.confidence };
}
