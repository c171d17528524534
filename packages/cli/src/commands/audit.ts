/**
 * `scan2print audit verify`: is the audit chain intact, and if not, where does it first
 * break and how (modified, deleted, inserted, reordered, bad-signature, unknown-key)?
 * Sources: a running server (it verifies with its own keys: GET /api/audit/verify), a
 * data folder (the database read here, checked with the folder's key), or a case bundle
 * (checked offline: manifest, the case's chain, model bytes against the signed entries).
 * Exit 0: the chain holds; 1: broken (the first bad seq and fault printed); 2: usage or a
 * file, folder or server that cannot be read (the message names it).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isScanError, usageError, verifyCaseBundleZip, type AuditKey, type AuditVerifyResult } from '@scan2print/core';
import { serverBase } from './upload-client.js';
import type { RegisterCommand } from './index.js';

interface VerifyOptions {
  server?: string;
  token?: string;
  data?: string;
  bundle?: string;
  case?: string;
  key?: string;
  json?: boolean;
}

const EXAMPLES = [
  'scan2print audit verify --server https://s2p.hospital.example --case 3f0c…   # SCAN2PRINT_TOKEN of an org-admin',
  'scan2print audit verify --data scan2print-data --json',
  'scan2print audit verify --bundle case.zip --key trusted-keys.json',
];

/** What the command found, printed as JSON with --json. */
interface Verdict {
  source: 'server' | 'data' | 'bundle';
  ok: boolean;
  checked: number;
  firstBad?: AuditVerifyResult['firstBad'];
  /** Bundle only: every problem found (manifest, files, chain, models). */
  problems?: { path?: string; seq?: number; fault: string; message: string }[];
  /** Bundle only: checked against keys given with --key (false: the bundle's own keys.json). */
  trusted?: boolean;
  keyIds?: string[];
}

function readKeys(file: string): AuditKey[] {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw usageError('BAD_KEYS', `--key ${file}: cannot read it as JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((k) => k && typeof k.keyId === 'string' && typeof k.publicKey === 'string')) {
    throw usageError('BAD_KEYS', `--key ${file}: expected [{"keyId", "publicKey"}] (audit/keys.json, or GET /api/audit/verify's keys)`);
  }
  return list as AuditKey[];
}

async function fromServer(o: VerifyOptions): Promise<Verdict> {
  const base = serverBase(o.server!);
  const token = (o.token ?? process.env.SCAN2PRINT_TOKEN)?.trim();
  if (!token) throw usageError('NO_TOKEN', 'no API token: set SCAN2PRINT_TOKEN (an org-admin or the admin) or pass --token');
  const url = `${base}/api/audit/verify${o.case ? `?caseId=${encodeURIComponent(o.case)}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw usageError('SERVER_UNREACHABLE', `${base}: not answering (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text.slice(0, 300);
    try {
      msg = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      /* not our JSON: show the text */
    }
    throw usageError('SERVER_REFUSED', `${url}: ${res.status} ${msg}`);
  }
  const r = JSON.parse(text) as AuditVerifyResult;
  return { source: 'server', ok: r.ok, checked: r.checked, ...(r.firstBad ? { firstBad: r.firstBad } : {}) };
}

async function fromData(o: VerifyOptions): Promise<Verdict> {
  const { verifyDataDir } = await import('@scan2print/server');
  const r = await verifyDataDir(resolve(o.data!), { ...(o.case ? { caseId: o.case } : {}), ...(o.key ? { keys: readKeys(o.key) } : {}) });
  return { source: 'data', ok: r.ok, checked: r.checked, ...(r.firstBad ? { firstBad: r.firstBad } : {}) };
}

function fromBundle(o: VerifyOptions): Verdict {
  let zip: Uint8Array;
  try {
    zip = readFileSync(o.bundle!);
  } catch (e) {
    throw usageError('NO_BUNDLE', `--bundle ${o.bundle}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const r = verifyCaseBundleZip(zip, o.key ? { keys: readKeys(o.key) } : {});
  if (o.case && r.caseId && r.caseId !== o.case) throw usageError('OTHER_CASE', `--bundle ${o.bundle} is case ${r.caseId}, not ${o.case}`);
  // firstBad is the chain's; a bundle can also break outside it (a file, a model's bytes): see problems.
  return { source: 'bundle', ok: r.ok, checked: r.chain.checked, ...(r.chain.firstBad ? { firstBad: r.chain.firstBad } : {}), problems: r.problems, trusted: r.trusted, keyIds: r.keyIds };
}

export const registerAudit: RegisterCommand = (program: Command, setExit) => {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('check the audit chain of a server, a data folder or a case bundle; exit 0 holds, 1 broken, 2 cannot check')
    .option('--server <url>', 'a running scan2print server (it verifies with its keys; token of an org-admin or the admin)')
    .option('--token <token>', 'API token (default: $SCAN2PRINT_TOKEN)')
    .option('--data <dir>', "a server's data folder (its database, or DATABASE_URL's; its audit-key.pem or SCAN2PRINT_AUDIT_KEY_FILE)")
    .option('--bundle <zip>', 'a case bundle (GET /api/cases/:id/bundle), checked offline')
    .option('--case <id>', "only this case's entries (their casePrevHash links)")
    .option('--key <keys.json>', 'trusted public keys [{keyId, publicKey}] (for --bundle: instead of the bundle’s own keys.json)')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .addHelpText('after', `\nExamples:\n${EXAMPLES.map((e) => `  $ ${e}`).join('\n')}\n`)
    .action(async (o: VerifyOptions & { quiet?: boolean }) => {
      const sources = [o.server, o.data, o.bundle].filter((x) => x !== undefined).length;
      let v: Verdict;
      try {
        if (sources !== 1) throw usageError('BAD_OPTION', 'give exactly one of --server URL, --data DIR or --bundle case.zip');
        if (o.token && !o.server) throw usageError('BAD_OPTION', '--token only applies with --server');
        v = o.server ? await fromServer(o) : o.data ? await fromData(o) : fromBundle(o);
      } catch (e) {
        // Every failure to check (usage, a file, folder or server) is exit 2, not "broken".
        process.stderr.write(`scan2print: ${isScanError(e) || e instanceof Error ? e.message : String(e)}\n`);
        setExit(2);
        return;
      }
      if (o.json) process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
      else if (!o.quiet) {
        if (v.ok) process.stdout.write(`audit chain holds: ${v.checked} entries checked (${v.source})\n`);
        // A bundle re-signed and re-keyed by a forger holds against its own keys: say what was shown.
        if (v.ok && v.trusted === false) {
          process.stdout.write(
            `  UNTRUSTED: checked against the bundle's own key(s) ${v.keyIds?.join(', ')}: the bundle is consistent, not shown to come from your server; ` +
              `check it with --key and the server's keys (GET /api/audit/verify, or audit/keys.json from its data folder)\n`,
          );
        }
        else {
          const b = v.firstBad;
          process.stdout.write(b ? `audit chain BROKEN at seq ${b.seq}: ${b.fault}: ${b.message}\n` : `BROKEN: the ${v.source} does not hold\n`);
          for (const p of v.problems ?? []) process.stdout.write(`  ${p.fault}${p.path ? ` ${p.path}` : ''}${p.seq !== undefined ? ` seq ${p.seq}` : ''}: ${p.message}\n`);
        }
      }
      setExit(v.ok ? 0 : 1);
    });
};
