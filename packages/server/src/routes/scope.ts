/** Loads a row of the caller's organisation, or 404: another organisation's data does not exist for them. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { notFound } from '../http/errors.js';
import { orgOf, type Principal } from '../auth/principal.js';

export async function caseOf(db: Kysely<Database>, p: Principal, id: string) {
  const row = await db.selectFrom('cases').selectAll().where('id', '=', id).where('org_id', '=', orgOf(p)).executeTakeFirst();
  if (!row) throw notFound('case');
  return row;
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
