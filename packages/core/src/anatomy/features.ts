/**
 * Per-region features in millimetres and body-relative units (the graph's StructureFeatures
 * say what each means), plus the extents the pairwise relations need.
 */
import type { Regions } from './regions.js';

export interface RegionFeatures {
  id: number;
  cells: number;
  voxels: number;
  volume_mm3: number;
  centroid: [number, number, number];
  min: [number, number, number];
  max: [number, number, number];
  bodyWidth_mm: number;
  /** Signed: + on the patient's left. */
  lateralSigned: number;
  lateral: number;
  anterior: number;
  widthFraction: number;
  meanHU: number;
  /** Air fraction of the body at the region's levels (regions.ts BodyFrame.air). */
  air: number;
  /** Fraction of the region's cells in a limb (BodyFrame.limb). */
  limb: number;
  /** Mean axial cross-section: volume / z extent, cm². */
  area_cm2: number;
  /** Mean cross-section / (x extent × y extent): a vertical tube or a vertebra is compact, a curved rib is not. */
  compact: number;
  /** Mean over the region's levels of BodyFrame.boneSpan. */
  boneSpan: number;
  /** Share of the region's levels where rib-like pieces lie on both sides in front (a rib cage). */
  ribLevel: number;
  /** Mean over the region's levels of BodyFrame.midlineBone. */
  midlineBone: number;
  /** Fraction of the region's cells inside the body. */
  inside: number;
}

export interface Sums {
  cells: number;
  sx: number;
  sy: number;
  sz: number;
  min: [number, number, number];
  max: [number, number, number];
}

export function emptySums(): Sums {
  return { cells: 0, sx: 0, sy: 0, sz: 0, min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] };
}

export function addSums(a: Sums, b: Sums): void {
  a.cells += b.cells;
  a.sx += b.sx;
  a.sy += b.sy;
  a.sz += b.sz;
  for (let t = 0; t < 3; t++) {
    a.min[t] = Math.min(a.min[t]!, b.min[t]!);
    a.max[t] = Math.max(a.max[t]!, b.max[t]!);
  }
}

/** Features of regions 1..count (index 0 is unused), and their raw sums (for aggregates). */
export function regionFeatures(r: Regions, fineVoxelVolume_mm3: number): { features: RegionFeatures[]; sums: Sums[] } {
  const m = r.count;
  const sums = Array.from({ length: m + 1 }, emptySums);
  const widthSum = new Float64Array(m + 1);
  const widthN = new Float64Array(m + 1);
  const antSum = new Float64Array(m + 1);
  const antN = new Float64Array(m + 1);
  const inside = new Float64Array(m + 1);
  const airSum = new Float64Array(m + 1);
  const midSum = new Float64Array(m + 1);
  const limbSum = new Float64Array(m + 1);
  const spanSum = new Float64Array(m + 1);
  const { centre } = r.coarse;
  const plane = r.coarse.dims[0] * r.coarse.dims[1];
  const b = r.body;
  for (let q = 0; q < r.ids.length; q++) {
    const id = r.ids[q]!;
    if (id === 0) continue;
    const x = centre[3 * q]!;
    const y = centre[3 * q + 1]!;
    const z = centre[3 * q + 2]!;
    const s = sums[id]!;
    s.cells++;
    s.sx += x;
    s.sy += y;
    s.sz += z;
    if (x < s.min[0]) s.min[0] = x;
    if (y < s.min[1]) s.min[1] = y;
    if (z < s.min[2]) s.min[2] = z;
    if (x > s.max[0]) s.max[0] = x;
    if (y > s.max[1]) s.max[1] = y;
    if (z > s.max[2]) s.max[2] = z;
    if (b.cell[q]) inside[id]!++;
    limbSum[id]! += b.limb[q]!;
    const bin = Math.floor((z - b.z0) / b.binSize_mm);
    const w = b.width[bin];
    if (w !== undefined && Number.isFinite(w)) {
      widthSum[id]! += w;
      widthN[id]!++;
      // Anterior–posterior position within the cell's own slice (a whole cross-section, also on a tilted series).
      const k = Math.floor(q / plane);
      const yc = Number.isFinite(b.sliceCentreY[k]!) ? b.sliceCentreY[k]! : b.centreY[bin]!;
      const dep = Number.isFinite(b.sliceDepth[k]!) ? b.sliceDepth[k]! : b.depth[bin]!;
      antSum[id]! += (y - yc) / Math.max(1, dep / 2);
      airSum[id]! += b.air[bin]!;
      midSum[id]! += b.midlineBone[bin]!;
      spanSum[id]! += b.boneSpan[bin]!;
      antN[id]!++;
    }
  }
  const half = r.coarse.spacing_mm.map((v) => v / 2);
  const features: RegionFeatures[] = [];
  for (let id = 0; id <= m; id++) {
    const s = sums[id]!;
    const n = Math.max(1, s.cells);
    const cx = s.sx / n;
    const bw = widthN[id]! ? widthSum[id]! / widthN[id]! : b.medianWidth;
    const lat = (cx - b.midX) / Math.max(1, bw / 2);
    const ex = s.cells ? s.max[0] - s.min[0] + 2 * half[0]! : 0;
    features.push({
      id,
      cells: s.cells,
      voxels: r.fineVoxels[id] ?? 0,
      volume_mm3: (r.fineVoxels[id] ?? 0) * fineVoxelVolume_mm3,
      centroid: [cx, s.sy / n, s.sz / n],
      min: [s.min[0] - half[0]!, s.min[1] - half[1]!, s.min[2] - half[2]!],
      max: [s.max[0] + half[0]!, s.max[1] + half[1]!, s.max[2] + half[2]!],
      bodyWidth_mm: bw,
      lateralSigned: lat,
      lateral: Math.abs(lat),
      anterior: antN[id]! ? antSum[id]! / antN[id]! : 0,
      widthFraction: bw > 0 ? ex / bw : 0,
      meanHU: r.fineVoxels[id] ? r.huSum[id]! / r.fineVoxels[id]! : 0,
      air: antN[id]! ? airSum[id]! / antN[id]! : 0,
      midlineBone: antN[id]! ? midSum[id]! / antN[id]! : 1,
      limb: s.cells ? limbSum[id]! / s.cells : 0,
      boneSpan: antN[id]! ? spanSum[id]! / antN[id]! : 0,
      compact: 0,
      ribLevel: 0,
      area_cm2: s.cells ? ((r.fineVoxels[id] ?? 0) * fineVoxelVolume_mm3) / (s.max[2] - s.min[2] + 2 * half[2]!) / 100 : 0,
      inside: s.cells ? inside[id]! / s.cells : 0,
    });
  }
  for (const f of features) {
    const exy = (f.max[0] - f.min[0]) * (f.max[1] - f.min[1]);
    f.compact = exy > 0 ? Math.min(1, (f.area_cm2 * 100) / exy) : 0;
  }
  // Rib-cage levels: thin (not compact), lateral, anterior pieces of under 25 cm³ on both sides.
  const nb = b.width.length;
  const left = new Uint8Array(nb);
  const right = new Uint8Array(nb);
  const binOf = (z: number) => Math.min(nb - 1, Math.max(0, Math.floor((z - b.z0) / b.binSize_mm)));
  for (const f of features) {
    if (f.cells === 0 || f.compact >= 0.3 || f.lateral < 0.3 || f.lateral > 0.95 || f.anterior > -0.2 || f.volume_mm3 > 25_000) continue;
    const side = f.lateralSigned > 0 ? left : right;
    for (let t = binOf(f.min[2]); t <= binOf(f.max[2]); t++) side[t] = 1;
  }
  for (const f of features) {
    if (f.cells === 0) continue;
    let n = 0;
    let on = 0;
    for (let t = binOf(f.min[2]); t <= binOf(f.max[2]); t++, n++) if (left[t] && right[t]) on++;
    f.ribLevel = n ? on / n : 0;
  }
  return { features, sums };
}
