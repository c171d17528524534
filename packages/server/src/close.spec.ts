/**
 * Closing the server right after a download. Node's server.close() ends only the keep-alive
 * connections idle at that instant; a download whose response was still finishing kept its
 * connection, and the close waited for the keep-alive timeout (72 s in every spec whose last
 * step downloaded an artifact; and on SIGTERM). app.ts closes each connection as it goes idle.
 * Here the keep-alive timeout is 10 minutes: without that, the close would outlast the test.
 * And a start that fails (a port in use) closes what it opened and frees the data folder.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../../test/server/harness.js';
import { seedEmbeddedDatabase } from '../../../test/server/seed-db.js';
import { configFromEnv } from './config.js';
import { LOCK_FILE } from './data-lock.js';
import { startServer } from './serve.js';

describe('closing the server', () => {
  it('right after a download: the close ends without waiting for the keep-alive timeout, and the download was whole', async () => {
    const t = await startTestServer({ workers: 0 });
    let closed = false;
    try {
      const a = await t.org('Close');
      const db = t.server.services.db;
      const caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'close test', anatomy: 'skull' })).id as string;
      const jobId = randomUUID();
      await db
        .insertInto('jobs')
        .values({
          id: jobId, org_id: a.id, case_id: caseId, kind: 'convert', params: '{}', state: 'succeeded', progress: 1, stage: 'done', error: null,
          idempotency_key: null, lease_owner: null, lease_expires_at: null, created_by: a.users.engineer, started_at: new Date(), finished_at: new Date(),
          summary: JSON.stringify({ findings: [], models: [] }),
        })
        .execute();
      // 4 MB: larger than a socket's buffers, so the response is still finishing as the body arrives.
      const bytes = new Uint8Array(4 << 20).map((_, i) => (i * 31) & 0xff);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const key = `jobs/${jobId}/1/bone.stl`;
      await t.server.services.store.put(key, bytes);
      const id = randomUUID();
      await db
        .insertInto('artifacts')
        .values({ id, org_id: a.id, case_id: caseId, job_id: jobId, kind: 'model', name: 'bone.stl', object_key: key, media_type: 'model/stl', sha256: sha, bytes: bytes.length })
        .execute();
      t.server.app.server.keepAliveTimeout = 600_000;
      const r = await t.call(a.tokens.technician, 'GET', `/api/artifacts/${id}`);
      const got = new Uint8Array(await r.arrayBuffer());
      expect(createHash('sha256').update(got).digest('hex')).toBe(sha);
      await t.close();
      closed = true;
      await new Promise<void>((done) => t.server.app.server.getConnections((_e, n) => (expect(n).toBe(0), done())));
    } finally {
      if (!closed) await t.close();
    }
  });
});

describe('a server start that fails', () => {
  it('a port in use (HTTP or DICOM) is refused as a usage error naming it; the folder and its database are free for the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's2p-start-'));
    seedEmbeddedDatabase(dir);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    const host = { say: () => {} };
    const config = configFromEnv({ dataDir: dir, host: '127.0.0.1', port: 0, workers: 0, logLevel: 'silent' }, {});
    try {
      await expect(startServer({ ...config, port }, host)).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        kind: 'usage',
        message: `the server cannot listen on 127.0.0.1:${port}: the port is in use (another server?); choose another --port`,
      });
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      await expect(startServer({ ...config, dicomPort: port }, host)).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        message: `the DICOM listener cannot listen on 127.0.0.1:${port}: the port is in use (another server?); choose another --dicom-port`,
      });
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      // The same folder starts and serves (a lock or database left open by a failed start would refuse it).
      const ok = await startServer(config, host);
      try {
        expect(await (await fetch(`${ok.url}/api/health`)).json()).toEqual({ status: 'ok', database: 'ok', storage: 'ok' });
      } finally {
        await ok.close();
      }
    } finally {
      busy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
