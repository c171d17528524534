/**
 * Independent checks of a split, from the parts' geometry alone (used by the specs, and
 * usable by a host after reading parts back): each part moved back to patient LPS by the
 * inverse of its recorded transform; the parts' total volume against the model's (and, when
 * asked, the union against the model: exact but slow on large meshes, since the surfaces
 * coincide almost everywhere); and at every connector, inside a small box beyond the cut, the
 * peg of one part against the void of the other (the model there minus the hole's part):
 * inside it, axis on axis.
 */
import type { Mesh } from '../geometry/types.js';
import { manifoldModule } from '../surface/gate.js';
import { free, invert, toManifold, transformMesh, type Manifold, type Vec3 } from './manifold-mesh.js';
import type { PrepareOutput } from './prepare.js';

export interface AssemblyCheck {
  modelVolume_mm3: number;
  partsVolume_mm3: number;
  /** With `union`: volume in the model and not in the union of the parts, and the reverse. */
  missing_mm3?: number;
  extra_mm3?: number;
  connectors: {
    id: number;
    pegPart: string;
    holePart: string;
    /** Peg pieces and voids found in the connector's box. */
    pegs: number;
    voids: number;
    pegVolume_mm3: number;
    pegOutsideVoid_mm3: number;
    /** Distance between the peg's and the void's axes, across the cut direction. */
    axisOffset_mm: number;
  }[];
}

export interface AssemblyOptions {
  holeDiameter_mm: number;
  holeDepth_mm: number;
  /** Also compute the union of the parts against the model (exact; minutes on a skull). */
  union?: boolean;
  /** Called between heavy steps so a host can yield (a test worker's event loop). */
  breathe?: () => Promise<void>;
}

export async function checkAssembly(model: Mesh, out: Pick<PrepareOutput, 'parts' | 'connectors'>, opts: AssemblyOptions): Promise<AssemblyCheck> {
  const m = await manifoldModule();
  const breathe = opts.breathe ?? (async () => undefined);
  const whole = toManifold(m, model, 'model');
  const parts = new Map<string, Manifold>();
  for (const p of out.parts) {
    await breathe();
    parts.set(p.name, toManifold(m, transformMesh(p.mesh, invert(p.transform)), p.name));
  }
  let partsVolume = 0;
  for (const p of parts.values()) partsVolume += p.volume();
  const res: AssemblyCheck = { modelVolume_mm3: whole.volume(), partsVolume_mm3: partsVolume, connectors: [] };
  if (opts.union) {
    await breathe();
    const all = m.Manifold.union([...parts.values()]);
    const missingM = whole.subtract(all);
    const extraM = all.subtract(whole);
    res.missing_mm3 = missingM.volume();
    res.extra_mm3 = extraM.volume();
    free(missingM, extraM, all);
  }
  const half = opts.holeDiameter_mm / 2 + 1;
  for (const c of out.connectors) {
    await breathe();
    const dir = c.direction_lps;
    const k = dir.findIndex((x) => x !== 0);
    const s = dir[k]!;
    // Beyond the cut, the hole's depth plus half a millimetre; across it, the hole plus 1 mm.
    const lo: Vec3 = [c.at_lps_mm[0] - half, c.at_lps_mm[1] - half, c.at_lps_mm[2] - half];
    const size: Vec3 = [2 * half, 2 * half, 2 * half];
    size[k] = opts.holeDepth_mm + 0.5;
    lo[k] = s > 0 ? c.at_lps_mm[k]! + 1e-3 : c.at_lps_mm[k]! - 1e-3 - size[k]!;
    const cube = m.Manifold.cube(size);
    const boxM = cube.translate(lo);
    const peg = parts.get(c.pegPart)!.intersect(boxM);
    const modelHere = whole.intersect(boxM);
    const holeHere = parts.get(c.holePart)!.intersect(boxM);
    const voidM = modelHere.subtract(holeHere);
    const outside = peg.subtract(voidM);
    const pegPieces = peg.decompose();
    const voidPieces = voidM.decompose().filter((v) => v.volume() > 1e-3);
    // The largest void piece is the hole (a cut can leave debris-thin voids beside it).
    const hole = [...voidPieces].sort((x, y) => y.volume() - x.volume())[0];
    const a = centre(peg), b = hole ? centre(hole) : [NaN, NaN, NaN];
    const off = [0, 1, 2].filter((i) => i !== k).map((i) => a[i]! - b[i]!);
    res.connectors.push({
      id: c.id,
      pegPart: c.pegPart,
      holePart: c.holePart,
      pegs: pegPieces.length,
      voids: voidPieces.length,
      pegVolume_mm3: peg.volume(),
      pegOutsideVoid_mm3: outside.volume(),
      axisOffset_mm: Math.hypot(off[0]!, off[1]!),
    });
    free(cube, boxM, peg, modelHere, holeHere, voidM, outside, ...pegPieces, ...voidPieces);
  }
  free(whole, ...parts.values());
  return res;
}

function centre(x: Manifold): Vec3 {
  const b = x.boundingBox();
  return [(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2];
}
