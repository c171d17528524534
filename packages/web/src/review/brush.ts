/**
 * The paint/erase brush: a disk of a radius in mm in the plane of the slice being drawn on
 * (axial, coronal or sagittal), turned into voxel offsets with the volume's spacing, so a
 * 2 mm brush covers 2 mm on a 0.45 mm in-plane grid and on a 1 mm slice step alike.
 * Works in RAS voxel order (see ras-order.ts): axis 0 = x, 1 = y, 2 = z.
 */
export type Vec3 = [number, number, number];

/** The plane a 2D tile shows, as NiiVue numbers it (SLICE_TYPE): 0 axial, 1 coronal, 2 sagittal. */
export type SlicePlane = 0 | 1 | 2;

/** The axis held fixed by each plane: axial → z, coronal → y, sagittal → x. */
export function normalAxis(plane: SlicePlane): 0 | 1 | 2 {
  return plane === 0 ? 2 : plane === 1 ? 1 : 0;
}

/** Half-widths of the brush in voxels along each axis (0 along the plane's normal). */
export function brushRadiusVoxels(radius_mm: number, spacing_mm: Vec3, plane: SlicePlane): Vec3 {
  const n = normalAxis(plane);
  return spacing_mm.map((s, a) => (a === n ? 0 : radius_mm / s)) as Vec3;
}

/**
 * Voxel offsets inside the disk: (dx·sx)² + (dy·sy)² + (dz·sz)² ≤ r² in the plane. The
 * centre voxel is always included, so a brush thinner than a voxel still paints one.
 */
export function brushOffsets(radius_mm: number, spacing_mm: Vec3, plane: SlicePlane): Vec3[] {
  const rv = brushRadiusVoxels(radius_mm, spacing_mm, plane);
  const out: Vec3[] = [];
  const r2 = radius_mm * radius_mm;
  const ext = rv.map((v) => Math.floor(v)) as Vec3;
  for (let dz = -ext[2] + 0; dz <= ext[2]; dz++) {
    for (let dy = -ext[1] + 0; dy <= ext[1]; dy++) {
      for (let dx = -ext[0] + 0; dx <= ext[0]; dx++) {
        const d2 = (dx * spacing_mm[0]) ** 2 + (dy * spacing_mm[1]) ** 2 + (dz * spacing_mm[2]) ** 2;
        if (d2 <= r2 || (dx === 0 && dy === 0 && dz === 0)) out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

/** Changed voxels of one stroke: first value seen per index (what undo restores). */
export type StrokeBefore = Map<number, number>;

/**
 * Stamps the brush at `centre` (RAS voxel) with `value` (0 = erase), clipped to the grid.
 * Records each voxel's value before its first change in `before`. Returns voxels changed.
 */
export function stamp(labels: Uint8Array, dims: Vec3, centre: Vec3, offsets: Vec3[], value: number, before: StrokeBefore): number {
  const [nx, ny, nz] = dims;
  let changed = 0;
  for (const [dx, dy, dz] of offsets) {
    const x = centre[0] + dx;
    const y = centre[1] + dy;
    const z = centre[2] + dz;
    if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) continue;
    const i = x + nx * (y + ny * z);
    const old = labels[i]!;
    if (old === value) continue;
    if (!before.has(i)) before.set(i, old);
    labels[i] = value;
    changed++;
  }
  return changed;
}

/**
 * Voxel centres from a to b (inclusive) at most half a voxel apart, so a fast mouse
 * stroke leaves no gaps between the stamps.
 */
export function strokePoints(a: Vec3, b: Vec3): Vec3[] {
  const steps = Math.max(1, Math.ceil(2 * Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]), Math.abs(b[2] - a[2]))));
  const out: Vec3[] = [];
  let last = '';
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    const p: Vec3 = [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)];
    const key = p.join(',');
    if (key !== last) out.push(p);
    last = key;
  }
  return out;
}
