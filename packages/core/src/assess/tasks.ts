// Worker tasks of the assessment (imported by parallel/all-tasks.ts; task-modules.ts loads it for 'assess.' tasks).
import { registerTask } from '../parallel/registry.js';
import { SLICE_OUTLIERS_TASK, impulsesSlab } from './slice-outliers.js';
import { VALUE_COUNTS_TASK, valueCountsSlab } from './value-counts.js';
import { FLOAT_HISTOGRAM_TASK, floatHistogramRun } from './float-histogram.js';

registerTask(SLICE_OUTLIERS_TASK, impulsesSlab);
registerTask(VALUE_COUNTS_TASK, valueCountsSlab);
registerTask(FLOAT_HISTOGRAM_TASK, floatHistogramRun);
