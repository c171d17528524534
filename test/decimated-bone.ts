/**
 * A real bone for the quote specs: the largest shell of the shared decimated TotalSegmentator
 * convert (convert-cache.ts, converted once per test run), checked closed and manifold, so each
 * spec prices real anatomy without a convert of its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkMesh, compactMesh, labelShells, readStl, shellVolumes_mm3, type Mesh } from '@scan2print/core';
import { DECIMATED_BONE, sharedStlConvert } from './convert-cache.js';

export async function decimatedBoneShell(): Promise<Mesh> {
  const r = await sharedStlConvert(DECIMATED_BONE.series, DECIMATED_BONE.flags);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`the shared decimated convert: exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
  const stl = join(r.dir, 'm.stl');
  const mesh = readStl(new Uint8Array(readFileSync(stl)), stl);
  const { shellOf, shellCount } = labelShells(mesh);
  const vol = shellVolumes_mm3(mesh, shellOf, shellCount);
  let best = 0;
  for (let s = 1; s < shellCount; s++) if (vol[s]! > vol[best]!) best = s;
  const bone = compactMesh(mesh, Uint8Array.from(shellOf, (s) => (s === best ? 1 : 0)));
  const check = checkMesh(bone);
  if (!check.closed || !check.manifold) throw new Error(`the largest shell of ${stl} is not closed and manifold`);
  return bone;
}

/** The mesh scaled by `k` about the origin. */
export const scaledMesh = (m: Mesh, k: number): Mesh => ({ positions: m.positions.map((x) => x * k), indices: m.indices });
