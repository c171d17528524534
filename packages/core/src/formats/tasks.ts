// Worker tasks: deflate one chunk of a large zip entry (3MF model XML, see 3mf.ts); a whole 3MF file.
import { registerTask } from '../parallel/registry.js';
import { deflateChunkTask, threeMfFileTask, THREEMF_DEFLATE_TASK, THREEMF_FILE_TASK } from './3mf.js';

registerTask(THREEMF_DEFLATE_TASK, deflateChunkTask);
registerTask(THREEMF_FILE_TASK, threeMfFileTask);
