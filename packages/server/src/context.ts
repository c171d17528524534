/** What every route and worker shares: the database, the object store and the settings. */
import type { Kysely } from 'kysely';
import type { ConvertJobRequest, JobOutput, JobSink, Report } from '@scan2print/core';
import type { ServerConfig } from './config.js';
import type { Database } from './db/schema.js';
import type { Db } from './db/connect.js';
import type { ObjectStore } from './storage/store.js';

export interface Services {
  config: ServerConfig;
  dbh: Db;
  db: Kysely<Database>;
  store: ObjectStore;
  /** Runs core's convert job: the CLI host's worker thread, or inline (serve.ts inlineConvert) when a host gives none. */
  executeConvert: ConvertExecutor;
}

/**
 * Runs core's runConvertJob somewhere else (a worker thread), so a job's seconds of CPU do
 * not stall the API's requests. Progress may throw to stop the job; the sink's failure fails it.
 */
export type ConvertExecutor = (
  req: ConvertJobRequest,
  hooks: { progress: (fraction: number, message?: string) => void; sink: JobSink },
) => Promise<{ outputs: JobOutput[]; report: Report }>;
