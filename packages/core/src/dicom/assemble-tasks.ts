// Worker tasks of the import (imported by parallel/all-tasks.ts).
import { registerTask } from '../parallel/registry.js';
import { DECODE_INTO_STACK_TASK, decodeIntoStack, type DecodeIntoPayload } from './assemble-decode.js';
import { decodeFrames } from './decode.js';

registerTask(DECODE_INTO_STACK_TASK, (p: DecodeIntoPayload) => decodeIntoStack(p, (inst, bytes) => decodeFrames(inst, bytes)));
