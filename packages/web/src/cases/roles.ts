/**
 * What each role may do on a case, as the server enforces it (routes/jobs.ts, and core's
 * workflow table for decisions: approving is a transition to 'approved', requesting changes one
 * to 'changes-requested'): the page shows only the controls the server would accept.
 */
import { TRANSITIONS } from '@scan2print/core';

/** Every role that may take some transition into `to`. */
const rolesInto = (to: string): string[] => [...new Set(TRANSITIONS.filter((r) => r.to === to).flatMap((r) => [...r.roles]))];

const APPROVERS = rolesInto('approved');
const CHANGE_REQUESTERS = rolesInto('changes-requested');
const STARTERS = ['org-admin', 'requester', 'engineer'];
const ASSIGNERS = ['org-admin', 'requester', 'engineer', 'reviewer'];

export const canApprove = (role: string): boolean => APPROVERS.includes(role);
export const canRequestChanges = (role: string): boolean => CHANGE_REQUESTERS.includes(role);
export const canStartConvert = (role: string): boolean => STARTERS.includes(role);
export const canAssign = (role: string): boolean => ASSIGNERS.includes(role);
