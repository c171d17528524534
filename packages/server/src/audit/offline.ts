/**
 * `scan2print audit verify --data DIR`: the chain read straight from the database (PGlite
 * under DIR, or DATABASE_URL) and checked here with the public key of DIR's key file (never
 * made here: a missing key is an error, not a new key) and any keys the caller trusts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditKeyOf, inputError, verifyAuditChain, type AuditKey, type AuditVerifyResult } from '@scan2print/core';
import { openDatabase } from '../db/connect.js';
import { lockDataDir } from '../data-lock.js';
import { auditKeyFile, parseKeyFile, retiredKeys } from './keys.js';
import { auditEntries } from './log.js';
import { nodeVerify } from './native.js';
import { checkTail } from './tail.js';

export interface StoredChainCheck extends AuditVerifyResult {
  keys: AuditKey[];
  /** Entries in the database (of the case, with caseId). */
  entries: number;
}

export async function verifyDataDir(
  dataDir: string,
  opts: { caseId?: string; keys?: AuditKey[]; databaseUrl?: string; env?: Record<string, string | undefined> } = {},
): Promise<StoredChainCheck> {
  const env = opts.env ?? process.env;
  const url = opts.databaseUrl ?? env.DATABASE_URL;
  if (!existsSync(dataDir)) throw inputError('NO_DATA_DIR', 'no such folder (--data names the server\'s data folder)', dataDir);
  const keyFile = auditKeyFile(dataDir, env);
  const keys: AuditKey[] = [...(opts.keys ?? []), ...retiredKeys(env)];
  if (existsSync(keyFile)) keys.push(auditKeyOf(parseKeyFile(readFileSync(keyFile), keyFile)));
  else if (!opts.keys?.length) throw inputError('NO_AUDIT_KEY', 'no audit key file here (SCAN2PRINT_AUDIT_KEY_FILE, or the data folder\'s audit-key.pem); give the trusted public keys with --key keys.json', keyFile);
  if (!url && !existsSync(join(dataDir, 'db'))) throw inputError('NO_DATABASE', `holds no scan2print database (no ${join(dataDir, 'db')}; set DATABASE_URL for PostgreSQL)`, dataDir);
  // Embedded: a running server holds the folder, and a second PGlite on it would corrupt it.
  const lock = url ? undefined : lockDataDir(dataDir);
  try {
    const dbh = await openDatabase({ ...(url ? { url } : {}), dataDir });
    try {
      const entries = await auditEntries(dbh.db, opts.caseId ? { caseId: opts.caseId } : {});
      const chain = verifyAuditChain(entries, keys, { verifySignature: nodeVerify, ...(opts.caseId ? { scope: { caseId: opts.caseId } } : {}) });
      const r = await checkTail(dbh.db, entries, chain, opts.caseId);
      return { ...r, keys, entries: entries.length };
    } finally {
      await dbh.close();
    }
  } finally {
    lock?.release();
  }
}
