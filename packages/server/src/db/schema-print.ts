/** Kysely table types added by migration 0007-print (issue 12). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PrintTables {}
