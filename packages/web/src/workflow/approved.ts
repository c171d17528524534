/**
 * Which model versions have been approved (and so have a code and a print label): the one
 * the signed model gate names, those the server lists with a code, and those a review approved.
 */
import type { ModelVersion, Review } from '../cases/types.js';
import type { LabelledVersion } from './LabelSection.js';
import type { WorkflowView } from './types.js';
import { aRole, stateLabel } from './words.js';

type VersionWithCode = ModelVersion & { code?: string | null; modelCode?: string | null };

export function approvedVersions(versions: ModelVersion[] | null, reviews: Review[] | null, wf: WorkflowView | null): LabelledVersion[] {
  const ids = new Set<string>();
  const gate = wf?.gates.model;
  if (gate?.signed && gate.modelVersionId) ids.add(gate.modelVersionId);
  for (const r of reviews ?? []) if (r.decision === 'approve' && r.jobId) ids.add(r.jobId);
  const out: LabelledVersion[] = [];
  for (const v of (versions ?? []) as VersionWithCode[]) {
    const code = v.code ?? v.modelCode ?? null;
    if (code || ids.has(v.jobId)) out.push({ jobId: v.jobId, version: v.version, code });
  }
  return out;
}

/** Whether the case's state lets the caller approve or request changes now, and why not (the Approval section's buttons). */
export interface ReviewSteps {
  approve: { allowed: boolean; why: string };
  requestChanges: { allowed: boolean; why: string };
}

export function reviewStepsOf(wf: WorkflowView): ReviewSteps {
  const one = (to: string) => {
    const n = wf.next.find((x) => x.to === to);
    if (!n) return { allowed: false, why: `not a step from the case's state (${stateLabel(wf.state)})` };
    return { allowed: n.allowed, why: n.allowed ? '' : n.missing.length ? `missing: ${n.missing.join('; ')}` : `in this state only ${aRole(n.roles)} may` };
  };
  return { approve: one('approved'), requestChanges: one('changes-requested') };
}
