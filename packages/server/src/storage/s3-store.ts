/** Objects in an S3-compatible store (AWS S3, MinIO, Ceph …); a PutObject is atomic by itself. */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { checkKey, type ObjectStore } from './store.js';

export interface S3Config {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (http://host/bucket/key): the default with an endpoint (MinIO, Ceph, an IP address). */
  forcePathStyle?: boolean;
}

export function createS3Store(cfg: S3Config): ObjectStore {
  const client = new S3Client({
    region: cfg.region,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint, forcePathStyle: cfg.forcePathStyle ?? true } : {}),
    ...(!cfg.endpoint && cfg.forcePathStyle !== undefined ? { forcePathStyle: cfg.forcePathStyle } : {}),
    ...(cfg.accessKeyId && cfg.secretAccessKey ? { credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey } } : {}),
    // Only checksums every S3-compatible server understands.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    // A store that accepts connections but never answers must still end in an error (→ 503), not a hang.
    requestHandler: { connectionTimeout: 5000, socketTimeout: 60_000 },
  });
  const Bucket = cfg.bucket;
  // Stores without DeleteObjects (or that insist on Content-MD5, which SDK v3 no longer sends) get one DELETE per key.
  let batchDelete = true;
  async function deleteKeys(keys: string[]): Promise<void> {
    if (batchDelete) {
      try {
        const r = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        const failed = (r.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
        if (failed.length > 0) throw new Error(`deleting ${failed.length} object(s) failed: ${failed[0]!.Code ?? ''} ${failed[0]!.Message ?? ''}`);
        return;
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const code = (e as { name?: string; Code?: string }).Code ?? (e as { name?: string }).name;
        if (!(status === 501 || code === 'NotImplemented' || code === 'MissingContentMD5' || code === 'InvalidRequest')) throw e;
        batchDelete = false;
      }
    }
    for (const Key of keys) await client.send(new DeleteObjectCommand({ Bucket, Key }));
  }
  return {
    kind: 's3',
    async put(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket, Key: checkKey(key), Body: bytes, ContentLength: bytes.byteLength }));
    },
    async get(key) {
      const r = await client.send(new GetObjectCommand({ Bucket, Key: checkKey(key) }));
      return r.Body!.transformToByteArray();
    },
    async stream(key) {
      const r = await client.send(new GetObjectCommand({ Bucket, Key: checkKey(key) }));
      return r.Body as Readable;
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: checkKey(key) }));
        return true;
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw e;
      }
    },
    async deletePrefix(prefix) {
      checkKey(prefix.replace(/\/$/, ''));
      // Listed again from the start after each page is deleted: the next page is what remains.
      for (;;) {
        const list = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
        const keys = (list.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(prefix));
        if (keys.length === 0) return;
        await deleteKeys(keys);
        if (!list.IsTruncated) return;
      }
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },
  };
}
