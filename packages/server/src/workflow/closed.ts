/** The states in which a case takes no new files, labels or jobs. */
import { APPROVED_STATES, FINAL_STATES, type CaseState } from '@scan2print/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http/errors.js';

/**
 * A case that is delivered, rejected or cancelled takes no new files or jobs (409): its record
 * is closed, and work started on it would be billed and audited against a finished order. One
 * that is approved (up to QC) takes none either until changes are requested.
 */
export function refuseClosedCase(c: { id: string; status: string }): void {
  if (FINAL_STATES.includes(c.status as CaseState)) {
    throw new HttpError(409, 'CASE_CLOSED', `case ${c.id} is ${c.status}, a final state: it takes no new files or jobs (open a new case)`);
  }
  // Approved: a new version would become the "latest model" the print pages offer, unapproved.
  if (APPROVED_STATES.includes(c.status as CaseState)) {
    throw new HttpError(409, 'CASE_APPROVED', `case ${c.id} is ${c.status}: its model is the approved version and takes no new files, labels or jobs; request changes first to make a new version`);
  }
}

/**
 * The case's state as it stands (undefined: no such case). Inside a transaction it takes the
 * case row's lock, as a transition does: what the caller then writes (a job, files, a print
 * started) cannot slip in beside an approval, a cancel or a move out of printing taken at the
 * same instant. Each caller refuses what its own rule says (refuseClosedCaseNow below; a print
 * start: print/job-routes.ts).
 */
export async function caseStateNow(db: Kysely<Database>, caseId: string): Promise<{ id: string; status: string } | undefined> {
  const q = db.selectFrom('cases').select(['id', 'status']).where('id', '=', caseId);
  return (db.isTransaction ? q.forUpdate() : q).executeTakeFirst();
}

/** Reads the case's state (locked inside a transaction: caseStateNow) and refuses a closed or approved one. */
export async function refuseClosedCaseNow(db: Kysely<Database>, caseId: string): Promise<void> {
  const c = await caseStateNow(db, caseId);
  if (c) refuseClosedCase(c);
}
