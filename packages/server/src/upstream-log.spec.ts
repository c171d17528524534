/**
 * What the server's log says of a 5xx, with the log captured from a real server: a PACS that
 * does not answer (a destination on a loopback port nobody listens on, DICOMweb and DIMSE) is
 * a 502 the server says on purpose, logged as a warning naming its code and the peer, not as
 * "internal error" with a stack; and the accession number or study UID asked for stays out of
 * that line, as it stays out of the logged URL; so do a PACS's own words (an HTTP answer's start,
 * which may echo the patient searched for: a loopback HTTP server answering as a failing PACS
 * does), which the caller still gets. A real 500 (a table the route reads is gone)
 * is still logged at error as "internal error", with its stack.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { freePorts } from '../../../test/ports.js';
import { loggedMessage } from './app.js';

interface LogLine {
  level: number;
  msg: string;
  code?: string;
  status?: number;
  err?: { type?: string; stack?: string };
}

const logLines: string[] = [];
let t: TestServer;
let a: TestOrg;
let closedPort: number;
const ACCESSION = 'ACC-SMITH-4711';
const STUDY_UID = '1.2.826.0.1.3680043.8.498.77712345';

/** The lines logged since the last call, parsed. */
const taken = (): LogLine[] => logLines.splice(0).map((l) => JSON.parse(l) as LogLine);

beforeAll(async () => {
  t = await startTestServer({}, {}, { log: { level: 'warn', write: (l) => void logLines.push(l) } });
  a = await t.org('Log Hospital');
  // A port bound and released: nothing listens there, so a connection is refused at once.
  [closedPort] = (await freePorts(1)) as [number];
});
afterAll(() => t?.close());

async function destination(body: Record<string, unknown>): Promise<string> {
  return (await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/destinations', body)).id as string;
}

async function query(destinationId: string, q: string): Promise<{ status: number; code: string }> {
  const r = await t.call(a.tokens.requester, 'GET', `/api/pacs/query?destinationId=${destinationId}&${q}`);
  return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code };
}

describe('server log: a PACS that does not answer is a warning, a bug is an internal error', () => {
  it('a DICOMweb PACS refusing the connection: 502, one warning with the code and the PACS, no accession number or UID', async () => {
    const id = await destination({ name: 'Closed web', kind: 'dicomweb', dicomwebUrl: `http://127.0.0.1:${closedPort}/dicom-web` });
    taken();
    expect(await query(id, `accession=${ACCESSION}`)).toEqual({ status: 502, code: 'PACS_UNREACHABLE' });
    expect(await query(id, `studyUid=${STUDY_UID}`)).toEqual({ status: 502, code: 'PACS_UNREACHABLE' });
    const lines = taken();
    expect(lines.map((l) => [l.level, l.code, l.status])).toEqual([
      [40, 'PACS_UNREACHABLE', 502],
      [40, 'PACS_UNREACHABLE', 502],
    ]);
    const base = `http://127.0.0.1:${closedPort}/dicom-web`;
    expect(lines[0]!.msg).toMatch(new RegExp(`^upstream failure PACS_UNREACHABLE: QIDO-RS to Closed web \\(${base}/studies\\?…\\): could not connect \\(.*ECONNREFUSED`));
    expect(lines[1]!.msg).toMatch(new RegExp(`^upstream failure PACS_UNREACHABLE: QIDO-RS to Closed web \\(${base}/studies/<uid>/series\\?…\\): could not connect`));
    const all = JSON.stringify(lines);
    expect(all).not.toContain(ACCESSION);
    expect(all).not.toContain(STUDY_UID);
    expect(all).not.toContain('internal error');
    expect(lines.every((l) => l.err === undefined)).toBe(true);
  });

  it('a DICOMweb PACS failing with its own words: the caller gets them, the log only their length', async () => {
    // A PACS's error page echoing the query, as some do: the patient's name and the accession number.
    const words = `No study matches AccessionNumber=${ACCESSION} for patient SMITH^JOHN`;
    const echo: Server = createServer((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(words));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    try {
      const port = (echo.address() as { port: number }).port;
      const id = await destination({ name: 'Echoing web', kind: 'dicomweb', dicomwebUrl: `http://127.0.0.1:${port}/dicom-web` });
      taken();
      const r = await t.call(a.tokens.requester, 'GET', `/api/pacs/query?destinationId=${id}&accession=${ACCESSION}`);
      expect(r.status).toBe(502);
      const err = ((await r.json()) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('PACS_FAILED');
      expect(err.message).toContain(`HTTP 500 ${words}`);
      const lines = taken();
      expect(lines).toHaveLength(1);
      expect(lines[0]!.level).toBe(40);
      expect(lines[0]!.msg).toMatch(/^upstream failure PACS_FAILED: QIDO-RS to Echoing web \(.*\): HTTP 500 \[the PACS's answer, \d+ characters, not logged\]$/);
      expect(JSON.stringify(lines)).not.toContain('SMITH');
    } finally {
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  it('a DIMSE PACS refusing the association\'s connection: 502, a warning naming its AE title and address', async () => {
    const id = await destination({ name: 'Closed DIMSE', kind: 'dimse', aeTitle: 'NOBODY', host: '127.0.0.1', port: closedPort });
    taken();
    expect(await query(id, `accession=${ACCESSION}`)).toEqual({ status: 502, code: 'PACS_UNREACHABLE' });
    const lines = taken();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(40);
    expect(lines[0]!.msg).toMatch(new RegExp(`^upstream failure PACS_UNREACHABLE: NOBODY@127\\.0\\.0\\.1:${closedPort}: `));
    expect(JSON.stringify(lines)).not.toContain(ACCESSION);
  });

  it('a real 500 (a table the route reads is gone) is still "internal error" at error level, with its stack', async () => {
    const { db } = t.server.services;
    await db.schema.alterTable('pacs_destinations').renameTo('pacs_destinations_away').execute();
    try {
      taken();
      const r = await t.call(a.tokens.requester, 'GET', '/api/pacs/destinations');
      expect(r.status).toBe(500);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('INTERNAL');
    } finally {
      await db.schema.alterTable('pacs_destinations_away').renameTo('pacs_destinations').execute();
    }
    const lines = taken();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'internal error' });
    expect(lines[0]!.err?.stack).toMatch(/^\s+at /);
  });

  it('loggedMessage keeps the peer and drops what a query asked for', () => {
    expect(loggedMessage('WADO-RS to Web (https://pacs.example:8443/dicom-web/studies/1.2.3.4.5/series/1.2.3.4.6): HTTP 500 {"Uri":"/studies/1.2.3.4.5"}')).toBe(
      'WADO-RS to Web (https://pacs.example:8443/dicom-web/studies/<uid>/series/<uid>): HTTP 500 {"Uri":"/studies/<uid>"}',
    );
    expect(loggedMessage('ORTHANC@10.0.0.12:4242: could not connect (connect ECONNREFUSED 10.0.0.12:4242)')).toBe('ORTHANC@10.0.0.12:4242: could not connect (connect ECONNREFUSED 10.0.0.12:4242)');
  });
});
