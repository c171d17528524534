/**
 * What a reception may not get wrong about the clinical record, sent with dcmtk's storescu and
 * dcmjs-dimse's client to the server's DICOM listener (no PACS needed): instances of another
 * patient under a study's UID are refused, not merged into its case; a study received again
 * while its case is open makes a second case that names the first; studies acknowledged to
 * their sender become cases when the server closes within their quiet time; our own idle
 * timeout closing an association after its last complete instance is no interrupted
 * transfer; a C-STORE refusal's Error Comment names the sender's SOP Instance UID first.
 * Four instances of the GE head CT each (short quiet times: the specs wait seconds, not tens).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import dcmjsDimse from 'dcmjs-dimse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { seriesFiles } from '../../../test/server/dicom-files.js';
import { auditEntries } from './audit/index.js';
import { startDicomListener } from './pacs/listener.js';

const AE = 'S2P-INTEGRITY';
let t: TestServer;
let a: TestOrg;
let dir: string;
/** Four instances of one study as sent, and the last two again under another PatientID. */
let files: string[];
let otherPatient: string[];

interface Reception {
  id: string;
  status: string;
  callingAe: string | null;
  instances: number;
  refusedInstances: number;
  caseId: string | null;
  error: string | null;
  findings: { code: string; message: string }[];
}

const receptions = async (s: TestServer, token: string): Promise<Reception[]> => (await s.json(token, 'GET', '/api/pacs/receptions')).receptions;

/** Waits for the reception of `callingAe` not in `seen` (the server's quiet timer decides when; this only polls). */
async function nextReception(s: TestServer, token: string, callingAe: string, seen: Set<string>): Promise<Reception> {
  const end = Date.now() + 60_000;
  for (;;) {
    const fresh = (await receptions(s, token)).find((r) => r.callingAe === callingAe && !seen.has(r.id));
    if (fresh) {
      seen.add(fresh.id);
      return fresh;
    }
    if (Date.now() > end) throw new Error(`no new PACS reception from ${callingAe}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * storescu (dcmtk) going on past a refused instance (-nh), with its debug output, which prints
 * each response's Error Comment. Not spawnSync: the listener runs in this process.
 */
function storescu(port: number, callingAe: string, paths: string[], extra: string[] = []): Promise<{ code: number; out: string }> {
  const args = ['-d', '-nh', ...extra, '-aet', callingAe, '-aec', AE, '127.0.0.1', String(port), ...paths];
  return new Promise((resolve) => execFile('storescu', args, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, out: stdout + stderr })));
}

const sopUidOf = (path: string) => dicomParser.parseDicom(new Uint8Array(readFileSync(path)), { untilTag: 'x7fe00010' }).string('x00080018')!.trim();

/** The Error Comments (0000,0902) of the C-STORE responses storescu printed. */
const comments = (out: string) => [...out.matchAll(/\(0000,0902\) LO \[([^\]]*)\]/g)].map((m) => m[1]!);

const dcmodify = (args: string[]) =>
  new Promise<void>((resolve, reject) => execFile('dcmodify', ['-nb', ...args], (e, _o, stderr) => (e ? reject(new Error(stderr)) : resolve())));

beforeAll(async () => {
  t = await startTestServer({ workers: 0, dicomPort: 0, dicomAeTitle: AE, pacsQuietSeconds: 1 });
  a = await t.org('Integrity A', { serverAnonymise: true });
  dir = mkdtempSync(join(tmpdir(), 's2p-pacs-integrity-'));
  files = seriesFiles('ge-head-tilt-variable-spacing')
    .slice(0, 4)
    .map((f, i) => {
      const p = join(dir, `${i}.dcm`);
      writeFileSync(p, f.bytes);
      return p;
    });
  mkdirSync(join(dir, 'other'));
  otherPatient = files.slice(2).map((f, i) => {
    const p = join(dir, 'other', `${i + 2}.dcm`);
    copyFileSync(f, p);
    return p;
  });
  await dcmodify(['-i', '(0010,0020)=OTHER-PAT-77', ...otherPatient]);
});

afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('one study, one patient', () => {
  it('instances of another patient under the study\'s UID are refused, saying so; the case holds the first patient\'s only', async () => {
    await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'STORESCU-PAT' });
    const seen = new Set<string>();
    const run = await storescu(t.server.dicom!.port, 'STORESCU-PAT', [files[0]!, files[1]!, ...otherPatient]);
    const refusedUid = sopUidOf(otherPatient[0]!);
    // These UIDs are 64 characters: the Error Comment gives the reason, the response's Affected SOP Instance UID the instance.
    expect(comments(run.out)).toEqual(Array(2).fill("OTHER_PATIENT: another patient than the study's first instances"));
    const r = await nextReception(t, a.tokens['org-admin'], 'STORESCU-PAT', seen);
    expect(r).toMatchObject({ status: 'case-created', instances: 2, refusedInstances: 2 });
    expect(r.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['PACS_OTHER_PATIENT', 'PACS_INSTANCES_REFUSED']));
    expect(r.findings.find((f) => f.code === 'PACS_INSTANCES_REFUSED')!.message).toMatch(/another patient than the study's first instances/);
    // The reception names instances by their ordinal, never by the sender's UID.
    expect(JSON.stringify(r)).not.toContain(refusedUid);
    const c = await t.json(a.tokens.requester, 'GET', `/api/cases/${r.caseId}`);
    expect(c.files).toBe(2);
    expect(c.notes).toMatch(/another patient/);
  });
});

describe('a study received again', () => {
  it('while its case is open makes a second case naming the first; once the first is closed it does not', async () => {
    const d = await t.org('Integrity D', { serverAnonymise: true });
    await t.json(d.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'STORESCU-DUP' });
    const seen = new Set<string>();
    const send = async () => {
      expect((await storescu(t.server.dicom!.port, 'STORESCU-DUP', files.slice(0, 2))).code).toBe(0);
      return nextReception(t, d.tokens['org-admin'], 'STORESCU-DUP', seen);
    };
    const first = await send();
    expect(first).toMatchObject({ status: 'case-created', instances: 2, findings: [] });
    const second = await send();
    expect(second.caseId).not.toBe(first.caseId);
    expect(second.findings.map((f) => f.code)).toEqual(['PACS_DUPLICATE_STUDY']);
    expect(second.findings[0]!.message).toContain(first.caseId!);
    expect((await t.json(d.tokens.requester, 'GET', `/api/cases/${second.caseId}`)).notes).toContain(first.caseId!);
    // Both kept: the first is not merged into, nor replaced by, the second.
    expect((await t.json(d.tokens.requester, 'GET', `/api/cases/${first.caseId}`)).files).toBe(2);
    for (const id of [first.caseId!, second.caseId!]) {
      await t.json(d.tokens.requester, 'POST', `/api/cases/${id}/transitions`, { to: 'cancelled', comment: 'received twice' });
    }
    const third = await send();
    expect(third).toMatchObject({ status: 'case-created', findings: [] });
  });
});

describe('our idle timeout', () => {
  it('closing an association after its last complete instance, before the sender released it, is no interrupted transfer', async () => {
    // A listener of the same server whose idle timeout (1 s) comes before the client's release (8 s after its last answer).
    const listener = await startDicomListener(t.server.services, { host: '127.0.0.1', port: 0, aeTitle: AE, idleTimeoutMs: 1000 }, t.server.app.log);
    try {
      await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'DIMSE-IDLE' });
      const seen = new Set<string>();
      const client = new dcmjsDimse.Client();
      client.addRequest(new dcmjsDimse.requests.CStoreRequest(files[3]!));
      const ended = new Promise<{ released: boolean }>((resolve) => {
        client.on('associationReleased', () => resolve({ released: true }));
        client.on('networkError', () => resolve({ released: false }));
        client.on('closed', () => resolve({ released: false }));
      });
      client.send('127.0.0.1', listener.port, 'DIMSE-IDLE', AE, { associationLingerTimeout: 8_000 });
      // Our side closed it (A-ABORT): the client never got to release.
      expect(await ended).toEqual({ released: false });
      const r = await nextReception(t, a.tokens['org-admin'], 'DIMSE-IDLE', seen);
      expect(r).toMatchObject({ status: 'case-created', instances: 1 });
      expect(r.findings.map((f) => f.code)).not.toContain('PACS_TRANSFER_INTERRUPTED');
    } finally {
      await listener.close();
    }
  });
});

describe('a sender\'s abort', () => {
  it('closes the association at once: the receipt of a study quiet within the sender\'s timeout says it was interrupted and counts its refusal', async () => {
    // storescu --abort sends an A-ABORT instead of a release, then waits up to its ACSE timeout
    // (30 s) for the connection to close. Left open, the association held the study for 10 quiet
    // times (10 s here), which then became a case before the interruption and the refusal were
    // counted (both are counted when the connection ends).
    await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'STORESCU-ABORT' });
    const seen = new Set<string>();
    const run = await storescu(t.server.dicom!.port, 'STORESCU-ABORT', [files[0]!, files[1]!, otherPatient[0]!], ['--abort']);
    expect(comments(run.out).some((c) => c.startsWith('OTHER_PATIENT')), run.out).toBe(true);
    const r = await nextReception(t, a.tokens['org-admin'], 'STORESCU-ABORT', seen);
    expect(r).toMatchObject({ status: 'case-created', instances: 2, refusedInstances: 1 });
    const codes = r.findings.map((f) => f.code);
    expect(codes).toContain('PACS_TRANSFER_INTERRUPTED');
    expect(codes).toContain('PACS_OTHER_PATIENT');
  });
});

describe('a C-STORE refusal', () => {
  it('answers the sender\'s SOP Instance UID and the reason first in its 64-character Error Comment; the reception keeps the whole reason', async () => {
    const b = await t.org('Integrity B', { serverAnonymise: false });
    await t.json(b.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'STORESCU-ID' });
    const seen = new Set<string>();
    // One instance under a short SOP Instance UID (dcmodify updates the file meta's too), one under its own 64-character UID.
    const short = join(dir, 'short-uid.dcm');
    copyFileSync(files[0]!, short);
    await dcmodify(['-m', '(0008,0018)=1.2.826.0.1.3680043.10.77', short]);
    const run = await storescu(t.server.dicom!.port, 'STORESCU-ID', [short, files[1]!]);
    const said = comments(run.out);
    expect(said, run.out).toHaveLength(2);
    expect(said[0]).toMatch(/^IDENTIFIABLE 1\.2\.826\.0\.1\.3680043\.10\.77: still identifiable: /);
    expect(said[1]).toMatch(/^IDENTIFIABLE: still identifiable: /);
    for (const c of said) expect(c.length).toBeLessThanOrEqual(64);
    const r = await nextReception(t, b.tokens['org-admin'], 'STORESCU-ID', seen);
    expect(r).toMatchObject({ status: 'refused', instances: 0, refusedInstances: 2 });
    expect(r.error!.length).toBeGreaterThan(64);
    expect(r.error).toMatch(/^IDENTIFIABLE: C-STORE instance 1 from STORESCU-ID: still identifiable.*does not anonymise on the server/);
    expect(r.error).not.toContain('1.2.826.0.1.3680043.10.77');
  });
});

describe('closing within the quiet time', () => {
  it('a study acknowledged to its sender becomes a case when the server closes, saying the quiet time was cut short', async () => {
    const data = join(dir, 'closing');
    // A quiet time no spec waits for: only the close completes the study.
    const s = await startTestServer({ workers: 0, dataDir: data, dicomPort: 0, dicomAeTitle: AE, pacsQuietSeconds: 3600 });
    let again: TestServer | undefined;
    let open = true;
    try {
      const c = await s.org('Integrity C', { serverAnonymise: true });
      await s.json(c.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'STORESCU-SHUT' });
      const run = await storescu(s.server.dicom!.port, 'STORESCU-SHUT', files.slice(0, 2));
      expect(run.code, run.out).toBe(0);
      expect(await receptions(s, c.tokens['org-admin'])).toEqual([]);
      await s.close();
      open = false;
      // The same data folder, opened again: what the close recorded.
      again = await startTestServer({ workers: 0, dataDir: data });
      const [r, ...more] = await receptions(again, c.tokens['org-admin']);
      expect(more).toEqual([]);
      expect(r).toMatchObject({ status: 'case-created', instances: 2 });
      expect(r!.findings.map((f) => f.code)).toEqual(['PACS_COMPLETED_AT_SHUTDOWN']);
      expect(r!.findings[0]!.message).toMatch(/shutting down .* before the quiet time had passed/);
      expect((await again.json(c.tokens.requester, 'GET', `/api/cases/${r!.caseId}`)).files).toBe(2);
      expect((await auditEntries(again.server.services.db, { caseId: r!.caseId! })).map((e) => e.action)).toContain('case-created');
    } finally {
      await again?.close();
      if (open) await s.close();
    }
  });
});
