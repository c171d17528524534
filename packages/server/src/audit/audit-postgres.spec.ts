/**
 * Tampering with the audit log in a real PostgreSQL database (127.0.0.1:5432). The server
 * runs as a role that is neither superuser nor able to change the log (the migration
 * revoked UPDATE, DELETE, TRUNCATE from it; a trigger refuses them for everyone else);
 * the tampering is done the way an attacker with a superuser connection would: trigger
 * off, rows changed, trigger on. Each kind (a changed field, a deleted row, two rows
 * swapped, a forged row appended or put in the middle) is found at its seq with its fault
 * by GET /api/audit/verify and by `scan2print audit verify --server` and `--data` (exit 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ZERO_HASH, newAuditSecretKey, sealAuditEntry, type AuditEntry, type AuditFault } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../../test/server/harness.js';
import { freshDatabase } from '../../../../test/services/postgres.js';
import { runScan2print } from '../../../../test/cli.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let su: pg.Client;
let appUrl: string;
let role: string;
let t: TestServer;
let a: TestOrg;
let dataDir: string;
let original: Record<string, unknown>[];
let caseId: string;

const COLUMNS = ['seq', 'at', 'org_id', 'case_id', 'actor_id', 'actor_email', 'actor_role', 'action', 'details', 'prev_hash', 'case_prev_hash', 'hash', 'key_id', 'signature'];

beforeAll(async () => {
  db = await freshDatabase('audit_tamper');
  su = new pg.Client({ connectionString: db.url });
  await su.connect();
  role = `s2p_app_${randomBytes(4).toString('hex')}`;
  // The application's role: owns its database and schema, is no superuser.
  await su.query(`create role ${role} login nosuperuser`);
  await su.query(`alter database "${db.name}" owner to ${role}`);
  await su.query(`alter schema public owner to ${role}`);
  const u = new URL(db.url);
  u.username = role;
  appUrl = u.toString();
  dataDir = mkdtempSync(join(tmpdir(), 's2p-audit-pg-'));
  t = await startTestServer({ databaseUrl: appUrl, dataDir });
  a = await t.org('Tamper A');
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'tamper spec', anatomy: 'mandible' })).id;
  for (const body of ['one', 'two', 'three']) await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/comments`, { body });
  original = (await su.query(`select ${COLUMNS.join(', ')} from audit_log order by seq`)).rows;
  expect(original.length).toBeGreaterThanOrEqual(10);
});

afterAll(async () => {
  await t?.close().catch(() => {});
  await su?.end().catch(() => {});
  await db?.drop();
  const admin = new pg.Client({ connectionString: db.url.replace(`/${db.name}`, '/postgres') });
  await admin.connect();
  await admin.query(`drop role if exists ${role}`).catch(() => {});
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs `sql` as the superuser with the append-only trigger off (what an attacker with such access does). */
async function tamper(...statements: [string, unknown[]?][]): Promise<void> {
  await su.query('alter table audit_log disable trigger user');
  try {
    for (const [q, params] of statements) await su.query(q, params);
  } finally {
    await su.query('alter table audit_log enable trigger user');
  }
}

async function restore(): Promise<void> {
  const values = original.map((_, i) => `(${COLUMNS.map((__, j) => `$${i * COLUMNS.length + j + 1}`).join(', ')})`).join(', ');
  await tamper(['delete from audit_log'], [`insert into audit_log (${COLUMNS.join(', ')}) values ${values}`, original.flatMap((r) => COLUMNS.map((c) => r[c]))]);
  expect((await t.json(t.adminToken, 'GET', '/api/audit/verify')).ok).toBe(true);
}

function rowOf(e: AuditEntry): unknown[] {
  return [e.seq, e.at, e.orgId, e.caseId, e.actor?.id ?? null, e.actor?.email ?? null, e.actor?.role ?? null, e.action, JSON.stringify(e.details), e.prevHash, e.casePrevHash, e.hash, e.keyId, e.signature];
}
const INSERT = `insert into audit_log (${COLUMNS.join(', ')}) values (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;

/** A forged entry signed with a key the server never had, linked properly to the entry before. */
function forged(seq: number, prevHash: string): AuditEntry {
  return sealAuditEntry(
    { seq, at: new Date().toISOString(), orgId: a.id, caseId: null, actor: null, action: 'role-changed', details: { userId: a.users.technician, to: 'org-admin' }, prevHash, casePrevHash: null },
    newAuditSecretKey(),
  );
}

/** Every way of asking says the same: first bad seq and fault, exit 1. */
async function expectBroken(seq: number, fault: AuditFault): Promise<void> {
  const v = await t.json(t.adminToken, 'GET', '/api/audit/verify');
  expect(v.ok).toBe(false);
  expect(v.firstBad).toMatchObject({ seq, fault });
  const server = await runScan2print(['audit', 'verify', '--server', t.url, '--token', t.adminToken]);
  expect(server.code, server.stderr).toBe(1);
  expect(server.stdout).toContain(`BROKEN at seq ${seq}: ${fault}`);
  const data = await runScan2print(['audit', 'verify', '--data', dataDir, '--json'], { env: { DATABASE_URL: appUrl } });
  expect(data.code, data.stderr).toBe(1);
  expect(JSON.parse(data.stdout)).toMatchObject({ source: 'data', ok: false, firstBad: { seq, fault } });
}

describe('audit_log on PostgreSQL', () => {
  it('the untampered chain holds: API, CLI --server and --data exit 0', async () => {
    expect(await t.json(t.adminToken, 'GET', '/api/audit/verify')).toMatchObject({ ok: true, checked: original.length });
    const server = await runScan2print(['audit', 'verify', '--server', t.url, '--token', t.adminToken]);
    expect(server.code, server.stderr).toBe(0);
    const data = await runScan2print(['audit', 'verify', '--data', dataDir, '--case', caseId, '--json'], { env: { DATABASE_URL: appUrl } });
    expect(data.code, data.stderr).toBe(0);
    expect(JSON.parse(data.stdout)).toMatchObject({ ok: true, checked: 4 });
  });

  it('the application role may not UPDATE, DELETE or TRUNCATE it (revoked); nobody may while the trigger is on', async () => {
    const app = new pg.Client({ connectionString: appUrl });
    await app.connect();
    try {
      expect((await app.query('select rolsuper from pg_roles where rolname = current_user')).rows[0].rolsuper).toBe(false);
      await expect(app.query("update audit_log set action = 'x' where seq = 1")).rejects.toThrow(/permission denied for table audit_log/);
      await expect(app.query('delete from audit_log where seq = 1')).rejects.toThrow(/permission denied for table audit_log/);
      await expect(app.query('truncate audit_log')).rejects.toThrow(/permission denied for table audit_log/);
    } finally {
      await app.end();
    }
    await expect(su.query("update audit_log set action = 'x' where seq = 1")).rejects.toThrow(/append-only: UPDATE/);
    await expect(su.query('delete from audit_log where seq = 1')).rejects.toThrow(/append-only: DELETE/);
    await expect(su.query('truncate audit_log')).rejects.toThrow(/append-only: TRUNCATE/);
    expect((await su.query('select count(*)::int as n from audit_log')).rows[0].n).toBe(original.length);
  });

  it('a changed field → modified at its seq', async () => {
    await tamper([`update audit_log set details = '{"name":"Another name"}' where seq = 5`]);
    await expectBroken(5, 'modified');
    await restore();
  });

  it('a deleted row → deleted at its seq', async () => {
    await tamper(['delete from audit_log where seq = 4']);
    await expectBroken(4, 'deleted');
    await restore();
  });

  it('two rows swapped → reordered at the first', async () => {
    await tamper(['update audit_log set seq = -3 where seq = 3'], ['update audit_log set seq = 3 where seq = 6'], ['update audit_log set seq = 6 where seq = -3']);
    await expectBroken(3, 'reordered');
    await restore();
  });

  it('a forged row put in the middle (later rows renumbered) → inserted at its seq', async () => {
    const prev = original.find((r) => Number(r.seq) === 6)!.hash as string;
    await tamper(
      ['update audit_log set seq = -seq - 1 where seq >= 7'],
      ['update audit_log set seq = -seq where seq < 0'],
      [INSERT, rowOf(forged(7, prev))],
    );
    await expectBroken(7, 'inserted');
    await restore();
  });

  it('a forged row appended, signed with another key → unknown-key at its seq', async () => {
    const last = original.at(-1)!;
    const seq = Number(last.seq) + 1;
    await tamper([INSERT, rowOf(forged(seq, last.hash as string))]);
    await expectBroken(seq, 'unknown-key');
    await restore();
    expect(original[0]!.prev_hash).toBe(AUDIT_ZERO_HASH);
  });

  it('the newest entries deleted → deleted after the last one left, found from the rows that refer to them', async () => {
    // What is left still links up; the transition's row keeps the seq of its entry.
    await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/transitions`, { to: 'submitted' });
    const ref = Number((await su.query('select max(audit_seq)::int as n from case_transitions')).rows[0].n);
    expect(ref).toBeGreaterThan(original.length);
    await tamper([`delete from audit_log where seq >= ${ref}`]);
    await expectBroken(ref, 'deleted');
    const v = await t.json(t.adminToken, 'GET', `/api/audit/verify?caseId=${caseId}`);
    expect(v.firstBad.message).toContain(`case_transitions rows refer to audit entry seq ${ref}`);
  });
});
