/**
 * The workflow's rules over real HTTP, generated from core's TRANSITIONS: every role × every
 * (from, to) pair of the table (allowed → 201 and the new state; forbidden → 403 and the state
 * unchanged), every pair the table lacks (409 BAD_TRANSITION), each requirement missing
 * (409 MISSING naming it), gate completeness before printing, and a mail server that does not
 * answer never failing a transition. The model version is a job row as a finished convert
 * leaves it (a real convert runs in workflow-story.spec.ts; here it would only add minutes).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_STATES, GATES, TRANSITIONS, ruleFor, type CaseState, type Gate, type TransitionRule } from '@scan2print/core';
import { zipSync } from 'fflate';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries } from '../../../test/server/dicom-files.js';
import { modelJob } from './pacs/send-objects.js';

const ROLES = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;
type OrgRole = (typeof ROLES)[number];
let t: TestServer;
let a: TestOrg;

beforeAll(async () => {
  // Port 1 on loopback: nothing listens, every mail fails; the transitions must not.
  t = await startTestServer({ workers: 0, smtpUrl: 'smtp://127.0.0.1:1' });
  a = await t.org('Workflow matrix');
});
afterAll(() => t?.close());

const db = () => t.server.services.db;
const hex = () => randomBytes(32).toString('hex');

/** A case holding what every requirement asks for: files, a succeeded convert (started by the engineer) with printable checks, its 3MF and report. */
async function fullCase(): Promise<{ caseId: string; versionId: string }> {
  const caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'workflow matrix', anatomy: 'skull' })).id as string;
  const versionId = randomUUID();
  await db()
    .insertInto('files')
    .values({ id: randomUUID(), org_id: a.id, case_id: caseId, name: 'a.dcm', object_key: `cases/${caseId}/files/a.dcm`, sha256: hex(), bytes: 1, series_uid: null, sop_instance_uid: null, anonymised_by: 'checked' })
    .execute();
  await db()
    .insertInto('jobs')
    .values({
      id: versionId, org_id: a.id, case_id: caseId, kind: 'convert', params: '{}', state: 'succeeded', progress: 1, stage: 'done', error: null,
      idempotency_key: null, lease_owner: null, lease_expires_at: null, created_by: a.users.engineer, started_at: new Date(), finished_at: new Date(),
      summary: JSON.stringify({ findings: [], models: [{ name: 'bone', checks: { printable: true, closed: true, manifold: true }, accuracy: null }] }),
    })
    .execute();
  for (const [kind, name, media] of [['model', 'bone.3mf', 'model/3mf'], ['report-html', 'report.html', 'text/html']] as const) {
    await db()
      .insertInto('artifacts')
      .values({ id: randomUUID(), org_id: a.id, case_id: caseId, job_id: versionId, kind, name, object_key: `jobs/${versionId}/1/${name}`, media_type: media, sha256: hex(), bytes: 10 })
      .execute();
  }
  return { caseId, versionId };
}

/** Puts the case in `state` with these gates signed for the version (as engineer, reviewer, technician would). */
async function setState(caseId: string, versionId: string, state: CaseState, gates: readonly Gate[] = GATES): Promise<void> {
  await db().updateTable('cases').set({ status: state }).where('id', '=', caseId).execute();
  await db().deleteFrom('gate_signatures').where('case_id', '=', caseId).execute();
  const by: Record<Gate, string> = { segmentation: a.users.engineer, model: a.users.reviewer, 'print-qc': a.users.technician };
  for (const g of gates) {
    await db().insertInto('gate_signatures').values({ id: randomUUID(), org_id: a.id, case_id: caseId, gate: g, model_version_id: versionId, signed_by: by[g] }).execute();
  }
}

const stateOf = async (caseId: string) => (await db().selectFrom('cases').select('status').where('id', '=', caseId).executeTakeFirstOrThrow()).status;
const move = (role: OrgRole, caseId: string, to: string, comment = 'matrix comment') =>
  t.call(a.tokens[role], 'POST', `/api/cases/${caseId}/transitions`, { to, comment });
const codeOf = async (r: Response) => ((await r.json()) as { error?: { code: string; message: string } }).error;

/** Where a taken transition leaves the case: a submit catches up with the files and the convert already there. */
const settled = (r: TransitionRule): CaseState => (r.to === 'submitted' ? 'segmented' : r.to);

describe('role × transition matrix (from core TRANSITIONS)', () => {
  const pairs = TRANSITIONS.flatMap((rule) => rule.from.map((from) => ({ rule, from })));

  it('covers every (from, to) pair of the table for every role', () => {
    expect(pairs.length).toBeGreaterThan(25);
    expect(new Set(pairs.map((p) => `${p.from}->${p.rule.to}`)).size).toBe(pairs.length);
  });

  for (const { rule, from } of pairs) {
    it(`${from} → ${rule.to}: ${rule.roles.join(', ')} may; the others get 403`, async () => {
      const { caseId, versionId } = await fullCase();
      const problems: string[] = [];
      for (const role of ROLES) {
        await setState(caseId, versionId, from);
        const r = await move(role, caseId, rule.to);
        const may = (rule.roles as readonly string[]).includes(role);
        if (may) {
          const body = (await r.json()) as { state: string; to: string; from: string; transitionId: string; auditSeq: number };
          if (r.status !== 201) problems.push(`${role}: ${r.status} ${JSON.stringify(body)}`);
          else {
            expect(body).toMatchObject({ from, to: rule.to, state: settled(rule) });
            expect(body.auditSeq).toBeGreaterThan(0);
            expect(await stateOf(caseId)).toBe(settled(rule));
            const row = await db().selectFrom('case_transitions').select(['from_state', 'to_state', 'actor_id']).where('id', '=', body.transitionId).executeTakeFirstOrThrow();
            expect(row).toEqual({ from_state: from, to_state: rule.to, actor_id: a.users[role] });
          }
        } else {
          const e = await codeOf(r);
          if (r.status !== 403 || e?.code !== 'FORBIDDEN') problems.push(`${role} (not allowed): ${r.status} ${JSON.stringify(e)}`);
          expect(await stateOf(caseId)).toBe(from);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('every pair the table lacks is 409 BAD_TRANSITION for everyone, naming where the case can go', async () => {
    const { caseId, versionId } = await fullCase();
    let n = 0;
    for (const from of CASE_STATES) {
      await setState(caseId, versionId, from);
      for (const to of CASE_STATES) {
        if (ruleFor(from, to)) continue;
        for (const role of ['org-admin', 'technician'] as const) {
          const r = await move(role, caseId, to);
          const e = await codeOf(r);
          expect([r.status, e?.code], `${role} ${from} → ${to}`).toEqual([409, 'BAD_TRANSITION']);
          expect(e!.message).toContain(`is ${from}`);
          n++;
        }
      }
      expect(await stateOf(caseId)).toBe(from);
    }
    expect(n).toBeGreaterThan(250);
  });
});

describe('requirements', () => {
  it('a submitted case without files does not move on by itself; uploaded by hand needs the files (MISSING files)', async () => {
    const caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'no files', anatomy: 'skull' })).id;
    expect((await t.json(a.tokens.requester, 'GET', `/api/cases/${caseId}`)).status).toBe('draft');
    expect(await (await move('requester', caseId, 'submitted')).json()).toMatchObject({ state: 'submitted' });
    const r = await move('requester', caseId, 'uploaded');
    const e = await codeOf(r);
    expect([r.status, e?.code]).toEqual([409, 'MISSING']);
    expect(e!.message).toMatch(/missing files \(/);
  });

  it('a transition that needs a comment is 409 MISSING comment without one', async () => {
    const { caseId, versionId } = await fullCase();
    await setState(caseId, versionId, 'in-review');
    const r = await t.call(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/transitions`, { to: 'changes-requested' });
    const e = await codeOf(r);
    expect([r.status, e?.code]).toEqual([409, 'MISSING']);
    expect(e!.message).toContain('comment');
    expect(await stateOf(caseId)).toBe('in-review');
  });

  it('approval needs a model version that passed its checks: a failed check is MISSING model-version naming the model', async () => {
    const { caseId, versionId } = await fullCase();
    await db()
      .updateTable('jobs')
      .set({ summary: JSON.stringify({ findings: [], models: [{ name: 'bone', checks: { printable: false } }] }) })
      .where('id', '=', versionId)
      .execute();
    await setState(caseId, versionId, 'in-review', ['segmentation']);
    const e = await codeOf(await move('reviewer', caseId, 'approved'));
    expect(e).toMatchObject({ code: 'MISSING' });
    expect(e!.message).toContain('model-version');
    expect(e!.message).toContain('bone did not pass the printability checks');
  });

  it('approval needs the ISO report', async () => {
    const { caseId, versionId } = await fullCase();
    await db().deleteFrom('artifacts').where('job_id', '=', versionId).where('kind', '=', 'report-html').execute();
    await setState(caseId, versionId, 'in-review', ['segmentation']);
    const e = await codeOf(await move('reviewer', caseId, 'approved'));
    expect(e!.message).toContain('has no ISO report');
  });
});

describe('approval and model jobs', () => {
  it('approval waits while a model job is queued or running; once approved, no job joins the case (a repeated request keeps its job)', async () => {
    // A rebuild queued before approval finished after it, and the case page offered its
    // unapproved version as the latest model for printing.
    const { caseId, versionId } = await fullCase();
    await setState(caseId, versionId, 'in-review', ['segmentation']);
    const queued = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' }, { 'idempotency-key': `rebuild-${caseId}` });
    expect(queued.status).toBe(201);
    const jobId = ((await queued.json()) as { id: string }).id;
    for (const state of ['queued', 'running'] as const) {
      await db().updateTable('jobs').set({ state }).where('id', '=', jobId).execute();
      const e = await codeOf(await move('reviewer', caseId, 'approved'));
      expect(e, state).toMatchObject({ code: 'MISSING' });
      expect(e!.message).toContain('no-pending-job (no model job still queued or running');
      const next = (await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/workflow`)).next as { to: string; allowed: boolean; missingKeys: string[] }[];
      expect(next.find((n) => n.to === 'approved')).toMatchObject({ allowed: false, missingKeys: ['no-pending-job'] });
      expect(await stateOf(caseId)).toBe('in-review');
    }
    await db().updateTable('jobs').set({ state: 'cancelled' }).where('id', '=', jobId).execute();
    expect((await move('reviewer', caseId, 'approved')).status).toBe(201);
    const late = await codeOf(await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' }));
    expect(late).toMatchObject({ code: 'CASE_APPROVED' });
    const again = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' }, { 'idempotency-key': `rebuild-${caseId}` });
    expect([again.status, ((await again.json()) as { id: string }).id]).toEqual([200, jobId]);
    expect(await db().selectFrom('jobs').select('id').where('case_id', '=', caseId).execute()).toHaveLength(2);
  });

  it('an older version approved by name stays what a PACS send takes by default, though a newer one exists', async () => {
    const { caseId, versionId } = await fullCase();
    const newer = randomUUID();
    await db()
      .insertInto('jobs')
      .values({
        id: newer, org_id: a.id, case_id: caseId, kind: 'convert', params: '{}', state: 'succeeded', progress: 1, stage: 'done', error: null, idempotency_key: null,
        lease_owner: null, lease_expires_at: null, created_by: a.users.engineer, started_at: new Date(), finished_at: new Date(), summary: JSON.stringify({ findings: [], models: [] }),
      })
      .execute();
    const c = await db().selectFrom('cases').selectAll().where('id', '=', caseId).executeTakeFirstOrThrow();
    expect((await modelJob(t.server.services, c)).id).toBe(newer);
    await setState(caseId, versionId, 'in-review', ['segmentation']);
    const r = await t.call(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/transitions`, { to: 'approved', modelVersionId: versionId });
    expect(r.status).toBe(201);
    expect((await modelJob(t.server.services, c)).id).toBe(versionId);
    expect((await modelJob(t.server.services, c, newer)).id).toBe(newer);
  });
});

describe('the automatic step after a resumable upload', () => {
  it('a submitted case goes to uploaded when a tus upload of real CT slices (zip) is ingested; a draft stays a draft', async () => {
    const files = (await anonymisedSeries('ge-head-tilt-variable-spacing')).slice(0, 3);
    const zip = zipSync(Object.fromEntries(files.map((f) => [f.name, f.bytes])), { level: 0 });
    const upload = async (caseId: string) => {
      const b64 = (v: string) => Buffer.from(v).toString('base64');
      const tus = { 'tus-resumable': '1.0.0', authorization: `Bearer ${a.tokens.requester}` };
      const c = await fetch(`${t.url}/api/uploads`, {
        method: 'POST',
        headers: { ...tus, 'upload-length': String(zip.length), 'upload-metadata': `caseId ${b64(caseId)},filename ${b64('series.zip')}` },
      });
      expect(c.status).toBe(201);
      const done = await fetch(t.url + c.headers.get('location')!, {
        method: 'PATCH',
        headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body: zip,
      });
      expect(done.status, await done.clone().text()).toBe(200);
      expect(await done.json()).toMatchObject({ added: 3 });
    };
    const submitted = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'tus', anatomy: 'skull' })).id;
    await t.json(a.tokens.requester, 'POST', `/api/cases/${submitted}/transitions`, { to: 'submitted' });
    const draft = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'tus draft', anatomy: 'skull' })).id;
    await upload(submitted);
    await upload(draft);
    expect(await stateOf(submitted)).toBe('uploaded');
    expect(await stateOf(draft)).toBe('draft');
    const w = await t.json(a.tokens.engineer, 'GET', `/api/cases/${submitted}/workflow`);
    expect(w.history.at(-1)).toMatchObject({ from: 'submitted', to: 'uploaded', by: null });
    // Submitting the draft later catches up with its files.
    expect((await t.json(a.tokens.requester, 'POST', `/api/cases/${draft}/transitions`, { to: 'submitted' })).state).toBe('uploaded');
  });
});

describe('the history', () => {
  it('lists transitions of the same instant in the order they were made (their audit entries)', async () => {
    const { caseId } = await fullCase();
    const at = '2026-01-02T03:04:05.006Z';
    // Stored last first, at one instant: only the audit sequence tells their order.
    const made = [['draft', 'submitted'], ['submitted', 'uploaded'], ['uploaded', 'segmented']] as const;
    for (let k = made.length - 1; k >= 0; k--) {
      await db()
        .insertInto('case_transitions')
        .values({ id: randomUUID(), org_id: a.id, case_id: caseId, from_state: made[k]![0], to_state: made[k]![1], actor_id: null, comment: null, model_version_id: null, audit_seq: 1_000_000 + k, created_at: at })
        .execute();
    }
    const w = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/workflow`);
    expect(w.history.map((h: { from: string; to: string }) => [h.from, h.to])).toEqual(made);
  });
});

describe('gate completeness before printing', () => {
  it('each subset of unsigned gates: printing refused with MISSING naming exactly those; all three signed: allowed', async () => {
    const { caseId, versionId } = await fullCase();
    for (let mask = 0; mask < 8; mask++) {
      const signed = GATES.filter((_, i) => mask & (1 << i));
      await setState(caseId, versionId, 'print-preparation', signed);
      const r = await move('technician', caseId, 'printing');
      if (signed.length === GATES.length) {
        expect(r.status).toBe(201);
        expect(await stateOf(caseId)).toBe('printing');
        continue;
      }
      const e = await codeOf(r);
      expect([r.status, e?.code]).toEqual([409, 'MISSING']);
      for (const g of GATES) expect(e!.message.includes(`gate:${g}`), `${g} with ${signed.join(',') || 'none'} signed`).toBe(!signed.includes(g));
      expect(await stateOf(caseId)).toBe('print-preparation');
    }
  });

  it('a gate signed for another model version does not count', async () => {
    const { caseId, versionId } = await fullCase();
    await setState(caseId, versionId, 'print-preparation');
    const other = (await fullCase()).versionId;
    await db().updateTable('gate_signatures').set({ model_version_id: other }).where('case_id', '=', caseId).where('gate', '=', 'print-qc').execute();
    const e = await codeOf(await move('technician', caseId, 'printing'));
    expect(e?.code).toBe('MISSING');
    expect(e!.message).toContain('gate:print-qc');
    expect(e!.message).not.toContain('gate:segmentation');
  });

  it('gates are signed by their roles in their states; the model gate only by approving', async () => {
    const { caseId, versionId } = await fullCase();
    await setState(caseId, versionId, 'in-review', []);
    const gate = (role: OrgRole, g: Gate) => t.call(a.tokens[role], 'POST', `/api/cases/${caseId}/gates`, { gate: g, comment: 'looked at it' });
    expect((await gate('reviewer', 'segmentation')).status).toBe(403);
    expect(await codeOf(await gate('technician', 'print-qc'))).toMatchObject({ code: 'BAD_TRANSITION' });
    expect(await codeOf(await gate('reviewer', 'model'))).toMatchObject({ code: 'BAD_TRANSITION' });
    const ok = await gate('engineer', 'segmentation');
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ gate: 'segmentation', signed: true, modelVersionId: versionId, by: { id: a.users.engineer } });
    expect((await gate('engineer', 'segmentation')).status, 'signing again changes nothing').toBe(200);
    const w = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/workflow`);
    expect(w.gates).toMatchObject({ segmentation: { signed: true, by: { id: a.users.engineer }, modelVersionId: versionId }, model: { signed: false }, 'print-qc': { signed: false } });
    expect(w.next.find((n: { to: string }) => n.to === 'approved')).toMatchObject({ allowed: true, missing: [] });
  });

  it('requesting changes voids every gate; a failed part inspection voids print-qc only', async () => {
    const { caseId, versionId } = await fullCase();
    await setState(caseId, versionId, 'printing');
    expect((await move('technician', caseId, 'print-preparation', 'layer shift')).status).toBe(201);
    const held = async () => (await db().selectFrom('gate_signatures').select('gate').where('case_id', '=', caseId).where('voided_at', 'is', null).execute()).map((g) => g.gate).sort();
    expect(await held()).toEqual(['model', 'segmentation']);
    expect((await move('technician', caseId, 'changes-requested', 'the model needs thicker walls')).status).toBe(201);
    expect(await held()).toEqual([]);
  });
});

describe('a mail server that does not answer', () => {
  it('leaves the transition done and the in-app notification there, not e-mailed', async () => {
    const { caseId, versionId } = await fullCase();
    await setState(caseId, versionId, 'approved');
    const r = await move('technician', caseId, 'print-preparation');
    expect(r.status).toBe(201);
    const { transitionId } = (await r.json()) as { transitionId: string };
    const rows = await db().selectFrom('notifications').select(['user_id', 'emailed_at']).where('transition_id', '=', transitionId).execute();
    // print-preparation: the technician acts next (not the actor: the technician moved it; no other technician).
    expect(rows.map((x) => x.user_id)).toEqual([]);
    await setState(caseId, versionId, 'in-review', ['segmentation']);
    const ok = await move('reviewer', caseId, 'approved');
    expect(ok.status).toBe(201);
    const t2 = ((await ok.json()) as { transitionId: string }).transitionId;
    const notified = await db().selectFrom('notifications').select(['user_id', 'emailed_at']).where('transition_id', '=', t2).execute();
    expect(notified.map((x) => x.user_id).sort()).toEqual([a.users.requester, a.users.technician].sort());
    await new Promise((res) => setTimeout(res, 500));
    const after = await db().selectFrom('notifications').select('emailed_at').where('transition_id', '=', t2).execute();
    expect(after.every((x) => x.emailed_at === null)).toBe(true);
  });
});
