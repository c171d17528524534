/**
 * 8-connected flood fill within one nx × ny plane of a coarse grid (cell r = i + j·nx), the
 * step every in-plane blob labelling of the anatomy shares (axial pieces, body-frame halves,
 * blob splitting). Depth-first from `seed`, which the caller has already marked: `join(t)`
 * decides whether in-plane neighbour t belongs (and marks it so it is not taken twice);
 * `visit(r)` sees every member in the order it is taken off the stack. `stack` is the
 * caller's scratch of at least nx·ny entries (each cell is pushed once at most).
 */
export function floodPlane(
  seed: number,
  nx: number,
  ny: number,
  stack: Int32Array,
  join: (t: number) => boolean,
  visit?: (r: number) => void,
): void {
  let top = 0;
  stack[top++] = seed;
  while (top > 0) {
    const r = stack[--top]!;
    visit?.(r);
    const i = r % nx;
    const j = (r - i) / nx;
    for (let dj = -1; dj <= 1; dj++) {
      const jj = j + dj;
      if (jj < 0 || jj >= ny) continue;
      for (let di = -1; di <= 1; di++) {
        const ii = i + di;
        if (ii < 0 || ii >= nx) continue;
        const t = ii + jj * nx;
        if (join(t)) stack[top++] = t;
      }
    }
  }
}
