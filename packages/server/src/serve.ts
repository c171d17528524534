/**
 * Starting the service: open the database (PGlite under the data folder, or DATABASE_URL)
 * and the object store (files under the data folder, or S3_*), make the installation
 * admin on first start, serve the API, and run worker loops in-process.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { runConvertJob, usageError, type ForestModelBytes } from '@scan2print/core';
import type { ServerConfig } from './config.js';
import type { ConvertExecutor, Services } from './context.js';
import { openDatabase } from './db/connect.js';
import { createFsStore, removePartials } from './storage/fs-store.js';
import { createS3Store } from './storage/s3-store.js';
import { markingFailures, type ObjectStore } from './storage/store.js';
import { buildApp } from './app.js';
import { isUnavailable } from './http/errors.js';
import { startRunner, type Runner } from './jobs/runner.js';
import { releaseOrphans } from './jobs/queue.js';
import { newSecret, secretHash } from './auth/secrets.js';
import { lockDataDir } from './data-lock.js';
import { startDicomListener, type DicomListener } from './pacs/listener.js';
import { closePacsReceiver, startPacsReceiver } from './pacs/receive-service.js';

export interface Host {
  /** Where convert jobs run (the CLI: a worker thread with its pool); default inline, on this thread. */
  executeConvert?: Services['executeConvert'];
  /** Where "first start" messages go (stderr). */
  say?: (line: string) => void;
}

export async function openServices(config: ServerConfig, host: Host = {}): Promise<Services> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const dbh = await openDatabase({ ...(config.databaseUrl ? { url: config.databaseUrl } : {}), dataDir: config.dataDir });
  const store: ObjectStore = markingFailures(config.s3 ? createS3Store(config.s3) : createFsStore(join(config.dataDir, 'objects')));
  return {
    config,
    dbh,
    db: dbh.db,
    store,
    executeConvert: host.executeConvert ?? inlineConvert,
  };
}

let shippedForest: ForestModelBytes | undefined;
/** The bone forest shipped in @scan2print/core (its dist/index.js → ../models), read on the first job that asks. */
function shippedForestModel(): ForestModelBytes {
  const file = join(dirname(createRequire(import.meta.url).resolve('@scan2print/core')), '..', 'models', 'bone-forest.bin');
  return (shippedForest ??= { bytes: new Uint8Array(readFileSync(file)), source: 'bone-forest.bin' });
}

/** A host without threads: core's job on this thread, no worker pool (slow, and it stalls the API while it runs). */
const inlineConvert: ConvertExecutor = (req, hooks) => runConvertJob(req, { ...hooks, forestModel: shippedForestModel });

export const ADMIN_EMAIL = 'admin@localhost';

/** First start: the installation admin and a token in DATA/admin.token (0600), said once. */
export async function bootstrapAdmin(s: Services, say: (line: string) => void): Promise<void> {
  const exists = await s.db.selectFrom('users').select('id').where('role', '=', 'admin').executeTakeFirst();
  if (exists) return;
  // One transaction, the token file written (atomically) before its commit: a kill at any
  // point leaves either no admin (the next start makes one) or an admin whose token is on disk.
  const file = join(s.config.dataDir, 'admin.token');
  const made = await s.db.transaction().execute(async (tx) => {
    const id = randomUUID();
    const inserted = await tx
      .insertInto('users')
      .values({ id, org_id: null, email: ADMIN_EMAIL, role: 'admin', password_hash: null })
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false; // another process made it first
    const token = newSecret('s2p');
    await tx.insertInto('tokens').values({ id: randomUUID(), user_id: id, name: 'installation admin (first start)', token_hash: secretHash(token), last_used_at: null, created_by: id }).execute();
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
    renameSync(tmp, file);
    return true;
  });
  if (!made) return;
  say(`scan2print: first start: created the installation admin (${ADMIN_EMAIL}); its API token is in ${file} (shown nowhere else)`);
}

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  /** The DICOM listener, when config.dicomPort is set: the port it bound and its AE title. */
  dicom?: { port: number; aeTitle: string };
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, host: Host = {}): Promise<RunningServer> {
  // Embedded: one server per data folder; a second one on the same PGlite database would corrupt it.
  const lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
  const s = await openServices(config, host).catch((e: unknown) => {
    lock?.release();
    throw e;
  });
  const say = host.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  let runner: Runner | undefined;
  let app: FastifyInstance | undefined;
  let address: string;
  let dicom: DicomListener | undefined;
  try {
    await bootstrapAdmin(s, say);
    app = await buildApp(s, { onJobQueued: () => runner?.poke() });
    // Embedded: this process alone owns the database, so a job left running by a killed predecessor resumes now.
    if (!config.databaseUrl) {
      await releaseOrphans(s.db);
      // Holding the lock, this process may sweep temporaries a killed predecessor left.
      if (!config.s3) await removePartials(join(config.dataDir, 'objects'));
    }
    address = await app.listen({ host: config.host, port: config.port }).catch((e: unknown) => {
      throw listenError(e, 'the server', config.host, config.port, '--port');
    });
    if (config.dicomPort !== undefined) {
      const port = config.dicomPort;
      dicom = await startDicomListener(s, { host: config.host, port, aeTitle: config.dicomAeTitle }, app.log).catch((e: unknown) => {
        throw listenError(e, 'the DICOM listener', config.host, port, '--dicom-port');
      });
    }
    // PACS studies a killed predecessor left in the spool become cases also without a DICOM
    // listener (STOW-RS only): not on the first STOW request, which may never come.
    await startPacsReceiver(s, app.log);
  } catch (e) {
    // A start that fails leaves nothing behind: the database closed, the folder free for the next try.
    await app?.close().catch(() => {});
    await s.dbh.close().catch(() => {});
    lock?.release();
    throw e;
  }
  if (config.workers > 0) runner = startRunner(s, app.log, { concurrency: config.workers });
  return {
    app,
    services: s,
    url: address,
    ...(dicom ? { dicom: { port: dicom.port, aeTitle: dicom.aeTitle } } : {}),
    async close() {
      // Associations first (no instance arrives after this), then studies still waiting are dropped.
      await dicom?.close();
      await closePacsReceiver(s);
      await runner?.stop();
      await app.close();
      await s.dbh.close();
      lock?.release();
    },
  };
}

/** A port that cannot be had, said as what the user can change (exit 2); anything else as it is. */
function listenError(e: unknown, what: string, host: string, port: number, option: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${what} cannot listen on ${host}:${port}`;
  if (code === 'EADDRINUSE') return usageError('PORT_IN_USE', `${where}: the port is in use (another server?); choose another ${option}`);
  if (code === 'EACCES') return usageError('PORT_DENIED', `${where}: permission denied (ports below 1024 need privileges); choose another ${option}`);
  if (code === 'EADDRNOTAVAIL') return usageError('HOST_UNAVAILABLE', `${where}: ${host} is not an address of this machine; choose another --host`);
  return new Error(`${where}: ${(e as Error).message}`, { cause: e });
}

/**
 * A worker may start before its database (a cluster coming up, a failover): it waits, saying so,
 * instead of exiting, for up to config.startWaitSeconds.
 */
async function openWhenReachable(config: ServerConfig, host: Host): Promise<Services> {
  const say = host.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const end = Date.now() + config.startWaitSeconds * 1000;
  for (let wait = 1000; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await openServices(config, host);
    } catch (e) {
      if (!isUnavailable(e) || Date.now() + wait > end) throw e;
      say(`scan2print: the database is not answering (${(e as { code?: string }).code ?? (e as Error).message}); trying again in ${wait / 1000} s`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** `scan2print worker`: worker loops only, no HTTP. */
export async function startWorker(config: ServerConfig, host: Host = {}): Promise<{ services: Services; stop(): Promise<void> }> {
  const s = await openWhenReachable(config, host);
  const pino = (await import('pino')).default;
  const log = pino({ level: config.logLevel });
  const runner = startRunner(s, log, { concurrency: Math.max(1, config.workers) });
  return {
    services: s,
    async stop() {
      await runner.stop();
      await s.dbh.close();
    },
  };
}
