/**
 * The routing table: which organisation a DICOM association or a STOW-RS request belongs to.
 * An association is routed by its calling AE title, and by its called AE title when a route
 * names one (a route without one takes any called AE title this listener answers to); a
 * STOW-RS request by its bearer token, kept as SHA-256 only. No route, no reception.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { PacsRoutesTable } from '../db/schema-pacs.js';
import { newSecret, secretHash } from '../auth/secrets.js';

export type PacsRoute = Selectable<PacsRoutesTable>;

/** An AE title as DICOM carries it: up to 16 characters, no backslash or control characters, spaces trimmed (PS3.5 6.2 AE). */
export function normaliseAe(ae: string): string {
  return ae.trim();
}

export function isValidAe(ae: string): boolean {
  const t = normaliseAe(ae);
  return t.length >= 1 && t.length <= 16 && /^[\x20-\x5b\x5d-\x7e]+$/.test(t);
}

export type AeRouting = { route: PacsRoute } | { refused: 'calling-ae' | 'called-ae' };

/** The route of an association; a route naming the called AE title wins over one for any. */
export async function routeForAssociation(db: Kysely<Database>, callingAe: string, calledAe: string, listenerAe: string): Promise<AeRouting> {
  const calling = normaliseAe(callingAe);
  const called = normaliseAe(calledAe);
  const rows = await db.selectFrom('pacs_routes').selectAll().where('calling_ae', '=', calling).execute();
  if (rows.length === 0) return { refused: 'calling-ae' };
  const exact = rows.find((r) => r.called_ae === called);
  if (exact) return { route: exact };
  const any = rows.find((r) => r.called_ae === null);
  // A route for any called AE title covers the listener's own title only: another title is a misdirected association.
  if (any && called === listenerAe) return { route: any };
  return { refused: 'called-ae' };
}

export async function routeForStowToken(db: Kysely<Database>, token: string): Promise<PacsRoute | undefined> {
  return db.selectFrom('pacs_routes').selectAll().where('stow_token_hash', '=', secretHash(token)).executeTakeFirst();
}

/** A new STOW-RS token (shown once; the route keeps its hash). */
export function newStowToken(): { token: string; hash: string } {
  const token = newSecret('s2pstow');
  return { token, hash: secretHash(token) };
}
