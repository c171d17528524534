/**
 * What `convert` does when the user says nothing more, in one place for every host (CLI,
 * server workers, browser, `validate`), so that "the default path" means one thing.
 */
import type { SegmentationOptions } from '../segment/pipeline.js';

/** Components smaller than this (mm³) are dropped: specks, not anatomy a surgeon plans on. */
export const CONVERT_MIN_ISLAND_MM3 = 5;

/**
 * Bone marrow is filled when the tissue is bone: a surgeon's bone model is the whole bone
 * (cortex and marrow), as the reference segmentations label it, not a hollow cortex.
 */
export function convertFillsMarrow(tissue: string): boolean {
  return tissue === 'bone';
}

/**
 * The default segmentation of `convert`: automatic threshold, table removed, faint components
 * (enhanced blood, organs: segment/faint-components.ts) and specks dropped, marrow filled for bone.
 */
export function convertSegmentationDefaults(tissue = 'bone'): SegmentationOptions {
  return {
    method: { method: 'auto-threshold' },
    cleanup: { removeTable: true, minIsland_mm3: CONVERT_MIN_ISLAND_MM3, ...(convertFillsMarrow(tissue) ? { fillMarrow: true, rejectFaint: true } : {}) },
  };
}
