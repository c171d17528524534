/**
 * The transition table and the pure rules over it. Each (from, to) pair appears in at most
 * one rule, so "move this case to X" names exactly one rule or none.
 */
import { CASE_STATES, GATES, REQUIREMENT_LABELS, type CaseState, type Gate, type Requirement, type WorkflowRole } from './states.js';

export interface TransitionRule {
  from: readonly CaseState[];
  to: CaseState;
  /** Who may take it by hand (POST /api/cases/:id/transitions). */
  roles: readonly WorkflowRole[];
  requires: readonly Requirement[];
  /** The gate this transition signs, for the model version it acts on. */
  signs?: Gate;
  /** Gate signatures this transition voids (they must be signed again). */
  voids?: readonly Gate[];
  /**
   * The server takes it by itself (actor null) when its event happens: 'uploaded' when files
   * are stored, 'segmented' when a convert job succeeds. The roles may still take it by hand
   * (should the automatic step have failed: it never fails the upload or the job).
   */
  auto?: boolean;
  label: string;
}

/** Every state a case can be cancelled from: all but the final ones. */
const OPEN: readonly CaseState[] = [
  'draft', 'submitted', 'uploaded', 'segmented', 'in-review', 'changes-requested', 'approved', 'print-preparation', 'printing', 'qc-passed',
];

export const TRANSITIONS: readonly TransitionRule[] = [
  { from: ['draft'], to: 'submitted', roles: ['requester', 'org-admin'], requires: [], label: 'Submit the order' },
  { from: ['submitted'], to: 'uploaded', roles: ['requester', 'org-admin'], requires: ['files'], auto: true, label: 'Scan uploaded' },
  { from: ['uploaded', 'changes-requested'], to: 'segmented', roles: ['engineer', 'org-admin'], requires: ['converted'], auto: true, label: 'Segmented' },
  { from: ['segmented', 'changes-requested'], to: 'in-review', roles: ['engineer', 'org-admin'], requires: [], label: 'Start review and editing' },
  {
    from: ['in-review'],
    to: 'approved',
    roles: ['reviewer', 'org-admin'],
    requires: ['model-version', 'gate:segmentation', 'no-pending-job'],
    signs: 'model',
    label: 'Approve the model',
  },
  { from: ['segmented', 'in-review'], to: 'changes-requested', roles: ['engineer', 'reviewer', 'org-admin'], requires: ['comment'], voids: GATES, label: 'Request changes' },
  { from: ['approved', 'print-preparation'], to: 'changes-requested', roles: ['reviewer', 'technician', 'org-admin'], requires: ['comment'], voids: GATES, label: 'Request changes' },
  { from: ['approved'], to: 'print-preparation', roles: ['technician', 'org-admin'], requires: [], label: 'Prepare the print' },
  {
    from: ['print-preparation'],
    to: 'printing',
    roles: ['technician', 'org-admin'],
    requires: ['gate:segmentation', 'gate:model', 'gate:print-qc'],
    label: 'Start printing',
  },
  { from: ['printing'], to: 'print-preparation', roles: ['technician', 'org-admin'], requires: ['comment'], voids: ['print-qc'], label: 'Part failed inspection: prepare again' },
  { from: ['printing'], to: 'qc-passed', roles: ['technician', 'org-admin'], requires: [], label: 'Part passed inspection' },
  { from: ['qc-passed'], to: 'delivered', roles: ['technician', 'org-admin'], requires: [], label: 'Deliver' },
  {
    from: ['submitted', 'uploaded', 'segmented', 'in-review', 'changes-requested'],
    to: 'rejected',
    roles: ['engineer', 'reviewer', 'org-admin'],
    requires: ['comment'],
    label: 'Reject the order',
  },
  { from: OPEN, to: 'cancelled', roles: ['requester', 'org-admin'], requires: ['comment'], label: 'Cancel the order' },
];

/** Gates signed on their own (POST /api/cases/:id/gates) and the one signed by a transition. */
export interface GateRule {
  gate: Gate;
  /** Who signs it. */
  roles: readonly WorkflowRole[];
  /** States in which it can be signed on its own; empty when only its transition signs it. */
  states: readonly CaseState[];
  /** The transition that signs it instead, if any. */
  signedBy?: CaseState;
  label: string;
}

export const GATE_RULES: Readonly<Record<Gate, GateRule>> = {
  segmentation: { gate: 'segmentation', roles: ['engineer', 'org-admin'], states: ['in-review'], label: 'Segmentation approved' },
  model: { gate: 'model', roles: ['reviewer', 'org-admin'], states: [], signedBy: 'approved', label: 'Model approved' },
  'print-qc': { gate: 'print-qc', roles: ['technician', 'org-admin'], states: ['print-preparation'], label: 'Prepared print checked' },
};

/** What holds for a case, as the server found it (for one caller and one model version). */
export interface WorkflowFacts {
  files: boolean;
  converted: boolean;
  modelVersion: boolean;
  gates: Partial<Record<Gate, boolean>>;
  /** The request carries a comment (a listing of next steps leaves it out: the form asks for one). */
  comment?: boolean;
  /** Why the caller may not approve this model version (four eyes), if so. */
  fourEyes?: string;
  /** A model job (convert, mesh) of the case is queued or running. */
  pendingJob?: boolean;
}

export function rulesFrom(state: CaseState): TransitionRule[] {
  return TRANSITIONS.filter((r) => r.from.includes(state));
}

export function ruleFor(from: CaseState, to: CaseState): TransitionRule | undefined {
  return TRANSITIONS.find((r) => r.to === to && r.from.includes(from));
}

function holds(req: Requirement, f: WorkflowFacts): boolean {
  switch (req) {
    case 'files':
      return f.files;
    case 'converted':
      return f.converted;
    case 'model-version':
      return f.modelVersion;
    case 'comment':
      return f.comment === true;
    case 'no-pending-job':
      return f.pendingJob !== true;
    default:
      return f.gates[req.slice('gate:'.length) as Gate] === true;
  }
}

/** The rule's requirements that do not hold, in the rule's order. */
export function missingFor(rule: TransitionRule, facts: WorkflowFacts): Requirement[] {
  return rule.requires.filter((r) => !holds(r, facts));
}

export function roleMay(rule: Pick<TransitionRule, 'roles'>, role: string): boolean {
  return (rule.roles as readonly string[]).includes(role);
}

export interface NextTransition {
  to: CaseState;
  label: string;
  roles: readonly WorkflowRole[];
  /** The caller may take it now: role, requirements (a comment aside: the form asks for it) and four eyes. */
  allowed: boolean;
  /** What is missing, in words (REQUIREMENT_LABELS; four eyes as its reason). */
  missing: string[];
  /** The same as keys (Requirement, or 'four-eyes'). */
  missingKeys: string[];
  /** The transition needs a comment. */
  comment: boolean;
  auto: boolean;
  signs?: Gate;
}

/** The transitions out of `state`, each with whether `role` may take it now and what is missing. */
export function nextTransitions(state: CaseState, role: string, facts: WorkflowFacts): NextTransition[] {
  return rulesFrom(state).map((r) => {
    const keys: string[] = missingFor(r, { ...facts, comment: true });
    if (r.signs === 'model' && facts.fourEyes && roleMay(r, role)) keys.push('four-eyes');
    const words = keys.map((k) => (k === 'four-eyes' ? `four eyes: ${facts.fourEyes}` : REQUIREMENT_LABELS[k as Requirement]));
    return {
      to: r.to,
      label: r.label,
      roles: r.roles,
      allowed: roleMay(r, role) && keys.length === 0,
      missing: words,
      missingKeys: keys,
      comment: r.requires.includes('comment'),
      auto: r.auto === true,
      ...(r.signs ? { signs: r.signs } : {}),
    };
  });
}

/** Whether `role` may sign `gate` on its own in `state` (the model gate: only by approving). */
export function canSignGate(gate: Gate, state: CaseState, role: string): boolean {
  const g = GATE_RULES[gate];
  return g.states.includes(state) && roleMay(g, role);
}

/**
 * Roles that move the case on from `state` (by a transition or a gate), for notifications:
 * the way forward, not cancelling, rejecting or sending back. An automatic step's roles are
 * those whose work triggers it (upload the files, start the convert).
 */
export function rolesToAct(state: CaseState): WorkflowRole[] {
  const out = new Set<WorkflowRole>();
  for (const r of rulesFrom(state)) if (r.to !== 'cancelled' && r.to !== 'rejected' && r.to !== 'changes-requested') r.roles.forEach((x) => out.add(x));
  for (const g of Object.values(GATE_RULES)) if (g.states.includes(state)) g.roles.forEach((x) => out.add(x));
  return [...out];
}

export function isCaseState(s: string): s is CaseState {
  return (CASE_STATES as readonly string[]).includes(s);
}
