/**
 * A lab's own bone forest (issue 14): the installation admin uploads a model trained with
 * `scan2print train` on the lab's approved cases, and every convert job with method forest
 * or threshold-forest then uses it instead of the one shipped in @scan2print/core. The job's
 * report names it (file name, SHA-256, bytes) with its training record (what it was trained
 * on, seed, trees, options), in the `forest-model` record.
 *
 *   PUT    /api/admin/forest-model?name=lab-forest.bin   body: the model file (application/octet-stream)
 *   GET    /api/admin/forest-model                        which model jobs use now
 *   DELETE /api/admin/forest-model                        back to the shipped model
 *
 * Stored in the object store, not the database: the bytes under their SHA-256
 * (settings/forest-models/<sha>.bin), then the setting (settings/forest-model.json) naming
 * them, so a job reading while an upload replaces the model sees the old pair or the new
 * one, never a mix. The model is decoded on upload: a file that is not a forest is a 400.
 *
 * Every change is an installation-wide audit entry ('forest-model-changed', no organisation:
 * the model applies to every organisation's jobs) naming the admin, the model's SHA-256 and
 * what it was trained on; it is appended before the setting is written, so no model applies
 * without its entry (a failed write after it leaves an entry for a change that did not happen,
 * which GET and the jobs' reports show).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { decodeForest, isScanError, type ForestModel, type ForestModelBytes } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { Services } from '../context.js';
import { appendAudit } from '../audit/index.js';

export const MAX_FOREST_MODEL_BYTES = 64 * 1024 * 1024;
const SETTING_KEY = 'settings/forest-model.json';
const TYPES = ['application/octet-stream'];

/** The setting as stored (and as GET answers it). */
export interface ForestModelSetting {
  source: string;
  sha256: string;
  bytes: number;
  uploadedAt: string;
  uploadedBy: string;
  /** The model's own record of its training (its meta), as the job's report gives it. */
  training: Record<string, unknown>;
}

const modelKey = (sha256: string) => `settings/forest-models/${sha256}.bin`;

/** What a report says about a model's training: its meta, without the feature lists every model shares. */
export function trainingRecord(model: ForestModel): Record<string, unknown> {
  const m = model.meta;
  return {
    trainedOn: m.trainedOn,
    groups: m.groups,
    absentGroups: m.absentGroups,
    seed: m.seed,
    trees: m.trees,
    depth: m.depth,
    createdWith: m.createdWith,
    ...(m.training ? { training: m.training } : {}),
  };
}

async function currentSetting(s: Services): Promise<ForestModelSetting | undefined> {
  if (!(await s.store.exists(SETTING_KEY))) return undefined;
  return JSON.parse(new TextDecoder().decode(await s.store.get(SETTING_KEY))) as ForestModelSetting;
}

/**
 * The lab's model for a convert job, undefined when the admin set none (the host's shipped
 * model is used). Checked against its SHA-256: the report must name the bytes that ran.
 */
export async function labForestModel(s: Services): Promise<ForestModelBytes | undefined> {
  const set = await currentSetting(s);
  if (!set) return undefined;
  const bytes = await s.store.get(modelKey(set.sha256));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== set.sha256) throw new Error(`the lab's forest model in the store does not match its setting (sha256 ${sha}, expected ${set.sha256})`);
  return { bytes, source: set.source, training: { ...set.training, uploadedAt: set.uploadedAt, uploadedBy: set.uploadedBy } };
}

export function forestModelRoutes(app: FastifyInstance, s: Services): void {
  // Raw bytes only on this route (as for label maps): other routes keep refusing octet-stream with 415.
  void app.register(async (sub) => {
    sub.addContentTypeParser(TYPES, { parseAs: 'buffer', bodyLimit: MAX_FOREST_MODEL_BYTES }, (_req, body, done) => done(null, body));
    api(sub).put(
      '/api/admin/forest-model',
      {
        bodyLimit: MAX_FOREST_MODEL_BYTES,
        config: { access: ['admin'] },
        schema: { querystring: z.object({ name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional() }).strict() },
      },
      async (req) => {
        const p = caller(req);
        const body = req.body;
        if (!(body instanceof Uint8Array)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the model file (scan2print train -o FILE) as bytes with content-type ${TYPES[0]}`);
        const bytes = new Uint8Array(body);
        const source = req.query.name ?? 'lab-forest.bin';
        let model: ForestModel;
        try {
          model = decodeForest(bytes, source);
        } catch (e) {
          throw badRequest(isScanError(e) ? e.code : 'BAD_FOREST_MODEL', `the body is not a trained forest (scan2print train): ${(e as Error).message}`);
        }
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const setting: ForestModelSetting = { source, sha256, bytes: bytes.length, uploadedAt: new Date().toISOString(), uploadedBy: p.email, training: trainingRecord(model) };
        await s.store.put(modelKey(sha256), bytes);
        const { trainedOn, seed, trees } = setting.training as { trainedOn?: unknown; seed?: unknown; trees?: unknown };
        await appendAudit(s, s.db, { action: 'forest-model-changed', actor: p, orgId: null, details: { model: { source, sha256, bytes: bytes.length, trainedOn, seed, trees }, previous: (await currentSetting(s))?.sha256 ?? null } });
        await s.store.put(SETTING_KEY, new TextEncoder().encode(JSON.stringify(setting)));
        return { model: setting };
      },
    );
  });
  const r = api(app);
  r.get('/api/admin/forest-model', { config: { access: ['admin'] } }, async () => {
    const set = await currentSetting(s);
    return set ? { model: set } : { model: null, uses: 'the bone forest shipped with @scan2print/core (bone-forest.bin)' };
  });
  r.delete('/api/admin/forest-model', { config: { access: ['admin'] } }, async (req) => {
    // The setting goes; the bytes stay (a report that names them can still be checked against them).
    const previous = (await currentSetting(s))?.sha256 ?? null;
    await appendAudit(s, s.db, { action: 'forest-model-changed', actor: caller(req), orgId: null, details: { model: null, previous } });
    await s.store.deletePrefix(SETTING_KEY);
    return { model: null, uses: 'the bone forest shipped with @scan2print/core (bone-forest.bin)' };
  });
}
