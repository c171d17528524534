/**
 * The Approval section's hint under its two buttons, from the same facts that disable them:
 * the role's rule and the workflow's word on the case's state. It never says a button works
 * that is disabled (an engineer on an approved case read "can request changes" under a
 * disabled Request changes).
 */
export interface ReviewHintFacts {
  role: string;
  /** The role may ever approve / request changes. */
  mayApprove: boolean;
  mayRequest: boolean;
  /** No finished model version to decide on. */
  noModel: boolean;
  /** Why the workflow refuses each now (its state, gates, four eyes), or null. */
  approveBlock: string | null;
  requestBlock: string | null;
  /** "model version 2", "the latest model". */
  what: string;
}

export function reviewHint(h: ReviewHintFacts): string {
  if (!h.mayApprove && !h.mayRequest) return `Your role (${h.role}) cannot approve or request changes.`;
  if (h.noModel) return 'There is no finished model to judge yet.';
  const canApprove = h.mayApprove && !h.approveBlock;
  const canRequest = h.mayRequest && !h.requestBlock;
  if (!h.mayApprove && canRequest) return `Your role (${h.role}) can request changes on ${h.what} but not approve.`;
  const parts: string[] = [];
  if (!h.mayApprove) parts.push(`Your role (${h.role}) cannot approve.`);
  else if (h.approveBlock) parts.push(`Approval is not possible now: ${h.approveBlock}.`);
  if (!h.mayRequest) parts.push(`Your role (${h.role}) cannot request changes.`);
  else if (h.requestBlock) parts.push(`Requesting changes is not possible now: ${h.requestBlock}.`);
  if (canApprove || canRequest) parts.push(`Your decision applies to ${h.what}.`);
  return parts.join(' ');
}
