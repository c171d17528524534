import { describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import {
  AUDIT_ZERO_HASH,
  auditKeyOf,
  newAuditSecretKey,
  sealAuditEntry,
  type AuditEntry,
} from '../audit/index.js';
import { buildCaseBundle, caseBundleFiles, sha256Hex, type CaseBundleManifest, type CaseBundleParts } from './layout.js';
import { verifyCaseBundle, verifyCaseBundleZip, type BundleFault } from './verify.js';

const KEY = newAuditSecretKey();
const KEYS = [auditKeyOf(KEY)];
const CASE = '11111111-1111-4111-8111-111111111111';
const OTHER_CASE = '22222222-2222-4222-8222-222222222222';
const JOB = '33333333-3333-4333-8333-333333333333';
const enc = new TextEncoder();
const dec = new TextDecoder();

const MODEL = enc.encode('PK fake 3mf bytes of the skull model');
const STL = enc.encode('solid skull\nendsolid skull\n');
const REPORT = enc.encode('<html>ISO/IEC 3532 report</html>');

/** The whole installation's chain (two cases interleaved, as the server writes it), signed with `key`. */
function installationChain(key = KEY): AuditEntry[] {
  const steps: Array<[string | null, string, Record<string, unknown>]> = [
    [CASE, 'case-created', { purpose: 'orbital floor' }],
    [OTHER_CASE, 'case-created', {}],
    [CASE, 'files-uploaded', { added: 140 }],
    [null, 'sign-in', {}],
    [CASE, 'job-succeeded', { jobId: JOB, artifacts: [
      { name: 'bone.3mf', sha256: sha256Hex(MODEL), bytes: MODEL.length },
      { name: 'bone.stl', sha256: sha256Hex(STL), bytes: STL.length },
      { name: 'report.html', sha256: sha256Hex(REPORT), bytes: REPORT.length },
    ] }],
    [OTHER_CASE, 'comment', {}],
    [CASE, 'review', { decision: 'approve', jobId: JOB }],
    [CASE, 'model-code-issued', { code: '7K3M9QXZ', jobId: JOB, sha256: sha256Hex(MODEL) }],
    [CASE, 'download', { name: 'bone.3mf' }],
  ];
  const out: AuditEntry[] = [];
  const last = new Map<string, string>();
  steps.forEach(([caseId, action, details], i) => {
    const e = sealAuditEntry(
      {
        seq: i + 1,
        at: new Date(Date.UTC(2026, 10, 30, 10, 0, i)).toISOString(),
        orgId: 'org-1',
        caseId,
        actor: { id: 'u1', email: 'reviewer@example.org', role: 'reviewer' },
        action,
        details,
        prevHash: out.at(-1)?.hash ?? AUDIT_ZERO_HASH,
        casePrevHash: caseId === null ? null : (last.get(caseId) ?? AUDIT_ZERO_HASH),
      },
      key,
    );
    if (caseId) last.set(caseId, e.hash);
    out.push(e);
  });
  return out;
}

function parts(key = KEY): CaseBundleParts {
  return {
    caseId: CASE,
    createdAt: '2026-11-30T11:00:00.000Z',
    entries: installationChain(key).filter((e) => e.caseId === CASE),
    keys: [auditKeyOf(key)],
    files: {
      [`models/${JOB}/bone.3mf`]: MODEL,
      [`models/${JOB}/bone.stl`]: STL,
      [`reports/${JOB}/report.html`]: REPORT,
      'labels/7K3M9QXZ.svg': enc.encode('<svg/>'),
    },
  };
}

/** A tampered copy: `change` edits the files; with `fixManifest` the manifest is rewritten to match (the careful forger). */
function tampered(change: (f: Map<string, Uint8Array>) => void, fixManifest = true): Map<string, Uint8Array> {
  const files = new Map(caseBundleFiles(parts()));
  change(files);
  if (fixManifest) {
    const m = JSON.parse(dec.decode(files.get('manifest.json'))) as CaseBundleManifest;
    m.files = [...files.keys()].filter((p) => p !== 'manifest.json').map((path) => ({ path, sha256: sha256Hex(files.get(path)!), bytes: files.get(path)!.length }));
    files.set('manifest.json', enc.encode(JSON.stringify(m)));
  }
  return files;
}

const lines = (f: Map<string, Uint8Array>) => dec.decode(f.get('audit/entries.jsonl')).trimEnd().split('\n');
const setLines = (f: Map<string, Uint8Array>, l: string[]) => f.set('audit/entries.jsonl', enc.encode(l.join('\n') + '\n'));
const faults = (f: Map<string, Uint8Array>, keys?: typeof KEYS) => verifyCaseBundle(f, keys ? { keys } : {}).problems.map((p) => p.fault).sort();

describe('case bundle', () => {
  it('is the same bytes for the same parts, in the documented layout, and verifies', () => {
    const zip = buildCaseBundle(parts());
    expect(buildCaseBundle(parts())).toEqual(zip);
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual([
      'manifest.json',
      'audit/entries.jsonl',
      'audit/keys.json',
      `models/${JOB}/bone.3mf`,
      `models/${JOB}/bone.stl`,
      `reports/${JOB}/report.html`,
      'labels/7K3M9QXZ.svg',
    ]);
    const m = JSON.parse(dec.decode(files['manifest.json'])) as CaseBundleManifest;
    expect(m.format).toBe('scan2print-case-bundle/1');
    expect(m.files.find((f) => f.path.endsWith('bone.3mf'))).toEqual({ path: `models/${JOB}/bone.3mf`, sha256: sha256Hex(MODEL), bytes: MODEL.length });
    expect(lines(new Map(Object.entries(files)))).toHaveLength(6);
    const r = verifyCaseBundleZip(zip);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, caseId: CASE, chain: { ok: true, checked: 6 } });
    expect(verifyCaseBundleZip(zip, { keys: KEYS }).ok).toBe(true);
  });

  it('a changed model byte: the manifest hash, and the signed job entry', () => {
    const flip = (f: Map<string, Uint8Array>) => {
      const b = f.get(`models/${JOB}/bone.stl`)!.slice();
      b[3] ^= 1;
      f.set(`models/${JOB}/bone.stl`, b);
    };
    expect(faults(tampered(flip, false))).toEqual<BundleFault[]>(['file-hash', 'model-hash']);
    // The manifest rewritten to match: the signed 'job-succeeded' entry still holds the old hash.
    const r = verifyCaseBundle(tampered(flip));
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ path: `models/${JOB}/bone.stl`, fault: 'model-hash', seq: 5 })]);
    expect(r.chain.ok).toBe(true);
  });

  it('a dropped audit line → deleted; two lines swapped → reordered; an edited detail → modified', () => {
    const drop = verifyCaseBundle(tampered((f) => setLines(f, lines(f).filter((_, i) => i !== 1))));
    expect(drop.problems.map((p) => p.fault)).toEqual(['deleted']);
    expect(drop.chain.firstBad).toMatchObject({ fault: 'deleted' });
    // Dropping the job's own entry also leaves its three files without a signed record.
    expect(faults(tampered((f) => setLines(f, lines(f).filter((l) => !l.includes('"job-succeeded"')))))).toEqual(['deleted', 'unrecorded', 'unrecorded', 'unrecorded']);

    const swap = verifyCaseBundle(tampered((f) => {
      const l = lines(f);
      [l[1], l[2]] = [l[2]!, l[1]!];
      setLines(f, l);
    }));
    expect(swap.problems.map((p) => p.fault)).toEqual(['reordered']);

    const edit = verifyCaseBundle(tampered((f) => setLines(f, lines(f).map((l) => l.replace('"decision":"approve"', '"decision":"request-changes"')))));
    expect(edit.problems).toEqual([expect.objectContaining({ fault: 'modified', seq: 7 })]);
  });

  it('keys.json swapped for another key → unknown-key; re-signed with that key is caught by the keys the verifier trusts', () => {
    const forger = newAuditSecretKey();
    const swapped = tampered((f) => f.set('audit/keys.json', enc.encode(JSON.stringify([auditKeyOf(forger)]))));
    expect(faults(swapped)).toEqual(['unknown-key']);
    // A forger who re-signs the whole chain with their own key and ships that key: consistent
    // in itself, so only the server's trusted keys tell.
    const resigned = caseBundleFiles(parts(forger));
    expect(verifyCaseBundle(resigned).ok).toBe(true);
    expect(faults(resigned, KEYS)).toEqual(['unknown-key']);
  });

  it('an unlisted file, a label no code was issued for, an entry of another case, a broken manifest', () => {
    expect(faults(tampered((f) => f.set('extra.txt', enc.encode('x')), false))).toEqual(['unlisted-file']);
    expect(faults(tampered((f) => f.set('labels/AAAAAAAA.svg', enc.encode('<svg/>'))))).toEqual(['unrecorded']);
    expect(faults(tampered((f) => f.set(`models/${JOB}/other.stl`, enc.encode('solid x'))))).toEqual(['unrecorded']);
    const foreign = installationChain().find((e) => e.caseId === OTHER_CASE)!;
    expect(faults(tampered((f) => setLines(f, [...lines(f), JSON.stringify(foreign)])))).toContain('other-case');
    expect(faults(tampered((f) => f.delete(`models/${JOB}/bone.stl`), false))).toEqual(['missing-file']);
    expect(faults(tampered((f) => f.set('manifest.json', enc.encode('{"format":"other"}')), false))).toEqual(['bad-manifest']);
    expect(verifyCaseBundleZip(enc.encode('not a zip')).problems[0]!.fault).toBe('bad-manifest');
  });
});
