/**
 * A C-MOVE import whose instances our own listener refuses (issue 15), with a real Orthanc
 * on loopback: the organisation does not anonymise on the server and the PACS holds the
 * identifiable GE head CT, so every C-STORE of the move is refused as IDENTIFIABLE. The
 * caller of POST /api/pacs/retrieve must be told that, naming the SOP Instance, not only
 * that the PACS's move failed (the reason otherwise sits in the admin's receptions list).
 * Also a study that holds two patients under one Study Instance UID (copies of the GE slices
 * given another PatientID by dcmodify), moved from a second Orthanc: the listener refuses the
 * second patient's instances as OTHER_PATIENT, and the caller is told so, and told which case
 * the instances taken before the refusal became (before, it was made unseen).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(body.error.message).not.toMatch(/took before/);
  }, 120_000);
});

const dcmodify = (args: string[]) =>
  new Promise<void>((resolve, reject) => execFile('dcmodify', ['-nb', ...args], (e, _o, stderr) => (e ? reject(new Error(stderr)) : resolve())));

describe('a C-MOVE import of a study that holds two patients', () => {
  let two: PacsOrthanc | undefined;
  afterAll(async () => {
    await two?.stop();
  });

  it('answers 422 PACS_IMPORT_REFUSED naming OTHER_PATIENT and the refused SOP Instances of the other patient', async () => {
    // An organisation that anonymises on the server: no instance is refused as IDENTIFIABLE, only as another patient's.
    const c = await t.org('PACS import, two patients', { serverAnonymise: true });
    // Its own PACS (AE title): a route is one organisation's, and the first PACS's AE title routes to b.
    two = await startPacsOrthanc(join(dir, 'orthanc-two'), { aet: 'ORTHANC-TWO', dicomWeb: false });
    const folder = join(dir, 'two-patients');
    mkdirSync(folder);
    const paths = seriesFiles(SERIES)
      .slice(0, 4)
      .map((f, i) => {
        const p = join(folder, `${i}.dcm`);
        writeFileSync(p, f.bytes);
        return p;
      });
    // Slices 2 and 3 become another patient's: same Study, Series and SOP Instance UIDs, another PatientID.
    await dcmodify(['-m', '(0010,0020)=OTHER-PATIENT-4711', paths[2]!, paths[3]!]);
    const ids = await two.storeFolder(folder);
    expect(ids).toHaveLength(4);
    const tags = await Promise.all(ids.map((id) => two!.instanceTags(id)));
    expect(new Set(tags.map((x) => String(x.StudyInstanceUID))).size).toBe(1);
    expect(new Set(tags.map((x) => String(x.PatientID))).size).toBe(2);
    await t.json(c.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: two.aet });
    await two.addModality('scan2print', t.server.dicom!.aeTitle, t.server.dicom!.port);
    const dest = (await t.json(c.tokens['org-admin'], 'POST', '/api/pacs/destinations', { name: 'Orthanc two', kind: 'dimse', aeTitle: two.aet, host: '127.0.0.1', port: two.dicomPort })).id;

    const r = await t.call(c.tokens.requester, 'POST', '/api/pacs/retrieve', { destinationId: dest, studyUid: String(tags[0]!.StudyInstanceUID), seriesUid: String(tags[0]!.SeriesInstanceUID) });
    const body = (await r.json()) as { error?: { code: string; message: string } };
    expect(r.status, JSON.stringify(body)).toBe(422);
    expect(body.error!.code).toBe('PACS_IMPORT_REFUSED');
    // Orthanc (1.10) ends the move at the first sub-operation we refuse, so the other patient's second slice may never be offered.
    // The instances taken before the refusal were acknowledged: they became a case, and the answer names it.
    const took = /\. the (\d+) instance\(s\) it took before became case ([0-9a-f-]{36}) \(its receipt names what was refused\): check or cancel it$/.exec(body.error!.message);
    expect(took, body.error!.message).not.toBeNull();
    const made = await t.json(c.tokens.requester, 'GET', `/api/cases/${took![2]}`);
    expect(made.files).toBe(Number(took![1]));
    expect(Number(took![1])).toBeGreaterThanOrEqual(1);
    const m = /^Orthanc two sent instances to .+, and this server refused (\d+) of them: (.*)\. the \d+ instance\(s\) it took before/.exec(body.error!.message);
    expect(m, body.error!.message).not.toBeNull();
    const reasons = m![2]!.split(/; (?=[A-Z_]+ \(SOP Instance)/);
    expect(reasons.length).toBe(Number(m![1]));
    expect(reasons.length).toBeGreaterThanOrEqual(1);
    for (const reason of reasons) expect(reason).toMatch(/^OTHER_PATIENT \(SOP Instance [\d.]+\): another patient than the study's first instances \(same Study Instance UID, another PatientID\)/);
    // The refused instances are of one patient: whichever of the two Orthanc sent second.
    const named = reasons.map((x) => /SOP Instance ([\d.]+)\)/.exec(x)![1]!);
    const patientOf = new Map(tags.map((x) => [String(x.SOPInstanceUID), String(x.PatientID)]));
    expect(named.every((uid) => patientOf.has(uid))).toBe(true);
    expect(new Set(named.map((uid) => patientOf.get(uid))).size).toBe(1);
  }, 120_000);
});
