/**
 * A tus 1.0.0 client for /api/uploads written with raw fetch, so a spec sees and sets every
 * header (offsets, metadata, a body cut off mid-way); a run of the real tus-js-client, the
 * client a web app or script would use; and a look into a test server's staging folder, where
 * uploaded bytes wait sealed until ingest. Kept out of the upload specs so they hold the tests.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Upload as TusUpload, type HttpResponse } from 'tus-js-client';
import { expect } from 'vitest';
import type { TestServer } from './harness.js';

/** The protocol header every tus request but OPTIONS carries. */
export const TUS = { 'tus-resumable': '1.0.0' };
/** Chunk size of sendFrom's PATCHes. */
export const CHUNK = 8 * 1024 * 1024;

/** Upload-Metadata values are base64. */
export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function auth(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

type Body = Uint8Array | ReadableStream<Uint8Array>;

/** The requests of tus 1.0.0 against one server; `token` undefined sends no credentials. */
export interface TusClient {
  create(token: string | undefined, caseId: string, filename: string, length: number): Promise<Response>;
  /** Creation-with-upload: the POST that creates the upload carries all of `body`. */
  createWithUpload(token: string, caseId: string, filename: string, body: Uint8Array): Promise<Response>;
  head(token: string | undefined, location: string): Promise<Response>;
  /** HEAD's Upload-Offset; asserts the HEAD answered 200. */
  offsetOf(token: string, location: string): Promise<number>;
  patch(token: string, location: string, offset: number, body: Body, signal?: AbortSignal): Promise<Response>;
  /**
   * What a tus client does: ask the server where it stands, send the rest in chunks; on 409
   * (offset moved) ask again. The last PATCH's response, the bytes sent, where it started.
   */
  sendFrom(token: string, location: string, data: Uint8Array): Promise<{ last: Response; sent: number; startedAt: number }>;
  /** Creates an upload (asserting 201) and sends all of `bytes` in one PATCH. */
  uploadWhole(token: string, caseId: string, name: string, bytes: Uint8Array): Promise<{ location: string; r: Response }>;
}

export function tusClient(server: Pick<TestServer, 'url'>): TusClient {
  const creation = (token: string | undefined, caseId: string, filename: string, length: number) => ({
    ...TUS,
    ...auth(token),
    'upload-length': String(length),
    'upload-metadata': `caseId ${b64(caseId)},filename ${b64(filename)}`,
  });
  const create = (token: string | undefined, caseId: string, filename: string, length: number) =>
    fetch(`${server.url}/api/uploads`, { method: 'POST', headers: creation(token, caseId, filename, length) });
  const createWithUpload = (token: string, caseId: string, filename: string, body: Uint8Array) =>
    fetch(`${server.url}/api/uploads`, {
      method: 'POST',
      headers: { ...creation(token, caseId, filename, body.length), 'content-type': 'application/offset+octet-stream' },
      body,
    });
  const head = (token: string | undefined, location: string) =>
    fetch(server.url + location, { method: 'HEAD', headers: { ...TUS, ...auth(token) } });
  const offsetOf = async (token: string, location: string) => {
    const r = await head(token, location);
    expect(r.status).toBe(200);
    return Number(r.headers.get('upload-offset'));
  };
  const patch = (token: string, location: string, offset: number, body: Body, signal?: AbortSignal) =>
    fetch(server.url + location, {
      method: 'PATCH',
      headers: { ...TUS, ...auth(token), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body,
      // A stream body needs half duplex (fetch refuses it otherwise); a signal only when given.
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      ...(signal ? { signal } : {}),
    } as RequestInit);
  const sendFrom = async (token: string, location: string, data: Uint8Array) => {
    let offset = await offsetOf(token, location);
    const startedAt = offset;
    let sent = 0;
    for (;;) {
      const end = Math.min(data.length, offset + CHUNK);
      const r = await patch(token, location, offset, data.subarray(offset, end));
      if (r.status === 409) {
        await r.body?.cancel();
        offset = await offsetOf(token, location);
        continue;
      }
      sent += end - offset;
      if (end === data.length) return { last: r, sent, startedAt };
      expect(r.status, await r.clone().text()).toBe(204);
      offset = Number(r.headers.get('upload-offset'));
      expect(offset).toBe(end);
    }
  };
  const uploadWhole = async (token: string, caseId: string, name: string, bytes: Uint8Array) => {
    const c = await create(token, caseId, name, bytes.length);
    expect(c.status).toBe(201);
    const location = c.headers.get('location')!;
    const r = await patch(token, location, 0, bytes);
    return { location, r };
  };
  return { create, createWithUpload, head, offsetOf, patch, sendFrom, uploadWhole };
}

/** What one tus-js-client run ended with: the last response it saw and the offsets HEAD reported. */
export interface TusJsRun {
  url: string;
  last: HttpResponse;
  heads: number[];
  /** Whether it was stopped at `stopAt` (aborted) rather than finished. */
  stopped: boolean;
}

/**
 * Runs one tus-js-client upload (2 MB chunks, no retries) to its end, or until `stopAt` bytes
 * are sent; `uploadUrl` resumes an earlier upload, as a client that kept its URL does.
 */
export function tusJsUpload(
  server: Pick<TestServer, 'url'>,
  token: string,
  data: Uint8Array,
  opts: { caseId: string; uploadUrl?: string; stopAt?: number },
): Promise<TusJsRun> {
  const heads: number[] = [];
  let last: HttpResponse | undefined;
  return new Promise<TusJsRun>((resolve, reject) => {
    const up: TusUpload = new TusUpload(Buffer.from(data), {
      endpoint: `${server.url}/api/uploads`,
      ...(opts.uploadUrl ? { uploadUrl: opts.uploadUrl } : {}),
      headers: { authorization: `Bearer ${token}` },
      metadata: { caseId: opts.caseId, filename: 'client.zip' },
      chunkSize: 2 * 1024 * 1024,
      retryDelays: [],
      onAfterResponse: (req, res) => {
        last = res;
        if (req.getMethod() === 'HEAD') heads.push(Number(res.getHeader('Upload-Offset')));
      },
      onChunkComplete: (_size, sent) => {
        if (opts.stopAt !== undefined && sent >= opts.stopAt) {
          void up.abort().then(() => resolve({ url: up.url!, last: last!, heads, stopped: true }), reject);
        }
      },
      onSuccess: () => resolve({ url: up.url!, last: last!, heads, stopped: false }),
      onError: reject,
    });
    up.start();
  });
}

/** The files in the server's staging folder (DATA/uploads/<folder>/<file>): empty once ingested. */
export function stagedFiles(server: Pick<TestServer, 'dataDir'>): string[] {
  const root = join(server.dataDir, 'uploads');
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)));
}

/** Bytes staged on disk: how a spec sees a PATCH's progress without a HEAD, which takes the lock. */
export function stagedSize(server: Pick<TestServer, 'dataDir'>): number {
  return stagedFiles(server).reduce((n, f) => n + statSync(f).size, 0);
}

/** Calls `f` every 50 ms until it returns a value; throws, naming `what`, after `ms`. */
export async function poll<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
