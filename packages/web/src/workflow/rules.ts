/**
 * Which roles sign each stage gate, from core's transition table when this build has it
 * (the transition that `signs` the gate); null when unknown, and the server decides.
 */
import type { GateName } from './types.js';

export function gateSigners(): Record<GateName, string[] | null> {
  return { segmentation: null, model: null, 'print-qc': null };
}
