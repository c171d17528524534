import type { Command } from 'commander';
import { registerEvaluate } from './evaluate.js';
import { registerInspect } from './inspect.js';
import { registerExportVolume } from './export-volume.js';
import { registerSegment } from './segment.js';
import { registerAnonymise } from './anonymise.js';
import { registerMesh } from './mesh.js';
import { registerConvert } from './convert.js';
import { registerDemo } from './demo.js';
import { registerValidate } from './validate.js';
import { registerServe } from './serve.js';
import { registerUpload } from './upload.js';
import { registerAudit } from './audit.js';
import { registerPrepare } from './prepare.js';
import { registerPrinters } from './printers.js';
import { registerQuote } from './quote.js';
import { registerTrain } from './train.js';

/**
 * A command registers itself on the program. `setExit` lets an action return a
 * non-zero exit code without throwing (e.g. a gate that refuses an export).
 */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

// Each command lives in its own file and adds itself to this list.
export const commands: RegisterCommand[] = [
  registerAnonymise,
  registerEvaluate,
  registerInspect,
  registerExportVolume,
  registerSegment,
  registerMesh,
  registerConvert,
  registerDemo,
  registerValidate,
  registerServe,
  registerUpload,
  registerAudit,
  registerPrepare,
  registerPrinters,
  registerQuote,
  registerTrain,
];
