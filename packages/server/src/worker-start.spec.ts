/**
 * `scan2print worker` started while its PostgreSQL is not answering (a cluster coming up, a
 * failover): it says so and waits, then takes jobs once the database answers; it stops
 * cleanly on SIGTERM. The database "goes down" through a loopback proxy the test cuts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../../../test/data.js';
import { freshDatabase } from '../../../test/services/postgres.js';
import { serverS3Env, startS3, type S3TestServer } from '../../../test/services/s3.js';
import { startProxy, type Proxy } from '../../../test/services/tcp-proxy.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let s3: S3TestServer;
let proxy: Proxy;
const scratch = mkdtempSync(join(tmpdir(), 's2p-worker-start-'));

beforeAll(async () => {
  db = await freshDatabase('worker_start');
  s3 = await startS3();
  proxy = await startProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) });
});
afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
  await db?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scan2print worker before its database answers', () => {
  it('waits, saying so, then takes jobs once PostgreSQL answers; SIGTERM stops it with exit 0', async () => {
    proxy.cut();
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const child = spawn(process.execPath, [CLI, 'worker', '--data', join(scratch, 'w')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: url.toString(),
        ...serverS3Env(s3),
        SCAN2PRINT_START_WAIT_S: '120',
        SCAN2PRINT_LOG_LEVEL: 'warn',
      },
    });
    let err = '';
    let exit: number | null | undefined;
    let signal: NodeJS.Signals | null = null;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.resume();
    child.on('exit', (code, sig) => {
      exit = code;
      signal = sig;
    });
    try {
      await until(() => /the database is not answering .*trying again/.test(err), 60_000, () => err);
      expect(exit).toBeUndefined();
      expect(err).not.toContain('taking jobs');
      proxy.restore();
      await until(() => err.includes('scan2print: worker taking jobs from'), 90_000, () => err);
      expect(exit).toBeUndefined();
    } finally {
      child.kill('SIGTERM');
      await until(() => exit !== undefined, 60_000, () => `no exit after SIGTERM:\n${err}`);
    }
    // exit code null: ended by a signal (which one, and what it said, in the message)
    expect(exit, `signal ${String(signal)}; stderr:\n${err}`).toBe(0);
  });
});
