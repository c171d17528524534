/**
 * The organisation's printer/material catalogue: numbered versions in print_catalogues, the
 * highest being current; with none stored the shipped PRINT_CATALOGUE is version 0. An edit
 * names the version it was made from (baseVersion) and is refused when that is no longer
 * current, so two admins editing at once cannot overwrite each other unknowingly.
 */
import type { Kysely } from 'kysely';
import { PRINT_CATALOGUE, type PrintCatalogue } from '@scan2print/core';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http/errors.js';

export interface CatalogueVersion {
  version: number;
  catalogue: PrintCatalogue;
  updatedAt: string | null;
  /** E-mail of who saved it (null for version 0). */
  updatedBy: string | null;
}

const asIso = (d: Date | string) => new Date(d).toISOString();

export async function currentCatalogue(db: Kysely<Database>, orgId: string): Promise<CatalogueVersion> {
  const row = await db
    .selectFrom('print_catalogues')
    .innerJoin('users', 'users.id', 'print_catalogues.updated_by')
    .select(['version', 'catalogue', 'print_catalogues.created_at', 'updated_by', 'users.email'])
    .where('print_catalogues.org_id', '=', orgId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return { version: 0, catalogue: PRINT_CATALOGUE, updatedAt: null, updatedBy: null };
  return { version: row.version, catalogue: row.catalogue as PrintCatalogue, updatedAt: asIso(row.created_at), updatedBy: row.email };
}

export async function catalogueVersions(db: Kysely<Database>, orgId: string): Promise<Omit<CatalogueVersion, 'catalogue'>[]> {
  const rows = await db
    .selectFrom('print_catalogues')
    .innerJoin('users', 'users.id', 'print_catalogues.updated_by')
    .select(['version', 'print_catalogues.created_at', 'updated_by', 'users.email'])
    .where('print_catalogues.org_id', '=', orgId)
    .orderBy('version', 'desc')
    .execute();
  return [
    ...rows.map((r) => ({ version: r.version, updatedAt: asIso(r.created_at), updatedBy: r.email })),
    { version: 0, updatedAt: null, updatedBy: null },
  ];
}

/** 409 STALE: the edit's base is not the current version (the answer names the current one). */
export class StaleCatalogue extends HttpError {
  constructor(
    readonly baseVersion: number,
    readonly currentVersion: number | null,
  ) {
    super(
      409,
      'STALE',
      currentVersion === null
        ? `the catalogue was edited from version ${baseVersion}, but another edit from it was saved first: load the current version and edit again`
        : `the catalogue was edited from version ${baseVersion}, but version ${currentVersion} is current now: load it and edit again`,
    );
  }
}

/**
 * Stores `catalogue` as the next version when `baseVersion` is current (inside the caller's
 * transaction); 409 STALE otherwise. The primary key (org, version) refuses a second writer
 * that read the same current version at the same moment.
 */
export async function saveCatalogue(tx: Kysely<Database>, orgId: string, userId: string, catalogue: PrintCatalogue, baseVersion: number): Promise<number> {
  const cur = await tx.selectFrom('print_catalogues').select('version').where('org_id', '=', orgId).orderBy('version', 'desc').limit(1).executeTakeFirst();
  const current = cur?.version ?? 0;
  if (baseVersion !== current) {
    throw new StaleCatalogue(baseVersion, current);
  }
  const version = current + 1;
  await tx.insertInto('print_catalogues').values({ org_id: orgId, version, catalogue: JSON.stringify(catalogue), updated_by: userId }).execute();
  return version;
}
