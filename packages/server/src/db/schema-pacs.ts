/** Kysely table types added by migration 0008-pacs (issue 15). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PacsTables {}
