/**
 * A study received from a PACS while the organisation already has it in an open case is a
 * second case naming the first (PACS_DUPLICATE_STUDY), whatever brought the study there: an
 * upload through the API (kept with no Study Instance UID, only its series'), or a reception
 * from before migration 0011 (no Study Instance UID either). Another organisation's case of the
 * same study does not count, nor one that is closed. dcmtk's storescu to the server's DICOM
 * listener, four instances of the GE head CT each.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf, seriesFiles } from '../../../test/server/dicom-files.js';

const AE = 'S2P-DUPLICATE';
const SERIES = 'ge-head-tilt-variable-spacing';
let t: TestServer;
let dir: string;

interface Reception {
  id: string;
  status: string;
  callingAe: string | null;
  instances: number;
  caseId: string | null;
  findings: { code: string; message: string }[];
}

/** Sends the files with storescu as `callingAe`, then waits for that reception (the server's quiet timer decides when; this only polls). */
async function receive(token: string, callingAe: string, paths: string[]): Promise<Reception> {
  const seen = new Set((await receptions(token)).map((r) => r.id));
  const sent = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile('storescu', ['-aet', callingAe, '-aec', AE, '127.0.0.1', String(t.server.dicom!.port), ...paths], (e, o, err) => resolve({ code: e ? Number(e.code ?? 1) : 0, out: o + err })),
  );
  expect(sent.code, sent.out).toBe(0);
  const end = Date.now() + 60_000;
  for (;;) {
    const fresh = (await receptions(token)).find((r) => r.callingAe === callingAe && !seen.has(r.id));
    if (fresh) return fresh;
    if (Date.now() > end) throw new Error(`no new PACS reception from ${callingAe}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const receptions = async (token: string): Promise<Reception[]> => (await t.json(token, 'GET', '/api/pacs/receptions')).receptions;

/** Files of `series` under this spec's folder. */
function written(name: string, files: { bytes: Uint8Array }[]): string[] {
  return files.map((f, i) => {
    const p = join(dir, `${name}-${i}.dcm`);
    writeFileSync(p, f.bytes);
    return p;
  });
}

async function uploadCase(o: TestOrg, files: { name: string; bytes: Uint8Array }[]): Promise<string> {
  const c = await t.json(o.tokens.requester, 'POST', '/api/cases', { purpose: 'uploaded before the PACS sent it', anatomy: 'skull' });
  expect(await t.json(o.tokens.requester, 'POST', `/api/cases/${c.id}/files`, formOf(files))).toMatchObject({ received: files.length, added: files.length });
  return c.id;
}

const cancel = (o: TestOrg, id: string) => t.json(o.tokens.requester, 'POST', `/api/cases/${id}/transitions`, { to: 'cancelled', comment: 'received twice' });

beforeAll(async () => {
  t = await startTestServer({ workers: 0, dicomPort: 0, dicomAeTitle: AE, pacsQuietSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 's2p-pacs-duplicate-'));
});

afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a study received while the organisation has it in an open case', () => {
  it('uploaded (anonymised by the server on both paths): the reception names the upload\'s case; once that is cancelled it does not', async () => {
    const o = await t.org('Duplicate Upload', { serverAnonymise: true });
    await t.json(o.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'DUP-UPLOAD' });
    const raw = seriesFiles(SERIES).slice(0, 4);
    const uploaded = await uploadCase(o, raw);
    const paths = written('upload', raw);
    const r = await receive(o.tokens['org-admin'], 'DUP-UPLOAD', paths);
    expect(r).toMatchObject({ status: 'case-created', instances: 4 });
    expect(r.caseId).not.toBe(uploaded);
    expect(r.findings.map((f) => f.code)).toEqual(['PACS_DUPLICATE_STUDY']);
    expect(r.findings[0]!.message).toContain(`case ${uploaded} is still open`);
    expect((await t.json(o.tokens.requester, 'GET', `/api/cases/${r.caseId}`)).notes).toContain(uploaded);
    // Not merged: the upload's case keeps its files.
    expect((await t.json(o.tokens.requester, 'GET', `/api/cases/${uploaded}`)).files).toBe(4);
    for (const id of [uploaded, r.caseId!]) await cancel(o, id);
    expect((await receive(o.tokens['org-admin'], 'DUP-UPLOAD', paths)).findings).toEqual([]);
  });

  it('uploaded by another organisation: not a duplicate of this one\'s', async () => {
    // Anonymised before upload: the same UIDs in both organisations.
    const files = (await anonymisedSeries(SERIES, 'duplicate spec other org 0123456789')).slice(4, 8);
    const mine = await t.org('Duplicate Mine', { serverAnonymise: false });
    const theirs = await t.org('Duplicate Theirs', { serverAnonymise: false });
    await uploadCase(theirs, files);
    await t.json(mine.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'DUP-MINE' });
    const paths = written('other-org', files);
    const first = await receive(mine.tokens['org-admin'], 'DUP-MINE', paths);
    expect(first).toMatchObject({ status: 'case-created', instances: 4, findings: [] });
    // Received again by the same organisation: this time a duplicate, of its own case.
    const again = await receive(mine.tokens['org-admin'], 'DUP-MINE', paths);
    expect(again.findings.map((f) => f.code)).toEqual(['PACS_DUPLICATE_STUDY']);
    expect(again.findings[0]!.message).toContain(`case ${first.caseId} is still open`);
  });

  it('received before migration 0011 (its reception keeps no Study Instance UID): the reception names that case', async () => {
    const o = await t.org('Duplicate Old', { serverAnonymise: true });
    await t.json(o.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'DUP-OLD' });
    const paths = written('old', seriesFiles(SERIES).slice(8, 12));
    const first = await receive(o.tokens['org-admin'], 'DUP-OLD', paths);
    expect(first).toMatchObject({ status: 'case-created', findings: [] });
    // As a reception recorded before 0011-pacs-study left it.
    await t.server.services.db.updateTable('pacs_receptions').set({ study_uid: null }).where('id', '=', first.id).execute();
    const second = await receive(o.tokens['org-admin'], 'DUP-OLD', paths);
    expect(second.findings.map((f) => f.code)).toEqual(['PACS_DUPLICATE_STUDY']);
    expect(second.findings[0]!.message).toContain(`case ${first.caseId} is still open`);
  });
});
