/**
 * A C-STORE refusal is kept against its study before the sender hears it, whatever its code:
 * the built CLI's embedded server (`scan2print serve --data DIR --dicom-port 0`) takes, on one
 * association from dcmtk's storescu, two instances of study X, an identifiable original (refused:
 * the organisation does not anonymise on the server), then two instances of study Y, and is
 * killed with SIGKILL while that association is still open (an hour's quiet time: only the kill
 * ends it). Started again on the same folder, each study's taken-back case says one instance of
 * its sender was refused, word for word as the same sending to the live server says: X was
 * told at the refusal, Y when the association first touched it. Before, those refusals were
 * noted only when the association ended, and a kill before that lost them from both receipts.
 *
 * Holding the association open without timing: storescu's last file is a named pipe. It opens
 * a file only when it sends it, after the previous answer has come, and blocks on a pipe until
 * a writer opens it: the test's open of the pipe returns once every earlier instance was
 * answered, with the association open. Real CT (the GE head series), real processes, loopback.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedEmbeddedDatabase } from '../../../test/server/seed-db.js';
import { anonymisedSeries, seriesFiles } from '../../../test/server/dicom-files.js';
import { apiJson as json, heldOpen, receptionsWhen as receptionsOf, routedOrg, run, serveProcess, type Reception, type Served } from '../../../test/server/serve-process.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const CALLING = 'KILL-SENDER';
const dir = mkdtempSync(join(tmpdir(), 's2p-pacs-refusal-kill-'));
const data = join(dir, 'data');
const live = new Set<ChildProcess>();

const serve = (quietSeconds: number) => serveProcess({ data, quietSeconds, live });
const receptionsWhen = (s: Served, token: string, n: number) => receptionsOf<Reception>(s, token, n);

/** Every file sent whatever was refused (storescu otherwise stops at the first refusal). */
const storescu = (port: number, paths: string[]) => run('storescu', ['--no-halt', '-aet', CALLING, '-aec', 'SCAN2PRINT', '127.0.0.1', String(port), ...paths]);

/** Instances `from`..`to` of the series, anonymised under `key` (its own study and patient), as files. */
async function study(key: string, from: number, to: number): Promise<string[]> {
  const files = (await anonymisedSeries(SERIES, key)).slice(from, to);
  return files.map((f, i) => {
    const p = join(dir, `${key.split(' ')[0]}-${i}.dcm`);
    writeFileSync(p, f.bytes);
    return p;
  });
}

/** X's two instances, the identifiable original, Y's two: the association's files. */
async function sending(x: string, y: string): Promise<string[]> {
  const original = join(dir, 'identifiable-original.dcm');
  writeFileSync(original, seriesFiles(SERIES)[20]!.bytes);
  return [...(await study(x, 0, 2)), original, ...(await study(y, 2, 4))];
}

afterAll(() => {
  for (const p of live) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL while an association that had an instance refused is open', () => {
  it('each study taken back says what was refused, as the same sending to a live server does', async () => {
    seedEmbeddedDatabase(data);
    let s = await serve(3600);
    const token = await routedOrg(s, data, { name: 'Refusal Kill Hospital', email: 'pacs@kill.example.org', callingAe: CALLING });

    // Every earlier instance answered, the association open (the last file a named pipe).
    const { writer, sent } = await heldOpen(dir, await sending('xray kill spec key 0123456789', 'yankee kill spec key 0123456789'), (paths) => storescu(s.dicomPort, paths));
    // Acknowledged and refused, and no case yet: the quiet time (an hour) has not passed.
    expect((await json<{ receptions: Reception[] }>(s, token, 'GET', '/api/pacs/receptions')).receptions).toEqual([]);
    s.proc.kill('SIGKILL');
    expect(await s.exited).toBe(null);
    // The pipe gives storescu nothing: it gives up its last file, on an association whose peer is gone.
    await writer.close();
    expect((await sent).out).toMatch(/Bad DICOM file: \S*held-open\.dcm/);

    s = await serve(2);
    const taken = await receptionsWhen(s, token, 2);
    // The same sending to the live server, released: what each receipt says without a kill.
    const again = await storescu(s.dicomPort, await sending('zulu kill spec key 0123456789', 'victor kill spec key 0123456789'));
    expect(again.out).not.toMatch(/Association (Abort|Reject)/);
    const liveOnes = (await receptionsWhen(s, token, 4)).filter((g) => !taken.some((t) => t.id === g.id));
    expect(liveOnes).toHaveLength(2);
    const said = (g: Reception) => g.findings.find((f) => f.code === 'PACS_INSTANCES_REFUSED')?.message;
    for (const g of [...taken, ...liveOnes]) expect([g.status, g.instances, g.refusedInstances], JSON.stringify(g)).toEqual(['case-created', 2, 1]);
    for (const g of liveOnes) expect(g.findings.map((f) => f.code)).toEqual(['PACS_INSTANCES_REFUSED']);
    for (const g of taken) expect(g.findings.map((f) => f.code)).toEqual(['PACS_INSTANCES_REFUSED', 'PACS_RECOVERED_AT_START']);
    // Word for word: the third instance of the association, identifiable.
    expect(said(liveOnes[0]!)).toMatch(/^1 instance\(s\) of this sender refused: IDENTIFIABLE: C-STORE instance 3 from KILL-SENDER\b/);
    for (const g of [...taken, liveOnes[1]!]) expect(said(g)).toBe(said(liveOnes[0]!));
    for (const g of taken) expect((await json(s, token, 'GET', `/api/cases/${g.caseId}`)).notes).toContain(said(g));

    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = new PGlite(join(data, 'db'));
    try {
      for (const g of [...taken, ...liveOnes]) {
        const row = await pg.query<{ details: string }>("select details from audit_log where case_id = $1 and action = 'case-created'", [g.caseId]);
        expect(row.rows.map((r) => (JSON.parse(r.details) as { refused: number }).refused)).toEqual([1]);
      }
      for (const t of ['pacs_spool_studies', 'pacs_spool_instances', 'pacs_spool_notes']) {
        expect((await pg.query<{ n: number }>(`select count(*)::int as n from ${t}`)).rows[0]!.n, t).toBe(0);
      }
    } finally {
      await pg.close();
    }
  }, 600_000);
});
