/**
 * The web app's teamwork API on a real server: who works on a case (assignee, the users to
 * pick from, live on the event stream) and comments pinned to a point of a model version.
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

const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;

beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Team A');
  b = await t.org('Team B');
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'teamwork', anatomy: 'mandible' })).id;
});
afterAll(() => t?.close());

describe('GET /api/users', () => {
  it("lists the caller's organisation's users with their roles, nobody of another; the admin sees everyone", async () => {
    const users = await t.json(a.tokens.technician, 'GET', '/api/users');
    expect(users.map((u: { id: string }) => u.id).sort()).toEqual(Object.values(a.users).sort());
    expect(users.find((u: { id: string }) => u.id === a.users.engineer)).toEqual({ id: a.users.engineer, email: a.emails.engineer, role: 'engineer' });
    const all = await t.json(t.adminToken, 'GET', '/api/users');
    for (const id of [...Object.values(a.users), ...Object.values(b.users)]) expect(all.map((u: { id: string }) => u.id)).toContain(id);
    expect((await t.call(undefined, 'GET', '/api/users')).status).toBe(401);
  });
});

describe('PUT /api/cases/:id/assignee', () => {
  it('sets and clears who works on the case; the row comes back and goes out on the event stream', async () => {
    const s = await followEvents(`${t.url}/api/events`, a.tokens.reviewer);
    try {
      await s.until((e) => e.data.id === caseId);
      const row = await t.json(a.tokens.requester, 'PUT', `/api/cases/${caseId}/assignee`, { userId: a.users.engineer });
      expect(row).toMatchObject({ id: caseId, anatomy: 'mandible', assignee: { id: a.users.engineer, email: a.emails.engineer } });
      const e = await s.until((x) => x.data.assignee?.id === a.users.engineer);
      expect(e.data).toEqual(row);
      const list = await t.json(a.tokens.technician, 'GET', '/api/cases');
      expect(list[0].assignee).toEqual({ id: a.users.engineer, email: a.emails.engineer });
      const cleared = await t.json(a.tokens.reviewer, 'PUT', `/api/cases/${caseId}/assignee`, { userId: null });
      expect(cleared.assignee).toBeNull();
      await s.until((x) => x.data.id === caseId && x.data.assignee === null && s.events.indexOf(x) > s.events.indexOf(e));
    } finally {
      await s.close();
    }
  });

  it("refuses the technician, another organisation's user and a malformed id", async () => {
    const tech = await t.call(a.tokens.technician, 'PUT', `/api/cases/${caseId}/assignee`, { userId: a.users.technician });
    expect(tech.status).toBe(403);
    const other = await t.call(a.tokens['org-admin'], 'PUT', `/api/cases/${caseId}/assignee`, { userId: b.users.engineer });
    expect(other.status).toBe(400);
    expect((await errorOf(other)).code).toBe('UNKNOWN_USER');
    const bad = await t.call(a.tokens['org-admin'], 'PUT', `/api/cases/${caseId}/assignee`, { userId: 'nobody' });
    expect(bad.status).toBe(400);
    expect((await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}`)).assignee).toBeNull();
  });
});

describe('comments pinned to a point', () => {
  it('keeps the point (LPS mm) and the model version, and names the author', async () => {
    await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf((await anonymisedSeries(SERIES)).slice(0, 2)));
    const jobId = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' })).id;
    const point = { x: -12.5, y: 30.25, z: 101 };
    await t.json(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/comments`, { body: 'thin wall here', point, jobId });
    await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/comments`, { body: 'on the case' });
    const list = await t.json(a.tokens.technician, 'GET', `/api/cases/${caseId}/comments`);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ body: 'thin wall here', point, jobId, author: { id: a.users.reviewer, email: a.emails.reviewer } });
    expect(list[1]).toMatchObject({ body: 'on the case', point: null, jobId: null, author: { id: a.users.engineer, email: a.emails.engineer } });
  });

  it("refuses a point without all three coordinates and a job of another case", async () => {
    const half = await t.call(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/comments`, { body: 'x', point: { x: 1, y: 2 } });
    expect(half.status).toBe(400);
    const otherCase = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'another', anatomy: 'skull' })).id;
    await t.json(a.tokens.requester, 'POST', `/api/cases/${otherCase}/files`, formOf((await anonymisedSeries(SERIES)).slice(0, 1)));
    const foreignJob = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${otherCase}/jobs`, { kind: 'convert' })).id;
    const wrong = await t.call(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/comments`, { body: 'x', jobId: foreignJob });
    expect(wrong.status).toBe(400);
    expect((await errorOf(wrong)).code).toBe('UNKNOWN_JOB');
    expect(await t.json(a.tokens.technician, 'GET', `/api/cases/${caseId}/comments`)).toHaveLength(2);
  });
});
