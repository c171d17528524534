/**
 * `scan2print serve` (the REST service, embedded defaults: PGlite + files under --data,
 * in-process workers) and `scan2print worker` (job processes for the scale mode:
 * DATABASE_URL + S3_*). The server package is loaded only when these run.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { usageError } from '@scan2print/core';
import { convertOnThread } from '../serve/convert-thread.js';
import type { RegisterCommand } from './index.js';

interface ServeOptions {
  data?: string;
  host: string;
  port: string;
  workers?: string;
  dicomPort?: string;
  dicomAe?: string;
  pacsQuiet?: string;
}

function port(v: string, opt = '--port'): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError('BAD_OPTION', `${opt} ${v}: expected 0..65535`);
  return n;
}

/** --dicom-ae: 1 to 16 characters, no backslash or control characters (a DICOM AE title). */
function aeTitle(v: string): string {
  const t = v.trim();
  if (t.length < 1 || t.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(t)) throw usageError('BAD_OPTION', `--dicom-ae ${JSON.stringify(v)}: an AE title is 1 to 16 characters without backslash`);
  return t;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) throw usageError('BAD_OPTION', `--pacs-quiet ${v}: expected seconds, more than 0 and at most 86400`);
  return n;
}

/** The listener options given on the command line (the environment, SCAN2PRINT_DICOM_*, gives them otherwise). */
function dicomOptions(o: ServeOptions): { dicomPort?: number; dicomAeTitle?: string; pacsQuietSeconds?: number } {
  return {
    ...(o.dicomPort !== undefined ? { dicomPort: port(o.dicomPort, '--dicom-port') } : {}),
    ...(o.dicomAe !== undefined ? { dicomAeTitle: aeTitle(o.dicomAe) } : {}),
    ...(o.pacsQuiet !== undefined ? { pacsQuietSeconds: seconds(o.pacsQuiet) } : {}),
  };
}

function workers(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw usageError('BAD_OPTION', `--workers ${v}: expected 0..64`);
  return n;
}

/** Until SIGINT/SIGTERM; then stop taking jobs, finish the HTTP requests, close the database. */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((done) => {
    const on = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      stop().then(done, done);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export const registerServe: RegisterCommand = (program: Command) => {
  program
    .command('serve')
    .description('run the scan2print service (REST API, /api/docs) on embedded defaults, or on DATABASE_URL + S3_* at scale')
    .option('--data <dir>', 'data folder: embedded database, files, admin.token', 'scan2print-data')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--workers <n>', 'convert jobs this process runs at once (0: API only)')
    .option('--dicom-port <port>', 'also listen for DICOM (C-ECHO, C-STORE from PACS routed in /api/pacs/routes) on this port (0: any free port)')
    .option('--dicom-ae <title>', 'AE title of the DICOM listener (default SCAN2PRINT)')
    .option('--pacs-quiet <seconds>', 'a received study is complete after this many seconds without a new instance (default 30)')
    .action(async (o: ServeOptions) => {
      const { configFromEnv, startServer } = await import('@scan2print/server');
      const w = workers(o.workers);
      const config = configFromEnv({
        dataDir: resolve(o.data ?? 'scan2print-data'),
        host: o.host,
        port: port(o.port),
        ...(w !== undefined ? { workers: w } : {}),
        ...dicomOptions(o),
      });
      const server = await startServer(config, { executeConvert: convertOnThread });
      // The signal handlers go in before the ready lines: whoever waits for them may send SIGTERM at once.
      const stopped = untilSignal(() => server.close());
      const mode = config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite';
      process.stderr.write(`scan2print: serving ${server.url}/api (docs ${server.url}/api/docs; ${mode}, ${config.s3 ? 'S3' : 'files'} under ${config.s3 ? config.s3.bucket : config.dataDir})\n`);
      if (server.dicom) process.stderr.write(`scan2print: DICOM listener ${server.dicom.aeTitle} on ${config.host}:${server.dicom.port} (studies complete after ${config.pacsQuietSeconds} s quiet)\n`);
      await stopped;
    });

  program
    .command('worker')
    .description('run convert jobs from the shared queue (scale mode: DATABASE_URL and S3_* must be set)')
    .option('--data <dir>', 'local scratch folder', 'scan2print-worker')
    .option('--workers <n>', 'jobs this process runs at once', '1')
    .action(async (o: { data: string; workers: string }) => {
      const { configFromEnv, startWorker } = await import('@scan2print/server');
      if (!process.env.DATABASE_URL) throw usageError('NO_DATABASE', 'scan2print worker needs DATABASE_URL (the PostgreSQL server the API uses)');
      if (!process.env.S3_BUCKET) throw usageError('NO_STORAGE', 'scan2print worker needs S3_BUCKET (and S3_ENDPOINT, S3_REGION, credentials): the store the API uses');
      const config = configFromEnv({ dataDir: resolve(o.data), workers: workers(o.workers) ?? 1 });
      const worker = await startWorker(config, { executeConvert: convertOnThread });
      // Handlers first, then the line a supervisor (or a test) waits for before it may send SIGTERM:
      // the other way round, a SIGTERM right after the line could find Node's default (killed, no exit code).
      const stopped = untilSignal(() => worker.stop());
      process.stderr.write(`scan2print: worker taking jobs from ${new URL(config.databaseUrl!).host}\n`);
      await stopped;
    });
};
