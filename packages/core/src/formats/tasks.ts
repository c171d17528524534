// Worker task: deflate one chunk of a large zip entry (3MF model XML, see 3mf.ts).
import { registerTask } from '../parallel/registry.js';
import { deflateChunkTask, THREEMF_DEFLATE_TASK } from './3mf.js';

registerTask(THREEMF_DEFLATE_TASK, deflateChunkTask);
