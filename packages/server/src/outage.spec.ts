/**
 * Outages in the scale mode, against real services: the database behind a loopback TCP
 * proxy that the test cuts (every connection dropped, new ones reset) and restores; the S3
 * server stopped and started again on the same port and files. While a part is down the
 * API answers 503 naming it and the server stays up; once it is back everything works and
 * nothing written before is lost. A job whose store goes away mid-job goes back to the queue
 * (never 'succeeded' with missing outputs) and completes once the store answers.
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type Proxy } from '../../../test/services/tcp-proxy.js';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';
import { freshDatabase } from '../../../test/services/postgres.js';
import { serverS3Config, startS3, type S3TestServer } from '../../../test/services/s3.js';
import type { ObjectStore } from './storage/store.js';

const SERIES = 'ge-head-tilt-variable-spacing';
// Half the grid at 2 mm: the same pipeline at a small part of the work (the spec runs several jobs; every
// step here waits on events, not on a job taking long).
const PARAMS = { crop: [0, 0, 0, 512, 256, 28], isotropic: 2 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const js = (r: Response): Promise<any> => r.json();

let db: Awaited<ReturnType<typeof freshDatabase>>;
let s3: S3TestServer;
let proxy: Proxy;
let t: TestServer;
let org: TestOrg;
let caseId: string;
let files: Array<{ name: string; bytes: Uint8Array }>;
let s3Up = false;

async function poll<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await sleep(100);
  }
}

const health = async () => {
  const r = await t.call(undefined, 'GET', '/api/health');
  return { status: r.status, body: await js(r) };
};

async function expectUnavailable(r: Response, part: RegExp) {
  expect(r.status).toBe(503);
  const e = (await js(r)).error;
  expect(e.code).toBe('UNAVAILABLE');
  expect(e.message).toMatch(part);
  // It names the part that is down, not both.
  expect(e.message).not.toMatch(String(part) === String(/database/) ? /file store/ : /database/);
}

async function listKeys(prefix: string): Promise<string[]> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    const r = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    client.destroy();
  }
}

const jobRow = (id: string) => t.server.services.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function waitJob(id: string, ms = 300_000) {
  return poll(`job ${id}`, () => t.json(org.tokens.engineer, 'GET', `/api/jobs/${id}`), (j) => ['succeeded', 'failed', 'cancelled'].includes(j.state), ms);
}

/** The job's listed artifacts, each downloaded and checked against its size and SHA-256. */
async function downloads(jobId: string): Promise<Map<string, string>> {
  const arts = (await t.json(org.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`)).filter((a: { jobId: string }) => a.jobId === jobId);
  expect(arts.length).toBeGreaterThanOrEqual(6);
  const out = new Map<string, string>();
  for (const a of arts) {
    const r = await t.call(org.tokens.reviewer, 'GET', `/api/artifacts/${a.id}`);
    expect(r.status).toBe(200);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(bytes.length).toBe(a.bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(sha).toBe(a.sha256);
    out.set(a.id, sha);
  }
  return out;
}

beforeAll(async () => {
  db = await freshDatabase('outage_spec');
  s3 = await startS3();
  s3Up = true;
  proxy = await startProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) });
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  t = await startTestServer({
    databaseUrl: viaProxy.toString(),
    s3: serverS3Config(s3),
    workers: 1,
    leaseSeconds: 5,
    // 503s are logged as errors by design; keep the test's output to its own failures.
    logLevel: 'fatal',
  });
  org = await t.org('Outage Hospital');
  caseId = (await t.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'cranioplasty', anatomy: 'skull' })).id;
  files = await anonymisedSeries(SERIES);
  expect((await t.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files))).added).toBe(files.length);
});

afterAll(async () => {
  await t?.close();
  await proxy?.close();
  if (s3Up) await s3.stop();
  await db?.drop();
});

describe('PostgreSQL down', () => {
  it('answers 503 naming the database, stays up, and works again with every row intact once it is back', async () => {
    const before = (await t.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'before the outage', anatomy: 'mandible' })).id;
    const listed = await t.json(org.tokens.requester, 'GET', '/api/cases');
    expect(listed.map((c: { id: string }) => c.id)).toContain(before);

    proxy.cut();
    await expectUnavailable(await t.call(org.tokens.requester, 'GET', '/api/cases'), /database/);
    await expectUnavailable(await t.call(org.tokens.requester, 'POST', '/api/cases', { purpose: 'during the outage', anatomy: 'pelvis' }), /database/);
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', database: 'not answering', storage: 'ok' });
    // Still answering (the process survived the dropped connections), still 503.
    await expectUnavailable(await t.call(org.tokens.engineer, 'GET', `/api/cases/${caseId}`), /database/);

    proxy.restore();
    const back = await poll('health after the database came back', health, (h) => h.status === 200);
    expect(back.body).toEqual({ status: 'ok', database: 'ok', storage: 'ok' });
    const after = await t.json(org.tokens.requester, 'GET', '/api/cases');
    expect(after).toEqual(listed);
    expect(after.some((c: { purpose: string }) => c.purpose === 'during the outage')).toBe(false);
    const made = (await t.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'after the outage', anatomy: 'pelvis' })).id;
    expect((await t.json(org.tokens.requester, 'GET', `/api/cases/${made}`)).purpose).toBe('after the outage');
    expect((await t.json(org.tokens.engineer, 'GET', `/api/cases/${caseId}`)).series[0].files).toBe(files.length);
  });
});

describe('PostgreSQL down while a job finishes', () => {
  it('its success cannot be recorded: nothing is listed, and the job runs again and succeeds once the database is back', async () => {
    // Cut at the job's first output; keep the database away until the worker has written its last
    // output and tried (and failed) to record the success.
    const services = t.server.services;
    const real: ObjectStore = services.store;
    let cutAt: number | undefined;
    let lastOutputAt: number | undefined;
    services.store = {
      ...real,
      put: async (key, bytes) => {
        if (key.startsWith('jobs/') && cutAt === undefined) {
          proxy.cut();
          cutAt = proxy.refused;
        }
        await real.put(key, bytes);
        if (key.endsWith('/report.html') && lastOutputAt === undefined) lastOutputAt = proxy.refused;
      },
    };
    let id: string;
    try {
      id = (await t.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: PARAMS })).id;
      await poll('the first attempt writing all its outputs', async () => lastOutputAt, (v) => v !== undefined, 300_000);
      // The success transaction, the put-back and the next claim each asked for a connection and were
      // refused (a heartbeat may take one of the three: then the put-back is what gets through).
      await poll('the worker trying to record the outcome', async () => proxy.refused, (n) => n >= lastOutputAt! + 3);
    } finally {
      services.store = real;
      proxy.restore();
    }
    const j = await waitJob(id);
    expect(j.state, j.error).toBe('succeeded');
    expect(j.attempts).toBe(2);
    await downloads(id);
    const keys = await t.server.services.db.selectFrom('artifacts').select('object_key').where('job_id', '=', id).execute();
    expect(keys.length).toBeGreaterThanOrEqual(6);
    for (const k of keys) expect(k.object_key.startsWith(`jobs/${id}/2/`)).toBe(true);
    // The unrecorded attempt's objects are gone: what is stored for the job is what is listed.
    expect(await listKeys(`jobs/${id}/`)).toEqual(keys.map((k) => k.object_key).sort());
  });
});

describe('S3 down', () => {
  let earlier: { jobId: string; shas: Map<string, string> };

  /** Name → SHA-256 of the job's listed artifacts. */
  async function byName(jobId: string): Promise<Map<string, string>> {
    const arts = (await t.json(org.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`)).filter((a: { jobId: string }) => a.jobId === jobId);
    return new Map(arts.map((a: { name: string; sha256: string }) => [a.name, a.sha256]));
  }

  async function restartS3() {
    s3 = await startS3({ port: s3.port, directory: s3.directory });
    s3Up = true;
  }

  it('a job before any outage succeeds (the reference for the jobs below)', async () => {
    const { id } = await t.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: PARAMS });
    const j = await waitJob(id);
    expect(j.state, j.error).toBe('succeeded');
    earlier = { jobId: id, shas: await downloads(id) };
  });

  it('a short outage while a job reads its inputs: that attempt never succeeds; the retry makes the same model from every slice', async () => {
    // The store goes down for real at the job's tenth read and comes back after its last header
    // read, before the slices are decoded and the outputs written. Core's import lists files it
    // cannot read and goes on: without the job's own check this attempt would "succeed" with a
    // model built from the nine slices that were read.
    const services = t.server.services;
    const real: ObjectStore = services.store;
    let reads = 0;
    let blip: Promise<void> | undefined;
    services.store = {
      ...real,
      get: async (key) => {
        if (!key.startsWith('cases/')) return real.get(key);
        const n = ++reads;
        if (n === 10) {
          s3Up = false;
          blip = s3.stop({ keep: true });
        }
        if (n >= 10) await blip;
        try {
          return await real.get(key);
        } finally {
          if (n === files.length) await restartS3();
        }
      },
    };
    let id: string;
    try {
      id = (await t.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: PARAMS })).id;
      await poll(`job ${id} put back`, () => jobRow(id), (j) => j.deferrals > 0 || ['succeeded', 'failed', 'cancelled'].includes(j.state));
    } finally {
      services.store = real;
    }
    expect(reads).toBeGreaterThanOrEqual(files.length);
    expect(s3Up).toBe(true);
    const j = await waitJob(id);
    expect(j.state, j.error).toBe('succeeded');
    const row = await jobRow(id);
    expect(row.deferrals).toBe(1);
    expect(row.attempts).toBe(2);
    await downloads(id);
    // Same input, same parameters: the same bytes as the job that never saw an outage.
    const [mine, ref] = [await byName(id), await byName(earlier.jobId)];
    for (const name of ['bone.stl', 'labels.nii.gz', 'preview.stl']) expect(mine.get(name), name).toBe(ref.get(name));
    const keys = await t.server.services.db.selectFrom('artifacts').select('object_key').where('job_id', '=', id).execute();
    for (const k of keys) expect(k.object_key.startsWith(`jobs/${id}/2/`)).toBe(true);
  });

  it('down for a while: 503 naming storage, a job waits in the queue, then everything works and nothing stored is lost', async () => {
    const newFiles = (await anonymisedSeries(SERIES, 'another project key 0123456789')).slice(0, 2);
    s3Up = false;
    await s3.stop({ keep: true });

    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', database: 'ok', storage: 'not answering' });
    // Files the case does not hold yet (the same slices anonymised with another key): they must go to the store.
    await expectUnavailable(await t.call(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(newFiles)), /file store/);
    const [anArtifact] = earlier.shas.keys();
    await expectUnavailable(await t.call(org.tokens.reviewer, 'GET', `/api/artifacts/${anArtifact}`), /file store/);
    // The database still answers: what needs no file works.
    expect((await t.json(org.tokens.engineer, 'GET', `/api/cases/${caseId}`)).series[0].files).toBe(files.length);

    const { id } = await t.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: PARAMS });
    const waiting = await poll(`job ${id} put back`, () => jobRow(id), (j) => (j.state === 'queued' && j.deferrals > 0) || ['succeeded', 'failed', 'cancelled'].includes(j.state));
    expect(waiting.state).toBe('queued');
    expect(waiting.error).toMatch(/file store/);
    // The API shows it waiting, not failed: queued, or running again once its 2.5 s deferral has
    // passed (a stalled test process can take that long between the poll and this request).
    expect(['queued', 'running']).toContain((await t.json(org.tokens.engineer, 'GET', `/api/jobs/${id}`)).state);
    expect(await t.server.services.db.selectFrom('artifacts').select('id').where('job_id', '=', id).execute()).toEqual([]);

    await restartS3();
    expect((await poll('health after S3 came back', health, (h) => h.status === 200)).body).toEqual({ status: 'ok', database: 'ok', storage: 'ok' });
    const j = await waitJob(id);
    expect(j.state, j.error).toBe('succeeded');
    const row = await jobRow(id);
    expect(row.deferrals).toBeGreaterThanOrEqual(1);
    expect(row.attempts - row.deferrals).toBe(1);
    await downloads(id);

    // Everything stored before the outage is still there and whole.
    expect(await downloads(earlier.jobId)).toEqual(earlier.shas);
    // The refused upload listed nothing; sent again now, it is taken whole.
    expect((await t.json(org.tokens.engineer, 'GET', `/api/cases/${caseId}`)).series[0].files).toBe(files.length);
    const again = await t.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(newFiles));
    expect(again).toMatchObject({ received: 2, added: 2, duplicates: 0 });
  });
});
