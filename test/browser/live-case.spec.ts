/**
 * The case page kept live between people, in real Chromium against a real server, one browser
 * context per person: a comment posted in one shows in the other, a gate signed in one shows
 * signed in the other (and enables the reviewer's Approve), a comment pinned to the model shows
 * in the review page's 3D panel, all without a reload. A change made between a page reading its
 * lists and its event stream connecting shows too (the stream's request is held by a Playwright
 * route until after the change), on the case page also after the stream dropped. Also: the
 * Approval hint never says the engineer can do what the disabled button refuses, and a
 * technician reads who created the case, not "another user".
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Route } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { anonymisedSeries, formOf } from '../server/dicom-files.js';
import { launchChromium, logIn, openPage, type WatchedPage } from './chromium.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;

/** One convert of 28 slices at 2 mm (workflow.spec's story): minutes on a loaded 2-core machine. */
const LONG = 420_000;

beforeAll(async () => {
  srv = await startTestServer({ workers: 1 });
  org = await srv.org('Live Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

/** Logs in and opens the case page; marks the document so that a reload would show (the mark goes). */
async function openCase(w: WatchedPage, role: keyof TestOrg['emails'], caseId: string): Promise<void> {
  await logIn(w.page, org.emails[role], TEST_PASSWORD);
  await w.page.goto(`/cases/${caseId}`);
  await w.page.getByTestId('workflow-state').waitFor({ timeout: 60_000 });
  await w.page.evaluate('window.__notReloaded = true');
}

const notReloaded = (p: Page) => p.evaluate('window.__notReloaded === true');

/**
 * The server's connections that carry an event stream (GET /api/events), from now on: `drop`
 * cuts them (as a proxy or a network fault would) and says how many it cut.
 */
function eventStreams(): { drop(): number; stop(): void } {
  const sockets = new Set<Socket>();
  const http = srv.server.app.server;
  const seen = (req: IncomingMessage) => {
    if (req.url?.startsWith('/api/events')) sockets.add(req.socket);
  };
  http.on('request', seen);
  return {
    drop() {
      const n = [...sockets].filter((x) => !x.destroyed).length;
      for (const x of sockets) x.destroy();
      sockets.clear();
      return n;
    },
    stop: () => void http.off('request', seen),
  };
}

/**
 * Holds the page's event-stream requests (GET /api/events, not a job's stream) until `release`:
 * the window between a page reading what it shows and its stream joining, made as wide as a test
 * needs to change something in it. `held` resolves once a request is waiting.
 */
async function holdEvents(page: Page) {
  const waiting: Route[] = [];
  let holding = true;
  let arrived = () => {};
  let held = new Promise<void>((r) => (arrived = r));
  await page.route(
    (url) => url.pathname === '/api/events',
    async (route) => {
      if (!holding) return route.continue();
      waiting.push(route);
      arrived();
    },
  );
  return {
    held: () => held,
    async release() {
      holding = false;
      // A request the page gave up meanwhile (a navigation) cannot go on: nothing to do for it.
      for (const r of waiting.splice(0)) await r.continue().catch(() => undefined);
    },
    hold() {
      holding = true;
      held = new Promise<void>((r) => (arrived = r));
    },
  };
}
const stateOf = (p: Page) => p.getByTestId('workflow-state').getAttribute('data-state');
const hintOf = async (p: Page) => (await p.locator('#review-why').textContent()) ?? '';
const realProblems = (w: WatchedPage) => w.problems.filter((x) => !/\b401\b/.test(x));

describe('web app: a case page follows what others do on the case', () => {
  it('a comment made after the page read its lists but before its event stream connected shows without a reload; so does one made while the stream was down', async () => {
    const caseId = (await srv.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'stream window', anatomy: 'pelvis' })).id;
    const streams = eventStreams();
    const eng = await openPage(browser, srv.url);
    const p = eng.page;
    await logIn(p, org.emails.engineer, TEST_PASSWORD);
    const events = await holdEvents(p);
    await p.goto(`/cases/${caseId}`);
    await p.getByTestId('workflow-state').waitFor({ timeout: 60_000 });
    await p.getByText('No comments yet.').waitFor({ timeout: 60_000 });
    await events.held();
    await p.evaluate('window.__notReloaded = true');
    // The lists are read, the stream not yet connected: the comment lands in between.
    await srv.json(org.tokens.technician, 'POST', `/api/cases/${caseId}/comments`, { body: 'said before the stream joined' });
    await events.release();
    const comments = p.getByTestId('comments');
    await expect.poll(() => comments.getByText('said before the stream joined').count(), { timeout: 30_000, message: 'the comment made before the stream connected shows' }).toBe(1);
    expect(await notReloaded(p)).toBe(true);

    // The stream drops (its connection is cut, as a proxy or a network fault does); a comment is
    // made while it is down, another while the reconnect is held, as above.
    events.hold();
    expect(streams.drop()).toBeGreaterThan(0);
    await srv.json(org.tokens.technician, 'POST', `/api/cases/${caseId}/comments`, { body: 'said while the stream was down' });
    await events.held();
    await srv.json(org.tokens.technician, 'POST', `/api/cases/${caseId}/comments`, { body: 'said while it reconnected' });
    await events.release();
    for (const body of ['said while the stream was down', 'said while it reconnected']) {
      await expect.poll(() => comments.getByText(body).count(), { timeout: 60_000, message: `"${body}" shows after the reconnect` }).toBe(1);
    }
    expect(await notReloaded(p)).toBe(true);
    // The cut stream is what the browser reports (its chunked body ended short); nothing else.
    expect(realProblems(eng).filter((x) => !/ERR_INCOMPLETE_CHUNKED_ENCODING/.test(x))).toEqual([]);
    streams.stop();
    await eng.context.close();
  });

  it('a comment shows on the other open page without a reload; a technician reads who created the case; the hint agrees with the disabled button', async () => {
    const caseId = (await srv.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'live comments', anatomy: 'mandible' })).id;
    const eng = await openPage(browser, srv.url);
    const tech = await openPage(browser, srv.url);
    await openCase(eng, 'engineer', caseId);
    await openCase(tech, 'technician', caseId);

    // The technician, who assigns nobody, is told who created the case.
    const foot = tech.page.locator('p.hint').filter({ hasText: 'Case id' });
    await expect.poll(() => foot.textContent(), { timeout: 30_000 }).toContain(`Created by ${org.emails.requester}.`);
    expect(await foot.textContent()).not.toContain('another user');

    // The engineer's Request changes is disabled on a draft: the hint does not say they can.
    expect(await eng.page.getByTestId('request-changes').isDisabled()).toBe(true);
    expect(await hintOf(eng.page)).not.toMatch(/can request changes/);

    // The technician comments; the engineer's open page shows it by itself.
    await tech.page.getByTestId('comment-body').fill('bring the model by Friday, please');
    await tech.page.getByTestId('comment-submit').click();
    await expect.poll(() => tech.page.getByTestId('comments').count(), { timeout: 30_000 }).toBe(1);
    const seen = eng.page.getByTestId('comments').getByText('bring the model by Friday, please');
    await expect.poll(() => seen.count(), { timeout: 30_000, message: 'the comment shows on the other page' }).toBe(1);
    expect(await eng.page.getByTestId('comments').textContent()).toContain(org.emails.technician);
    expect(await notReloaded(eng.page)).toBe(true);
    expect(realProblems(eng)).toEqual([]);
    expect(realProblems(tech)).toEqual([]);
    await eng.context.close();
    await tech.context.close();
  });

  it(
    'a gate signed on one page shows signed on the other and enables Approve there; after approval the engineer is not told they can request changes',
    async () => {
      const caseId = (await srv.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'live gates', anatomy: 'skull' })).id;
      await srv.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/transitions`, { to: 'submitted' });
      await srv.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSeries('ge-head-tilt-variable-spacing')));
      const job = await srv.json(org.tokens['org-admin'], 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { isotropic: 2 } });
      expect((await srv.waitJob(org.tokens['org-admin'], job.id, LONG - 60_000)).state).toBe('succeeded');
      await srv.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/transitions`, { to: 'in-review' });

      const eng = await openPage(browser, srv.url);
      const rev = await openPage(browser, srv.url);
      await openCase(eng, 'engineer', caseId);
      await openCase(rev, 'reviewer', caseId);
      expect(await stateOf(rev.page)).toBe('in-review');
      expect(await rev.page.getByTestId('gate-status-segmentation').getAttribute('data-signed')).toBe('false');
      expect(await rev.page.getByTestId('transition-approved').isDisabled()).toBe(true);

      // The engineer signs the segmentation gate: the reviewer's page shows it and may approve.
      await eng.page.getByTestId('workflow-comment').fill('bone surface checked');
      await eng.page.getByTestId('gate-segmentation').click();
      await expect.poll(() => eng.page.getByTestId('gate-status-segmentation').getAttribute('data-signed'), { timeout: 60_000 }).toBe('true');
      const revGate = rev.page.getByTestId('gate-status-segmentation');
      await expect.poll(() => revGate.getAttribute('data-signed'), { timeout: 30_000, message: 'the signature shows on the other page' }).toBe('true');
      expect(await revGate.textContent()).toContain(org.emails.engineer);
      await expect.poll(() => rev.page.getByTestId('transition-approved').isEnabled(), { timeout: 30_000 }).toBe(true);
      expect(await notReloaded(rev.page)).toBe(true);

      // The reviewer approves: the engineer's page follows; Request changes is not theirs now, and the hint says so.
      await rev.page.getByTestId('transition-approved').click();
      await expect.poll(() => stateOf(rev.page), { timeout: 60_000 }).toBe('approved');
      await expect.poll(() => stateOf(eng.page), { timeout: 30_000 }).toBe('approved');
      await expect.poll(() => eng.page.getByTestId('gate-status-model').getAttribute('data-signed'), { timeout: 30_000 }).toBe('true');
      expect(await eng.page.getByTestId('request-changes').isDisabled()).toBe(true);
      const hint = await hintOf(eng.page);
      expect(hint).not.toMatch(/can request changes/);
      expect(hint).toBe('Your role (engineer) cannot approve. Requesting changes is not possible now: in this state only a reviewer, technician or organisation admin may.');
      expect(await notReloaded(eng.page)).toBe(true);

      // The review page too: a comment the reviewer pins to the model shows in its 3D panel without
      // a reload, one pinned after the panel read its comments but before the page's event stream
      // connected (held until then) as well as one pinned after.
      const events = await holdEvents(eng.page);
      await eng.page.goto(`/cases/${caseId}/review`);
      await expect.poll(() => eng.page.getByTestId('review').getAttribute('data-state'), { timeout: 300_000, interval: 1000 }).toBe('ready');
      await eng.page.evaluate('window.__notReloaded = true');
      await eng.page.locator('section.review-model').scrollIntoViewIfNeeded();
      await eng.page.locator('#model3d-comments-title').waitFor({ timeout: 60_000 });
      expect(await eng.page.getByTestId('model3d-comment').count()).toBe(0);
      await events.held();
      const point = { x: 1.5, y: -2.25, z: 30 };
      await srv.json(org.tokens.reviewer, 'POST', `/api/cases/${caseId}/comments`, { body: 'check the orbital rim here', point, jobId: job.id });
      await events.release();
      const pinned = eng.page.getByTestId('model3d-comment');
      await expect.poll(() => pinned.count(), { timeout: 30_000, message: 'the comment pinned before the stream connected shows on the review page' }).toBe(1);
      expect(await pinned.textContent()).toContain('check the orbital rim here');
      expect(JSON.parse((await pinned.getAttribute('data-lps'))!)).toEqual([point.x, point.y, point.z]);
      await srv.json(org.tokens.reviewer, 'POST', `/api/cases/${caseId}/comments`, { body: 'and the zygomatic arch', point: { x: 20, y: 5, z: 28 }, jobId: job.id });
      await expect.poll(() => pinned.count(), { timeout: 30_000, message: 'the pinned comment shows on the review page' }).toBe(2);
      expect(await pinned.nth(1).textContent()).toContain('and the zygomatic arch');
      expect(await notReloaded(eng.page)).toBe(true);
      expect(realProblems(eng)).toEqual([]);
      expect(realProblems(rev)).toEqual([]);
      await eng.context.close();
      await rev.context.close();
    },
    LONG,
  );
});
