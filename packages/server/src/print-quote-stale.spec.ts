/**
 * A stored quote is tied to the catalogue entry it was made with (the printer and material
 * records), over real HTTP on the embedded PGlite and on a real PostgreSQL server: after an
 * org-admin changes the material's price or the printer's rate, a job naming the older quote is
 * 409 QUOTE_STALE naming what changed, and a job without a quoteId is quoted afresh instead of
 * taking it; another printer's edit leaves the quote standing. A quote from before migration
 * 0014 records no entry and counts as stale. The quotes are real (core's volume/height model
 * for the Form 3+: no slicer to wait for) of a real 3MF of an approved case.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrintCatalogue } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { freshDatabase } from '../../../test/services/postgres.js';
import { FORM_GREY as FORM, modelCase } from '../../../test/server/model-case.js';
import { box } from '../../core/src/testing/meshes.js';

type ErrorBody = { error: { code: string; message: string } };
type Sourced = { value: unknown; currency?: string | null; source: string };

describe.each(['PGlite', 'PostgreSQL'] as const)('stale quotes on %s', (engine) => {
  let t: TestServer;
  let a: TestOrg;
  let pg: Awaited<ReturnType<typeof freshDatabase>> | undefined;

  beforeAll(async () => {
    if (engine === 'PostgreSQL') pg = await freshDatabase('print_stale');
    t = await startTestServer({ workers: 0, ...(pg ? { databaseUrl: pg.url } : {}) });
    a = await t.org(`Stale quotes ${engine}`);
    await t.json(a.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId: FORM.printer, name: 'Form' });
  });
  afterAll(async () => {
    await t?.close();
    await pg?.drop();
  });

  const db = () => t.server.services.db;
  const errorOf = async (r: Response) => ((await r.json()) as ErrorBody).error;
  const quote = async (caseId: string) => (await t.json(a.tokens.technician, 'POST', `/api/cases/${caseId}/quote`, FORM)) as { quoteId: string; breakdown: { material: number | null } };
  const queue = (caseId: string, quoteId?: string) => t.call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, ...FORM, ...(quoteId ? { quoteId } : {}) });
  const quotesOf = async (caseId: string) => db().selectFrom('print_quotes').select(['id', 'catalogue_hash']).where('case_id', '=', caseId).execute();

  /** The org-admin changes one field of one catalogue item (through the API, as the catalogue page does). */
  async function edit(kind: 'printers' | 'materials', id: string, field: string, value: Sourced): Promise<void> {
    const cur = (await t.json(a.tokens['org-admin'], 'GET', '/api/print/catalogue')) as { version: number; catalogue: PrintCatalogue };
    const cat = JSON.parse(JSON.stringify(cur.catalogue)) as Record<'printers' | 'materials', Record<string, unknown>[]>;
    cat[kind].find((x) => x.id === id)![field] = value;
    const r = await t.call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: cat, baseVersion: cur.version });
    expect(r.status, await r.clone().text()).toBe(201);
  }

  it('the material\'s new price: the older quote is 409 QUOTE_STALE naming it; without quoteId a fresh quote; another printer\'s rate leaves it standing; its own printer\'s rate does not', async () => {
    const c = await modelCase(t, a, box([0, 0, 0], [30, 20, 10]), { purpose: `stale ${engine}`, creationDate: '2026-11-30' });
    const old = await quote(c.caseId);
    expect(old.breakdown.material).toBeNull(); // the shipped catalogue has no resin price
    expect((await quotesOf(c.caseId))[0]!.catalogue_hash).toMatch(/^[0-9a-f]{64}$/);

    await edit('materials', FORM.material, 'pricePerKg', { value: 150, currency: 'EUR', source: 'supplier invoice 2026-12' });
    const stale = await queue(c.caseId, old.quoteId);
    expect(stale.status).toBe(409);
    const e = await errorOf(stale);
    expect(e.code).toBe('QUOTE_STALE');
    expect(e.message).toContain(`quote ${old.quoteId}`);
    expect(e.message).toContain('material formlabs-grey: pricePerKg not set → 150 EUR');
    expect(e.message).not.toContain('printer formlabs-form3plus:');
    expect(await db().selectFrom('print_jobs').select('id').where('case_id', '=', c.caseId).execute()).toEqual([]);

    // No quoteId: not the stale one (the latest stored), but one made now, priced with the new price.
    const fresh = await queue(c.caseId);
    expect(fresh.status, await fresh.clone().text()).toBe(201);
    const job = (await fresh.json()) as { quoteId: string; quote: { breakdown: { material: number | null } } };
    expect(job.quoteId).not.toBe(old.quoteId);
    expect(job.quote.breakdown.material).toBeGreaterThan(0);
    const rows = await quotesOf(c.caseId);
    expect(rows.map((r) => r.id).sort()).toEqual([old.quoteId, job.quoteId].sort());
    expect(new Set(rows.map((r) => r.catalogue_hash)).size).toBe(2);

    // Another printer's rate: the Form quote was not made with it and stands, named or not.
    await edit('printers', 'prusa-mk4', 'machineRate_per_h', { value: 12, currency: 'EUR', source: 'lab cost sheet 2026' });
    const named = await queue(c.caseId, job.quoteId);
    expect(named.status, await named.clone().text()).toBe(201);
    const latest = await queue(c.caseId);
    expect(latest.status).toBe(201);
    expect(((await latest.json()) as { quoteId: string }).quoteId).toBe(job.quoteId);
    expect(await quotesOf(c.caseId)).toHaveLength(2);

    // Its own printer's rate: stale again, the printer named this time.
    await edit('printers', FORM.printer, 'machineRate_per_h', { value: 40, currency: 'EUR', source: 'lab cost sheet 2026' });
    const again = await errorOf(await queue(c.caseId, job.quoteId));
    expect(again.code).toBe('QUOTE_STALE');
    expect(again.message).toContain('printer formlabs-form3plus: machineRate_per_h not set → 40 EUR');
    expect(again.message).not.toContain('material formlabs-grey:');
  });

  it('a quote from before migration 0014 records no catalogue entry: named, 409 QUOTE_STALE; unnamed, never taken', async () => {
    const c = await modelCase(t, a, box([0, 0, 0], [25, 25, 10]), { purpose: `old quote ${engine}`, creationDate: '2026-11-30' });
    const id = randomUUID();
    const figures = { printTime_s: 60, material_g: 1, price: null, currency: null, method: 'volume-height-model', breakdown: { machine: null, material: null, setup: null }, missing: [], ...FORM, supports: true };
    await db()
      .insertInto('print_quotes')
      .values({ id, org_id: a.id, case_id: c.caseId, model_version_id: c.versionId, ...FORM, supports: true, quote: JSON.stringify(figures), created_by: a.users.technician })
      .execute();
    const named = await queue(c.caseId, id);
    expect(named.status).toBe(409);
    expect(await errorOf(named)).toMatchObject({ code: 'QUOTE_STALE', message: expect.stringContaining('made before quotes recorded the catalogue entry') });
    const r = await queue(c.caseId);
    expect(r.status, await r.clone().text()).toBe(201);
    const j = (await r.json()) as { quoteId: string; duration_s: number };
    expect(j.quoteId).not.toBe(id);
    expect(j.duration_s).not.toBe(60);
  });
});
