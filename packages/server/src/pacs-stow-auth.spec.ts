/**
 * STOW-RS authenticates before it reads the body (issue 15): a real server on loopback, a
 * client written by hand over a socket that announces a 100 MB body and sends 64 KiB of it.
 * Without a valid token the 401 must come while the rest is still unsent (a server that
 * read the body first never answers such a client), and the connection is closed rather
 * than read to its end. With the route's token the same endpoint still stores an instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { connect } from 'node:net';
import { anonymisedSeries } from '../../../test/server/dicom-files.js';
import { within } from './http/within.js';

const BOUNDARY = 'stow-auth-spec';
/** Announced, far under the upload limit (512 MiB): the server would wait for all of it. */
const ANNOUNCED = 100_000_000;
/** Sent: the first part's headers and 64 KiB of it. */
const SENT = Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.alloc(64 * 1024, 0x41)]);
/**
 * How long the client waits for an answer to its unfinished body. Not a speed check: a
 * server that reads the body first answers only when the client gives up, so no answer by
 * then means the body was being waited for.
 */
const PATIENCE_MS = 20_000;

let t: TestServer;
let a: TestOrg;

beforeAll(async () => {
  t = await startTestServer({ pacsQuietSeconds: 1 });
  a = await t.org('STOW auth', { serverAnonymise: true });
});

afterAll(async () => {
  await t?.close();
});

const head = (authorization: string | null, extra: string[]) =>
  [
    'POST /dicom-web/studies HTTP/1.1',
    `Host: 127.0.0.1`,
    `Content-Type: multipart/related; type="application/dicom"; boundary=${BOUNDARY}`,
    ...(authorization ? [`Authorization: ${authorization}`] : []),
    ...extra,
  ].join('\r\n');

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` and `body` over a socket and never finishes the body. The answer once its
 * Content-Length has arrived, or status -1 when none came within PATIENCE_MS; the socket
 * is destroyed either way (a server waiting for the body would otherwise keep it open).
 */
function unfinished(headLines: string, body: Buffer = SENT): Promise<Answer> {
  const { hostname, port } = new URL(t.url);
  const sock = connect({ host: hostname, port: Number(port) });
  let buf = Buffer.alloc(0);
  const answer = new Promise<Answer>((resolve) => {
    const read = () => {
      const text = buf.toString('latin1');
      const at = text.indexOf('\r\n\r\n');
      if (at < 0) return;
      const lines = text.slice(0, at).split('\r\n');
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const rest = buf.subarray(at + 4);
      if (rest.length < Number(headers['content-length'] ?? 0)) return;
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: rest.toString('utf8') });
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      read();
    });
    // A reset after the answer (the server closing while we could still send) is no failure here.
    sock.on('error', () => {});
  });
  sock.write(`${headLines}\r\n\r\n`);
  sock.write(body);
  return within(answer, PATIENCE_MS, () => ({ status: -1, headers: {}, body: 'no answer while the rest of the body was unsent' })).finally(() => sock.destroy());
}

describe('STOW-RS without a valid token', () => {
  it('is answered 401 before the announced body is sent, and the connection is closed, not read to its end', async () => {
    const before = (await t.json(t.adminToken, 'GET', '/api/pacs/receptions')).receptions.length;
    for (const auth of ['Bearer s2pstow_not-a-token', null]) {
      const r = await unfinished(head(auth, [`Content-Length: ${ANNOUNCED}`]));
      expect(r.status, r.body).toBe(401);
      expect(r.headers.connection).toBe('close');
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/STOW-RS token/) } });
    }
    // Refused callers are still recorded for the installation admin.
    const after = (await t.json(t.adminToken, 'GET', '/api/pacs/receptions')).receptions;
    expect(after.length).toBe(before + 2);
    expect(after.slice(0, 2).map((x: { error: string }) => x.error).sort()).toEqual(['no STOW-RS token (Authorization: Bearer)', 'unknown STOW-RS token']);
  }, 60_000);

  it('a chunked body that never ends gets the 401 too', async () => {
    const chunk = Buffer.concat([Buffer.from(`${SENT.length.toString(16)}\r\n`), SENT, Buffer.from('\r\n')]);
    const r = await unfinished(head('Bearer s2pstow_not-a-token', ['Transfer-Encoding: chunked']), chunk);
    expect(r.status, r.body).toBe(401);
    expect(r.headers.connection).toBe('close');
  }, 60_000);
});

describe('STOW-RS with the route token', () => {
  it('still reads the body and stores the instance; a body that is not multipart/related is refused (415) unread', async () => {
    const made = await t.json(a.tokens['org-admin'], 'POST', '/api/pacs/routes', { stowToken: true });
    const [file] = await anonymisedSeries('ge-head-tilt-variable-spacing');
    const body = Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(file!.bytes), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
    const r = await fetch(`${t.url}/dicom-web/studies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.token}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` },
      body,
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as Record<string, unknown>)['00081199']).toBeDefined();
    const raw = await unfinished(['POST /dicom-web/studies HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/dicom', `Authorization: Bearer ${made.token}`, `Content-Length: ${ANNOUNCED}`].join('\r\n'));
    expect(raw.status, raw.body).toBe(415);
    expect(JSON.parse(raw.body)).toMatchObject({ error: { code: 'NOT_MULTIPART_RELATED' } });
  }, 60_000);
});
