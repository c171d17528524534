/**
 * Who signs each stage gate and when, from core's workflow table (the same one the server
 * enforces): the segmentation and print-qc gates are signed on their own in their states;
 * the model gate only by approving.
 */
import { GATE_RULES, type CaseState } from '@scan2print/core';
import type { GateName } from './types.js';

export function gateSigners(): Record<GateName, string[]> {
  return { segmentation: [...GATE_RULES.segmentation.roles], model: [...GATE_RULES.model.roles], 'print-qc': [...GATE_RULES['print-qc'].roles] };
}

/** Whether a gate can be signed on its own (a button) in this state; the model gate never: approving signs it. */
export function gateSignableIn(gate: GateName, state: string): boolean {
  return (GATE_RULES[gate].states as readonly string[]).includes(state as CaseState);
}

/** The state whose transition signs the gate instead, if any ('approved' for the model gate). */
export function gateSignedBy(gate: GateName): string | undefined {
  return GATE_RULES[gate].signedBy;
}

/** The states in which each gate is signed on its own. */
export const GATE_STATES: Record<GateName, readonly string[]> = {
  segmentation: GATE_RULES.segmentation.states,
  model: GATE_RULES.model.states,
  'print-qc': GATE_RULES['print-qc'].states,
};
