/**
 * Bone regions for identification: the bone mask on a coarse (≈ 2 mm) grid, split where
 * structures meet, and the patient's body frame (mid-sagittal plane, body width, air and
 * bone per level, limbs).
 *
 * Why split: at CT resolution a threshold joins bones at their joints (femoral head and
 * acetabulum, sacrum and ilium, ribs and vertebrae), and marrow filling makes them solid, so
 * one connected component can hold several structures. Tried first and measured on
 * labelled/totalsegmentator/example_ct: eroding the mask (5–12 mm, exact distance transform)
 * and growing the cores back left hips, femurs, sacrum and spine one region (the femoral head
 * sits inside its socket: no depth separates them). Used instead: the mask is cut into three
 * columns (right of, on and left of the midline band) and, per column, into axial 2D blobs,
 * each cut where a thick part meets a thin one (anatomy/blob-split.ts: a 2D opening; on
 * example_ct's threshold mask it raised the sacrum's voxels named sacrum from 8 % to 25 %, the
 * S1 body no longer joined to its alae); a blob joins the blob above it only when each is the
 * other's only overlap. Wherever
 * structures merge or branch between levels a chain ends, so regions stop at joints, rib
 * heads and discs. Over-splitting is harmless: identification may give several regions the
 * same structure.
 */
import type { LabelMap, Volume } from '../geometry/types.js';
import { bodyFrame, boneLevels, type BodyFrame } from './body-frame.js';
import { coarseGridOf, forEachNonZeroVoxel, type CoarseGrid } from './coarse-grid.js';
import { chainRegions, columnsOf, contactsOf, type Contact } from './chains.js';
import { BLOB_SPLIT_DEFAULTS, type BlobSplitParams } from './blob-split.js';

export { coarseGridOf, cellIndexer, forEachNonZeroVoxel, type CoarseGrid } from './coarse-grid.js';
export { bodyFrame, median, type BodyFrame } from './body-frame.js';
export type { Contact } from './chains.js';

export interface Regions {
  coarse: CoarseGrid;
  /** Region id per coarse cell (0 = no bone). */
  ids: Int32Array;
  count: number;
  /** Fine bone voxels per region (index 0 unused). */
  fineVoxels: Float64Array;
  /** Sum of fine HU per region (for the mean). */
  huSum: Float64Array;
  body: BodyFrame;
  /** Region pairs that touch (a < b), by shared cell faces, in order of a then b. */
  contacts: Contact[];
}

export interface RegionParams {
  /** Coarse cell size, mm (default 2). */
  cell_mm?: number;
  /** Half-width of the midline column as a fraction of the body's half-width (default 0.2). */
  midlineBand?: number;
  /** Splitting of axial blobs at thick–thin junctions (anatomy/blob-split.ts); null: off. */
  split?: BlobSplitParams | null;
}


/** Splits the bone mask into regions (see the module comment). */
export function boneRegions(labels: LabelMap, volume: Volume, params: RegionParams = {}): Regions {
  const g = labels.grid;
  const cg = coarseGridOf(g, params.cell_mm ?? 2);
  const n = cg.dims[0] * cg.dims[1] * cg.dims[2];
  const bone = new Uint8Array(n);
  const src = labels.data;
  forEachNonZeroVoxel(g, cg, src, (_p, q) => {
    bone[q] = 1;
  });
  const body = bodyFrame(volume, cg);
  const column = columnsOf(bone, cg, body, params.midlineBand ?? 0.2);
  const { ids, count } = chainRegions(bone, column, cg.dims, [cg.spacing_mm[0], cg.spacing_mm[1]], params.split === undefined ? BLOB_SPLIT_DEFAULTS : params.split);
  // Regions mostly outside the body (a table or head holder the mask kept) are not the patient's bone: the per-level
  // bone span leaves them out (midline bone keeps them: measured, leaving them out there named a phantom's base tibia). A head holder beside the skull base made every level read as spanned
  // by bone, so the atlas below the skull looked as wide as the skull (ge-head-tilt, segment without --remove-table).
  const inBody = new Float64Array(count + 1);
  const cells = new Float64Array(count + 1);
  for (let q = 0; q < n; q++) {
    const id = ids[q]!;
    if (!id) continue;
    cells[id]!++;
    if (body.cell[q]) inBody[id]!++;
  }
  const patient = new Uint8Array(n);
  for (let q = 0; q < n; q++) if (ids[q] && 2 * inBody[ids[q]!]! >= cells[ids[q]!]!) patient[q] = 1;
  boneLevels(body, bone, column, cg, patient);
  const fineVoxels = new Float64Array(count + 1);
  const huSum = new Float64Array(count + 1);
  const hu = volume.data;
  const sameVol = volume.grid.dims.every((d, a) => d === g.dims[a]);
  forEachNonZeroVoxel(g, cg, src, (p, q) => {
    const id = ids[q]!;
    fineVoxels[id]!++;
    if (sameVol) huSum[id]! += hu[p]!;
  });
  return { coarse: cg, ids, count, fineVoxels, huSum, body, contacts: contactsOf(ids, cg.dims, count) };
}
