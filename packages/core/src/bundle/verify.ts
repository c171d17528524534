/**
 * Offline check of a case bundle (layout.ts), for `scan2print audit verify --bundle` and
 * the browser: every file matches the manifest; the case's audit chain holds (casePrevHash
 * links, hashes, Ed25519 signatures against keys.json or the keys the caller trusts); and
 * every model and report file has the SHA-256 its job's signed 'job-succeeded' entry
 * recorded, so changing a model and then the manifest to match is still found. A label's
 * code must be one a signed 'model-code-issued' entry issued.
 */
import { unzipSync } from 'fflate';
import { verifyAuditChain } from '../audit/verify.js';
import type { AuditEntry, AuditFault, AuditKey, AuditVerifyResult } from '../audit/types.js';
import { CASE_BUNDLE_FORMAT, sha256Hex, type CaseBundleManifest } from './layout.js';

export type BundleFault =
  | AuditFault
  /** manifest.json missing, not JSON, or not this format. */
  | 'bad-manifest'
  /** A file the manifest lists is not in the bundle. */
  | 'missing-file'
  /** A file in the bundle the manifest does not list. */
  | 'unlisted-file'
  /** A file's bytes differ from the manifest's sha256 or size. */
  | 'file-hash'
  /** A model or report file's sha256 differs from its job's signed 'job-succeeded' entry. */
  | 'model-hash'
  /** A model or report file, or a label, no signed entry of the case records. */
  | 'unrecorded'
  /** audit/entries.jsonl or audit/keys.json is missing or not what it should hold. */
  | 'bad-audit-file'
  /** An entry of another case in the case's audit file. */
  | 'other-case';

export interface BundleProblem {
  path?: string;
  seq?: number;
  fault: BundleFault;
  message: string;
}

export interface BundleVerifyResult {
  ok: boolean;
  caseId?: string;
  problems: BundleProblem[];
  /** The case's chain as verifyAuditChain saw it (checked 0 when there were no entries to read). */
  chain: AuditVerifyResult;
  /**
   * Checked against keys the caller trusts (opts.keys). False: against the bundle's own
   * keys.json, which shows the bundle is consistent, not who made it (a forger re-signs and
   * re-keys the whole bundle).
   */
  trusted: boolean;
  /** The keys it was checked against. */
  keyIds: string[];
}

export interface BundleVerifyOptions {
  /** Keys the verifier trusts; default the bundle's own audit/keys.json (then a re-signed, re-keyed bundle is only caught with these). */
  keys?: readonly AuditKey[];
}

const dec = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(dec.decode(bytes));
  } catch {
    return undefined;
  }
}

function manifestOf(v: unknown): CaseBundleManifest | undefined {
  const m = v as Partial<CaseBundleManifest> | undefined;
  if (!m || typeof m !== 'object' || m.format !== CASE_BUNDLE_FORMAT || typeof m.caseId !== 'string' || !Array.isArray(m.files)) return undefined;
  const fileOk = (f: unknown) => {
    const x = f as Record<string, unknown>;
    return !!x && typeof x.path === 'string' && typeof x.sha256 === 'string' && typeof x.bytes === 'number';
  };
  return m.files.every(fileOk) ? (m as CaseBundleManifest) : undefined;
}

function entriesOf(bytes: Uint8Array, problems: BundleProblem[]): AuditEntry[] {
  let text: string;
  try {
    text = dec.decode(bytes);
  } catch {
    problems.push({ path: 'audit/entries.jsonl', fault: 'bad-audit-file', message: 'audit/entries.jsonl is not UTF-8' });
    return [];
  }
  const out: AuditEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const e = JSON.parse(line) as AuditEntry;
      if (!e || typeof e !== 'object' || typeof e.seq !== 'number') throw new Error('not an entry');
      out.push(e);
    } catch {
      problems.push({ path: 'audit/entries.jsonl', fault: 'bad-audit-file', message: `line ${i + 1} of audit/entries.jsonl is not an audit entry` });
    }
  });
  return out;
}

function keysOf(bytes: Uint8Array | undefined): AuditKey[] | undefined {
  const v = parseJson(bytes);
  if (!Array.isArray(v)) return undefined;
  return v.every((k) => k && typeof k.keyId === 'string' && typeof k.publicKey === 'string') ? (v as AuditKey[]) : undefined;
}

type Recorded = { name: string; sha256: string };

/** Artifacts each job's 'job-succeeded' entry signed for, by job id. */
function recordedArtifacts(entries: readonly AuditEntry[]): Map<string, { seq: number; artifacts: Recorded[] }> {
  const out = new Map<string, { seq: number; artifacts: Recorded[] }>();
  for (const e of entries) {
    if (e.action !== 'job-succeeded' || typeof e.details?.jobId !== 'string') continue;
    const list = Array.isArray(e.details.artifacts) ? (e.details.artifacts as unknown[]) : [];
    const artifacts = list.filter((a): a is Recorded => !!a && typeof (a as Recorded).name === 'string' && typeof (a as Recorded).sha256 === 'string');
    out.set(e.details.jobId, { seq: e.seq, artifacts });
  }
  return out;
}

export function verifyCaseBundle(input: Map<string, Uint8Array> | Record<string, Uint8Array>, opts: BundleVerifyOptions = {}): BundleVerifyResult {
  const files = input instanceof Map ? input : new Map(Object.entries(input));
  const problems: BundleProblem[] = [];
  const noChain: AuditVerifyResult = { ok: false, checked: 0 };
  const manifest = manifestOf(parseJson(files.get('manifest.json')));
  if (!manifest) {
    problems.push({ path: 'manifest.json', fault: 'bad-manifest', message: `manifest.json is missing or not a ${CASE_BUNDLE_FORMAT} manifest` });
    return { ok: false, problems, chain: noChain, trusted: opts.keys !== undefined, keyIds: [] };
  }
  const caseId = manifest.caseId;

  // 1. The manifest and the files.
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const bytes = files.get(f.path);
    if (!bytes) problems.push({ path: f.path, fault: 'missing-file', message: `${f.path} is listed in the manifest but not in the bundle` });
    else if (bytes.length !== f.bytes || sha256Hex(bytes) !== f.sha256) {
      problems.push({ path: f.path, fault: 'file-hash', message: `${f.path}: ${bytes.length} bytes, SHA-256 ${sha256Hex(bytes)}; the manifest says ${f.bytes} bytes, ${f.sha256}` });
    }
  }
  for (const path of files.keys()) {
    if (path !== 'manifest.json' && !listed.has(path) && !path.endsWith('/')) {
      problems.push({ path, fault: 'unlisted-file', message: `${path} is in the bundle but not in the manifest` });
    }
  }

  // 2. The case's audit chain.
  const jsonl = files.get('audit/entries.jsonl');
  if (!jsonl) problems.push({ path: 'audit/entries.jsonl', fault: 'bad-audit-file', message: 'audit/entries.jsonl is missing' });
  const entries = jsonl ? entriesOf(jsonl, problems) : [];
  for (const e of entries) {
    if (e.caseId !== caseId) problems.push({ seq: e.seq, path: 'audit/entries.jsonl', fault: 'other-case', message: `entry seq ${e.seq} belongs to case ${String(e.caseId)}, not ${caseId}` });
  }
  const bundleKeys = keysOf(files.get('audit/keys.json'));
  if (!bundleKeys) problems.push({ path: 'audit/keys.json', fault: 'bad-audit-file', message: 'audit/keys.json is missing or not a list of {keyId, publicKey}' });
  const keys = opts.keys ?? bundleKeys ?? [];
  const chain = entries.length > 0 ? verifyAuditChain(entries, keys, { scope: { caseId } }) : noChain;
  if (jsonl && entries.length === 0) problems.push({ path: 'audit/entries.jsonl', fault: 'bad-audit-file', message: `audit/entries.jsonl holds no entry of case ${caseId}` });
  if (chain.firstBad) problems.push({ path: 'audit/entries.jsonl', seq: chain.firstBad.seq, fault: chain.firstBad.fault, message: chain.firstBad.message });

  // 3. Models and reports against their signed job entries; labels against issued codes.
  const recorded = recordedArtifacts(entries.filter((e) => e.caseId === caseId));
  const codes = new Set(entries.filter((e) => e.caseId === caseId && e.action === 'model-code-issued').map((e) => String(e.details?.code)));
  for (const [path, bytes] of files) {
    const m = /^(models|reports)\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) {
      const [, , jobId, name] = m as unknown as [string, string, string, string];
      const job = recorded.get(jobId);
      const art = job?.artifacts.find((a) => a.name === name);
      if (!job || !art) {
        problems.push({ path, fault: 'unrecorded', message: `${path}: no signed 'job-succeeded' entry of job ${jobId} records ${name}` });
      } else if (sha256Hex(bytes) !== art.sha256) {
        problems.push({ path, seq: job.seq, fault: 'model-hash', message: `${path}: SHA-256 ${sha256Hex(bytes)}; job ${jobId}'s 'job-succeeded' entry (seq ${job.seq}) records ${art.sha256}` });
      }
      continue;
    }
    const l = /^labels\/([^/]+)\.(svg|png)$/.exec(path);
    if (l && !codes.has(l[1]!)) problems.push({ path, fault: 'unrecorded', message: `${path}: no signed 'model-code-issued' entry of the case issued code ${l[1]}` });
  }
  return { ok: problems.length === 0 && chain.ok, caseId, problems, chain, trusted: opts.keys !== undefined, keyIds: keys.map((k) => k.keyId) };
}

/** verifyCaseBundle on a zip's bytes (a zip that cannot be read is one 'bad-manifest' problem). */
export function verifyCaseBundleZip(zip: Uint8Array, opts: BundleVerifyOptions = {}): BundleVerifyResult {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (e) {
    return { ok: false, problems: [{ fault: 'bad-manifest', message: `not a readable zip: ${(e as Error).message}` }], chain: { ok: false, checked: 0 }, trusted: opts.keys !== undefined, keyIds: [] };
  }
  return verifyCaseBundle(files, opts);
}
