/**
 * `scan2print upload` end to end: the built CLI against a real embedded server (PGlite,
 * files, one in-process worker) on a loopback port, a real CT series. What the server
 * stores must be anonymised by the project key `scan2print anonymise` uses, the model
 * downloaded must be the server's bytes, and every failure must say what to fix.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIdentifyingAttributes } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../../test/server/harness.js';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';

const SERIES = dataPath('ct', 'ge-head-tilt-variable-spacing');
const CROP = '128,128,0,384,384,28';
let t: TestServer;
let org: TestOrg;
let work: string;
let env: Record<string, string>;
/** The case the first test made. */
let firstCase: string | undefined;

beforeAll(async () => {
  // The harness runs the job on the convert thread, so the server (in this process) keeps answering while it converts.
  t = await startTestServer({ workers: 1 });
  org = await t.org('Upload Clinic');
  work = mkdtempSync(join(tmpdir(), 's2p-upload-'));
  // The project key goes to $XDG_CONFIG_HOME/scan2print/project.key; no token from the caller's environment.
  env = { XDG_CONFIG_HOME: join(work, 'config'), SCAN2PRINT_KEY_FILE: '', SCAN2PRINT_TOKEN: '' };
});
afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function originalIdentity(): { name: string; id: string } {
  const first = readdirSync(SERIES).sort()[0]!;
  const ds = dicomParser.parseDicom(new Uint8Array(readFileSync(join(SERIES, first))), { untilTag: 'x7fe00010' });
  return { name: ds.string('x00100010')!.trim(), id: ds.string('x00100020')!.trim() };
}

/** `scan2print upload SERIES --server <the test server> [--token T] …extra`. */
function upload(token: string | undefined, extra: string[], opts: { env?: Record<string, string>; timeout_ms?: number } = {}) {
  const args = ['upload', SERIES, '--server', t.url, ...(token !== undefined ? ['--token', token] : []), ...extra];
  return runScan2print(args, { env: opts.env ?? env, timeout_ms: opts.timeout_ms ?? 240_000 });
}
const NEW_CASE = ['--purpose', 'p', '--anatomy', 'skull'];

async function caseCount(): Promise<number> {
  return (await t.json(org.tokens.requester, 'GET', '/api/cases')).length;
}

describe('scan2print upload', () => {
  it('anonymises locally, uploads, converts, waits and downloads the verified model', async () => {
    const out = join(work, 'out.3mf');
    const report = join(work, 'report.json');
    const r = await upload(
      org.tokens.requester,
      ['--purpose', 'orbital floor repair planning', '--anatomy', 'skull', '--wait', '-o', out, '--report', report, '--json',
        // Half the head (fast on a busy machine); a convert option passed through as a job param.
        '--crop', CROP],
      { timeout_ms: 600_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.job.state).toBe('succeeded');
    const job = await t.json(org.tokens.requester, 'GET', `/api/jobs/${summary.job.id}`);
    // Sent: only what was given (the server applies convert's defaults to the rest).
    expect(summary.job.params).toEqual({ crop: CROP, purpose: 'orbital floor repair planning' });
    expect(job.params).toMatchObject({ crop: CROP, purpose: 'orbital floor repair planning', tissue: 'bone' });
    expect(summary.files.batches).toBeGreaterThan(1);
    expect(summary.files.uploaded).toBe(readdirSync(SERIES).length);
    expect(existsSync(join(env.XDG_CONFIG_HOME!, 'scan2print', 'project.key'))).toBe(true);

    // The model is the server's artifact, byte for byte.
    const arts = await t.json(org.tokens.requester, 'GET', `/api/cases/${summary.caseId}/artifacts`);
    const model = arts.find((a: { name: string }) => a.name === 'bone.3mf');
    expect(model).toBeDefined();
    expect(sha256(new Uint8Array(readFileSync(out)))).toBe(model.sha256);
    const rep = arts.find((a: { name: string }) => a.name === 'report.json');
    expect(sha256(new Uint8Array(readFileSync(report)))).toBe(rep.sha256);
    expect(readdirSync(work).filter((n) => n.endsWith('.partial'))).toEqual([]);

    firstCase = summary.caseId;
    const c = await t.json(org.tokens.requester, 'GET', `/api/cases/${summary.caseId}`);
    expect(c).toMatchObject({ purpose: 'orbital floor repair planning', anatomy: 'skull' });

    // Everything stored is anonymised and carries neither the patient's name nor ID.
    const { db, store } = t.server.services;
    const rows = await db
      .selectFrom('files')
      .select(['object_key', 'sop_instance_uid', 'anonymised_by'])
      .where('case_id', '=', summary.caseId)
      .execute();
    expect(rows).toHaveLength(readdirSync(SERIES).length);
    const who = originalIdentity();
    expect(who.name.length).toBeGreaterThan(2);
    for (const row of rows) {
      expect(row.anonymised_by).toBe('checked'); // the server did not have to anonymise anything
      const bytes = await store.get(row.object_key);
      const check = findIdentifyingAttributes(bytes, row.object_key);
      expect(check.problems, row.object_key).toEqual([]);
      expect(check.anonymised).toBe(true);
      expect(Buffer.from(bytes).includes(who.name)).toBe(false);
      expect(Buffer.from(bytes).includes(who.id)).toBe(false);
    }

    // The same anonymiser and key as `scan2print anonymise`: the same new SOPInstanceUIDs.
    const anonDir = join(work, 'anon');
    const a = await runScan2print(['anonymise', SERIES, '-o', anonDir, '-q'], { env });
    expect(a.code, a.stderr).toBe(0);
    const local = readdirSync(anonDir).filter((n) => n.endsWith('.dcm')).map((n) => n.replace(/\.dcm$/, '')).sort();
    expect(rows.map((x) => x.sop_instance_uid).sort()).toEqual(local);
  });

  it('adds to an existing case with --case: the same series again stores nothing new', async () => {
    const caseId = firstCase!;
    const r = await upload(org.tokens.engineer, ['--case', caseId, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.caseId).toBe(caseId);
    expect(summary.files).toMatchObject({ uploaded: readdirSync(SERIES).length, added: 0, duplicates: readdirSync(SERIES).length });
    const c = await t.json(org.tokens.engineer, 'GET', `/api/cases/${caseId}`);
    expect(c.series).toHaveLength(1);
    expect(c.series[0].files).toBe(readdirSync(SERIES).length);
    // Without --wait the job is only started; stop it so it does not load the machine.
    const j = await t.json(org.tokens.engineer, 'POST', `/api/jobs/${summary.job.id}/cancel`);
    expect(['cancelled', 'running', 'succeeded']).toContain(j.state);
  });

  it('refuses a bad token, naming SCAN2PRINT_TOKEN and --token, before creating anything', async () => {
    const before = await caseCount();
    const r = await upload(undefined, NEW_CASE, { env: { ...env, SCAN2PRINT_TOKEN: 's2p_not-a-real-token' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('refused the token');
    expect(r.stderr).toContain('SCAN2PRINT_TOKEN');
    expect(r.stderr).toContain('--token');
    expect(r.stderr).not.toContain('s2p_not-a-real-token');
    expect(await caseCount()).toBe(before);
  });

  it('asks for a token when there is none', async () => {
    const r = await upload(undefined, NEW_CASE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SCAN2PRINT_TOKEN');
  });

  it('names the URL of a server that does not answer', async () => {
    // Port 2: nothing listens there, and fetch does not refuse it as a "bad port" (as it does 1).
    // A port freed a moment ago could be taken again meanwhile by the other test process
    // (listen(0) draws from the ephemeral range; 2 is outside it).
    const url = 'http://127.0.0.1:2';
    const r = await runScan2print(['upload', SERIES, '--server', `${url}/api/`, '--token', org.tokens.requester, ...NEW_CASE], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach the scan2print server at ${url}`);
    expect(r.stderr).toContain('ECONNREFUSED');
  });

  it('refuses convert options the server would refuse, before sending anything', async () => {
    const before = await caseCount();
    const r = await upload(org.tokens.requester, [...NEW_CASE, '--decimate-ratio', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--decimate-ratio 3');
    const fmt = await upload(org.tokens.requester, ['--case', 'x', '-o', join(work, 'm.obj')]);
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toContain('.3mf and .stl');
    expect(await caseCount()).toBe(before);
  });

  it("passes the server's 4xx messages through (a role that may not upload, an unknown case)", async () => {
    const r = await upload(org.tokens.reviewer, NEW_CASE);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/POST \/api\/cases → 403: role reviewer may not POST \/api\/cases/);
    const missing = '00000000-0000-4000-8000-000000000000';
    const gone = await upload(org.tokens.requester, ['--case', missing]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain(`GET /api/cases/${missing} → 404: case not found`);
  });

  it("exits 3 with the job's error when the convert job fails", async () => {
    const r = await upload(org.tokens.engineer, [...NEW_CASE, '--series', '999', '--wait'], { timeout_ms: 600_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/convert job [0-9a-f-]{36} on http:\/\/127\.0\.0\.1:\d+ failed: /);
    expect(r.stderr).toContain('999');
  });
});
