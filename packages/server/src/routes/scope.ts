/** Loads a row of the caller's organisation, or 404: another organisation's data does not exist for them. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { APPROVED_STATES, FINAL_STATES, type CaseState } from '@scan2print/core';
import { HttpError, notFound } from '../http/errors.js';
import { orgOf, type Principal } from '../auth/principal.js';

export async function caseOf(db: Kysely<Database>, p: Principal, id: string) {
  const row = await db.selectFrom('cases').selectAll().where('id', '=', id).where('org_id', '=', orgOf(p)).executeTakeFirst();
  if (!row) throw notFound('case');
  return row;
}

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

export async function jobOf(db: Kysely<Database>, p: Principal, id: string) {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).where('org_id', '=', orgOf(p)).executeTakeFirst();
  if (!row) throw notFound('job');
  return row;
}

export async function artifactOf(db: Kysely<Database>, p: Principal, id: string) {
  const row = await db.selectFrom('artifacts').selectAll().where('id', '=', id).where('org_id', '=', orgOf(p)).executeTakeFirst();
  if (!row) throw notFound('artifact');
  return row;
}
