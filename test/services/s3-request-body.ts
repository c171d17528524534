import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';

/**
 * Request bodies as AWS SDK v3 sends them, made plain for s3rver 3.7.1.
 *
 * Since 2025 the SDK sends streaming bodies `aws-chunked` (STREAMING-UNSIGNED-PAYLOAD-TRAILER:
 * `<hex size>\r\n<bytes>\r\n … 0\r\nx-amz-checksum-crc32:…\r\n\r\n`) and adds flexible checksums to
 * every upload. s3rver predates both: it stored the chunk framing as the object's bytes and ignored
 * checksums. These streams decode the framing and check every checksum we can compute, so a corrupt
 * upload fails here (400 BadDigest) as it would on real S3 instead of being stored.
 */

/** A checksum the client declared, to be compared with the bytes actually received. */
interface Expected {
  algorithm: 'crc32' | 'sha1' | 'sha256' | 'md5';
  header: string;
  base64: () => string | undefined;
}

/** CRC32C and CRC64NVME are left unchecked: Node has no implementation, and they are not the SDK default. */
const VERIFIABLE = ['crc32', 'sha1', 'sha256'] as const;

export class ChecksumMismatch extends Error {
  constructor(readonly header: string) {
    super(`the ${header} you specified did not match the calculated checksum`);
  }
}

export class MalformedChunkedBody extends Error {}

/** True when the body carries aws-chunked framing (either signed or unsigned chunks). */
export function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

/**
 * Rewrites the headers of an aws-chunked request to describe the decoded object (its real length,
 * its real content encoding), as S3 stores it.
 */
export function describeDecodedBody(headers: IncomingHttpHeaders): void {
  const decoded = headers['x-amz-decoded-content-length'];
  if (decoded !== undefined) headers['content-length'] = String(decoded);
  else delete headers['content-length'];
  const rest = String(headers['content-encoding'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e !== 'aws-chunked');
  if (rest.length > 0) headers['content-encoding'] = rest.join(', ');
  else delete headers['content-encoding'];
}

/** Removes aws-chunked framing; trailers (e.g. x-amz-checksum-crc32) are collected in `trailers`. */
export class AwsChunkedDecoder extends Transform {
  readonly trailers = new Map<string, string>();
  private pending: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    try {
      while (at < this.pending.length && this.state !== 'done') {
        if (this.state === 'data') {
          const n = Math.min(this.remaining, this.pending.length - at);
          this.push(this.pending.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'data-end';
          continue;
        }
        if (this.state === 'data-end') {
          if (this.pending.length - at < 2) break;
          if (this.pending[at] !== 0x0d || this.pending[at + 1] !== 0x0a) throw new MalformedChunkedBody('chunk not followed by CRLF');
          at += 2;
          this.state = 'size';
          continue;
        }
        const eol = this.pending.indexOf('\r\n', at, 'latin1');
        if (eol < 0) {
          if (this.pending.length - at > 64 * 1024) throw new MalformedChunkedBody('chunk header line too long');
          break;
        }
        const line = this.pending.toString('latin1', at, eol);
        at = eol + 2;
        if (this.state === 'size') {
          // `<hex size>` or `<hex size>;chunk-signature=<sig>`
          const hex = line.split(';')[0]!.trim();
          if (!/^[0-9a-fA-F]+$/.test(hex)) throw new MalformedChunkedBody(`bad chunk size line ${JSON.stringify(line.slice(0, 80))}`);
          this.remaining = parseInt(hex, 16);
          this.state = this.remaining === 0 ? 'trailer' : 'data';
        } else if (line === '') {
          this.state = 'done';
        } else {
          const colon = line.indexOf(':');
          if (colon <= 0) throw new MalformedChunkedBody(`bad trailer line ${JSON.stringify(line.slice(0, 80))}`);
          this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
      }
    } catch (e) {
      callback(e as Error);
      return;
    }
    this.pending = this.pending.subarray(at);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // Some encoders end after the trailers without the final empty line; nothing is lost then.
    const ended = this.state === 'done' || (this.state === 'trailer' && this.pending.length === 0);
    callback(ended ? undefined : new MalformedChunkedBody(`body ended inside a chunk (state ${this.state})`));
  }
}

/** Hashes what passes through and, at the end, compares each declared checksum with it. */
export class ChecksumVerifier extends Transform {
  private readonly hashes = new Map<string, Hash>();
  private crc = 0;

  constructor(private readonly expected: Expected[]) {
    super();
    for (const e of expected) {
      if (e.algorithm !== 'crc32' && !this.hashes.has(e.algorithm)) this.hashes.set(e.algorithm, createHash(e.algorithm));
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.expected.some((e) => e.algorithm === 'crc32')) this.crc = crc32(chunk, this.crc);
    for (const h of this.hashes.values()) h.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const digests = new Map<string, string>();
    for (const [algorithm, h] of this.hashes) digests.set(algorithm, h.digest('base64'));
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(this.crc >>> 0);
    digests.set('crc32', crc.toString('base64'));
    for (const e of this.expected) {
      const want = e.base64();
      // A trailer announced in x-amz-trailer but never sent is a malformed request on S3 too.
      if (want === undefined) return callback(new ChecksumMismatch(e.header));
      if (want !== digests.get(e.algorithm)) return callback(new ChecksumMismatch(e.header));
    }
    callback();
  }
}

/**
 * The checksums a request declares: Content-MD5 and x-amz-checksum-* as headers, or announced in
 * x-amz-trailer and sent after the last chunk (read from `trailers` once the body has ended).
 */
export function declaredChecksums(headers: IncomingHttpHeaders, trailers: Map<string, string> | undefined): Expected[] {
  const out: Expected[] = [];
  const md5 = headers['content-md5'];
  if (typeof md5 === 'string') out.push({ algorithm: 'md5', header: 'Content-MD5', base64: () => md5 });
  for (const algorithm of VERIFIABLE) {
    const name = `x-amz-checksum-${algorithm}`;
    const value = headers[name];
    if (typeof value === 'string') out.push({ algorithm, header: name, base64: () => value });
  }
  const announced = String(headers['x-amz-trailer'] ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase());
  for (const algorithm of VERIFIABLE) {
    const name = `x-amz-checksum-${algorithm}`;
    if (announced.includes(name) && trailers) out.push({ algorithm, header: name, base64: () => trailers.get(name) });
  }
  return out;
}
