/**
 * Gathers a case's bundle (core's layout, packages/core/src/bundle/): its audit entries and
 * the server's keys, each succeeded model version's model files and reports, and the label
 * of each version with a code. Read from the database and the object store, zipped by core.
 */
import { buildCaseBundle, type AuditEntry } from '@scan2print/core';
import type { Services } from '../context.js';
import { MODEL_JOB_KINDS } from '../db/schema.js';
import { auditEntries, auditKeys } from '../audit/index.js';
import { labelInputOf } from './lookup.js';
import { labelPng, labelSvg } from './label.js';

/** Artifact kinds that go into the bundle, and under which folder. */
const FOLDER: Record<string, 'models' | 'reports'> = { model: 'models', 'report-html': 'reports', 'report-json': 'reports' };

export interface BuiltBundle {
  zip: Uint8Array;
  entries: AuditEntry[];
  files: number;
}

export async function buildBundleOfCase(s: Services, caseId: string, origin: string, createdAt: string): Promise<BuiltBundle> {
  const { db } = s;
  const entries = await auditEntries(db, { caseId });
  const arts = await db
    .selectFrom('artifacts')
    .innerJoin('jobs', 'jobs.id', 'artifacts.job_id')
    .select(['artifacts.job_id', 'artifacts.kind', 'artifacts.name', 'artifacts.object_key'])
    .where('artifacts.case_id', '=', caseId)
    .where('jobs.state', '=', 'succeeded')
    .where('jobs.kind', 'in', MODEL_JOB_KINDS)
    .where('artifacts.kind', 'in', Object.keys(FOLDER))
    .orderBy('artifacts.job_id')
    .orderBy('artifacts.name')
    .execute();
  const files: Record<string, Uint8Array> = {};
  for (const a of arts) files[`${FOLDER[a.kind]}/${a.job_id}/${a.name}`] = await s.store.get(a.object_key);
  const codes = await db.selectFrom('model_codes').selectAll().where('case_id', '=', caseId).orderBy('code').execute();
  for (const row of codes) {
    const input = labelInputOf(origin, row);
    files[`labels/${row.code}.svg`] = new TextEncoder().encode(labelSvg(input));
    files[`labels/${row.code}.png`] = new Uint8Array(labelPng(input));
  }
  const zip = buildCaseBundle({ caseId, createdAt, entries, keys: auditKeys(s), files });
  return { zip, entries, files: Object.keys(files).length + 3 };
}
