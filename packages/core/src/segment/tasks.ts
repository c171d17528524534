/**
 * Slab kernels of the segmentation module, registered by name so a worker that
 * imports @scan2print/core can run them (parallel/all-tasks.ts imports this file).
 */
import { registerTask } from '../parallel/registry.js';
import { THRESHOLD_TASK, thresholdSlab } from './threshold.js';
import { SOFT_THRESHOLD_TASK, softThresholdSlab } from './soft-threshold.js';
import { GAUSSIAN_PASS_TASK, gaussianPass } from './filters/gaussian.js';
import { MEDIAN_TASK, medianSlab } from './filters/median.js';
import { RESAMPLE_TASK, resampleSlab } from './filters/resample.js';

registerTask(THRESHOLD_TASK, thresholdSlab);
registerTask(SOFT_THRESHOLD_TASK, softThresholdSlab);
registerTask(GAUSSIAN_PASS_TASK, gaussianPass);
registerTask(MEDIAN_TASK, medianSlab);
registerTask(RESAMPLE_TASK, resampleSlab);
