/**
 * Cross-sections of the oriented model across any axis. manifold-3d slices at a height (z)
 * only, so for a cut across x or y the model is turned once so that axis becomes z, with the
 * plane's coordinates (u, v) = (the next axis, the one after), a proper rotation.
 */
import type { CrossSection, Manifold, Mat4, RigidTransform } from './manifold-mesh.js';
import { free, mat4 } from './manifold-mesh.js';

/** The rotation taking axis `a` to z, (a+1)%3 to x and (a+2)%3 to y (row-major). */
export function axisToZ(a: number): RigidTransform {
  const r = new Array<number>(9).fill(0);
  r[(a + 1) % 3] = 1;
  r[3 + ((a + 2) % 3)] = 1;
  r[6 + a] = 1;
  return { rotation: r, translation: [0, 0, 0] };
}

/** Column-major 4×4 taking the (u, v, w) frame of axis `a` back to the model frame. */
export function frameToModel(a: number): Mat4 {
  const r = axisToZ(a).rotation;
  const rt = [r[0]!, r[3]!, r[6]!, r[1]!, r[4]!, r[7]!, r[2]!, r[5]!, r[8]!];
  return mat4({ rotation: rt, translation: [0, 0, 0] });
}

export class Slicer {
  private readonly turned: (Manifold | undefined)[] = [undefined, undefined, undefined];

  constructor(private readonly model: Manifold) {}

  /** The model's cross-section at position `c` on axis `a`, in (u, v) plane coordinates. */
  slice(a: number, c: number): CrossSection {
    if (a === 2) return this.model.slice(c);
    this.turned[a] ??= this.model.transform(mat4(axisToZ(a)));
    return this.turned[a]!.slice(c);
  }

  /** Frees the turned copies (the model itself belongs to the caller). */
  dispose(): void {
    free(this.turned[0], this.turned[1]);
    this.turned[0] = this.turned[1] = undefined;
  }
}
