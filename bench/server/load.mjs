// The load: CLIENTS concurrent integrators, each creating a case, uploading the whole series
// in multipart batches and starting a convert job, while a poller sends RATE status reads per
// second for SECONDS (open loop: a read is sent on schedule whether or not earlier ones have
// answered, so a slow server shows as latency, not as fewer requests). Every request's
// latency (send → whole body read) and status is kept; anything but 2xx is an error.
/* global fetch, FormData, Blob */
import { performance } from 'node:perf_hooks';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarise(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s.length ? s[s.length - 1] : null };
}

/** A client for one server with one bearer token; records into `records` and `errors`. */
export function makeClient(url, token, t0, records, errors) {
  return async function call(kind, method, path, { json, form, bytes = 0 } = {}) {
    const start = performance.now();
    let status = 0;
    let text = '';
    try {
      const r = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(json !== undefined ? { body: JSON.stringify(json) } : form ? { body: form } : {}),
      });
      status = r.status;
      text = await r.text();
    } catch (e) {
      text = `network error: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    }
    const end = performance.now();
    const ok = status >= 200 && status < 300;
    records.push({ kind, start: start - t0, ms: end - start, status, bytes: ok ? bytes : 0 });
    if (!ok) {
      const request = `${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')}`;
      errors.push({ kind, request, status, at_s: +((start - t0) / 1000).toFixed(2), body: text.slice(0, 400) });
    }
    let body;
    try {
      body = ok && text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { ok, status, body };
  };
}

/** Sets up an organisation, an engineer and its token with the admin token; returns the engineer's token. */
export async function setUp(url, adminToken) {
  const post = async (path, body, token = adminToken) => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const r = await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`set-up: POST ${path} → ${r.status}: ${text.slice(0, 400)}`);
    return JSON.parse(text);
  };
  const org = await post('/api/orgs', { name: `bench ${Date.now()}` });
  const user = await post(`/api/orgs/${org.id}/users`, { email: `bench.${Date.now()}@example.org`, role: 'engineer' });
  const { token } = await post(`/api/users/${user.id}/tokens`, { name: 'bench/server' });
  return token;
}

/**
 * Runs the load. files: [{name, bytes: Uint8Array}] (anonymised). Returns the raw records,
 * the errors, the jobs started ({id, client, queuedAt_s}), poller timing and phase times.
 */
export async function runLoad({ url, token, files, clients, batch, seconds, rate }) {
  const blobs = files.map((f) => ({ name: f.name, blob: new Blob([f.bytes]), bytes: f.bytes.byteLength }));
  const batches = [];
  for (let i = 0; i < blobs.length; i += batch) batches.push(blobs.slice(i, i + batch));

  // Warm-up, outside the measurement: first multipart upload loads the DICOM code paths.
  const warmRecords = [];
  const warmErrors = [];
  const warm = makeClient(url, token, performance.now(), warmRecords, warmErrors);
  const wc = await warm('warm-up', 'POST', '/api/cases', { json: { purpose: 'bench warm-up', anatomy: 'head' } });
  if (wc.ok) {
    const fd = new FormData();
    fd.append('file', blobs[0].blob, blobs[0].name);
    await warm('warm-up', 'POST', `/api/cases/${wc.body.id}/files`, { form: fd });
  }
  await warm('warm-up', 'GET', '/api/cases');
  if (warmErrors.length) throw new Error(`warm-up failed: ${JSON.stringify(warmErrors)}`);

  const t0 = performance.now();
  const startedAt = Date.now();
  const records = [];
  const errors = [];
  const call = makeClient(url, token, t0, records, errors);
  const jobs = [];
  const clientEnds = [];

  async function client(n) {
    const c = await call('POST /api/cases', 'POST', '/api/cases', { json: { purpose: `bench client ${n}`, anatomy: 'head' } });
    if (!c.ok) return;
    for (const b of batches) {
      const fd = new FormData();
      for (const f of b) fd.append('file', f.blob, f.name);
      const bytes = b.reduce((s, f) => s + f.bytes, 0);
      const r = await call('POST /api/cases/:id/files', 'POST', `/api/cases/${c.body.id}/files`, { form: fd, bytes });
      if (!r.ok) return;
    }
    const j = await call('POST /api/cases/:id/jobs', 'POST', `/api/cases/${c.body.id}/jobs`, { json: { kind: 'convert' } });
    if (j.ok) jobs.push({ id: j.body.id, client: n, queuedAt_s: (performance.now() - t0) / 1000 });
    clientEnds.push((performance.now() - t0) / 1000);
  }

  // Open-loop poller: request i is due at i/rate s; lag = how late the generator sent it.
  let maxLagMs = 0;
  const polls = [];
  async function poller() {
    const total = Math.round(seconds * rate);
    for (let i = 0; i < total; i++) {
      const due = (i * 1000) / rate;
      const wait = due - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      maxLagMs = Math.max(maxLagMs, performance.now() - t0 - due);
      if (jobs.length > 0) {
        const job = jobs[i % jobs.length];
        polls.push(call('GET /api/jobs/:id', 'GET', `/api/jobs/${job.id}`));
      } else {
        polls.push(call('GET /api/cases', 'GET', '/api/cases'));
      }
    }
  }

  const uploads = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  await poller();
  // The window ends with the last scheduled read sent; reads still out are awaited with the uploads.
  const windowEnd_s = (performance.now() - t0) / 1000;
  await Promise.all(polls);
  await uploads;
  const drainEnd_s = (performance.now() - t0) / 1000;
  const pollTiming = { scheduled: Math.round(seconds * rate), maxLag_ms: maxLagMs };
  return { t0, startedAt, records, errors, jobs, clientEnds, windowEnd_s, drainEnd_s, polls: pollTiming };
}

/** Each job's state once the load is over (not counted in the latencies). */
export async function finalJobs(url, token, jobs) {
  const out = [];
  for (const j of jobs) {
    const r = await fetch(`${url}/api/jobs/${j.id}`, { headers: { authorization: `Bearer ${token}` } });
    out.push(r.ok ? { ...j, ...(await r.json()) } : { ...j, state: `HTTP ${r.status}` });
  }
  return out;
}

export { sleep };
