import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import S3rver from 's3rver';
import { AwsChunkedDecoder, ChecksumVerifier, declaredChecksums, describeDecodedBody, isAwsChunked } from './s3-request-body.js';
import { makeWritesAtomic, type FilesystemStore } from './s3rver-store.js';
import { whenPortFree } from '../ports.js';

/**
 * A real S3-compatible server on loopback for the tests: s3rver (HTTP, SigV4 signature checks,
 * multipart uploads, files on disk), in this process, on a free port, with one bucket.
 *
 * s3rver 3.7.1 predates AWS SDK v3's aws-chunked bodies and flexible checksums and writes objects
 * non-atomically; s3-request-body.ts and s3rver-store.ts close those gaps (see there). Clients must
 * use path-style addressing (`forcePathStyle: true`), as for any S3 endpoint on an IP address.
 */

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: true;
  port: number;
  /** The server's files; pass it (and `port`) back to `startS3` to bring the same store up again. */
  directory: string;
  /** Stops answering at once (open connections are cut, as when storage goes down); removes the files unless `keep`. */
  stop(opts?: { keep?: boolean }): Promise<void>;
  /**
   * Holds the next PUT of `key` before s3rver sees it, so nothing of it is stored while held:
   * a test can act at a known point of a client's writes (kill it between two objects).
   * `arrived` resolves when the PUT comes; `release` lets it go on; `drop` cuts its connection
   * and stores nothing, as S3 does for a client that dies in the middle of an upload.
   */
  holdPut(key: string): PutHold;
}

export interface PutHold {
  arrived: Promise<void>;
  release(): void;
  drop(): void;
}

type Hold = { arrive(): void; outcome: Promise<'release' | 'drop'> };

/** s3rver's one built-in account. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

/** The s3rver internals used here (not in its type declarations); s3rver is pinned to 3.7.1 for them. */
interface S3rverInternals {
  store: FilesystemStore;
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>>;
  httpServer: Server;
}
interface KoaContext {
  method: string;
  req: IncomingMessage | Readable;
}

/** Koa middleware, first in s3rver's chain: bodies reach s3rver decoded, and verified against their checksums. */
async function plainBodies(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  const req = ctx.req as IncomingMessage;
  if (ctx.method === 'PUT' || ctx.method === 'POST') {
    const chunked = isAwsChunked(req.headers);
    const decoder = chunked ? new AwsChunkedDecoder() : undefined;
    if (chunked) describeDecodedBody(req.headers);
    const expected = declaredChecksums(req.headers, decoder?.trailers);
    if (decoder || expected.length > 0) {
      const verifier = new ChecksumVerifier(expected);
      // Errors reach the last stage, which s3rver-store.ts reads and turns into S3 error answers.
      pipeline([req, ...(decoder ? [decoder] : []), verifier], () => undefined);
      ctx.req = verifier;
    }
  }
  await next();
}

/** Koa middleware, first in the chain: a PUT of a held key waits for its release (see `holdPut`). */
function holdingPuts(bucket: string, holds: Map<string, Hold>) {
  return async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    const req = ctx.req as IncomingMessage;
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://s3').pathname);
    const key = ctx.method === 'PUT' && path.startsWith(`/${bucket}/`) ? path.slice(bucket.length + 2) : undefined;
    const hold = key === undefined ? undefined : holds.get(key);
    if (hold) {
      holds.delete(key!);
      hold.arrive();
      if ((await hold.outcome) === 'drop') {
        req.socket.destroy();
        return;
      }
    }
    await next();
  };
}

export async function startS3(opts: { port?: number; directory?: string } = {}): Promise<S3TestServer> {
  const directory = opts.directory ?? (await mkdtemp(join(tmpdir(), 'scan2print-s3-')));
  const buckets = join(directory, 'buckets');
  // Uploads land here first; a sibling of the bucket root so renames stay on one file system and
  // half-written files are never listed as buckets or objects.
  const incoming = join(directory, 'incoming');
  await mkdir(buckets, { recursive: true });
  await mkdir(incoming, { recursive: true });
  const bucket = 'scan2print-test';
  // Started again on its old port (an outage's end), the port may be held for a while by another
  // process that bound it meanwhile (the other test fork): wait for it, up to 30 s. (s3rver's
  // run() does not reject when its port is taken: the error is thrown from its server.)
  if (opts.port) await whenPortFree(opts.port, 30_000, 'the test S3 cannot start there again');
  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    silent: true,
    directory: buckets,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const internals = server as unknown as S3rverInternals;
  makeWritesAtomic(internals.store, incoming);
  internals.middleware.unshift(plainBodies);
  const holds = new Map<string, Hold>();
  internals.middleware.unshift(holdingPuts(bucket, holds));
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    forcePathStyle: true,
    port: address.port,
    directory,
    async stop({ keep = false } = {}) {
      const closed = server.close();
      internals.httpServer.closeAllConnections();
      await closed;
      if (!keep) await rm(directory, { recursive: true, force: true });
    },
    holdPut(key) {
      let arrive!: () => void;
      let settle!: (how: 'release' | 'drop') => void;
      const arrived = new Promise<void>((r) => (arrive = r));
      holds.set(key, { arrive, outcome: new Promise((r) => (settle = r)) });
      return { arrived, release: () => settle('release'), drop: () => settle('drop') };
    },
  };
}

/** The server's S3 settings (ServerConfig.s3) for this test store. */
export function serverS3Config(s3: S3TestServer): { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string } {
  return { endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
}

/** The same settings as the environment a `scan2print serve` or `worker` process reads. */
export function serverS3Env(s3: S3TestServer): Record<string, string> {
  return { S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, S3_REGION: s3.region, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey };
}
