/**
 * `scan2print audit verify --bundle` on case bundles made by core's layout (as the server
 * writes them), and the command's usage and I/O errors (exit 2, naming what could not be
 * read). The --server and --data sources are run against real servers in
 * packages/server/src/audit/*.spec.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AUDIT_ZERO_HASH,
  auditKeyOf,
  buildCaseBundle,
  caseBundleFiles,
  newAuditSecretKey,
  sealAuditEntry,
  sha256Hex,
  zipFiles,
  type AuditEntry,
  type CaseBundleManifest,
} from '@scan2print/core';
import { runScan2print } from '../../../../test/cli.js';

const dir = mkdtempSync(join(tmpdir(), 's2p-audit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = newAuditSecretKey();
const CASE = '11111111-1111-4111-8111-111111111111';
const JOB = '33333333-3333-4333-8333-333333333333';
const enc = new TextEncoder();
const dec = new TextDecoder();
const MODEL = enc.encode('PK the skull model bytes');

function chain(): AuditEntry[] {
  const steps: Array<[string, Record<string, unknown>]> = [
    ['case-created', { anatomy: 'skull' }],
    ['files-uploaded', { added: 140 }],
    ['job-succeeded', { jobId: JOB, artifacts: [{ name: 'bone.3mf', sha256: sha256Hex(MODEL), bytes: MODEL.length }] }],
    ['review', { decision: 'approve', jobId: JOB }],
  ];
  const out: AuditEntry[] = [];
  steps.forEach(([action, details], i) =>
    out.push(
      sealAuditEntry(
        {
          seq: 2 * i + 1,
          at: new Date(Date.UTC(2026, 10, 30, 10, 0, i)).toISOString(),
          orgId: 'org-1',
          caseId: CASE,
          actor: { id: 'u1', email: 'eng@example.org', role: 'engineer' },
          action,
          details,
          prevHash: 'f'.repeat(64),
          casePrevHash: out.at(-1)?.hash ?? AUDIT_ZERO_HASH,
        },
        KEY,
      ),
    ),
  );
  return out;
}

const parts = () => ({ caseId: CASE, createdAt: '2026-11-30T11:00:00.000Z', entries: chain(), keys: [auditKeyOf(KEY)], files: { [`models/${JOB}/bone.3mf`]: MODEL } });

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** The bundle with `change` applied and its manifest rewritten to match (a careful forger). */
function forged(change: (f: Map<string, Uint8Array>) => void): Uint8Array {
  const files = new Map(caseBundleFiles(parts()));
  change(files);
  const m = JSON.parse(dec.decode(files.get('manifest.json'))) as CaseBundleManifest;
  m.files = [...files.keys()].filter((p) => p !== 'manifest.json').map((path) => ({ path, sha256: sha256Hex(files.get(path)!), bytes: files.get(path)!.length }));
  files.set('manifest.json', enc.encode(JSON.stringify(m)));
  return zipFiles(files, '2026-11-30T11:00:00.000Z');
}

describe('scan2print audit verify --bundle', () => {
  it('an untouched bundle holds (exit 0); --json says how many entries were checked', async () => {
    const zip = write('case.zip', buildCaseBundle(parts()));
    const r = await runScan2print(['audit', 'verify', '--bundle', zip, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ source: 'bundle', ok: true, checked: 4, trusted: false, keyIds: [auditKeyOf(KEY).keyId] });
    const plain = await runScan2print(['audit', 'verify', '--bundle', zip, '--case', CASE]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('audit chain holds: 4 entries checked (bundle)');
    // Its own keys show it is consistent, not where it came from: said plainly, unless --key names trusted ones.
    expect(plain.stdout).toContain(`UNTRUSTED: checked against the bundle's own key(s) ${auditKeyOf(KEY).keyId}`);
    const trusted = await runScan2print(['audit', 'verify', '--bundle', zip, '--key', write('trusted-keys.json', enc.encode(JSON.stringify([auditKeyOf(KEY)])))]);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).not.toContain('UNTRUSTED');
  });

  it('a model changed (manifest fixed to match) → exit 1, model-hash naming the file', async () => {
    const zip = write('model.zip', forged((f) => f.set(`models/${JOB}/bone.3mf`, enc.encode('PK another model'))));
    const r = await runScan2print(['audit', 'verify', '--bundle', zip]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN/);
    expect(r.stdout).toContain(`model-hash models/${JOB}/bone.3mf`);
  });

  it('an entry line dropped (manifest fixed) → exit 1, deleted at the next entry of the case', async () => {
    const e = chain();
    const zip = write('dropped.zip', forged((f) => f.set('audit/entries.jsonl', enc.encode([e[0], e[2], e[3]].map((x) => JSON.stringify(x) + '\n').join('')))));
    const r = await runScan2print(['audit', 'verify', '--bundle', zip, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).firstBad).toMatchObject({ seq: e[2]!.seq, fault: 'deleted' });
  });

  it('trusted keys given with --key that did not sign it → exit 1, unknown-key', async () => {
    const zip = write('case2.zip', buildCaseBundle(parts()));
    const keys = write('other-keys.json', enc.encode(JSON.stringify([auditKeyOf(newAuditSecretKey())])));
    const r = await runScan2print(['audit', 'verify', '--bundle', zip, '--key', keys]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`BROKEN at seq 1: unknown-key`);
  });
});

describe('scan2print audit verify: cannot check → exit 2 with a message naming what', () => {
  it('no source, two sources, --token without --server, a missing bundle, a bad key file, a server not answering', async () => {
    const none = await runScan2print(['audit', 'verify']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give exactly one of --server URL, --data DIR or --bundle case.zip');
    const two = await runScan2print(['audit', 'verify', '--data', dir, '--bundle', 'x.zip']);
    expect(two.code).toBe(2);
    const token = await runScan2print(['audit', 'verify', '--bundle', 'x.zip', '--token', 'x']);
    expect(token.stderr).toContain('--token only applies with --server');
    const missing = await runScan2print(['audit', 'verify', '--bundle', join(dir, 'nope.zip')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--bundle ${join(dir, 'nope.zip')}: cannot read it (ENOENT)`);
    const badKey = write('bad-keys.json', enc.encode('{not json'));
    const k = await runScan2print(['audit', 'verify', '--bundle', write('c3.zip', buildCaseBundle(parts())), '--key', badKey]);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain(`--key ${badKey}: cannot read it as JSON`);
    const noKey = await runScan2print(['audit', 'verify', '--data', dir]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain(join(dir, 'audit-key.pem'));
    const server = await runScan2print(['audit', 'verify', '--server', 'http://127.0.0.1:9', '--token', 'x']);
    expect(server.code).toBe(2);
    expect(server.stderr).toContain('http://127.0.0.1:9: not answering');
  });
});
