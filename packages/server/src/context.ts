/** What every route and worker shares: the database, the object store and the settings. */
import type { Kysely } from 'kysely';
import type { WorkerPool } from '@scan2print/core';
import type { ServerConfig } from './config.js';
import type { Database } from './db/schema.js';
import type { Db } from './db/connect.js';
import type { ObjectStore } from './storage/store.js';

export interface Services {
  config: ServerConfig;
  dbh: Db;
  db: Kysely<Database>;
  store: ObjectStore;
  /** A worker pool per running job (the CLI host passes Node worker threads); none → inline. */
  createPool?: () => WorkerPool;
  /** Library versions recorded in reports. */
  libraries?: Record<string, string>;
}
