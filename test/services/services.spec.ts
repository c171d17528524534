import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './postgres.js';
import { AwsChunkedDecoder } from './s3-request-body.js';
import { startS3, type S3TestServer } from './s3.js';

/** The real services the server's tests stand on: each helper must give a working, isolated service. */

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A Readable that yields `data` in pieces, so the SDK must stream it (aws-chunked) instead of buffering. */
function streamOf(data: Buffer, piece = 256 * 1024): Readable {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += piece) pieces.push(data.subarray(at, at + piece));
  return Readable.from(pieces);
}

describe('freshDatabase', () => {
  it('creates an isolated database that works and is gone after drop', async () => {
    const db = await freshDatabase('services-spec');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE TABLE t (id serial PRIMARY KEY, name text NOT NULL)');
    await client.query('INSERT INTO t (name) VALUES ($1), ($2)', ['a', 'b']);
    const rows = await client.query<{ name: string }>('SELECT name FROM t ORDER BY id');
    expect(rows.rows.map((r) => r.name)).toEqual(['a', 'b']);
    const current = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(current.rows[0]!.db).toBe(db.name);

    // The client is still connected: drop must force it off rather than fail.
    client.on('error', () => undefined);
    await db.drop();
    const check = new pg.Client({ connectionString: new URL('/postgres', db.url).toString() });
    await check.connect();
    const left = await check.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
    await check.end();
    expect(left.rowCount).toBe(0);
    await client.end().catch(() => undefined);
  });

  it('gives each caller its own database', async () => {
    const [a, b] = await Promise.all([freshDatabase('same'), freshDatabase('same')]);
    try {
      expect(a.url).not.toBe(b.url);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('says how to start PostgreSQL when none answers', async () => {
    // A port that nothing listens on: bind it, then release it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const before = process.env.TEST_DATABASE_ADMIN_URL;
    process.env.TEST_DATABASE_ADMIN_URL = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await expect(freshDatabase('unreachable')).rejects.toThrow(/not reachable.*scripts\/install-test-deps\.sh/);
    } finally {
      if (before === undefined) delete process.env.TEST_DATABASE_ADMIN_URL;
      else process.env.TEST_DATABASE_ADMIN_URL = before;
    }
  });
});

describe('aws-chunked decoding', () => {
  /** Feeds `wire` to a decoder one byte at a time, so every header, chunk and CRLF is split across writes. */
  async function decodeBytewise(wire: Buffer): Promise<{ body: Buffer; trailers: Map<string, string> }> {
    const decoder = new AwsChunkedDecoder();
    const out: Buffer[] = [];
    decoder.on('data', (c: Buffer) => out.push(c));
    const done = new Promise<void>((resolve, reject) => decoder.on('end', resolve).on('error', reject));
    for (const byte of wire) decoder.write(Buffer.from([byte]));
    decoder.end();
    await done;
    return { body: Buffer.concat(out), trailers: decoder.trailers };
  }

  it('decodes signed chunks with a trailer, split anywhere', async () => {
    const sig = ';chunk-signature=' + 'ab'.repeat(32);
    const wire = Buffer.from(`5${sig}\r\nhello\r\n7${sig}\r\n, world\r\n0${sig}\r\nx-amz-checksum-crc32:AAAA\r\n\r\n`);
    const { body, trailers } = await decodeBytewise(wire);
    expect(body.toString()).toBe('hello, world');
    expect(trailers.get('x-amz-checksum-crc32')).toBe('AAAA');
  });

  it('rejects a body cut off inside a chunk', async () => {
    await expect(decodeBytewise(Buffer.from('a\r\nshort'))).rejects.toThrow(/ended inside a chunk/);
  });
});

describe('startS3', () => {
  let s3: S3TestServer;
  let client: S3Client;
  const connect = (server: S3TestServer, retries = 2): S3Client =>
    new S3Client({
      maxAttempts: retries + 1,
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: server.forcePathStyle,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
  const read = async (key: string): Promise<Buffer> => {
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await got.Body!.transformToByteArray());
  };

  beforeAll(async () => {
    s3 = await startS3();
    client = connect(s3);
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  it('stores and returns objects put from a buffer and from a stream, byte for byte', async () => {
    const small = Buffer.from('hello, loopback S3');
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'a/small.txt', Body: small }));
    expect(await read('a/small.txt')).toEqual(small);

    // A streamed body goes out aws-chunked with a CRC32 trailer; the stored object must be the plain bytes.
    const big = randomBytes(3_000_001);
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'a/streamed.bin', Body: streamOf(big), ContentLength: big.length }));
    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'a/streamed.bin' }));
    expect(head.ContentLength).toBe(big.length);
    expect(head.ContentEncoding ?? '').not.toContain('aws-chunked');
    expect(sha256(await read('a/streamed.bin'))).toBe(sha256(big));

    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'a/' }));
    expect(listed.Contents!.map((o) => [o.Key, o.Size])).toEqual([
      ['a/small.txt', small.length],
      ['a/streamed.bin', big.length],
    ]);
  });

  it('assembles a multipart upload (buffered and streamed parts) into the original bytes', async () => {
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(1_234_567);
    const key = 'multi/part.bin';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }));
    const p1 = await client.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await client.send(
      new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: 2, Body: streamOf(part2), ContentLength: part2.length }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: s3.bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
      }),
    );
    const whole = Buffer.concat([part1, part2]);
    expect(sha256(await read(key))).toBe(sha256(whole));
    expect((await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ContentLength).toBe(whole.length);
  });

  it('refuses a body that does not match its declared checksum, as S3 does', async () => {
    const body = Buffer.from('these bytes do not match the checksum below');
    const wrong = Buffer.from([0, 0, 0, 1]).toString('base64');
    const put = client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'bad.txt', Body: body, ChecksumCRC32: wrong }));
    await expect(put).rejects.toMatchObject({ name: 'BadDigest' });
    await expect(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'bad.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('deletes objects', async () => {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'gone.txt', Body: 'x' }));
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: 'gone.txt' }));
    await expect(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'gone.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('holds a PUT of a chosen key until released, and stores nothing of a dropped one', async () => {
    const head = (key: string) => client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    const held = s3.holdPut('held/a.txt');
    let stored = false;
    const put = client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'held/a.txt', Body: 'a' })).then(() => (stored = true));
    await held.arrived;
    // Other keys pass while it waits; the held one is not there.
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'held/b.txt', Body: 'b' }));
    await expect(head('held/a.txt')).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect(stored).toBe(false);
    held.release();
    await put;
    expect((await read('held/a.txt')).toString()).toBe('a');

    // Its whole body has reached the server (one byte), yet a drop stores none of it. No retry:
    // the SDK's would come after the one-shot hold and be stored.
    const dropped = s3.holdPut('held/c.txt');
    const once = connect(s3, 0);
    const gone = once.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'held/c.txt', Body: 'c' }));
    await dropped.arrived;
    dropped.drop();
    await expect(gone).rejects.toThrow();
    once.destroy();
    await expect(head('held/c.txt')).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('goes down on stop and comes back with the same objects on the same port', async () => {
    const body = randomBytes(100_000);
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'kept.bin', Body: body }));
    await s3.stop({ keep: true });
    const down = connect(s3);
    await expect(down.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'kept.bin' }))).rejects.toThrow();
    down.destroy();

    s3 = await startS3({ port: s3.port, directory: s3.directory });
    client.destroy();
    client = connect(s3);
    expect(sha256(await read('kept.bin'))).toBe(sha256(body));
  });
});
