// Worker tasks of the assessment (imported by parallel/all-tasks.ts; task-modules.ts loads it for 'assess.' tasks).
import { registerTask } from '../parallel/registry.js';
import { SLICE_OUTLIERS_TASK, impulsesSlab } from './slice-outliers.js';

registerTask(SLICE_OUTLIERS_TASK, impulsesSlab);
