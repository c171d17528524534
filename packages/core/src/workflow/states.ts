/**
 * The case workflow as data: states, stage gates and the transition table. Pure (no I/O):
 * the server enforces it over its database, the web app reads it to show who can act.
 * Why the table looks like this: README.md in this folder.
 */

export const CASE_STATES = [
  'draft',
  'submitted',
  'uploaded',
  'segmented',
  'in-review',
  'approved',
  'print-preparation',
  'printing',
  'qc-passed',
  'delivered',
  'changes-requested',
  'rejected',
  'cancelled',
] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** States a case never leaves. */
export const FINAL_STATES: readonly CaseState[] = ['delivered', 'rejected', 'cancelled'];

/**
 * States whose model is the approved, signed version: no new version is made in them (a rebuild,
 * new files, edited labels), or the print-facing "latest model" would be one nobody approved.
 * Requesting changes (→ changes-requested, gates voided) opens the model again.
 */
export const APPROVED_STATES: readonly CaseState[] = ['approved', 'print-preparation', 'printing', 'qc-passed'];

/** Stage gates: all three signed (for the approved model version) before 'printing'. */
export const GATES = ['segmentation', 'model', 'print-qc'] as const;
export type Gate = (typeof GATES)[number];

/** Roles of an organisation's members (the server's ROLES without the installation admin). */
export const WORKFLOW_ROLES = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;
export type WorkflowRole = (typeof WORKFLOW_ROLES)[number];

/** Roles that may create a case (POST /api/cases): the server enforces it, the web app offers "New case" to them. */
export const CASE_CREATORS: readonly WorkflowRole[] = ['org-admin', 'requester', 'engineer'];

/**
 * What a transition needs besides the role:
 * - files: the case holds uploaded files;
 * - converted: a convert job of the case succeeded (the automatic segmentation exists);
 * - model-version: the model version in question succeeded, every model passed the
 *   printability checks, and it has its 3MF and its ISO report;
 * - gate:X: gate X is signed for that model version (and not voided since);
 * - comment: the request carries a non-empty comment;
 * - no-pending-job: no model job (convert, mesh) of the case is queued or running. Approving
 *   while one runs would approve a version that its finished job makes stale at once.
 */
export const REQUIREMENTS = ['files', 'converted', 'model-version', 'gate:segmentation', 'gate:model', 'gate:print-qc', 'comment', 'no-pending-job'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export const REQUIREMENT_LABELS: Readonly<Record<Requirement, string>> = {
  files: 'uploaded CT files',
  converted: 'a succeeded segmentation (convert job)',
  'model-version': 'a model version that passed its checks, with its 3MF and ISO report',
  'gate:segmentation': 'the segmentation gate, signed by an engineer',
  'gate:model': 'the model gate, signed by the approving reviewer',
  'gate:print-qc': "the print-qc gate, signed by a technician after checking the prepared print",
  comment: 'a comment',
  'no-pending-job': 'no model job still queued or running (wait for its version, or cancel the job)',
};
