// Worker task: one slab of the isosurface (see extract-slab.ts).
import { registerTask } from '../../parallel/registry.js';
import { extractSlab, type IsoSlabPayload } from './extract-slab.js';
import { ISOSURFACE_TASK } from './extract.js';

registerTask(ISOSURFACE_TASK, (p: IsoSlabPayload) => extractSlab(p));
