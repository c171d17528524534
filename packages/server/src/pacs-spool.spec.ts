/**
 * Nothing acknowledged to a sender is lost: the built CLI's embedded server (`scan2print serve
 * --data DIR --dicom-port 0`, PGlite and files under DIR) takes two studies from dcmtk's
 * storescu (one instance of the first sent twice, changed the second time), every C-STORE
 * answered success, and a third by STOW-RS (answered 200), and is killed with SIGKILL within
 * the quiet time (an hour: only the kill ends it). Started again on the same folder, without a
 * DICOM listener and with no request (a STOW-RS-only server), it makes each study into its case:
 * every instance once (the one sent twice as sent last), the right study and patient, the
 * reception saying it was taken back after a stop. A study received normally afterwards (STOW-RS)
 * leaves nothing in the spool either. Real CT (the GE head series), real processes, loopback.
 * Also what the receiver refused for a study (another patient's instance under its Study
 * Instance UID, an identifiable instance of its sender) and its aborted association: after the
 * kill, the taken-back case's reception, receipt and audit say so as those of the same sending
 * received without a kill do.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedEmbeddedDatabase } from '../../../test/server/seed-db.js';
import { anonymisedSeries, seriesFiles } from '../../../test/server/dicom-files.js';
import { apiJson as json, receptionsWhen as receptionsOf, routedOrg, run, serveProcess, sleep, type Served } from '../../../test/server/serve-process.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const CALLING = 'SPOOL-SENDER';
const dir = mkdtempSync(join(tmpdir(), 's2p-pacs-spool-'));
const data = join(dir, 'data');
const live = new Set<ChildProcess>();

interface Reception {
  id: string;
  via: string;
  status: string;
  callingAe: string | null;
  instances: number;
  refusedInstances: number;
  caseId: string | null;
  error: string | null;
  findings: { code: string; message: string }[];
}

const serve = (quietSeconds: number, dicom = true, folder = data) => serveProcess({ data: folder, quietSeconds, dicom, live });
const receptionsWhen = (s: Served, token: string, n: number) => receptionsOf<Reception>(s, token, n);

const storescu = (port: number, paths: string[], opts: string[] = []) => run('storescu', [...opts, '-aet', CALLING, '-aec', 'SCAN2PRINT', '127.0.0.1', String(port), ...paths]);

interface Sent {
  paths: string[];
  studyUid: string;
  patientId: string;
  sopUids: string[];
}

const tags = (bytes: Uint8Array) => {
  const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  const t = (tag: string) => ds.string(tag)?.trim() ?? '';
  return { studyUid: t('x0020000d'), patientId: t('x00100020'), sopUid: t('x00080018'), windowCenter: t('x00281050') };
};

/** Instances `from`..`to` of the series, anonymised under `key` (its own study and patient), as files. */
async function study(key: string, from: number, to: number): Promise<Sent> {
  const files = (await anonymisedSeries(SERIES, key)).slice(from, to);
  const paths = files.map((f, i) => {
    const p = join(dir, `${key.split(' ')[0]}-${i}.dcm`);
    writeFileSync(p, f.bytes);
    return p;
  });
  const first = tags(files[0]!.bytes);
  return { paths, studyUid: first.studyUid, patientId: first.patientId, sopUids: files.map((f) => tags(f.bytes).sopUid) };
}

let s: Served;
let token: string;
let stowToken: string;
let a: Sent;
let b: Sent;
let d: Sent;
let resent: string;

/** STOW-RS of the files to the route of `stowToken`: the HTTP status. */
async function stow(paths: string[]): Promise<number> {
  const boundary = 'pacs-spool-spec';
  const parts = paths.flatMap((p) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(p), Buffer.from('\r\n')]);
  const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
  const r = await fetch(`${s.url}/dicom-web/studies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stowToken}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
    body,
  });
  await r.arrayBuffer();
  return r.status;
}

/** A seeded data folder served with an hour's quiet time; an organisation (no server-side anonymisation) routed from CALLING and by a STOW-RS token. */
async function setUp(folder: string): Promise<{ served: Served; token: string; stowToken: string }> {
  seedEmbeddedDatabase(folder);
  const served = await serve(3600, true, folder);
  const tk = await routedOrg(served, folder, { name: 'Spool Hospital', email: 'pacs@spool.example.org', callingAe: CALLING });
  const stowTk = (await json<{ token: string }>(served, tk, 'POST', '/api/pacs/routes', { stowToken: true })).token;
  return { served, token: tk, stowToken: stowTk };
}

beforeAll(async () => {
  ({ served: s, token, stowToken } = await setUp(data));
  a = await study('alpha spool spec key 0123456789', 0, 5);
  b = await study('bravo spool spec key 0123456789', 5, 8);
  d = await study('delta spool spec key 0123456789', 12, 14);
  // The first instance of A again, under its SOP Instance UID, with another window centre: it replaces the first.
  resent = join(dir, 'alpha-resent.dcm');
  writeFileSync(resent, readFileSync(a.paths[0]!));
  const mod = await run('dcmodify', ['-nb', '-m', '(0028,1050)=4321', resent]);
  expect(mod.code, mod.out).toBe(0);
});

afterAll(() => {
  for (const p of live) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL within the quiet time of studies acknowledged to their sender', () => {
  it('the next start makes each study its case: every instance once, the right study and patient', async () => {
    for (const paths of [a.paths, b.paths, [resent]]) {
      const sent = await storescu(s.dicomPort, paths);
      expect(sent.code, sent.out).toBe(0);
    }
    expect(await stow(d.paths)).toBe(200);
    // Acknowledged, and no case yet: the quiet time (an hour) has not passed.
    expect((await json<{ receptions: Reception[] }>(s, token, 'GET', '/api/pacs/receptions')).receptions).toEqual([]);
    s.proc.kill('SIGKILL');
    expect(await s.exited).toBe(null);

    // Without a DICOM listener (STOW-RS only) and no request: the start itself takes the spool back.
    s = await serve(1, false);
    const got = await receptionsWhen(s, token, 3);
    expect(got).toHaveLength(3);
    const bySize = [...got].sort((x, y) => y.instances - x.instances);
    expect(bySize.map((r) => [r.status, r.via, r.callingAe, r.instances])).toEqual([
      ['case-created', 'c-store', CALLING, 5],
      ['case-created', 'c-store', CALLING, 3],
      ['case-created', 'stow-rs', null, 2],
    ]);
    for (const r of got) expect(r.findings.map((f) => f.code)).toEqual(['PACS_RECOVERED_AT_START']);
    const [ra, rb, rd] = bySize as [Reception, Reception, Reception];
    expect((await json(s, token, 'GET', `/api/cases/${ra.caseId}`)).files).toBe(5);
    expect((await json(s, token, 'GET', `/api/cases/${rb.caseId}`)).files).toBe(3);
    expect((await json(s, token, 'GET', `/api/cases/${rd.caseId}`)).files).toBe(2);
    expect((await json(s, token, 'GET', `/api/cases/${ra.caseId}`)).notes).toMatch(/stopped without closing/);

    // Received normally now: its case, no finding, and nothing of it left in the spool.
    const c = await study('charlie spool spec key 0123456789', 10, 12);
    expect(await stow(c.paths)).toBe(200);
    const all = await receptionsWhen(s, token, 4);
    const rc = all.find((r) => ![ra.id, rb.id, rd.id].includes(r.id))!;
    expect(rc).toMatchObject({ status: 'case-created', instances: 2, findings: [] });

    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = new PGlite(join(data, 'db'));
    try {
      const count = async (q: string, ...p: unknown[]) => Number((await pg.query<{ n: number }>(q, p)).rows[0]!.n);
      const held = async (caseId: string) => {
        const rows = (await pg.query<{ object_key: string }>('select object_key from files where case_id = $1', [caseId])).rows;
        return rows.map((r) => tags(new Uint8Array(readFileSync(join(data, 'objects', r.object_key)))));
      };
      const inA = await held(ra.caseId!);
      expect(inA.map((t) => t.sopUid).sort()).toEqual([...a.sopUids].sort());
      expect(new Set(inA.map((t) => [t.studyUid, t.patientId].join(' ')))).toEqual(new Set([`${a.studyUid} ${a.patientId}`]));
      // The instance sent twice: once, as sent the second time.
      expect(inA.find((t) => t.sopUid === a.sopUids[0])!.windowCenter).toBe('4321');
      for (const [r, sent] of [[rb, b], [rd, d]] as const) {
        const inIt = await held(r.caseId!);
        expect(inIt.map((t) => t.sopUid).sort()).toEqual([...sent.sopUids].sort());
        expect(new Set(inIt.map((t) => [t.studyUid, t.patientId].join(' ')))).toEqual(new Set([`${sent.studyUid} ${sent.patientId}`]));
      }
      // One case-created entry per case: made once, not again by the start or the quiet time.
      for (const id of [ra.caseId, rb.caseId, rd.caseId, rc.caseId]) {
        expect(await count("select count(*)::int as n from audit_log where case_id = $1 and action = 'case-created'", id)).toBe(1);
      }
      expect(await count('select count(*)::int as n from pacs_receptions')).toBe(4);
      expect(await count('select count(*)::int as n from pacs_spool_studies')).toBe(0);
      expect(await count('select count(*)::int as n from pacs_spool_instances')).toBe(0);
    } finally {
      await pg.close();
    }
    const spoolDir = join(data, 'objects', 'pacs-spool');
    expect(existsSync(spoolDir) ? readdirSync(spoolDir) : []).toEqual([]);
  }, 600_000);
});

describe('what the receiver refused for a study acknowledged before a SIGKILL', () => {
  /**
   * Every file sent whatever was refused, then the association aborted, not released (noted
   * against the study too; the listener closes the connection on the A-ABORT).
   */
  const ABORTED = ['--no-halt', '--abort'];

  /** Slices `from`..`from+3` of a study, then one more of it under another patient, then an identifiable original: files for storescu. */
  async function mixed(key: string, from: number): Promise<Sent & { all: string[] }> {
    const sent = await study(key, from, from + 4);
    const other = sent.paths.pop()!;
    sent.sopUids.pop();
    // Still anonymised (a 64-hex patient key), of another patient: refused as OTHER_PATIENT, not as identifiable.
    const mod = await run('dcmodify', ['-nb', '-m', `(0010,0020)=${'7'.repeat(64)}`, other]);
    expect(mod.code, mod.out).toBe(0);
    // One original for every sending: its refusal's reason reads the same each time.
    const original = join(dir, 'identifiable-original.dcm');
    writeFileSync(original, seriesFiles(SERIES)[20]!.bytes);
    return { ...sent, all: [...sent.paths, other, original] };
  }

  it("the case taken back has the reception, receipt and audit of the same sending received without a kill", async () => {
    const folder = join(dir, 'notes');
    const up = await setUp(folder);
    const tk = up.token;
    let r = up.served;
    const x = await mixed('echo spool spec key 0123456789', 0);
    const y = await mixed('foxtrot spool spec key 0123456789', 8);
    const sent = await storescu(r.dicomPort, x.all, ABORTED);
    // The association's end and its refusals are noted (their writes queued) in the turn that logs that end.
    for (const end = Date.now() + 60_000; !/association ended without a release/.test(r.log()); await sleep(25)) {
      if (Date.now() > end) throw new Error(`no interrupted association logged:\n${sent.out}\n${r.log()}`);
    }
    // Queued behind those notes on the embedded database's one connection: answered once they are kept.
    expect((await json<{ receptions: Reception[] }>(r, tk, 'GET', '/api/pacs/receptions')).receptions).toEqual([]);
    r.proc.kill('SIGKILL');
    expect(await r.exited).toBe(null);

    r = await serve(2, true, folder);
    const [rx] = (await receptionsWhen(r, tk, 1)) as [Reception];
    // The same sending to the live server: what the receipt says without a kill.
    await storescu(r.dicomPort, y.all, ABORTED);
    const ry = (await receptionsWhen(r, tk, 2)).find((g) => g.id !== rx.id)!;
    for (const g of [rx, ry]) expect([g.status, g.instances, g.refusedInstances], JSON.stringify(g)).toEqual(['case-created', 3, 2]);
    const codes = ry.findings.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['PACS_TRANSFER_INTERRUPTED', 'PACS_INSTANCES_REFUSED', 'PACS_OTHER_PATIENT']));
    expect(rx.findings.map((f) => f.code)).toEqual([...codes, 'PACS_RECOVERED_AT_START']);
    const said = (g: Reception, code: string) => g.findings.find((f) => f.code === code)!.message;
    // The refusals with their reasons, word for word: the instance of another patient, then the identifiable one.
    expect(said(rx, 'PACS_INSTANCES_REFUSED')).toMatch(/^2 instance\(s\) of this sender refused: OTHER_PATIENT: .*; IDENTIFIABLE: /);
    for (const code of ['PACS_INSTANCES_REFUSED', 'PACS_OTHER_PATIENT']) expect(said(rx, code)).toBe(said(ry, code));
    expect(said(rx, 'PACS_TRANSFER_INTERRUPTED')).toMatch(/association from SPOOL-SENDER ended without a release/);
    const caseX = await json(r, tk, 'GET', `/api/cases/${rx.caseId}`);
    expect(caseX.files).toBe(3);
    expect(caseX.notes).toContain(said(rx, 'PACS_INSTANCES_REFUSED'));

    r.proc.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = new PGlite(join(folder, 'db'));
    try {
      const created = async (caseId: string | null) =>
        JSON.parse((await pg.query<{ details: string }>("select details from audit_log where case_id = $1 and action = 'case-created'", [caseId])).rows[0]!.details) as { refused: number; findings: string[] };
      const [ax, ay] = [await created(rx.caseId), await created(ry.caseId)];
      expect(ax.refused).toBe(2);
      expect(ay.refused).toBe(2);
      expect(ax.findings.filter((c) => c !== 'PACS_RECOVERED_AT_START')).toEqual(ay.findings);
      for (const t of ['pacs_spool_studies', 'pacs_spool_instances', 'pacs_spool_notes']) {
        expect((await pg.query<{ n: number }>(`select count(*)::int as n from ${t}`)).rows[0]!.n, t).toBe(0);
      }
    } finally {
      await pg.close();
    }
  }, 600_000);
});
