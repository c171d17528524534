/**
 * How the workflow reads on screen: state and gate names in words, and a refused action
 * explained (role, four eyes, what is missing) instead of a bare status code.
 */
import type { CaseState } from '@scan2print/core';
import { ApiError } from '../api/client.js';
import type { GateName } from './types.js';

/** Every case state (core's CASE_STATES) in words: the type makes a new state a compile error here. */
export const STATE_LABELS: Record<CaseState, string> = {
  draft: 'Draft',
  submitted: 'Submitted',
  uploaded: 'Scan uploaded',
  segmented: 'Segmented',
  'in-review': 'In review',
  approved: 'Approved',
  'print-preparation': 'Print preparation',
  printing: 'Printing',
  'qc-passed': 'QC passed',
  delivered: 'Delivered',
  'changes-requested': 'Changes requested',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
};

export function stateLabel(state: string | null | undefined): string {
  if (!state) return '—';
  return (STATE_LABELS as Record<string, string>)[state] ?? state;
}

export const GATE_LABELS: Record<GateName, string> = {
  segmentation: 'Segmentation approved',
  model: 'Model approved',
  'print-qc': 'Prepared print checked (print QC)',
};

/** Role names as people say them. */
/** "a reviewer", "an engineer", "an organisation admin": the article the first role needs. */
export function aRole(roles: readonly string[]): string {
  const t = rolesText(roles);
  if (roles.length === 0) return t;
  return `${/^[aeiou]/i.test(t) ? 'an' : 'a'} ${t}`;
}

export function rolesText(roles: readonly string[]): string {
  if (roles.length === 0) return 'nobody (automatic)';
  const words = roles.map((r) => (r === 'org-admin' ? 'organisation admin' : r));
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** A refused transition or gate in words a user can act on. */
export function explainRefusal(e: unknown, role: string): string {
  if (!(e instanceof ApiError)) return `Not saved: ${(e as Error).message}`;
  switch (e.code) {
    case 'FORBIDDEN':
      return `Your role (${role}) may not do this: ${e.message}`;
    case 'FOUR_EYES':
      return `Four-eyes rule: ${e.message}. Someone else must approve this model version.`;
    case 'MISSING':
      return `Something is missing: ${e.message}`;
    case 'BAD_TRANSITION':
      return `Not possible from the case's current state: ${e.message}`;
    default:
      return e.status === 401 ? 'Your session has ended: log in again.' : `Not saved (${e.code}): ${e.message}`;
  }
}
