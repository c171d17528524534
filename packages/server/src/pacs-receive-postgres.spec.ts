/**
 * The PACS receive path on PostgreSQL (the scale mode's database): migration 0008 applied by
 * the server's start, Orthanc's C-STORE of the 28-slice head CT routed to an organisation and
 * made a case, a refused caller recorded. The full story (STOW-RS, convert, partial studies)
 * runs on the embedded default in pacs-receive.spec.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { seriesFiles } from '../../../test/server/dicom-files.js';
import { freshDatabase } from '../../../test/services/postgres.js';
import { startPacsOrthanc, type PacsOrthanc } from '../../../test/pacs-orthanc.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let t: TestServer;
let a: TestOrg;
let pacs: PacsOrthanc;
let dir: string;

beforeAll(async () => {
  db = await freshDatabase('pacs_receive');
  dir = mkdtempSync(join(tmpdir(), 's2p-pacs-pg-'));
  t = await startTestServer({ databaseUrl: db.url, dataDir: join(dir, 'data'), workers: 0, dicomPort: 0, pacsQuietSeconds: 1 });
  a = await t.org('PACS on PostgreSQL', { serverAnonymise: true });
  pacs = await startPacsOrthanc(join(dir, 'orthanc'), { aet: 'PG-PACS', dicomWeb: false });
  await pacs.addModality('s2p', 'SCAN2PRINT', t.server.dicom!.port);
});

afterAll(async () => {
  await pacs?.stop();
  await t?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitFor<T>(f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`nothing after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('PACS receive on PostgreSQL', () => {
  it('refuses the unknown caller, then takes its study once routed: one case of 28 files', async () => {
    expect(t.server.services.dbh.engine).toBe('postgresql');
    expect(await pacs.echo('s2p')).toBe(false);
    const refused = await waitFor(async () =>
      (await t.json(t.adminToken, 'GET', '/api/pacs/receptions')).receptions.find((r: { status: string; callingAe: string }) => r.status === 'refused' && r.callingAe === 'PG-PACS'),
    );
    expect(refused.error).toMatch(/not recognised/);
    await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: 'PG-PACS' });
    const ids = await pacs.store(seriesFiles('ge-head-tilt-variable-spacing').map((f) => f.bytes));
    expect(await pacs.sendToModality('s2p', ids)).toEqual({ instancesCount: 28, failedInstancesCount: 0 });
    const r = await waitFor(async () =>
      (await t.json(a.tokens['org-admin'], 'GET', '/api/pacs/receptions')).receptions.find((x: { status: string }) => x.status === 'case-created'),
    );
    expect(r).toMatchObject({ via: 'c-store', callingAe: 'PG-PACS', instances: 28, findings: [] });
    expect((await t.json(a.tokens.requester, 'GET', `/api/cases/${r.caseId}`)).files).toBe(28);
  });
});
