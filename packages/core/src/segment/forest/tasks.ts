/**
 * The forest's slab kernels, registered by name so a worker that imports
 * @scan2print/core can run them (this file is imported by forest/index.ts, which the
 * segmentation module imports).
 */
import { registerTask } from '../../parallel/registry.js';
import {
  downsampleSlab,
  evalSlab,
  FOREST_DOWNSAMPLE_TASK,
  FOREST_EVAL_TASK,
  FOREST_GAUSS_TASK,
  FOREST_GRADIENT_TASK,
  FOREST_MINMAX_TASK,
  FOREST_UPSAMPLE_TASK,
  gradientSlab,
  minMaxPass,
  upsampleSlab,
} from './kernels.js';
import { gaussianPass } from '../filters/gaussian.js';
import { FOREST_UPSAMPLE_LINEAR_TASK, upsampleLinearSlab } from './coarse.js';

registerTask(FOREST_DOWNSAMPLE_TASK, downsampleSlab);
registerTask(FOREST_MINMAX_TASK, minMaxPass);
registerTask(FOREST_GAUSS_TASK, gaussianPass);
registerTask(FOREST_UPSAMPLE_LINEAR_TASK, upsampleLinearSlab);
registerTask(FOREST_GRADIENT_TASK, gradientSlab);
registerTask(FOREST_EVAL_TASK, evalSlab);
registerTask(FOREST_UPSAMPLE_TASK, upsampleSlab);
