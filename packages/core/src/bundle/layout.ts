/**
 * The case bundle (issue 11): one zip holding a case's models, reports, labels and the audit
 * entries with the keys to verify them offline. Built here (pure, deterministic: the same
 * parts and time give the same bytes) so the server and the verifier share one layout.
 *
 *   manifest.json                     {format, caseId, createdAt, files: [{path, sha256, bytes}]}
 *   audit/entries.jsonl               the case's AuditEntry rows in seq order, one JSON per line
 *   audit/keys.json                   AuditKey[]
 *   models/<jobId>/<artifact name>    each succeeded model version's model files (3mf, stl)
 *   reports/<jobId>/report.html|json  its reports
 *   labels/<code>.svg|.png            the label of each version with a code
 */
import { zipSync, type Zippable } from 'fflate';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../audit/crypto.js';
import type { AuditEntry, AuditKey } from '../audit/types.js';

export const CASE_BUNDLE_FORMAT = 'scan2print-case-bundle/1';

export interface CaseBundleFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface CaseBundleManifest {
  format: typeof CASE_BUNDLE_FORMAT;
  caseId: string;
  createdAt: string;
  files: CaseBundleFile[];
}

export interface CaseBundleParts {
  caseId: string;
  /** ISO 8601; also every zip entry's modification time. */
  createdAt: string;
  entries: readonly AuditEntry[];
  keys: readonly AuditKey[];
  /** Other files by bundle path (models/…, reports/…, labels/…). */
  files: Record<string, Uint8Array>;
}

const enc = new TextEncoder();
export const sha256Hex = (b: Uint8Array): string => toHex(sha256(b));

/** Paths in the order they are written: audit first, then models, reports, labels, each sorted. */
function ordered(paths: string[]): string[] {
  const rank = (p: string) => ['audit/', 'models/', 'reports/', 'labels/'].findIndex((d) => p.startsWith(d)) >>> 0;
  return [...paths].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function auditJsonl(entries: readonly AuditEntry[]): Uint8Array {
  return enc.encode(entries.map((e) => JSON.stringify(e) + '\n').join(''));
}

/** The bundle's files (manifest first) as a path → bytes map, in zip order. */
export function caseBundleFiles(p: CaseBundleParts): Map<string, Uint8Array> {
  const body: Record<string, Uint8Array> = {
    ...p.files,
    'audit/entries.jsonl': auditJsonl(p.entries),
    'audit/keys.json': enc.encode(JSON.stringify(p.keys, null, 2) + '\n'),
  };
  const paths = ordered(Object.keys(body));
  const manifest: CaseBundleManifest = {
    format: CASE_BUNDLE_FORMAT,
    caseId: p.caseId,
    createdAt: p.createdAt,
    files: paths.map((path) => ({ path, sha256: sha256Hex(body[path]!), bytes: body[path]!.length })),
  };
  const out = new Map<string, Uint8Array>([['manifest.json', enc.encode(JSON.stringify(manifest, null, 2) + '\n')]]);
  for (const path of paths) out.set(path, body[path]!);
  return out;
}

/** Already compressed formats are stored; the rest deflated. */
const STORED = /\.(3mf|png|gz|zip)$/i;

/** A map of files as a zip whose bytes depend only on the map and `mtime`. */
export function zipFiles(files: Map<string, Uint8Array>, mtime: string): Uint8Array {
  // fflate writes the DOS time from the Date's local-time fields: shift so they read as the
  // UTC time, and the bytes do not depend on the machine's time zone.
  const utc = new Date(mtime);
  const t = new Date(utc.getTime() + utc.getTimezoneOffset() * 60_000);
  const z: Zippable = {};
  for (const [path, bytes] of files) z[path] = [bytes, { level: STORED.test(path) ? 0 : 6, mtime: t }];
  return zipSync(z);
}

export function buildCaseBundle(p: CaseBundleParts): Uint8Array {
  return zipFiles(caseBundleFiles(p), p.createdAt);
}
