// Worker tasks of the import (imported by parallel/all-tasks.ts).
import { registerTask } from '../parallel/registry.js';
import { DECODE_INTO_STACK_TASK, PARSE_HEADER_TASK, type DecodeIntoPayload } from './assemble-decode.js';
import { parseHeaderOrReason } from './parse.js';
import { decodeFramesInto } from './decode.js';

registerTask(DECODE_INTO_STACK_TASK, (p: DecodeIntoPayload) => decodeFramesInto(p.inst, p.bytes, p.stack, (f) => p.slots[f] ?? -1, p.plane));
registerTask(PARSE_HEADER_TASK, (p: { bytes: Uint8Array; name: string }) => parseHeaderOrReason(p.bytes, p.name));
