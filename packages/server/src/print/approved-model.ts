/**
 * The approved model version of a case, as print management needs it: the model gate's
 * signature that holds (approving signs it; requesting changes voids it) and its 3MF.
 * Without one a case has nothing to quote or print: 409 NOT_APPROVED, saying why.
 */
import { APPROVED_STATES as CORE_APPROVED, bbox_mm, footprintHull, read3mf } from '@scan2print/core';
import type { Services } from '../context.js';
import { HttpError } from '../http/errors.js';
import { currentGates } from '../workflow/facts.js';

/**
 * States in which the model gate's version stands approved: core's list (after approval,
 * before a loop back), and 'delivered', which core leaves out because no new version can be
 * made there anyway, but whose model is still the approved one (a reprint quotes it).
 */
const APPROVED_STATES = new Set<string>([...CORE_APPROVED, 'delivered']);

export interface ApprovedModel {
  versionId: string;
  artifactId: string;
  name: string;
  objectKey: string;
  sha256: string;
}

export async function approvedModel(s: Services, c: { id: string; status: string }): Promise<ApprovedModel> {
  const gate = (await currentGates(s.db, c.id)).model;
  if (!APPROVED_STATES.has(c.status) || !gate?.modelVersionId) {
    throw new HttpError(409, 'NOT_APPROVED', `case ${c.id} is ${c.status} and has no approved model version: a reviewer approves one first`);
  }
  const art = await s.db
    .selectFrom('artifacts')
    .select(['id', 'name', 'object_key', 'sha256'])
    .where('job_id', '=', gate.modelVersionId)
    .where('kind', '=', 'model')
    .where('name', 'like', '%.3mf')
    .orderBy('name')
    .limit(1)
    .executeTakeFirst();
  if (!art) throw new HttpError(409, 'NOT_APPROVED', `the approved model version ${gate.modelVersionId} of case ${c.id} has no 3MF model`);
  return { versionId: gate.modelVersionId, artifactId: art.id, name: art.name, objectKey: art.object_key, sha256: art.sha256 };
}

/**
 * The parts the schedule places: the whole model as one part, its bounding box as the 3MF
 * holds it (mm), and its footprint: the convex hull of its vertices on the bed, from the box's
 * corner (the schedule turns it about z to fit a bed, which the box alone would not allow).
 * One part is conservative: shells keep their places relative to each other.
 */
export function modelParts(bytes: Uint8Array, name: string): { id: string; bbox_mm: [number, number, number]; hull_mm: [number, number][] }[] {
  const mesh = read3mf(bytes, name);
  const b = bbox_mm(mesh);
  const size = [0, 1, 2].map((a) => Math.max(0, Math.round((b.max[a]! - b.min[a]!) * 100) / 100)) as [number, number, number];
  // Only the vertices triangles use, as bbox_mm counts them.
  const used: number[] = [];
  for (const i of mesh.indices) used.push(mesh.positions[3 * i]! - b.min[0]!, mesh.positions[3 * i + 1]! - b.min[1]!, 0);
  const hull = footprintHull(used).map(([x, y]) => [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000] as [number, number]);
  return [{ id: 'model', bbox_mm: size, hull_mm: hull }];
}
