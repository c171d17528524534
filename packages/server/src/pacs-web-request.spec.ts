/**
 * The DICOMweb clients' failures (pacs/web-request.ts), against a real HTTP server on
 * loopback that misbehaves on purpose: nothing listening (PACS_UNREACHABLE), an answer cut
 * off half way (PACS_FAILED, broke off), an HTTP error (PACS_FAILED with the status), and
 * 204 No Content to a search (no match). QIDO-RS, WADO-RS and STOW-RS say each the same way,
 * naming the destination. The silent server (PACS_TIMEOUT) is pacs-send.spec.ts's.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qidoStudies, wadoRetrieve } from './pacs/query-dicomweb.js';
import { PacsError } from './pacs/send-dimse.js';
import { stowRs } from './pacs/send-stow.js';

/** What the server does, by the first path segment after /dicom-web/ (set per test). */
let behave: (res: ServerResponse) => void = (res) => res.end();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    // Read what a STOW-RS client sends before answering, as a server does.
    req.resume();
    req.on('end', () => behave(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const auth = { peer: 'Test PACS' };
const calls = () => [
  ['QIDO-RS', () => qidoStudies(base, { accession: 'ACC-1' }, auth)],
  ['WADO-RS', () => wadoRetrieve(base, '2.25.7', undefined, auth)],
  ['STOW-RS', () => stowRs(base, [{ bytes: new Uint8Array(16), sopInstanceUid: '2.25.1' }], auth)],
] as const;

async function failure(call: () => Promise<unknown>): Promise<PacsError> {
  const e = await call().then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(PacsError);
  return e as PacsError;
}

describe('DICOMweb clients', () => {
  it('nothing listening: PACS_UNREACHABLE, could not connect, naming the destination and URL', async () => {
    // Port 1 (tcpmux): nothing listens there.
    const dead = 'http://127.0.0.1:1/dicom-web';
    for (const call of [() => qidoStudies(dead, { accession: 'A' }, auth), () => wadoRetrieve(dead, '2.25.7', undefined, auth), () => stowRs(dead, [], auth)]) {
      const e = await failure(call);
      expect(e.code).toBe('PACS_UNREACHABLE');
      expect(e.message).toMatch(/^(QIDO|WADO|STOW)-RS to Test PACS \(http:\/\/127\.0\.0\.1:1\/dicom-web\/studies.*\): could not connect \(.+\)$/);
    }
  });

  it('an answer cut off half way: PACS_FAILED, the answer broke off', async () => {
    behave = (res) => {
      res.writeHead(200, { 'content-type': 'application/dicom+json', 'content-length': '1000' });
      res.write('[{"0020000D"');
      setImmediate(() => res.destroy());
    };
    for (const [what, call] of calls()) {
      const e = await failure(call);
      expect(e.code).toBe('PACS_FAILED');
      expect(e.message).toMatch(new RegExp(`^${what} to Test PACS \\(${base}/studies.*\\): the answer broke off \\(.+\\)$`));
    }
  });

  it('an HTTP error: PACS_FAILED with the status and the start of the answer', async () => {
    behave = (res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('database\n  locked');
    };
    for (const [what, call] of calls()) {
      const e = await failure(call);
      expect(e.code).toBe('PACS_FAILED');
      expect(e.message).toBe(`${what} to Test PACS (${e.message.match(/\((http[^)]+)\)/)![1]}): HTTP 500 database locked`);
    }
  });

  it('204 No Content to a search is no match', async () => {
    behave = (res) => {
      res.writeHead(204);
      res.end();
    };
    expect(await qidoStudies(base, { accession: 'ACC-1' }, auth)).toEqual([]);
  });
});
