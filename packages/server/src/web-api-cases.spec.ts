/**
 * The web app's case API on a real server (no worker: jobs stay queued unless cancelled):
 * case rows with the latest job, assignee, file count and review; the organisation's live
 * event stream; reviews refused without a model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';
import { followEvents } from '../../../test/server/event-stream.js';

const SERIES = 'ge-head-tilt-variable-spacing';
let t: TestServer;
let a: TestOrg;
let b: TestOrg;
let caseId: string;
let otherCase: string;
let jobId: string;

beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Cases A');
  b = await t.org('Cases B');
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'rows and events', anatomy: 'skull', dueDate: '2026-12-24' })).id;
  otherCase = (await t.json(b.tokens.requester, 'POST', '/api/cases', { purpose: 'the other org', anatomy: 'mandible' })).id;
});
afterAll(() => t?.close());

describe('case rows', () => {
  it('a new case: the old fields plus latestJob, assignee, files and review, all empty', async () => {
    const list = await t.json(a.tokens.technician, 'GET', '/api/cases');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: caseId, anatomy: 'skull', dueDate: '2026-12-24', status: 'draft', createdBy: a.users.requester });
    expect(list[0]).toMatchObject({ latestJob: null, assignee: null, files: 0, review: null });
    expect(Date.parse(list[0].createdAt)).toBeGreaterThan(0);
  });

  it('counts stored files and shows the latest job; the case page has the same row plus series and jobs', async () => {
    const files = (await anonymisedSeries(SERIES)).slice(0, 3);
    await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files));
    jobId = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' })).id;
    const [row] = await t.json(a.tokens.reviewer, 'GET', '/api/cases');
    expect(row).toMatchObject({ files: 3, latestJob: { id: jobId, kind: 'convert', state: 'queued', progress: 0, stage: null, error: null } });
    const one = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}`);
    expect(one).toMatchObject(row);
    expect(one.series).toHaveLength(1);
    expect(one.jobs.map((j: { id: string }) => j.id)).toEqual([jobId]);
  });
});

describe('GET /api/events', () => {
  it('sends every row of the organisation first, then each change of a row; nothing of another organisation', async () => {
    const s = await followEvents(`${t.url}/api/events`, a.tokens.reviewer);
    const other = await followEvents(`${t.url}/api/events`, b.tokens.engineer);
    try {
      expect(s.status).toBe(200);
      const first = await s.until((e) => e.event === 'case' && e.data.id === caseId);
      expect(first.data).toMatchObject({ files: 3, latestJob: { id: jobId, state: 'queued' } });
      await other.until((e) => e.data.id === otherCase);
      // A change made outside any route (as a worker process would write it): seen by polling the database.
      await t.server.services.db.updateTable('jobs').set({ stage: 'convert: surface', progress: 0.42 }).where('id', '=', jobId).execute();
      const moved = await s.until((e) => e.data.latestJob?.progress === 0.42);
      expect(moved.data.latestJob).toMatchObject({ id: jobId, state: 'queued', stage: 'convert: surface' });
      await t.json(a.tokens.engineer, 'POST', `/api/jobs/${jobId}/cancel`);
      const cancelled = await s.until((e) => e.data.latestJob?.state === 'cancelled');
      expect(cancelled.data).toMatchObject({ id: caseId, files: 3, status: 'draft' });
      const ids = new Set(other.events.map((e) => e.data.id));
      expect([...ids]).toEqual([otherCase]);
      expect(s.events.every((e) => e.event === 'case' && e.data.id === caseId)).toBe(true);
    } finally {
      await s.close();
      await other.close();
    }
  });

  it('a change between the list and the connect is not lost: the stream starts with the current rows', async () => {
    const before = await t.json(a.tokens.requester, 'GET', '/api/cases');
    const newCase = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'made in between', anatomy: 'pelvis' })).id;
    expect(before.map((x: { id: string }) => x.id)).not.toContain(newCase);
    const s = await followEvents(`${t.url}/api/events`, a.tokens.requester);
    try {
      const e = await s.until((x) => x.data.id === newCase);
      expect(e.data).toMatchObject({ anatomy: 'pelvis', latestJob: null, files: 0 });
    } finally {
      await s.close();
    }
  });

  it('needs a login and an organisation', async () => {
    expect((await t.call(undefined, 'GET', '/api/events')).status).toBe(401);
    const r = await t.call(t.adminToken, 'GET', '/api/events');
    expect(r.status).toBe(403);
    expect(((await r.json()) as any).error.code).toBe('NO_ORGANISATION');
  });
});

describe('reviews without a model', () => {
  it('409 NO_MODEL while the case has no succeeded model job; an approval is refused to the engineer', async () => {
    const r = await t.call(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'approve' });
    expect(r.status).toBe(409);
    expect(((await r.json()) as any).error.code).toBe('NO_MODEL');
    const eng = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'approve' });
    expect(eng.status).toBe(403);
    const named = await t.call(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'request-changes', jobId });
    expect(named.status).toBe(409);
    expect(((await named.json()) as any).error.message).toContain('cancelled');
    expect(await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/reviews`)).toEqual([]);
    expect((await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}`)).status).toBe('draft');
  });
});
