/**
 * The QR hard link and the case bundle on a real server, around one real convert of a real
 * CT series: a model version gets its code (once), the label's QR (PNG pixels and SVG path,
 * read by test/server/qr-decode.ts) resolves through /api/q/:code to the model whose
 * downloaded bytes have the SHA-256 the signed audit entry holds; another organisation gets
 * a 404. The case bundle verifies offline, and each kind of tampering is found.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditKeyMap,
  auditKeyOf,
  auditSignatureState,
  newAuditSecretKey,
  sealAuditEntry,
  verifyCaseBundle,
  type AuditEntry,
  type CaseBundleManifest,
} from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';
import { decodeQr, sampleQr, type Matrix } from '../../../test/server/qr-decode.js';
import { issueModelCode } from './codes/issue.js';
import { auditEntries, auditKeys } from './audit/index.js';
import type { Principal } from './auth/principal.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const ROLES = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;
type PngImage = { width: number; height: number; data: Buffer };
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(b: Buffer): PngImage } } };
/** Byte equality without a deep compare (toEqual walks a model's tens of MB index by index). */
const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const enc = new TextEncoder();
const dec = new TextDecoder();

let t: TestServer;
let a: TestOrg;
let b: TestOrg;
let caseId: string;
let jobId: string;
let code: string;
let reviewer: Principal;

beforeAll(async () => {
  t = await startTestServer({ workers: 1 });
  a = await t.org('Codes A');
  b = await t.org('Codes B');
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'orbital floor plate', anatomy: 'skull' })).id;
  await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSeries(SERIES)));
  // At 2 mm the models are ~10x smaller: codes and bundles do not depend on the model's resolution, and hashing
  // and verifying a 23 MB 3MF + 78 MB STL in every tampering case cost minutes of the suite.
  jobId = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { isotropic: 2 } })).id;
  const j = await t.waitJob(a.tokens.engineer, jobId, 900_000);
  expect(j.state, j.error).toBe('succeeded');
  reviewer = { userId: a.users.reviewer, orgId: a.id, role: 'reviewer', email: a.emails.reviewer, via: 'token' };
}, 1_000_000);
afterAll(() => t?.close());

const versionArtifacts = async () =>
  ((await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`)) as Array<{ id: string; jobId: string; kind: string; name: string; sha256: string }>).filter(
    (x) => x.jobId === jobId,
  );

async function download(token: string, path: string): Promise<{ status: number; bytes: Uint8Array; type: string | null }> {
  const r = await t.call(token, 'GET', path);
  return { status: r.status, bytes: new Uint8Array(await r.arrayBuffer()), type: r.headers.get('content-type') };
}

describe('model codes', () => {
  it('a succeeded model version gets one 8-character code, recorded with its 3MF\'s SHA-256 in a signed audit entry', async () => {
    const s = t.server.services;
    code = (await issueModelCode(s, s.db, { orgId: a.id, caseId, jobId, actor: reviewer })).code;
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    // Idempotent: the same code, no second entry.
    expect((await issueModelCode(s, s.db, { orgId: a.id, caseId, jobId, actor: reviewer })).code).toBe(code);
    const model = (await versionArtifacts()).find((x) => x.name.endsWith('.3mf'))!;
    const row = await s.db.selectFrom('model_codes').selectAll().where('job_id', '=', jobId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ code, case_id: caseId, org_id: a.id, sha256: model.sha256 });
    const issued = (await auditEntries(s.db, { caseId })).filter((e) => e.action === 'model-code-issued');
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ seq: row.audit_seq, details: { code, jobId, sha256: model.sha256 }, actor: { id: a.users.reviewer, role: 'reviewer' } });
  });

  it('a model job that did not succeed gets no code (409), and nothing is written', async () => {
    const s = t.server.services;
    const failed = randomUUID();
    await s.db
      .insertInto('jobs')
      .values({ id: failed, org_id: a.id, case_id: caseId, kind: 'convert', params: '{}', state: 'failed', created_by: a.users.engineer })
      .execute();
    const before = (await auditEntries(s.db, { caseId })).length;
    await expect(issueModelCode(s, s.db, { orgId: a.id, caseId, jobId: failed, actor: reviewer })).rejects.toMatchObject({ status: 409, code: 'NO_MODEL' });
    expect((await auditEntries(s.db, { caseId })).length).toBe(before);
    expect(await s.db.selectFrom('model_codes').select('code').where('job_id', '=', failed).execute()).toEqual([]);
    const label = await t.call(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/versions/${failed}/label.svg`);
    expect(label.status).toBe(409);
    expect(((await label.json()) as { error: { code: string } }).error.code).toBe('NO_CODE');
  });
});

describe('GET /api/q/:code', () => {
  it('every role of the organisation: the case, the model whose downloaded bytes have the SHA-256 of the signed entry', async () => {
    const keys = auditKeyMap(auditKeys(t.server.services));
    for (const role of ROLES) {
      const q = await t.json(a.tokens[role], 'GET', `/api/q/${code}`);
      expect(q).toMatchObject({ code, caseId, modelVersionId: jobId, model: { name: expect.stringMatching(/\.3mf$/) }, approvedBy: { id: a.users.reviewer } });
      const bytes = (await download(a.tokens[role], `/api/artifacts/${q.model.artifactId}`)).bytes;
      expect(sha(bytes)).toBe(q.model.sha256);
      expect(bytes.length).toBe(q.model.bytes);
      const entry = q.auditEntry as AuditEntry;
      expect(entry).toMatchObject({ action: 'model-code-issued', caseId, details: { code, jobId, sha256: sha(bytes) } });
      expect(auditSignatureState(entry, keys)).toBe('ok');
    }
    // As a person types it off the print: lower case, a hyphen.
    const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4).toLowerCase()}`;
    expect((await t.json(a.tokens.technician, 'GET', `/api/q/${typed}`)).code).toBe(code);
  });

  it('another organisation\'s code is a 404 for each of its roles, exactly as a code that does not exist; the admin has no organisation', async () => {
    const missing = code === 'ZZZZZZZZ' ? 'YYYYYYYY' : 'ZZZZZZZZ';
    for (const role of ROLES) {
      const theirs = await t.call(b.tokens[role], 'GET', `/api/q/${code}`);
      const none = await t.call(b.tokens[role], 'GET', `/api/q/${missing}`);
      expect(theirs.status).toBe(404);
      const text = await theirs.text();
      expect(text).toBe(await none.text());
      expect(text).not.toContain(caseId);
      expect((await t.call(b.tokens[role], 'GET', `/api/cases/${caseId}/versions/${jobId}/label.png`)).status).toBe(404);
    }
    const admin = await t.call(t.adminToken, 'GET', `/api/q/${code}`);
    expect(admin.status).toBe(403);
    expect((await t.call(undefined, 'GET', `/api/q/${code}`)).status).toBe(401);
  });
});

describe('the label', () => {
  const url = () => `${t.url}/q/${code}`;

  it('PNG: the QR in its pixels reads back as <origin>/q/<code>; the same bytes every time', async () => {
    const path = `/api/cases/${caseId}/versions/${jobId}/label.png`;
    const first = await download(a.tokens.technician, path);
    expect(first.status).toBe(200);
    expect(first.type).toBe('image/png');
    const img = PNG.sync.read(Buffer.from(first.bytes));
    expect([img.width, img.height]).toEqual([600, 300]);
    const read = decodeQr(sampleQr(img.width, img.height, (x, y) => img.data[(y * img.width + x) * 4]! < 128, img.width / 2));
    expect(read.text).toBe(url());
    expect(same((await download(a.tokens.requester, path)).bytes, first.bytes)).toBe(true);
  });

  it('SVG in millimetres: its QR path reads back as the URL; code, case short id and SHA-256 prefix in text', async () => {
    const r = await download(a.tokens.reviewer, `/api/cases/${caseId}/versions/${jobId}/label.svg`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^image\/svg\+xml/);
    const svg = dec.decode(r.bytes);
    expect(svg).toMatch(/width="50mm" height="25mm" viewBox="0 0 50 25"/);
    const d = /<path [^>]*d="([^"]+)"/.exec(svg)![1]!;
    const cells = [...d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)].map((m) => m.slice(1).map(Number) as [number, number, number]);
    const size = Math.max(...cells.map(([c, , n]) => c + n));
    const m: Matrix = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
    for (const [c, row, n] of cells) for (let i = 0; i < n; i++) m[row]![c + i] = true;
    expect(decodeQr(m).text).toBe(url());
    const model = (await versionArtifacts()).find((x) => x.name.endsWith('.3mf'))!;
    expect(svg).toContain(`>${code}</text>`);
    expect(svg).toContain(`>CASE ${caseId.slice(0, 8).toUpperCase()}</text>`);
    expect(svg).toContain(`>SHA ${model.sha256.slice(0, 12).toUpperCase()}</text>`);
  });
});

describe('the case bundle', () => {
  let files: Map<string, Uint8Array>;
  let trusted: ReturnType<typeof auditKeys>;

  beforeAll(async () => {
    const r = await download(a.tokens.technician, `/api/cases/${caseId}/bundle`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/zip');
    files = new Map(Object.entries(unzipSync(r.bytes)));
    trusted = auditKeys(t.server.services);
    // The export is audited after the zip was built, with the zip's hash: the bundle's entries end just before it.
    const last = (await auditEntries(t.server.services.db, { caseId })).at(-1)!;
    const inBundle = lines(files).map((l) => JSON.parse(l) as AuditEntry);
    expect(last).toMatchObject({ action: 'bundle-exported', actor: { id: a.users.technician }, details: { sha256: sha(r.bytes), bytes: r.bytes.length, lastSeq: inBundle.at(-1)!.seq } });
    expect(last.casePrevHash).toBe(inBundle.at(-1)!.hash);
  });

  const lines = (f: Map<string, Uint8Array>) => dec.decode(f.get('audit/entries.jsonl')).trimEnd().split('\n');

  /** A copy with `change` applied and, as a careful forger would, the manifest rewritten to match. */
  function tampered(change: (f: Map<string, Uint8Array>) => void, fixManifest = true): Map<string, Uint8Array> {
    const f = new Map([...files].map(([k, v]) => [k, v.slice()]));
    change(f);
    if (fixManifest) {
      const m = JSON.parse(dec.decode(f.get('manifest.json'))) as CaseBundleManifest;
      m.files = [...f.keys()].filter((p) => p !== 'manifest.json').map((path) => ({ path, sha256: sha(f.get(path)!), bytes: f.get(path)!.length }));
      f.set('manifest.json', enc.encode(JSON.stringify(m)));
    }
    return f;
  }
  const setLines = (f: Map<string, Uint8Array>, l: string[]) => f.set('audit/entries.jsonl', enc.encode(l.join('\n') + '\n'));
  const faults = (f: Map<string, Uint8Array>, keys = trusted) => verifyCaseBundle(f, { keys }).problems.map((p) => p.fault).sort();

  it('holds the documented layout: models, reports and labels of the version, the case\'s entries and keys; it verifies', async () => {
    const arts = await versionArtifacts();
    const names = [...files.keys()];
    expect(names.slice(0, 3)).toEqual(['manifest.json', 'audit/entries.jsonl', 'audit/keys.json']);
    const models = arts.filter((x) => x.kind === 'model').map((x) => `models/${jobId}/${x.name}`).sort();
    expect(models.length).toBe(2);
    const reports = arts.filter((x) => x.kind.startsWith('report')).map((x) => `reports/${jobId}/${x.name}`).sort();
    expect(reports).toEqual([`reports/${jobId}/report.html`, `reports/${jobId}/report.json`]);
    expect(names.slice(3)).toEqual([...models, ...reports, `labels/${code}.png`, `labels/${code}.svg`]);
    for (const x of arts.filter((y) => y.kind === 'model')) {
      const got = files.get(`models/${jobId}/${x.name}`)!;
      expect(sha(got)).toBe(x.sha256);
      expect(same(got, (await download(a.tokens.engineer, `/api/artifacts/${x.id}`)).bytes)).toBe(true);
    }
    const entries = lines(files).map((l) => JSON.parse(l) as AuditEntry);
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(entries.every((e) => e.caseId === caseId)).toBe(true);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['job-succeeded', 'model-code-issued']));
    expect(JSON.parse(dec.decode(files.get('audit/keys.json')))).toEqual(trusted);
    const r = verifyCaseBundle(files, { keys: trusted });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, caseId, chain: { ok: true, checked: entries.length } });
  });

  it('a changed model byte is found by the manifest and, with the manifest made to match, by the signed job entry', () => {
    const path = [...files.keys()].find((p) => p.startsWith('models/') && p.endsWith('.stl'))!;
    const flip = (f: Map<string, Uint8Array>) => {
      f.get(path)![1000] ^= 0x01;
    };
    expect(faults(tampered(flip, false))).toEqual(['file-hash', 'model-hash']);
    const r = verifyCaseBundle(tampered(flip), { keys: trusted });
    expect(r.problems).toEqual([expect.objectContaining({ path, fault: 'model-hash' })]);
    expect(r.chain.ok).toBe(true);
  });

  it('a dropped line → deleted; two lines swapped → reordered; an edited detail → modified', () => {
    const l = lines(files);
    // A line in the middle that records no file (dropping the job's own entry also leaves its files unrecorded).
    const drop = l.findIndex((x, i) => i > 0 && i < l.length - 1 && !x.includes('"job-succeeded"'));
    expect(drop).toBeGreaterThan(0);
    expect(faults(tampered((f) => setLines(f, l.filter((_, i) => i !== drop))))).toEqual(['deleted']);
    const swapped = [...l];
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    expect(faults(tampered((f) => setLines(f, swapped)))).toEqual(['reordered']);
    const i = l.findIndex((x) => x.includes('"model-code-issued"'));
    const edited = [...l];
    const e = JSON.parse(edited[i]!) as AuditEntry;
    e.details = { ...e.details, sha256: '0'.repeat(64) };
    edited[i] = JSON.stringify(e);
    const r = verifyCaseBundle(tampered((f) => setLines(f, edited)), { keys: trusted });
    expect(r.problems).toEqual([expect.objectContaining({ fault: 'modified', seq: e.seq })]);
  });

  it('keys.json swapped for another key → unknown-key; a chain re-signed with that key passes only its own keys, not the server\'s', () => {
    const forger = newAuditSecretKey();
    const keysJson = enc.encode(JSON.stringify([auditKeyOf(forger)]));
    // Without trusted keys the bundle's own keys.json is all there is: its entries are not signed by it.
    expect(verifyCaseBundle(tampered((f) => f.set('audit/keys.json', keysJson))).problems.map((p) => p.fault)).toEqual(['unknown-key']);
    const resigned = tampered((f) => {
      f.set('audit/keys.json', keysJson);
      const out: AuditEntry[] = [];
      for (const line of lines(f)) {
        const e = JSON.parse(line) as AuditEntry;
        out.push(sealAuditEntry({ ...e, casePrevHash: out.at(-1)?.hash ?? e.casePrevHash }, forger));
      }
      setLines(f, out.map((e) => JSON.stringify(e)));
    });
    expect(verifyCaseBundle(resigned).ok).toBe(true);
    expect(faults(resigned)).toEqual(['unknown-key']);
  });
});
