/**
 * The upload client's resilience against a real loopback HTTP server that misbehaves on
 * purpose: an event stream cut mid-job (following falls back to polling), a 503 (retried),
 * an artifact whose bytes do not match the listed SHA-256 (refused), and batching.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, withRetry } from './upload-client.js';
import { download, followJob, type JobView } from './upload-job.js';
import { batches, withSourceNames } from './upload-files.js';

let server: Server;
let base: string;
const hits: Record<string, number> = {};
let handler: (req: IncomingMessage, res: ServerResponse, n: number) => void = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    hits[key] = (hits[key] ?? 0) + 1;
    handler(req, res, hits[key]!);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const job = (state: JobView['state'], progress: number, stage: string): JobView => ({ id: 'j1', state, progress, stage });

describe('following a job', () => {
  it('falls back to polling when the event stream ends early, and outlasts a 503', async () => {
    handler = (req, res, n) => {
      if (req.url === '/api/jobs/j1/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: job\ndata: ${JSON.stringify(job('running', 0.3, 'import'))}\n\n`);
        // A proxy or a restarting server ends the stream before the job ends.
        res.end();
        return;
      }
      if (req.url === '/api/jobs/j1') {
        if (n === 1) return json(res, 503, { error: { code: 'UNAVAILABLE', message: 'the database is not answering' } });
        if (n === 2) return json(res, 200, job('running', 0.8, 'mesh'));
        return json(res, 200, job('succeeded', 1, 'done'));
      }
      json(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    };
    const seen: string[] = [];
    const final = await followJob(createClient(base, 'tok'), 'j1', (j) => seen.push(`${j.state}:${j.progress}`));
    expect(final.state).toBe('succeeded');
    expect(seen).toEqual(['running:0.3', 'running:0.8', 'succeeded:1']);
    expect(hits['GET /api/jobs/j1']).toBe(3);
  });

  it('does not retry a refusal (404), and passes its message through', async () => {
    handler = (_req, res) => json(res, 404, { error: { code: 'NOT_FOUND', message: 'job not found' } });
    const follow = followJob(createClient(base, 'tok'), 'gone', () => {});
    await expect(follow).rejects.toThrow(/GET \/api\/jobs\/gone\/events → 404: job not found/);
  });
});

describe('requests', () => {
  it('retries a 503 with the same request and stops at the first success', async () => {
    let calls = 0;
    const keys: string[] = [];
    handler = (req, res) => {
      calls++;
      keys.push(String(req.headers['idempotency-key']));
      if (calls < 3) return json(res, 503, { error: { code: 'UNAVAILABLE', message: 'storage not answering' } });
      json(res, 201, { id: 'job-1' });
    };
    const c = createClient(base, 'tok');
    const retries: number[] = [];
    const start = () => c.json<{ id: string }>('POST', '/api/cases/c1/jobs', { kind: 'convert' }, { 'idempotency-key': 'k-1' });
    const r = await withRetry(start, 4, (_e, n) => retries.push(n));
    expect(r.id).toBe('job-1');
    expect(retries).toEqual([1, 2]);
    expect(keys).toEqual(['k-1', 'k-1', 'k-1']);
  });

  it('sends the bearer token and names SCAN2PRINT_TOKEN on a 401, never the token itself', async () => {
    let auth = '';
    handler = (req, res) => {
      auth = String(req.headers.authorization);
      json(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'unknown or revoked token' } });
    };
    const err = await createClient(base, 's2p_secret').json('GET', '/api/me').catch((e: Error) => e);
    expect(auth).toBe('Bearer s2p_secret');
    expect(String((err as Error).message)).toContain('SCAN2PRINT_TOKEN');
    expect(String((err as Error).message)).not.toContain('s2p_secret');
  });
});

describe('downloads', () => {
  const bytes = new TextEncoder().encode('solid model\n'.repeat(100));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const art = { id: 'a1', jobId: 'j1', kind: 'model', name: 'bone.stl', sha256, bytes: bytes.length };

  it('returns bytes whose SHA-256 matches the list', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'model/stl' }).end(bytes);
    expect(await download(createClient(base, 'tok'), art)).toEqual(bytes);
  });

  it('refuses bytes that differ from the listed SHA-256', async () => {
    const bad = bytes.slice();
    bad[5] ^= 1;
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'model/stl' }).end(bad);
    const got = download(createClient(base, 'tok'), art);
    await expect(got).rejects.toThrow(/bone\.stl: downloaded .* but the server lists .*nothing was written/);
  });
});

describe('batches', () => {
  const f = (name: string, n: number) => ({ name, bytes: new Uint8Array(n), source: `in/${name}` });

  it('cuts by bytes and by count, keeping a single oversized file whole and the order intact', () => {
    const files = [f('a', 6), f('b', 6), f('c', 20), f('d', 1), f('e', 1), f('g', 1)];
    expect(batches(files, 12, 2).map((b) => b.map((x) => x.name).join(''))).toEqual(['ab', 'c', 'de', 'g']);
  });

  it('names the input behind a refused file, or the batch when no file is named', () => {
    const b = [f('1.2.3.dcm', 1), f('1.2.4.dcm', 1)];
    expect(withSourceNames('1.2.4.dcm: not DICOM', b)).toBe('1.2.4.dcm: not DICOM [input: in/1.2.4.dcm]');
    expect(withSourceNames('too large', b)).toBe('too large [a batch of 2 files: in/1.2.3.dcm … in/1.2.4.dcm]');
  });
});
