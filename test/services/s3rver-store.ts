import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChecksumMismatch, MalformedChunkedBody } from './s3-request-body.js';

/**
 * s3rver 3.7.1's FilesystemStore writes objects in place and reports success when its hashing
 * transform finishes, before the file stream has flushed; errors of the request stream are not
 * propagated at all. Under load a GET right after a PUT could then read a short object, and a
 * reader could see half an object being overwritten. Real S3 puts are atomic, and the server's
 * tests (kill mid-upload, "no partial artifact is ever listed") depend on that, so the two write
 * paths are replaced: write to a private temporary file, wait for it to be on disk, then rename.
 */

interface S3rverObject {
  bucket: string;
  key: string;
  content: Readable | Buffer;
  metadata: Record<string, string>;
}

/** The parts of s3rver's (untyped) FilesystemStore this module relies on; s3rver is pinned to 3.7.1. */
export interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  putPart(bucket: string, uploadId: string, partNumber: number | string, content: Readable): Promise<{ size: number; md5: string }>;
}

type S3ErrorClass = new (code: string, message: string) => Error;
const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error') as S3ErrorClass;

/** Streams `content` into a new file in `incoming`, returning its path, size and MD5 (hex, as s3rver keeps it). */
async function receive(content: Readable | Buffer, incoming: string): Promise<{ path: string; size: number; md5: string }> {
  const path = join(incoming, randomUUID());
  const md5 = createHash('md5');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Buffer.isBuffer(content) ? Readable.from([content]) : content, count, createWriteStream(path));
  } catch (e) {
    await rm(path, { force: true });
    // Answer as S3 does (400 with its error code) rather than s3rver's generic 500.
    if (e instanceof ChecksumMismatch) throw new S3Error('BadDigest', e.message);
    if (e instanceof MalformedChunkedBody) throw new S3Error('IncompleteBody', e.message);
    throw e;
  }
  return { path, size, md5: md5.digest('hex') };
}

/** Makes `store`'s object and part writes atomic and complete; `incoming` must be on the store's file system. */
export function makeWritesAtomic(store: FilesystemStore, incoming: string): void {
  store.putObject = async (object) => {
    const target = store.getResourcePath(object.bucket, object.key, 'object');
    const got = await receive(object.content, incoming);
    await mkdir(dirname(target), { recursive: true });
    // Metadata first: until the rename a reader sees the old object (or none), never a new object
    // without its metadata.
    await store.putMetadata(object.bucket, object.key, object.metadata, got.md5);
    await rename(got.path, target);
    return { size: got.size, md5: got.md5 };
  };
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const target = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    const got = await receive(content, incoming);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.md5`, got.md5);
    await rename(got.path, target);
    return { size: got.size, md5: got.md5 };
  };
}
