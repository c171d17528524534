/**
 * Independent checks of a split, from the parts' geometry alone (used by the specs, and
 * usable by a host after reading parts back): each part moved back to patient LPS by the
 * inverse of its recorded transform; the union compared with the model; and across every cut,
 * the pegs that stick out of one part lie inside the voids of the other, axis on axis.
 */
import type { Mesh } from '../geometry/types.js';
import { manifoldModule } from '../surface/gate.js';
import { free, invert, toManifold, transformMesh, type Manifold, type Vec3 } from './manifold-mesh.js';
import type { PrepareOutput } from './prepare.js';

export interface AssemblyCheck {
  modelVolume_mm3: number;
  unionVolume_mm3: number;
  /** Volume in the model and not in the union, and in the union and not in the model. */
  missing_mm3: number;
  extra_mm3: number;
  /** Per peg/hole part pair: protruding peg volume outside the other part's voids, and the worst axis offset. */
  pairs: { pegPart: string; holePart: string; pegs: number; voids: number; pegOutsideVoids_mm3: number; maxAxisOffset_mm: number }[];
}

export async function checkAssembly(model: Mesh, out: PrepareOutput, conn: { holeDepth_mm: number }): Promise<AssemblyCheck> {
  const m = await manifoldModule();
  const whole = toManifold(m, model, 'model');
  const parts = new Map<string, Manifold>();
  for (const p of out.parts) parts.set(p.name, toManifold(m, transformMesh(p.mesh, invert(p.transform)), p.name));
  const all = m.Manifold.union([...parts.values()]);
  const missingM = whole.subtract(all);
  const extraM = all.subtract(whole);
  const res: AssemblyCheck = { modelVolume_mm3: whole.volume(), unionVolume_mm3: all.volume(), missing_mm3: missingM.volume(), extra_mm3: extraM.volume(), pairs: [] };
  free(missingM, extraM, all);
  const groups = new Map<string, (typeof out.connectors)[number][]>();
  for (const c of out.connectors) {
    const k = `${c.pegPart}|${c.holePart}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const [k, cs] of groups) {
    const [pegName, holeName] = k.split('|') as [string, string];
    const dir = cs[0]!.direction_lps;
    const d = dot(dir, cs[0]!.at_lps_mm);
    const pegPart = parts.get(pegName)!, holePart = parts.get(holeName)!;
    // Pegs: the peg part beyond the cut plane. Voids: the model beyond the plane, within the hole depth, minus the hole part.
    const pegs = pegPart.trimByPlane(dir, d + 1e-3);
    const beyond = whole.trimByPlane(dir, d + 1e-3);
    const slab = beyond.trimByPlane(neg(dir), -(d + conn.holeDepth_mm + 0.5));
    const voidsAll = slab.subtract(holePart);
    const pegList = pegs.decompose();
    const voidList = voidsAll.decompose().filter((v) => v.volume() > 1e-3);
    const outside = pegs.subtract(voidsAll);
    let worst = 0;
    for (const pg of pegList) {
      const c = centre(pg);
      let best = Infinity;
      for (const v of voidList) {
        const w = centre(v);
        const diff = [c[0] - w[0], c[1] - w[1], c[2] - w[2]];
        const along = dot(diff, dir);
        best = Math.min(best, Math.hypot(diff[0]! - along * dir[0], diff[1]! - along * dir[1], diff[2]! - along * dir[2]));
      }
      worst = Math.max(worst, best);
    }
    res.pairs.push({ pegPart: pegName, holePart: holeName, pegs: pegList.length, voids: voidList.length, pegOutsideVoids_mm3: outside.volume(), maxAxisOffset_mm: worst });
    free(pegs, beyond, slab, voidsAll, outside, ...pegList, ...voidList);
  }
  free(whole, ...parts.values());
  return res;
}

function centre(x: Manifold): Vec3 {
  const b = x.boundingBox();
  return [(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2];
}
const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const neg = (a: Vec3): Vec3 => [-a[0], -a[1], -a[2]];
