/**
 * The rules of resumable uploads (tus 1.0.0 at /api/uploads) over real loopback HTTP, with a
 * real image of the phantom series: the gate (an identifiable original → 422 naming
 * PatientName, or anonymised by the server where the organisation asked for it; non-DICOM →
 * 422; zip bomb → 413), organisation scoping, roles, bearer and cookie+CSRF authentication, the
 * size and open-upload limits, the OpenAPI document, and a staging folder that cannot be used.
 * The uploads themselves (a whole series, interrupted and resumed; S3) are uploads.spec's.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestOrg, TestServer } from '../../../test/server/harness.js';
import { seriesFiles } from '../../../test/server/dicom-files.js';
import { auth, b64, stagedFiles, TUS, type TusClient } from '../../../test/server/tus-client.js';
import { startUploadServer } from '../../../test/server/upload-setup.js';
import { buildApp } from './app.js';
import { UploadRegistry } from './uploads/registry.js';
import { SealedFileStore } from './uploads/staging-store.js';

const MAX_UPLOAD = 160 * 1024 * 1024;
const js = (r: Response): Promise<any> => r.json();
const images = () => seriesFiles('philips-head-phantom-1mm').filter((f) => f.name !== 'DIRFILE');

let t: TestServer;
let a: TestOrg;
let b: TestOrg;
let caseA: string;
let caseB: string;
let tus: TusClient;

beforeAll(async () => {
  ({ t, tus, a, b, caseA, caseB } = await startUploadServer(MAX_UPLOAD));
});
afterAll(() => t?.close());

describe('the gate and the rules', () => {
  it('refuses an identifiable original naming the file and PatientName; nothing is stored or staged', async () => {
    const [orig] = images();
    const before = await t.json(a.tokens.requester, 'GET', `/api/cases/${caseA}`);
    const { location, r } = await tus.uploadWhole(a.tokens.requester, caseA, orig!.name, orig!.bytes);
    expect(r.status).toBe(422);
    const e = (await js(r)).error;
    expect(e.code).toBe('IDENTIFIABLE');
    expect(e.message).toContain(orig!.name);
    expect(e.message).toContain('PatientName');
    const res = await t.json(a.tokens.requester, 'GET', `${location}/result`);
    expect(res).toMatchObject({ state: 'failed', status: 422, error: { code: 'IDENTIFIABLE' } });
    expect(await t.json(a.tokens.requester, 'GET', `/api/cases/${caseA}`)).toMatchObject({ series: before.series });
    expect(stagedFiles(t)).toEqual([]);
  });

  it('anonymises an identifiable original in memory when the organisation switched that on', async () => {
    const c = await t.org('Upload Hospital C', { serverAnonymise: true });
    const caseC = (await t.json(c.tokens.requester, 'POST', '/api/cases', { purpose: 'mandible guide', anatomy: 'skull' })).id;
    const [orig] = images();
    const { r } = await tus.uploadWhole(c.tokens.requester, caseC, orig!.name, orig!.bytes);
    expect(r.status).toBe(200);
    expect(await js(r)).toMatchObject({ received: 1, added: 1, anonymisedByServer: 1 });
    expect((await t.json(c.tokens.requester, 'GET', `/api/cases/${caseC}`)).series[0].files).toBe(1);
  });

  it('refuses a zip bomb with 413 ZIP_LIMIT', async () => {
    const bomb = zipSync({ 'scan/bomb.dcm': new Uint8Array(8 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    const { r } = await tus.uploadWhole(a.tokens.requester, caseA, 'bomb.zip', bomb);
    expect(r.status).toBe(413);
    const e = (await js(r)).error;
    expect(e.code).toBe('ZIP_LIMIT');
    expect(e.message).toContain('bomb.zip');
  });

  it('refuses bytes that are not DICOM', async () => {
    const text = new TextEncoder().encode('not a scan at all, just text\n'.repeat(20));
    const { r } = await tus.uploadWhole(a.tokens.requester, caseA, 'notes.txt', text);
    expect(r.status).toBe(422);
    expect((await js(r)).error).toMatchObject({ code: 'NOT_DICOM' });
  });

  it('answers 404 for another organisation\'s case and upload', async () => {
    const r = await tus.create(a.tokens.requester, caseB, 'x.zip', 1000);
    expect(r.status).toBe(404);
    expect((await js(r)).error.code).toBe('NOT_FOUND');
    const mine = await tus.create(b.tokens.requester, caseB, 'x.zip', 1000);
    expect(mine.status).toBe(201);
    const location = mine.headers.get('location')!;
    expect((await tus.head(a.tokens.requester, location)).status).toBe(404);
    expect((await tus.patch(a.tokens.requester, location, 0, new Uint8Array(10))).status).toBe(404);
    expect((await t.call(a.tokens.requester, 'GET', `${location}/result`)).status).toBe(404);
    expect((await t.call(a.tokens['org-admin'], 'DELETE', location, undefined, TUS)).status).toBe(404);
    expect(await tus.offsetOf(b.tokens.requester, location)).toBe(0);
    // Its owner may terminate it; then it is gone.
    expect((await t.call(b.tokens.requester, 'DELETE', location, undefined, TUS)).status).toBe(204);
    expect((await tus.head(b.tokens.requester, location)).status).toBe(404);
  });

  it('needs a login and an uploading role', async () => {
    const r = await tus.create(undefined, caseA, 'x.zip', 1000);
    expect(r.status).toBe(401);
    expect((await js(r)).error.code).toBe('UNAUTHENTICATED');
    const bad = await tus.create('s2p_not-a-token', caseA, 'x.zip', 1000);
    expect(bad.status).toBe(401);
    const ok = await tus.create(a.tokens.requester, caseA, 'x.zip', 1000);
    const location = ok.headers.get('location')!;
    expect((await tus.head(undefined, location)).status).toBe(401);
    expect((await tus.patch(undefined as unknown as string, location, 0, new Uint8Array(10))).status).toBe(401);
    const reviewer = await tus.create(a.tokens.reviewer, caseA, 'x.zip', 1000);
    expect(reviewer.status).toBe(403);
  });

  it('takes a browser session, whose writes need the CSRF token', async () => {
    const email = 'upload.session@example.org';
    const password = 'a long enough password';
    await t.json(a.tokens['org-admin'], 'POST', `/api/orgs/${a.id}/users`, { email, role: 'technician', password });
    const login = await t.call(undefined, 'POST', '/api/session', { email, password });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = await js(login);
    const headers = { ...TUS, cookie, 'upload-length': '1000', 'upload-metadata': `caseId ${b64(caseA)}` };
    const noCsrf = await fetch(`${t.url}/api/uploads`, { method: 'POST', headers });
    expect(noCsrf.status).toBe(403);
    expect((await js(noCsrf)).error.code).toBe('CSRF');
    const ok = await fetch(`${t.url}/api/uploads`, { method: 'POST', headers: { ...headers, 'x-csrf-token': csrfToken } });
    expect(ok.status).toBe(201);
    const location = ok.headers.get('location')!;
    const h = await fetch(t.url + location, { method: 'HEAD', headers: { ...TUS, cookie } });
    expect(h.status).toBe(200);
    expect(h.headers.get('upload-offset')).toBe('0');
    const p = await fetch(t.url + location, {
      method: 'PATCH',
      headers: { ...TUS, cookie, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(10),
    });
    expect(p.status).toBe(403);
    expect(await tus.offsetOf(a.tokens.technician, location)).toBe(0);
  });

  it('bounds the unfinished uploads of one user (429), and DELETE frees a place', async () => {
    const tok = a.tokens['org-admin'];
    const made: string[] = [];
    for (;;) {
      const r = await tus.create(tok, caseA, 'many.zip', 1000);
      if (r.status !== 201) {
        expect(r.status).toBe(429);
        expect((await js(r)).error.code).toBe('TOO_MANY_UPLOADS');
        break;
      }
      made.push(r.headers.get('location')!);
      expect(made.length).toBeLessThanOrEqual(64);
    }
    expect(made.length).toBe(32);
    expect((await t.call(tok, 'DELETE', made[0]!, undefined, TUS)).status).toBe(204);
    expect((await tus.create(tok, caseA, 'many.zip', 1000)).status).toBe(201);
  });

  it('documents the upload routes in the OpenAPI document', async () => {
    const doc = await t.json(undefined, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.paths['/api/uploads'])).toEqual(expect.arrayContaining(['post', 'options']));
    expect(Object.keys(doc.paths['/api/uploads/{id}'])).toEqual(expect.arrayContaining(['patch', 'delete']));
    expect(doc.paths['/api/uploads/{id}'].patch.description).toContain('IDENTIFIABLE');
    expect(doc.paths['/api/uploads/{id}/result'].get).toBeDefined();
    expect(doc.paths['/api/uploads/{id}/ingest'].post).toBeDefined();
  });

  it('refuses an upload over the configured size, and metadata without a case', async () => {
    const big = await tus.create(a.tokens.requester, caseA, 'huge.zip', MAX_UPLOAD + 1);
    expect(big.status).toBe(413);
    const noCase = await fetch(`${t.url}/api/uploads`, {
      method: 'POST',
      headers: { ...TUS, ...auth(a.tokens.requester), 'upload-length': '10', 'upload-metadata': `filename ${b64('x.dcm')}` },
    });
    expect(noCase.status).toBe(400);
    expect((await js(noCase)).error.code).toBe('NO_CASE');
  });
});

describe('the staging folder', () => {
  it('the store makes no folder of its own (tus threw from its mkdir callback); an unusable folder fails buildApp, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's2p-staging-'));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => void uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      // A folder that cannot be made (its parent is a file): tus's constructor would start an
      // mkdir whose callback throws, an uncaught exception some time later.
      writeFileSync(join(dir, 'file'), 'not a folder');
      new SealedFileStore(join(dir, 'file', 'staging'), new UploadRegistry());
      // A folder that can be made is not made by the store either: stagingDir made it, mode 0700.
      new SealedFileStore(join(dir, 'made-by-nobody'), new UploadRegistry());
      await new Promise((r) => setTimeout(r, 200));
      expect(uncaught).toEqual([]);
      expect(existsSync(join(dir, 'made-by-nobody'))).toBe(false);
      // The server's own preparation of it fails the start with the folder's name.
      writeFileSync(join(dir, 'uploads'), 'not a folder');
      const bad = buildApp({ ...t.server.services, config: { ...t.server.services.config, dataDir: dir } });
      await expect(bad).rejects.toThrow(`the upload staging folder ${join(dir, 'uploads')} could not be prepared (EEXIST)`);
    } finally {
      process.off('uncaughtException', onUncaught);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
