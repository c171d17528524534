/**
 * Taking files into a case. Each file is checked against the DICOM PS3.15 Basic Profile
 * (core's findIdentifyingAttributes); one that still identifies the patient is refused,
 * naming it and the attributes, unless the organisation switched on server-side
 * anonymisation, in which case core's anonymiser runs in memory first. All files of a
 * request are checked before any is stored and listed in one transaction: a batch is taken
 * whole or not at all, and nothing identifiable ever reaches the store, the database or a log.
 */
import { createHash, randomUUID } from 'node:crypto';
import dicomParser from 'dicom-parser';
import { anonymiseDataset, describeIdentifiability, findIdentifyingAttributes, isScanError } from '@scan2print/core';
import { HttpError } from '../http/errors.js';
import type { Kysely } from 'kysely';
import type { Services } from '../context.js';
import type { Database } from '../db/schema.js';
import type { UploadedFile } from './unpack.js';
import { appendAudit } from '../audit/index.js';
import { refuseClosedCaseNow } from '../workflow/closed.js';

export interface IngestResult {
  received: number;
  added: number;
  duplicates: number;
  anonymisedByServer: number;
}

interface Ready {
  bytes: Uint8Array;
  sha256: string;
  seriesUid: string | null;
  sopUid: string | null;
  by: 'checked' | 'server';
}

function uids(bytes: Uint8Array): { seriesUid: string | null; sopUid: string | null } {
  const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  return { seriesUid: ds.string('x0020000e')?.trim() || null, sopUid: ds.string('x00080018')?.trim() || null };
}

async function prepare(f: UploadedFile, org: { server_anonymise: boolean; anonymise_key: string }): Promise<Ready> {
  let report;
  try {
    report = findIdentifyingAttributes(f.bytes, f.name);
  } catch (e) {
    // Core's message already starts with the file name.
    throw new HttpError(422, 'NOT_DICOM', isScanError(e) ? e.message : `${f.name}: cannot be read as DICOM`);
  }
  let bytes = f.bytes;
  let by: Ready['by'] = 'checked';
  if (!report.anonymised) {
    if (!org.server_anonymise) {
      throw new HttpError(
        422,
        'IDENTIFIABLE',
        `${describeIdentifiability(report)}. Anonymise before upload (scan2print anonymise, or the web app does it in the browser), ` +
          'or ask your org-admin to switch on server-side anonymisation',
      );
    }
    const r = await anonymiseDataset(f.bytes, f.name, { key: org.anonymise_key });
    const again = findIdentifyingAttributes(r.bytes, f.name);
    // Belt and braces: never store what our own check would refuse.
    if (!again.anonymised) throw new HttpError(422, 'IDENTIFIABLE', `${describeIdentifiability(again)} (after server-side anonymisation)`);
    bytes = r.bytes;
    by = 'server';
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, sha256, ...uids(bytes), by };
}

/** `userId`: who uploaded (recorded in the audit log with the batch, in the same transaction). */
export async function ingest(s: Services, c: { id: string; org_id: string }, files: UploadedFile[], userId: string | null = null): Promise<IngestResult> {
  if (files.length === 0) throw new HttpError(400, 'NO_FILES', 'the request holds no files');
  const org = await s.db
    .selectFrom('orgs')
    .select(['server_anonymise', 'anonymise_key'])
    .where('id', '=', c.org_id)
    .executeTakeFirstOrThrow();
  const ready: Ready[] = [];
  for (const f of files) {
    ready.push(await prepare(f, org));
    // The check is synchronous work per file: let other requests (status polls, other uploads) in between files.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const unique = [...new Map(ready.map((r) => [r.sha256, r])).values()];
  // Objects first, rows second, all rows in one transaction: a row never points at a missing
  // object, and a failure part-way (store or database down) lists none of this batch; what
  // it leaves is unlisted objects under server-made keys, which a retry overwrites.
  const listed = new Set<string>();
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await s.db
      .selectFrom('files')
      .select('sha256')
      .where('case_id', '=', c.id)
      .where('sha256', 'in', unique.slice(i, i + 500).map((r) => r.sha256))
      .execute();
    for (const row of rows) listed.add(row.sha256);
  }
  // Files the case already lists are not sent to the store again.
  const fresh = unique.filter((r) => !listed.has(r.sha256));
  // The case may have been closed or approved since the request began (a resumable upload's
  // last byte can come hours after its first): refused before storing, and again under the
  // case's lock when the rows are written.
  await refuseClosedCaseNow(s.db, c.id);
  await forEachLimited(fresh, 4, (r) => s.store.put(objectKey(c.id, r.sha256), r.bytes));
  const added = await s.db.transaction().execute(async (trx) => {
    await refuseClosedCaseNow(trx, c.id);
    let n = 0;
    for (let i = 0; i < fresh.length; i += 500) {
      const ins = await trx
        .insertInto('files')
        .values(
          fresh.slice(i, i + 500).map((r) => ({
            id: randomUUID(),
            org_id: c.org_id,
            case_id: c.id,
            name: `${r.sha256.slice(0, 16)}.dcm`,
            object_key: objectKey(c.id, r.sha256),
            sha256: r.sha256,
            bytes: r.bytes.length,
            series_uid: r.seriesUid,
            sop_instance_uid: r.sopUid,
            anonymised_by: r.by,
          })),
        )
        .onConflict((oc) => oc.columns(['case_id', 'sha256']).doNothing())
        .executeTakeFirst();
      n += Number(ins.numInsertedOrUpdatedRows ?? 0);
    }
    await auditUpload(s, trx, c, userId, { received: files.length, added: n, sha256s: fresh.map((r) => r.sha256), bytes: fresh.reduce((t, r) => t + r.bytes.length, 0) });
    return n;
  });
  const anonymisedByServer = ready.filter((r) => r.by === 'server').length;
  return { received: files.length, added, duplicates: files.length - added, anonymisedByServer };
}

/** 'files-uploaded': counts, bytes and one SHA-256 over the sorted SHA-256s of the files added (no names: they may be a patient's). */
async function auditUpload(
  s: Services,
  trx: Kysely<Database>,
  c: { id: string; org_id: string },
  userId: string | null,
  b: { received: number; added: number; sha256s: string[]; bytes: number },
): Promise<void> {
  const u = userId ? await trx.selectFrom('users').select(['id', 'email', 'role', 'org_id']).where('id', '=', userId).executeTakeFirst() : undefined;
  const actor = u ? { userId: u.id, email: u.email, role: u.role, orgId: u.org_id, via: 'token' as const } : null;
  const filesSha256 = createHash('sha256').update([...b.sha256s].sort().join('\n')).digest('hex');
  await appendAudit(s, trx, { action: 'files-uploaded', actor, orgId: c.org_id, caseId: c.id, details: { received: b.received, added: b.added, bytes: b.bytes, filesSha256 } });
}

const objectKey = (caseId: string, sha256: string) => `cases/${caseId}/files/${sha256}.dcm`;

/** Runs f over items, at most `limit` at once (object stores answer faster to a few parallel puts). */
async function forEachLimited<T>(items: T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await f(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
