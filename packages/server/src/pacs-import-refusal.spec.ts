/**
 * A C-MOVE import whose instances our own listener refuses (issue 15), with a real Orthanc
 * on loopback: the organisation does not anonymise on the server and the PACS holds the
 * identifiable GE head CT, so every C-STORE of the move is refused as IDENTIFIABLE. The
 * caller of POST /api/pacs/retrieve must be told that, naming the SOP Instance, not only
 * that the PACS's move failed (the reason otherwise sits in the admin's receptions list).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { seriesFiles } from '../../../test/server/dicom-files.js';
import { startPacsOrthanc, type PacsOrthanc } from '../../../test/pacs-orthanc.js';

const SERIES = 'ge-head-tilt-variable-spacing';

let dir: string;
let orth: PacsOrthanc;
let t: TestServer;
let b: TestOrg;
let sopUids: string[];
let studyUid: string;
let seriesUid: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's2p-pacs-import-refusal-'));
  orth = await startPacsOrthanc(join(dir, 'orthanc'));
  t = await startTestServer({ dicomPort: 0, pacsQuietSeconds: 1 });
  b = await t.org('PACS import, no server anonymisation', { serverAnonymise: false });
  const ids = await orth.store(seriesFiles(SERIES).map((f) => f.bytes));
  const tags = await Promise.all(ids.map((id) => orth.instanceTags(id)));
  sopUids = tags.map((x) => String(x.SOPInstanceUID));
  studyUid = String(tags[0]!.StudyInstanceUID);
  seriesUid = String(tags[0]!.SeriesInstanceUID);
  // The PACS's AE title routes to this organisation, and the PACS knows our listener: the move itself can happen.
  await t.json(b.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: orth.aet });
  await orth.addModality('scan2print', t.server.dicom!.aeTitle, t.server.dicom!.port);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await orth?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a C-MOVE import our listener refuses', () => {
  it('answers 422 PACS_IMPORT_REFUSED with the refusal\'s code and reason, naming the SOP Instance; no case is made', async () => {
    const dest = (await t.json(b.tokens['org-admin'], 'POST', '/api/pacs/destinations', { name: 'Orthanc', kind: 'dimse', aeTitle: orth.aet, host: '127.0.0.1', port: orth.dicomPort })).id;
    const casesBefore = (await t.json(b.tokens.requester, 'GET', '/api/cases')).length;
    const r = await t.call(b.tokens.requester, 'POST', '/api/pacs/retrieve', { destinationId: dest, studyUid, seriesUid });
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(r.status, JSON.stringify(body)).toBe(422);
    expect(body.error.code).toBe('PACS_IMPORT_REFUSED');
    expect(body.error.message).toMatch(/^Orthanc sent instances to .+, and this server refused \d+ of them: IDENTIFIABLE \(SOP Instance [\d.]+\): .*does not anonymise on the server/);
    const named = /SOP Instance ([\d.]+)\)/.exec(body.error.message)![1]!;
    expect(sopUids).toContain(named);
    expect((await t.json(b.tokens.requester, 'GET', '/api/cases')).length).toBe(casesBefore);
  }, 120_000);
});
