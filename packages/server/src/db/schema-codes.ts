/** Kysely table types added by this feature's migration. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CodeTables {}
