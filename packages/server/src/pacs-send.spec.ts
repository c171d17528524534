/**
 * Issue 15, query/retrieve and send-back, on a real server and a real Orthanc (DICOM port +
 * DICOMweb plugin): a converted case's STL, SEG and report PDF go back by C-STORE and by
 * STOW-RS into the study of its CT, where Orthanc's REST API lists them and dcmdump reads
 * them; C-FIND / QIDO-RS find a study by accession number and date; C-MOVE brings a series to
 * our DICOM listener (two in a row: each answers with its own study's case) and WADO-RS
 * through ingestInstances, each becoming a case; a DICOMweb server that never answers times out.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveUid, keyBytes, parseDicomDataset, parseDicomHeader, readDicomSeg, readNiftiLabels } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';
import { startPacsOrthanc, type PacsOrthanc } from '../../../test/pacs-orthanc.js';
import { qidoStudies, wadoRetrieve } from './pacs/query-dicomweb.js';
import { PacsError } from './pacs/send-dimse.js';
import { pacsHttpError } from './pacs/send-case.js';
import { stowRs } from './pacs/send-stow.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const ACCESSION = 'S2P-ACC-0042';

let dir: string;
let orth: PacsOrthanc;
let t: TestServer;
let a: TestOrg;
let caseId: string;
let jobId: string;
let ctStudyUid: string;
let ctSeriesUid: string;
let dimseId: string;
let webId: string;
/** The copy of the CT study Orthanc holds under an accession number and a date (the one searched and retrieved). */
let accStudyUid: string;
let accSeriesUid: string;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function orthanc<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(orth.base + path, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await r.text();
  if (!r.ok) throw new Error(`Orthanc ${method} ${path}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Orthanc's series of a study (by Study Instance UID): modality and instance IDs. */
async function seriesOfStudy(uid: string): Promise<{ modality: string; instances: string[] }[]> {
  const found = await orthanc<{ ID: string; Type: string }[]>('POST', '/tools/lookup', uid);
  const study = found.find((x) => x.Type === 'Study');
  if (!study) return [];
  const series = await orthanc<{ MainDicomTags: { Modality?: string }; Instances: string[] }[]>('GET', `/studies/${study.ID}/series`);
  return series.map((x) => ({ modality: x.MainDicomTags.Modality ?? '', instances: x.Instances })).sort((x, y) => x.modality.localeCompare(y.modality));
}

/** An instance's file, uncompressed on the wire (Orthanc gzips large answers; a plain read is simpler to trust). */
async function instanceFile(id: string): Promise<Uint8Array> {
  const r = await fetch(`${orth.base}/instances/${id}/file`, { headers: { 'accept-encoding': 'identity' } });
  expect(r.status).toBe(200);
  return new Uint8Array(await r.arrayBuffer());
}

/** dcmdump of an instance Orthanc holds: its output, after checking it read the file without complaint. */
function dcmdump(bytes: Uint8Array, name: string): string {
  const f = join(dir, name);
  writeFileSync(f, bytes);
  const r = spawnSync('dcmdump', [f], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** The encapsulated document of a Part 10 file, as core's parser reads it. */
function documentOf(bytes: Uint8Array): { mime: string; doc: Uint8Array } {
  const d = parseDicomDataset(bytes, 'from-orthanc.dcm')!.dataSet;
  const el = d.elements.x00420011!;
  return { mime: d.string('x00420012')!, doc: bytes.subarray(el.dataOffset, el.dataOffset + d.uint32('x00420015')!) };
}

/** An audit entry's details as stored (jsonb: parsed, or text on a driver that leaves it so). */
const detailsOf = (d: unknown) => (typeof d === 'string' ? JSON.parse(d) : d) as Record<string, unknown>;

/** The job's artifact whose name matches (the model is named after the job's tissue). */
async function artifact(name: RegExp): Promise<Uint8Array> {
  const list: { id: string; jobId: string; name: string }[] = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/artifacts`);
  const art = list.find((x) => x.jobId === jobId && name.test(x.name));
  if (!art) throw new Error(`no artifact ${name} among ${list.map((x) => x.name).join(', ')}`);
  const r = await t.call(a.tokens.engineer, 'GET', `/api/artifacts/${art.id}`);
  expect(r.status).toBe(200);
  return new Uint8Array(await r.arrayBuffer());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's2p-pacs-send-'));
  orth = await startPacsOrthanc(join(dir, 'orthanc'));
  t = await startTestServer({ workers: 1, dicomPort: 0, pacsQuietSeconds: 2 });
  a = await t.org('PACS send', { serverAnonymise: true });
  const files = await anonymisedSeries(SERIES);
  ctStudyUid = parseDicomHeader(files[0]!.bytes, files[0]!.name)!.studyInstanceUid!;
  ctSeriesUid = parseDicomHeader(files[0]!.bytes, files[0]!.name)!.seriesInstanceUid!;
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'PACS send-back', anatomy: 'skull' })).id;
  await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files));
  // At 2 mm and decimated: a 2 MB STL instead of 78 MB keeps the convert, the sends and dcmdump quick; the objects are the same kinds.
  jobId = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { isotropic: 2, decimate: 50000 } })).id;
  // While the convert runs: the PACS holds the CT as the case holds it (anonymised), and a copy under an accession number and date.
  await orth.store(files.map((f) => f.bytes));
  const [ct] = await orthanc<{ ID: string }[]>('POST', '/tools/lookup', ctStudyUid);
  const copy = await orthanc<{ ID: string }>('POST', `/studies/${ct!.ID}/modify`, { Replace: { AccessionNumber: ACCESSION, StudyDate: '20260115', StudyDescription: 'PACS query test' }, Force: true });
  const st = await orthanc<{ MainDicomTags: { StudyInstanceUID: string }; Series: string[] }>('GET', `/studies/${copy.ID}`);
  accStudyUid = st.MainDicomTags.StudyInstanceUID;
  accSeriesUid = (await orthanc<{ MainDicomTags: { SeriesInstanceUID: string } }>('GET', `/series/${st.Series[0]}`)).MainDicomTags.SeriesInstanceUID;
  const j = await t.waitJob(a.tokens.engineer, jobId, 600_000);
  expect(j.state, j.error).toBe('succeeded');
}, 700_000);

afterAll(async () => {
  await t?.close();
  await orth?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('PACS destinations', () => {
  it('are added by an org-admin, listed to members, refused to others and when incomplete', async () => {
    const dimse = await t.call(a.tokens['org-admin'], 'POST', '/api/pacs/destinations', { name: 'Orthanc (DIMSE)', kind: 'dimse', aeTitle: orth.aet, host: '127.0.0.1', port: orth.dicomPort });
    expect(dimse.status).toBe(201);
    dimseId = ((await dimse.json()) as { id: string }).id;
    webId = (await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/destinations', { name: 'Orthanc (DICOMweb)', kind: 'dicomweb', dicomwebUrl: `${orth.base}/dicom-web/` })).id;
    const list = await t.json(a.tokens.technician, 'GET', '/api/pacs/destinations');
    expect(list.destinations.map((d: { name: string; kind: string }) => [d.name, d.kind])).toEqual([['Orthanc (DIMSE)', 'dimse'], ['Orthanc (DICOMweb)', 'dicomweb']]);
    expect(list.destinations[1].dicomwebUrl).toBe(`${orth.base}/dicom-web`);
    expect((await t.call(a.tokens.engineer, 'POST', '/api/pacs/destinations', { name: 'x', kind: 'dimse', aeTitle: 'X', host: 'h', port: 104 })).status).toBe(403);
    const bad = await t.call(a.tokens['org-admin'], 'POST', '/api/pacs/destinations', { name: 'x', kind: 'dimse', aeTitle: 'X' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/needs host/);
  });
});

describe('send-back to the PACS', () => {
  const ours = ['DOC', 'M3D', 'SEG'];

  it('an unapproved model is not sent (409 NOT_APPROVED) and nothing reaches the PACS; once approved it is', async () => {
    const r = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/pacs-send`, { destinationId: dimseId });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'NOT_APPROVED', message: expect.stringContaining('once a reviewer has approved it') });
    expect((await seriesOfStudy(ctStudyUid)).map((x) => x.modality)).toEqual(['CT']);
    // Approved as the workflow leaves it: the state and the model gate's signature for this version.
    const db = t.server.services.db;
    await db.updateTable('cases').set({ status: 'approved' }).where('id', '=', caseId).execute();
    await db.insertInto('gate_signatures').values({ id: randomUUID(), org_id: a.id, case_id: caseId, gate: 'model', model_version_id: jobId, signed_by: a.users.reviewer }).execute();
  });

  it('C-STORE: the STL, SEG and PDF land in the CT\'s study, dcmdump reads each, the STL and label map are the job\'s', async () => {
    const res = await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/pacs-send`, { destinationId: dimseId });
    expect(res).toMatchObject({ status: 'sent', via: 'c-store', jobId, studyInstanceUid: ctStudyUid, error: null });
    expect(res.objects.map((o: { kind: string; ok: boolean }) => [o.kind, o.ok])).toEqual([['stl', true], ['seg', true], ['pdf', true]]);
    const series = await seriesOfStudy(ctStudyUid);
    expect(series.map((x) => x.modality)).toEqual(['CT', ...ours]);
    expect(series[0]!.instances).toHaveLength(28);
    const file = async (modality: string) => instanceFile(series.find((x) => x.modality === modality)!.instances[0]!);

    const stl = await file('M3D');
    expect(dcmdump(stl, 'stl.dcm')).toMatch(/\(0008,0016\) UI =EncapsulatedSTLStorage/);
    const stlDoc = documentOf(stl);
    expect(stlDoc.mime).toBe('model/stl');
    expect(sha(stlDoc.doc)).toBe(sha(await artifact(/^(?!preview).*\.stl$/)));

    const seg = await file('SEG');
    expect(dcmdump(seg, 'seg.dcm')).toMatch(/\(0008,0016\) UI =SegmentationStorage/);
    const labels = readNiftiLabels(await artifact(/^labels\.nii\.gz$/), 'labels.nii.gz');
    const back = readDicomSeg(seg, 'seg.dcm', { grid: labels.grid });
    let differ = 0;
    let on = 0;
    for (let i = 0; i < labels.data.length; i++) {
      if (labels.data[i]) on++;
      if ((labels.data[i] ? 1 : 0) !== (back.labels.data[i] ? 1 : 0)) differ++;
    }
    expect(on).toBeGreaterThan(10_000);
    expect(differ).toBe(0);

    const pdf = await file('DOC');
    const pdfDump = dcmdump(pdf, 'pdf.dcm');
    expect(pdfDump).toMatch(/\(0008,0016\) UI =EncapsulatedPDFStorage/);
    const pdfDoc = documentOf(pdf);
    expect(pdfDoc.mime).toBe('application/pdf');
    expect(new TextDecoder().decode(pdfDoc.doc.subarray(0, 5))).toBe('%PDF-');
    // Filed under the CT's (anonymised) patient, not a new one.
    const tags = await orth.instanceTags(series.find((x) => x.modality === 'DOC')!.instances[0]!);
    const ctTags = await orth.instanceTags(series[0]!.instances[0]!);
    expect(tags.PatientID).toBe(ctTags.PatientID);

    const sends = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/pacs-sends`);
    expect(sends.sends[0]).toMatchObject({ id: res.id, status: 'sent', destination: 'Orthanc (DIMSE)', via: 'c-store', jobId });
  });

  it('STOW-RS: the same objects, removed from Orthanc first, come back through DICOMweb', async () => {
    for (const s of (await seriesOfStudy(ctStudyUid)).filter((x) => ours.includes(x.modality))) for (const id of s.instances) await orthanc('DELETE', `/instances/${id}`);
    expect((await seriesOfStudy(ctStudyUid)).map((x) => x.modality)).toEqual(['CT']);
    const res = await t.json(a.tokens.technician, 'POST', `/api/cases/${caseId}/pacs-send`, { destinationId: webId, attach3mf: false });
    expect(res).toMatchObject({ status: 'sent', via: 'stow-rs', studyInstanceUid: ctStudyUid });
    const series = await seriesOfStudy(ctStudyUid);
    expect(series.map((x) => x.modality)).toEqual(['CT', ...ours]);
    for (const s of series.filter((x) => ours.includes(x.modality))) {
      expect(s.instances).toHaveLength(1);
      expect(dcmdump(await instanceFile(s.instances[0]!), `stow-${s.modality}.dcm`)).toMatch(/\(0008,0016\) UI =(EncapsulatedSTLStorage|SegmentationStorage|EncapsulatedPDFStorage)/);
    }
  });

  it('says which PACS failed (502) and records the failed send', async () => {
    // Port 1 (tcpmux): nothing listens there, where a port freed a moment ago could be taken again.
    const port = 1;
    const dead = (await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/destinations', { name: 'Nobody home', kind: 'dimse', aeTitle: 'NOBODY', host: '127.0.0.1', port })).id;
    const r = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/pacs-send`, { destinationId: dead });
    expect(r.status).toBe(502);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`Nobody home: nothing was stored.*NOBODY@127\\.0\\.0\\.1:${port}`));
    const sends = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/pacs-sends`);
    expect(sends.sends[0]).toMatchObject({ status: 'failed', destination: 'Nobody home' });
    const audit = await t.server.services.db.selectFrom('audit_log').select(['action', 'details']).where('case_id', '=', caseId).where('action', '=', 'pacs-sent' as never).orderBy('seq').execute();
    expect(audit.map((e) => detailsOf(e.details).status)).toEqual(['sent', 'sent', 'failed']);
  });
});

describe('query and retrieve', () => {
  it('C-FIND and QIDO-RS find the study by accession number and by date, then its series', async () => {
    for (const id of [dimseId, webId]) {
      const byAcc = await t.json(a.tokens.requester, 'GET', `/api/pacs/query?destinationId=${id}&accession=${ACCESSION}`);
      expect(byAcc.level).toBe('study');
      expect(byAcc.studies).toHaveLength(1);
      expect(byAcc.studies[0]).toMatchObject({ studyInstanceUid: accStudyUid, accessionNumber: ACCESSION, studyDate: '20260115' });
      const byDate = await t.json(a.tokens.requester, 'GET', `/api/pacs/query?destinationId=${id}&date=2026-01-15`);
      expect(byDate.studies.map((s: { studyInstanceUid: string }) => s.studyInstanceUid)).toEqual([accStudyUid]);
      const range = await t.json(a.tokens.requester, 'GET', `/api/pacs/query?destinationId=${id}&date=2026-01-16..2026-02-01`);
      expect(range.studies).toEqual([]);
      const series = await t.json(a.tokens.requester, 'GET', `/api/pacs/query?destinationId=${id}&studyUid=${accStudyUid}`);
      expect(series.series.map((s: { seriesInstanceUid: string; modality: string }) => [s.seriesInstanceUid, s.modality])).toEqual([[accSeriesUid, 'CT']]);
      if (series.series[0].instances !== null) expect(series.series[0].instances).toBe(28);
    }
    expect((await t.call(a.tokens.requester, 'GET', `/api/pacs/query?destinationId=${dimseId}&date=15.01.2026`)).status).toBe(400);
  });

  it('C-MOVE brings the series to our listener, which makes a case of it', async () => {
    const listener = t.server.dicom;
    expect(listener, 'the server runs its DICOM listener').toBeDefined();
    await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: orth.aet });
    await orth.addModality('scan2print', listener!.aeTitle, listener!.port);
    const r = await t.call(a.tokens.engineer, 'POST', '/api/pacs/retrieve', { destinationId: dimseId, studyUid: accStudyUid, seriesUid: accSeriesUid });
    const out = (await r.json()) as { caseId: string };
    expect(r.status, JSON.stringify(out)).toBe(201);
    expect(out).toMatchObject({ via: 'c-move', instances: 28, failed: 0 });
    const c = await t.json(a.tokens.engineer, 'GET', `/api/cases/${out.caseId}`);
    expect(c.files).toBe(28);

    // At once another study (the CT the case holds, its CT series): its own case, not the one just made.
    const again = await t.call(a.tokens.engineer, 'POST', '/api/pacs/retrieve', { destinationId: dimseId, studyUid: ctStudyUid, seriesUid: ctSeriesUid });
    const second = (await again.json()) as { caseId: string };
    expect(again.status, JSON.stringify(second)).toBe(201);
    expect(second.caseId).not.toBe(out.caseId);
    // Each case holds its study's series: as the PACS holds it, or its replacement under the organisation's key.
    const db = t.server.services.db;
    const { anonymise_key: key } = await db.selectFrom('orgs').select('anonymise_key').where('id', '=', a.id).executeTakeFirstOrThrow();
    const seriesOf = async (id: string) => [...new Set((await db.selectFrom('files').select('series_uid').where('case_id', '=', id).execute()).map((f) => f.series_uid))];
    const stored = (uid: string) => [uid, deriveUid(keyBytes(key), uid)];
    expect(stored(accSeriesUid)).toContain((await seriesOf(out.caseId)).join());
    expect(stored(ctSeriesUid)).toContain((await seriesOf(second.caseId)).join());
  });

  it('WADO-RS retrieves the series and ingestInstances makes a case of it; both imports are audited', async () => {
    const r = await t.call(a.tokens.requester, 'POST', '/api/pacs/retrieve', { destinationId: webId, studyUid: accStudyUid, seriesUid: accSeriesUid });
    const out = (await r.json()) as { caseId: string };
    expect(r.status, JSON.stringify(out)).toBe(201);
    expect(out).toMatchObject({ via: 'wado-rs', instances: 28, failed: 0 });
    const c = await t.json(a.tokens.requester, 'GET', `/api/cases/${out.caseId}`);
    expect(c.files).toBe(28);
    const audit = await t.server.services.db.selectFrom('audit_log').select(['details']).where('org_id', '=', a.id).where('action', '=', 'pacs-imported' as never).orderBy('seq').execute();
    expect(audit.map((e) => detailsOf(e.details).via)).toEqual(['c-move', 'c-move', 'wado-rs']);
  });
});

describe('a DICOMweb server that accepts the connection and never answers', () => {
  it('QIDO-RS, WADO-RS and STOW-RS give up, saying they timed out and naming the destination', async () => {
    const held: Socket[] = [];
    const silent = createServer((sock) => held.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/dicom-web`;
    try {
      const auth = { peer: 'Silent PACS', silenceMs: 500 };
      const calls = [
        () => qidoStudies(base, { accession: ACCESSION }, auth),
        () => wadoRetrieve(base, accStudyUid, undefined, auth),
        () => stowRs(base, [{ bytes: new Uint8Array(16), sopInstanceUid: '2.25.1' }], auth),
      ];
      for (const call of calls) {
        const e = await call().then(() => undefined, (x: unknown) => x);
        expect(e).toBeInstanceOf(PacsError);
        expect((e as PacsError).code).toBe('PACS_TIMEOUT');
        expect((e as PacsError).message).toMatch(/^(QIDO|WADO|STOW)-RS to Silent PACS \(http:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies.*\): timed out/);
      }
      // The API answers it as every PACS failure: 502 with the code and message (pacsHttpError).
      expect(pacsHttpError(new PacsError('PACS_TIMEOUT', 'QIDO-RS to Silent PACS: timed out'))).toMatchObject({ status: 502, code: 'PACS_TIMEOUT' });
    } finally {
      for (const sock of held) sock.destroy();
      silent.close();
    }
  });
});
