/**
 * What each role may do on a case, as the server enforces it (API.md items 3, 4 and
 * routes/jobs.ts): the page shows only the controls the server would accept.
 */

const APPROVERS = ['requester', 'reviewer', 'org-admin'];
const CHANGE_REQUESTERS = [...APPROVERS, 'engineer'];
const STARTERS = ['org-admin', 'requester', 'engineer'];
const ASSIGNERS = ['org-admin', 'requester', 'engineer', 'reviewer'];

export const canApprove = (role: string): boolean => APPROVERS.includes(role);
export const canRequestChanges = (role: string): boolean => CHANGE_REQUESTERS.includes(role);
export const canStartConvert = (role: string): boolean => STARTERS.includes(role);
export const canAssign = (role: string): boolean => ASSIGNERS.includes(role);
