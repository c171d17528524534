/**
 * Bad requests against a real loopback server: malformed and oversized JSON, wrong content
 * types, lying Content-Length, broken multipart, path traversal in URLs and file names, zip
 * bombs (ratio, declared 5 GB, entries past the limit, a directory that lies about sizes),
 * non-DICOM and truncated uploads. Each is a 4xx with a JSON message saying what was wrong,
 * never a 500; after each the server still answers /api/health, and its log holds no error.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { formOf, seriesFiles } from '../../../test/server/dicom-files.js';
import { createAnonymiser } from '@scan2print/core';
import { rawRequest } from '../../../test/server/raw-http.js';
import { deflated, rawZip } from '../../../test/server/raw-zip.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const MAX_UPLOAD = 4 * 1024 * 1024;
const MAX_UNZIPPED = 3 * 1024 * 1024;
const logLines: string[] = [];
let t: TestServer;
let a: TestOrg;
let caseId: string;
let dicom: Array<{ name: string; bytes: Uint8Array }>;

beforeAll(async () => {
  t = await startTestServer(
    { maxUploadBytes: MAX_UPLOAD, maxUnzippedBytes: MAX_UNZIPPED },
    {},
    { log: { level: 'warn', write: (l) => void logLines.push(l) } },
  );
  a = await t.org('Bad Requests Hospital');
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'bad request tests', anatomy: 'skull' })).id;
  // Eight slices are enough here (anonymising the whole series would hold the event loop for seconds).
  const anonymiser = createAnonymiser('bad requests spec key 0123456789');
  dicom = [];
  for (const f of seriesFiles(SERIES).slice(0, 8)) dicom.push({ name: f.name, bytes: (await anonymiser.anonymise(f.bytes, f.name)).bytes });
});
afterAll(() => t?.close());

// The server outlives every bad request: health answers and nothing was logged as an error (a 500 is logged at error level).
afterEach(async () => {
  expect((await fetch(`${t.url}/api/health`)).status).toBe(200);
  expect(logLines.splice(0).filter((l) => JSON.parse(l).level >= 50)).toEqual([]);
});

/** A 4xx (the given status) whose body is our error format with the code and a message matching `says`. */
async function expectClientError(r: Response | Promise<Response>, status: number, code: string | RegExp, says?: RegExp) {
  const res = await r;
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(body.error.code).toMatch(code);
  expect(body.error.message.length).toBeGreaterThan(5);
  if (says) expect(body.error.message).toMatch(says);
  return body.error;
}

const post = (path: string, body: string | Uint8Array | Buffer, type?: string, token = a.tokens.requester) =>
  fetch(t.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(type ? { 'content-type': type } : {}) }, body });

const upload = (files: Array<{ name: string; bytes: Uint8Array }>) =>
  t.call(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files));
const newCase = (body: unknown) => t.call(a.tokens.requester, 'POST', '/api/cases', body);
/** A request head for rawRequest: the request line, a host, the requester's token, then these headers. */
const rawHead = (line: string, ...headers: string[]) =>
  [line, 'Host: x', `Authorization: Bearer ${a.tokens.requester}`, ...headers].join('\r\n');

async function caseFiles(): Promise<number> {
  const c = await t.json(a.tokens.requester, 'GET', `/api/cases/${caseId}`);
  return c.series.reduce((n: number, s: { files: number }) => n + s.files, 0);
}

describe('JSON bodies', () => {
  it('malformed, empty, non-object and poisoned JSON → 400 saying so', async () => {
    await expectClientError(post('/api/cases', '{"purpose": "x", anatomy', 'application/json'), 400, /JSON/i, /JSON/i);
    await expectClientError(post('/api/cases', '', 'application/json'), 400, /EMPTY_JSON|BAD_REQUEST|INVALID/i);
    for (const body of ['[]', '"a string"', 'null', '42']) {
      await expectClientError(post('/api/cases', body, 'application/json'), 400, /INVALID_REQUEST/);
    }
    const proto = '{"purpose":"p","anatomy":"a","__proto__":{"admin":true}}';
    await expectClientError(post('/api/cases', proto, 'application/json'), 400, 'FST_ERR_CTP_INVALID_JSON_BODY', /not valid JSON/);
    const ctor = '{"purpose":"p","anatomy":"a","constructor":{"prototype":{"admin":true}}}';
    await expectClientError(post('/api/cases', ctor, 'application/json'), 400, 'FST_ERR_CTP_INVALID_JSON_BODY', /not valid JSON/);
  });

  it('deeply nested JSON → 400, not a stack overflow', async () => {
    const deep = `{"purpose":"p","anatomy":"a","notes":${'['.repeat(400_000)}${']'.repeat(400_000)}}`;
    const r = await post('/api/cases', deep, 'application/json');
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it('unknown fields, wrong types and overlong strings → 400 naming the field', async () => {
    await expectClientError(newCase({ purpose: 'p', anatomy: 'a', owner: 'x' }), 400, 'INVALID_REQUEST', /owner/);
    await expectClientError(newCase({ purpose: 1, anatomy: 'a' }), 400, 'INVALID_REQUEST', /purpose/);
    await expectClientError(newCase({ purpose: 'p', anatomy: 'a'.repeat(201) }), 400, 'INVALID_REQUEST', /anatomy/);
    await expectClientError(newCase({ purpose: 'p', anatomy: 'a', dueDate: '2026-13-45' }), 400, 'INVALID_REQUEST', /dueDate/);
  });

  it('a body over the 1 MiB JSON limit → 413; a lying Content-Length → 413 before the body is read', async () => {
    const big = JSON.stringify({ purpose: 'p', anatomy: 'a', notes: 'x'.repeat(2 * 1024 * 1024) });
    await expectClientError(post('/api/cases', big, 'application/json'), 413, /TOO_LARGE/);
    const r = await rawRequest(
      t.url,
      rawHead('POST /api/cases HTTP/1.1', 'Content-Type: application/json', 'Content-Length: 10737418240'),
      '{"purpose":',
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.message).toMatch(/large/i);
  });

  it('a body cut off before its Content-Length → no 500 and no case made', async () => {
    const before = (await t.json(a.tokens.requester, 'GET', '/api/cases')).length;
    const r = await rawRequest(
      t.url,
      rawHead('POST /api/cases HTTP/1.1', 'Content-Type: application/json', 'Content-Length: 100'),
      '{"purpose":"p","anatomy":"a"}',
      { end: true },
    );
    expect(r.status === 0 || (r.status >= 400 && r.status < 500)).toBe(true);
    expect((await t.json(a.tokens.requester, 'GET', '/api/cases')).length).toBe(before);
  });
});

describe('content types', () => {
  it('text, form and unknown types on a JSON route → 415', async () => {
    const body = JSON.stringify({ purpose: 'p', anatomy: 'a' });
    for (const type of ['application/x-www-form-urlencoded', 'application/xml', 'application/octet-stream', 'image/png']) {
      await expectClientError(post('/api/cases', body, type), 415, /MEDIA_TYPE|UNSUPPORTED/i, /content-type|media type/i);
    }
    // Fastify reads text/plain as a string: the schema wants an object (a cross-site form's text/plain body cannot act).
    await expectClientError(post('/api/cases', body, 'text/plain'), 400, 'INVALID_REQUEST', /expected object/);
  });

  it('the upload route wants multipart: JSON, octet-stream and a multipart body without a boundary → 4xx', async () => {
    const json = t.call(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, { file: 'x' });
    await expectClientError(json, 415, 'NOT_MULTIPART', /multipart/);
    await expectClientError(post(`/api/cases/${caseId}/files`, new Uint8Array(dicom[0]!.bytes), 'application/dicom'), 415, /MEDIA_TYPE/i);
    const r = await post(`/api/cases/${caseId}/files`, 'garbage', 'multipart/form-data');
    expect(r.status, await r.clone().text()).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it('a multipart body that ends mid-part, or with a wrong boundary → 4xx, nothing stored', async () => {
    const bytes = dicom[0]!.bytes;
    const head = `--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.dcm"\r\nContent-Type: application/dicom\r\n\r\n`;
    const cut = Buffer.concat([Buffer.from(head), Buffer.from(bytes.subarray(0, 1000))]);
    const r = await post(`/api/cases/${caseId}/files`, cut, 'multipart/form-data; boundary=XYZ');
    expect(r.status, await r.clone().text()).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    const wrong = Buffer.concat([Buffer.from(head.replace('XYZ', 'ABC')), Buffer.from(bytes), Buffer.from('\r\n--ABC--\r\n')]);
    const r2 = await post(`/api/cases/${caseId}/files`, wrong, 'multipart/form-data; boundary=XYZ');
    expect(r2.status, await r2.clone().text()).toBeGreaterThanOrEqual(400);
    expect(r2.status).toBeLessThan(500);
    expect(await caseFiles()).toBe(0);
  });

  it('a 10 GB multipart upload is refused before its body is read: no token → 401, a role that may not upload → 403', async () => {
    const head = (auth: string[]) =>
      [`POST /api/cases/${caseId}/files HTTP/1.1`, 'Host: x', ...auth, 'Content-Type: multipart/form-data; boundary=XYZ'].join('\r\n') +
      '\r\nContent-Length: 10737418240';
    const start = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.dcm"\r\n\r\n';
    const anonymous = await rawRequest(t.url, head([]), start);
    expect(anonymous.status).toBe(401);
    const reviewer = await rawRequest(t.url, head([`Authorization: Bearer ${a.tokens.reviewer}`]), start);
    expect(reviewer.status).toBe(403);
    expect(JSON.parse(reviewer.body).error.code).toBe('FORBIDDEN');
  });

  it('an upload over the size limit → 413 pointing at the resumable upload', async () => {
    const big = new Uint8Array(MAX_UPLOAD + 1024);
    const says = new RegExp(`larger than ${MAX_UPLOAD} bytes.*/api/uploads`);
    await expectClientError(upload([{ name: 'big.dcm', bytes: big }]), 413, 'TOO_LARGE', says);
    expect(await caseFiles()).toBe(0);
  });

  it('more than 10,000 files in one request → 413 saying how to send them instead', async () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}.dcm`, bytes: new Uint8Array([i & 0xff]) }));
    await expectClientError(upload(many), 413, 'TOO_LARGE', /more than 10000 files.*zip/);
    expect(await caseFiles()).toBe(0);
  });
});

describe('URLs, ids and headers', () => {
  it('malformed ids → 400; unknown routes and methods → 404 in the same format', async () => {
    await expectClientError(t.call(a.tokens.requester, 'GET', '/api/cases/not-a-uuid'), 400, 'INVALID_REQUEST', /id/);
    await expectClientError(t.call(a.tokens.requester, 'GET', "/api/jobs/1' OR '1'='1"), 400, 'INVALID_REQUEST');
    await expectClientError(t.call(a.tokens.requester, 'GET', '/api/nothing-here'), 404, 'NOT_FOUND');
    await expectClientError(t.call(a.tokens.requester, 'PUT', '/api/cases'), 404, 'NOT_FOUND');
    const r = await rawRequest(t.url, rawHead('GET /api/cases/%E0%A4%A HTTP/1.1', 'Connection: close'));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it('path traversal in URLs reaches no file outside the API (docs assets, artifacts)', async () => {
    for (const path of [
      '/api/docs/../../package.json',
      '/api/docs/..%2f..%2f..%2fpackage.json',
      '/api/docs/static/..%2f..%2f..%2f..%2fpackage.json',
      '/api/docs/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/api/artifacts/..%2f..%2f..%2fetc%2fpasswd',
      '/api/../../../../etc/passwd',
    ]) {
      const r = await rawRequest(t.url, rawHead(`GET ${path} HTTP/1.1`, 'Connection: close'));
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.status, path).toBeLessThan(500);
      expect(r.body, path).not.toMatch(/root:x:0:0|"name":\s*"scan2print/);
    }
  });

  it('malformed Authorization and cookies → 401; a header block over 16 KB → 431', async () => {
    for (const auth of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', `Bearer ${'x'.repeat(8000)}`, 'Bearer s2p_\u00e9']) {
      const r = await fetch(`${t.url}/api/cases`, { headers: { authorization: encodeURI(auth).replace(/%20/g, ' ') } });
      expect(r.status, auth.slice(0, 20)).toBe(401);
    }
    const c = await fetch(`${t.url}/api/cases`, { headers: { cookie: 's2p_session=%%%; other=1' } });
    expect(c.status).toBe(401);
    const huge = await rawRequest(t.url, rawHead('GET /api/health HTTP/1.1', `X-Big: ${'y'.repeat(20_000)}`, 'Connection: close'));
    expect(huge.status).toBe(431);
  });

  it('an Idempotency-Key over 200 characters → 400', async () => {
    const r = t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' }, { 'idempotency-key': 'k'.repeat(201) });
    await expectClientError(r, 400, 'INVALID_REQUEST', /idempotency/i);
  });
});

describe('non-DICOM uploads', () => {
  it('text, PNG, random bytes, an empty file, a DICM preamble with garbage → 422 naming the file; nothing stored', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(200).fill(7)]);
    const fakeDicm = new Uint8Array(400);
    fakeDicm.set(new TextEncoder().encode('DICM'), 128);
    fakeDicm.fill(0xff, 132);
    const random = Uint8Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24);
    for (const f of [
      { name: 'notes.txt', bytes: new TextEncoder().encode('this is not a CT slice\n') },
      { name: 'photo.png', bytes: png },
      { name: 'noise.bin', bytes: random },
      { name: 'empty.dcm', bytes: new Uint8Array(0) },
      { name: 'fake.dcm', bytes: fakeDicm },
    ]) {
      const e = await expectClientError(upload([f]), 422, /NOT_DICOM/);
      expect(e.message).toContain(f.name);
    }
    expect(await caseFiles()).toBe(0);
  });

  it('a real slice cut off in its pixel data → 422 naming the file', async () => {
    const f = dicom[3]!;
    const cut = f.bytes.subarray(0, Math.floor(f.bytes.length * 0.6));
    const e = await expectClientError(upload([{ name: 'cut-short.dcm', bytes: cut }]), 422, /NOT_DICOM|TRUNCATED/);
    expect(e.message).toContain('cut-short.dcm');
    expect(await caseFiles()).toBe(0);
  });

  it('one bad file in a batch refuses the whole batch (nothing stored)', async () => {
    const batch = [...dicom.slice(0, 2), { name: 'readme.txt', bytes: new TextEncoder().encode('hello') }];
    const e = await expectClientError(upload(batch), 422, 'NOT_DICOM');
    expect(e.message).toContain('readme.txt');
    expect(await caseFiles()).toBe(0);
  });

  it('a multipart request with no file part → 400', async () => {
    const fd = new FormData();
    fd.append('comment', 'no files here');
    await expectClientError(t.call(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, fd), 400, 'NO_FILES');
  });
});

describe('file names: path traversal', () => {
  it('client names with ../, absolute paths and NUL are never used as paths; the file is stored under the server key', async () => {
    const marker = `s2p-traversal-${randomUUID()}`;
    const names = [
      `../../../../../../${tmpdir().slice(1)}/${marker}-a.dcm`,
      `/${tmpdir().slice(1)}/${marker}-b.dcm`,
      `..\\..\\${marker}-c.dcm`,
      `${marker}\u0000.dcm`,
    ];
    const files = dicom.slice(0, names.length).map((f, i) => ({ name: names[i]!, bytes: f.bytes }));
    const r = await upload(files);
    expect(r.status, await r.clone().text()).toBe(201);
    expect(((await r.json()) as { added: number }).added).toBe(names.length);
    for (const n of ['a', 'b', 'c']) expect(existsSync(join(tmpdir(), `${marker}-${n}.dcm`))).toBe(false);
    expect(existsSync(resolve(t.dataDir, '..', `${marker}-c.dcm`))).toBe(false);
    const stored = listFiles(t.dataDir);
    expect(stored.some((p) => p.includes(marker))).toBe(false);
    const rows = await t.server.services.db.selectFrom('files').select(['name', 'object_key']).where('case_id', '=', caseId).execute();
    for (const row of rows) {
      expect(row.object_key).toMatch(/^cases\/[0-9a-f-]{36}\/files\/[0-9a-f]{64}\.dcm$/);
      expect(row.name).toMatch(/^[0-9a-f]{16}\.dcm$/);
    }
  });

  it('zip entries named ../../ are read as data, never written by name', async () => {
    const marker = `s2p-zipslip-${randomUUID()}`;
    const entries = { [`../../../../../../${tmpdir().slice(1)}/${marker}.dcm`]: dicom[5]!.bytes, [`/${marker}-abs.dcm`]: dicom[6]!.bytes };
    const zip = zipSync(entries, { level: 1 });
    const r = await upload([{ name: 'series.zip', bytes: zip }]);
    expect(r.status, await r.clone().text()).toBe(201);
    expect(existsSync(join(tmpdir(), `${marker}.dcm`))).toBe(false);
    expect(existsSync(`/${marker}-abs.dcm`)).toBe(false);
    expect(listFiles(t.dataDir).some((p) => p.includes(marker))).toBe(false);
  });
});

describe('zip bombs and broken zips', () => {
  const zeros = (n: number) => new Uint8Array(n);

  it('a fflate zip of 2 MiB of zeros (ratio ~1000:1) → 413 ZIP_LIMIT naming the entry', async () => {
    const zip = zipSync({ 'slice.dcm': zeros(2 * 1024 * 1024) }, { level: 9 });
    expect(zip.length).toBeLessThan(20_000);
    const e = await expectClientError(upload([{ name: 'bomb.zip', bytes: zip }]), 413, 'ZIP_LIMIT', /zip bomb/);
    expect(e.message).toContain('slice.dcm');
  });

  it('5 GB of zeros declared (zip64 sizes) → 413 before anything is inflated', async () => {
    const data = deflated(zeros(1024 * 1024));
    const zip = rawZip([{ name: 'huge.dcm', data, method: 8, size: 5 * 1024 ** 3, zip64: true }]);
    const says = new RegExp(`more than ${MAX_UNZIPPED} bytes`);
    await expectClientError(upload([{ name: 'declared-5gb.zip', bytes: zip }]), 413, 'ZIP_LIMIT', says);
  });

  it('real DICOM entries whose total passes SCAN2PRINT_MAX_UNZIPPED_BYTES → 413; under it → taken', async () => {
    const over = Object.fromEntries(dicom.slice(0, 7).map((f) => [f.name, f.bytes]));
    const sum = dicom.slice(0, 7).reduce((n, f) => n + f.bytes.length, 0);
    expect(sum).toBeGreaterThan(MAX_UNZIPPED);
    const big = zipSync(over, { level: 6 });
    expect(big.length).toBeLessThan(MAX_UPLOAD);
    await expectClientError(upload([{ name: 'too-much.zip', bytes: big }]), 413, 'ZIP_LIMIT', /unpacks to more than/);
    const ok = await upload([{ name: 'fine.zip', bytes: zipSync({ 'x/1.dcm': dicom[7]!.bytes, '__MACOSX/._1.dcm': new Uint8Array(10) }) }]);
    expect(ok.status, await ok.clone().text()).toBe(201);
    expect(((await ok.json()) as { received: number }).received).toBe(1);
  });

  it('a central directory that lies (16 MiB of zeros declared as 1000 bytes) → 413 when inflation passes the declared size', async () => {
    const data = deflated(zeros(16 * 1024 * 1024));
    const zip = rawZip([{ name: 'liar.dcm', data, method: 8, size: 1000 }]);
    const e = await expectClientError(upload([{ name: 'liar.zip', bytes: zip }]), 413, 'ZIP_LIMIT', /beyond the 1000 bytes/);
    expect(e.message).toContain('liar.dcm');
    // The same lie in fflate's own output: the directory's sizes patched after the fact.
    const honest = zipSync({ 'patched.dcm': zeros(16 * 1024 * 1024) }, { level: 9 });
    const patched = patchDeclaredSizes(honest, 1000);
    await expectClientError(upload([{ name: 'patched.zip', bytes: patched }]), 413, 'ZIP_LIMIT', /beyond the 1000 bytes/);
  });

  it('too many entries, encrypted entries, unknown methods, garbage and truncated zips → 4xx naming the zip', async () => {
    const many: Record<string, Uint8Array> = {};
    for (let i = 0; i <= 20_000; i++) many[`f${i}`] = new Uint8Array(1);
    const manyZip = zipSync(many, { level: 0 });
    await expectClientError(upload([{ name: 'many.zip', bytes: manyZip }]), 413, 'ZIP_LIMIT', /more than 20000 entries/);
    // Entries a zip tool adds (filtered out) still count against the directory: 42,000 dot files → 413, not 'empty'.
    const dotFile = (i: number) => ({ name: `.${i}`, data: new Uint8Array(0), method: 0 as const, size: 0 });
    const noise = rawZip(Array.from({ length: 42_000 }, (_, i) => dotFile(i)));
    expect(noise.length).toBeLessThan(MAX_UPLOAD);
    await expectClientError(upload([{ name: 'noise.zip', bytes: noise }]), 413, 'ZIP_LIMIT', /lists 42000 entries/);
    const enc = rawZip([{ name: 'secret.dcm', data: dicom[0]!.bytes, method: 0, size: dicom[0]!.bytes.length, flags: 1 }]);
    await expectClientError(upload([{ name: 'enc.zip', bytes: enc }]), 422, 'BAD_ZIP', /encrypted/);
    const bzip = rawZip([{ name: 'b.dcm', data: new Uint8Array(100), method: 12 as 8, size: 100 }]);
    await expectClientError(upload([{ name: 'bzip2.zip', bytes: bzip }]), 422, 'BAD_ZIP', /method 12/);
    const garbage = new Uint8Array(5000).fill(0x41);
    garbage.set([0x50, 0x4b, 0x03, 0x04]);
    await expectClientError(upload([{ name: 'garbage.zip', bytes: garbage }]), 422, 'BAD_ZIP', /garbage\.zip/);
    const whole = zipSync({ 'a.dcm': dicom[0]!.bytes, 'b.dcm': dicom[1]!.bytes }, { level: 6 });
    const cut = whole.subarray(0, Math.floor(whole.length / 2));
    await expectClientError(upload([{ name: 'cut.zip', bytes: cut }]), 422, 'BAD_ZIP', /cut\.zip/);
    // Directory intact, data damaged: the inflater's error, as a 422.
    const damaged = whole.slice();
    damaged.fill(0xff, 100, 5000);
    await expectClientError(upload([{ name: 'damaged.zip', bytes: damaged }]), 422, /BAD_ZIP|NOT_DICOM/, /damaged\.zip/);
    const empty = zipSync({ '__MACOSX/._x': new Uint8Array(3), 'dir/': new Uint8Array(0) });
    await expectClientError(upload([{ name: 'empty.zip', bytes: empty }]), 422, 'EMPTY_ZIP');
  });

  it('a zip inside a zip is not unpacked: the inner zip is a non-DICOM file', async () => {
    const inner = zipSync({ 'a.dcm': dicom[0]!.bytes });
    const e = await expectClientError(upload([{ name: 'outer.zip', bytes: zipSync({ 'inner.zip': inner }) }]), 422, 'NOT_DICOM');
    expect(e.message).toContain('inner.zip');
  });
});

/** Sets every local and central header's uncompressed size to `size` (fflate wrote the truth). */
function patchDeclaredSizes(zip: Uint8Array, size: number): Uint8Array {
  const b = Buffer.from(zip);
  for (let i = 0; i + 4 <= b.length; i++) {
    const sig = b.readUInt32LE(i);
    if (sig === 0x04034b50) b.writeUInt32LE(size, i + 22);
    else if (sig === 0x02014b50) b.writeUInt32LE(size, i + 24);
  }
  return new Uint8Array(b);
}
