/**
 * Slab kernels of the segmentation module, registered by name so a worker that
 * imports @scan2print/core can run them (parallel/all-tasks.ts imports this file).
 * Only kernel modules are imported here, never a method's module (those load zod for
 * their parameter schemas, about 60 ms of CPU per worker: parallel/task-modules.ts).
 */
import { registerTask } from '../parallel/registry.js';
import { THRESHOLD_TASK, thresholdSlab } from './threshold-kernel.js';
import { SOFT_THRESHOLD_TASK, softThresholdSlab } from './soft-threshold-kernel.js';
import { GAUSSIAN_PASS_TASK, gaussianPass } from './filters/gaussian.js';
import { MEDIAN_TASK, medianSlab } from './filters/median.js';
import { RESAMPLE_TASK, resampleSlab } from './filters/resample.js';
import { BODY_CELLS_FILLED_TASK, bodyCellsFilledSlab, TABLE_BODY_TASK, tableBodyTask } from './table-body.js';

registerTask(THRESHOLD_TASK, thresholdSlab);
registerTask(SOFT_THRESHOLD_TASK, softThresholdSlab);
registerTask(GAUSSIAN_PASS_TASK, gaussianPass);
registerTask(MEDIAN_TASK, medianSlab);
registerTask(RESAMPLE_TASK, resampleSlab);
registerTask(BODY_CELLS_FILLED_TASK, bodyCellsFilledSlab);
registerTask(TABLE_BODY_TASK, tableBodyTask);
