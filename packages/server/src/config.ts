/**
 * Where the server keeps things and how it runs. Embedded by default (PGlite and files
 * under the data folder, in-process workers); DATABASE_URL and S3_* select the scale mode.
 */
import { join } from 'node:path';
import type { S3Config } from './storage/s3-store.js';

export interface ServerConfig {
  dataDir: string;
  host: string;
  port: number;
  databaseUrl?: string;
  s3?: S3Config;
  /** Jobs this process runs at once (0: none; an API-only node in scale mode). */
  workers: number;
  /** Seconds a worker's claim on a job lasts without a heartbeat before another may take it. */
  leaseSeconds: number;
  /** Largest single upload request (multipart or zip), bytes. */
  maxUploadBytes: number;
  /** Largest total uncompressed size of a zip's entries, bytes (zip bombs). */
  maxUnzippedBytes: number;
  logLevel: string;
  /** How long `scan2print worker` waits for its database at start before giving up (seconds). */
  startWaitSeconds: number;
  /** Trust X-Forwarded-For/-Proto: true, or the proxy's addresses/CIDRs, comma-separated (Fastify's trustProxy); off by default. */
  trustProxy: boolean | string;
  /** Notification e-mail through this SMTP server (SCAN2PRINT_SMTP_URL, e.g. smtp://127.0.0.1:2525); none when unset. */
  smtpUrl?: string;
  /** The From of notification e-mail (SCAN2PRINT_MAIL_FROM). */
  mailFrom: string;
  /**
   * The DICOM listener (C-ECHO, C-STORE SCP) on this port (SCAN2PRINT_DICOM_PORT, `--dicom-port`;
   * 0: a free port, reported at start); none when unset. It binds to `host`, like the API.
   */
  dicomPort?: number;
  /** The listener's AE title (SCAN2PRINT_DICOM_AE, `--dicom-ae`), default SCAN2PRINT. */
  dicomAeTitle: string;
  /** A received study is complete after this many seconds without a new instance (SCAN2PRINT_PACS_QUIET_S, default 30). */
  pacsQuietSeconds: number;
  /**
   * Seconds a PACS study being received stays with its process without a renewal
   * (SCAN2PRINT_PACS_SPOOL_LEASE_S, default 120): on PostgreSQL, another process takes over a
   * killed one's studies once it ran out. Renewed every third of it.
   */
  pacsSpoolLeaseSeconds: number;
}

function num(v: string | undefined, dflt: number): number {
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`expected a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * A number of seconds above 0 and at most a day: 0 would renew a lease in a busy loop and let it
 * run out at once; past ~74 days a third of it overflows Node's timers, which then fire every
 * millisecond, and a lease of days leaves a killed process's studies waiting that long.
 */
function leaseSeconds(v: string | undefined, dflt: number, what: string): number {
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) throw new Error(`${what}: expected a number of seconds above 0 and at most 86400 (a day), got ${JSON.stringify(v)}`);
  return n;
}

/** A TCP port, 0 to 65535 (0: any free port). */
export function port(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what}: expected a port number (0 to 65535), got ${JSON.stringify(v)}`);
  return n;
}

/** A DICOM AE title: 1 to 16 characters, no backslash or control characters (PS3.5 6.2); spaces around are dropped. */
export function aeTitle(v: string, what: string): string {
  const t = v.trim();
  if (t.length < 1 || t.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(t)) {
    throw new Error(`${what}: expected an AE title of 1 to 16 characters without backslash, got ${JSON.stringify(v)}`);
  }
  return t;
}

function trustProxyOf(v: string | undefined): boolean | string {
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  return v === 'true' ? true : v;
}

/** A multipart request is checked in memory: at most 512 MiB, or less when uploads are capped lower. */
export function multipartLimit(c: Pick<ServerConfig, 'maxUploadBytes'>): number {
  return Math.min(c.maxUploadBytes, 512 * 1024 ** 2);
}

export function configFromEnv(
  over: Partial<ServerConfig> & { dataDir?: string },
  env: Record<string, string | undefined> = process.env,
): ServerConfig {
  const dataDir = over.dataDir ?? env.SCAN2PRINT_DATA_DIR ?? join(process.cwd(), 'scan2print-data');
  const s3: S3Config | undefined = env.S3_BUCKET
    ? {
        bucket: env.S3_BUCKET,
        region: env.S3_REGION ?? 'us-east-1',
        ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
        ...(env.S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID ? { accessKeyId: (env.S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID)! } : {}),
        ...(env.S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY
          ? { secretAccessKey: (env.S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY)! }
          : {}),
        ...(env.S3_FORCE_PATH_STYLE ? { forcePathStyle: !/^(0|false|no)$/i.test(env.S3_FORCE_PATH_STYLE) } : {}),
      }
    : undefined;
  return {
    dataDir,
    host: '127.0.0.1',
    port: 8080,
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(s3 ? { s3 } : {}),
    workers: num(env.SCAN2PRINT_WORKERS, 1),
    leaseSeconds: num(env.SCAN2PRINT_JOB_LEASE_S, 30),
    maxUploadBytes: num(env.SCAN2PRINT_MAX_UPLOAD_BYTES, 2 * 1024 ** 3),
    maxUnzippedBytes: num(env.SCAN2PRINT_MAX_UNZIPPED_BYTES, 4 * 1024 ** 3),
    logLevel: env.SCAN2PRINT_LOG_LEVEL ?? 'info',
    startWaitSeconds: num(env.SCAN2PRINT_START_WAIT_S, 300),
    trustProxy: trustProxyOf(env.SCAN2PRINT_TRUST_PROXY),
    ...(env.SCAN2PRINT_SMTP_URL ? { smtpUrl: env.SCAN2PRINT_SMTP_URL } : {}),
    mailFrom: env.SCAN2PRINT_MAIL_FROM ?? 'scan2print <scan2print@localhost>',
    ...(env.SCAN2PRINT_DICOM_PORT ? { dicomPort: port(env.SCAN2PRINT_DICOM_PORT, 'SCAN2PRINT_DICOM_PORT') } : {}),
    dicomAeTitle: aeTitle(env.SCAN2PRINT_DICOM_AE ?? 'SCAN2PRINT', 'SCAN2PRINT_DICOM_AE'),
    pacsQuietSeconds: num(env.SCAN2PRINT_PACS_QUIET_S, 30),
    pacsSpoolLeaseSeconds: leaseSeconds(env.SCAN2PRINT_PACS_SPOOL_LEASE_S, 120, 'SCAN2PRINT_PACS_SPOOL_LEASE_S'),
    ...over,
  };
}
