/**
 * The trained forest and its byte format. Two chained stages, each a list of
 * depth-limited trees stored as flat arrays: per node a feature index (Uint16, 0xFFFF =
 * leaf), a threshold (Float32; go left when x < threshold) and `next` (Uint32: the left
 * child, the right child being next + 1; for a leaf its row in leafP). leafP holds each
 * leaf's class distribution as Uint16 (× 65535), class 0 = not bone, class k = groups[k−1].
 *
 * Bytes: "S2PFRST1", u32 length of the metadata JSON, the JSON (UTF-8), zero padding to a
 * multiple of 4, then per stage u32 trees, nodes, leaves, classes followed by roots
 * (Uint32), feature (Uint16, padded to 4 bytes), threshold (Float32), next (Uint32), leafP
 * (Uint16, padded). Little-endian throughout.
 */
import { LITTLE_ENDIAN } from '../../endian.js';
import { inputError } from '../../errors.js';
import { LEAF, type StageArrays } from './kernels.js';

export const FOREST_MAGIC = 'S2PFRST1';

export interface ForestMeta {
  format: 1;
  /** Group names: label k = groups[k − 1]. Only groups with training voxels are classes. */
  groups: string[];
  /** Groups of the definition without any training voxel (so not predicted). */
  absentGroups: string[];
  /** What it was trained on (file names and SHA-256 of the bytes, as the trainer wrote them). */
  trainedOn: string[];
  seed: number;
  /** Stage-1 features; stage 2 reads these and then `contextFeatures`. */
  features: string[];
  contextFeatures: string[];
  trees: number;
  depth: number;
  createdWith: string;
  workingSpacing_mm: number;
  /** Anything else the trainer records (samples, timing, options). */
  training?: Record<string, unknown>;
}

export interface ForestModel {
  meta: ForestMeta;
  stages: [StageArrays, StageArrays];
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export function encodeForest(model: ForestModel): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('forest encoding needs a little-endian platform');
  const json = new TextEncoder().encode(JSON.stringify(model.meta));
  let size = 8 + 4 + pad4(json.length);
  for (const s of model.stages) {
    const nodes = s.feature.length;
    size += 16 + 4 * s.roots.length + pad4(2 * nodes) + 4 * nodes + 4 * nodes + pad4(2 * s.leafP.length);
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(FOREST_MAGIC), 0);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  let o = 12 + pad4(json.length);
  const put = (a: ArrayBufferView, bytes: number) => {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += pad4(bytes);
  };
  for (const s of model.stages) {
    dv.setUint32(o, s.roots.length, true);
    dv.setUint32(o + 4, s.feature.length, true);
    dv.setUint32(o + 8, s.leafP.length / s.classes, true);
    dv.setUint32(o + 12, s.classes, true);
    o += 16;
    put(s.roots, s.roots.byteLength);
    put(s.feature, s.feature.byteLength);
    put(s.threshold, s.threshold.byteLength);
    put(s.next, s.next.byteLength);
    put(s.leafP, s.leafP.byteLength);
  }
  return out;
}

/** Reads and checks a model; any inconsistency is an input error naming `file`. */
export function decodeForest(bytes: Uint8Array, file: string): ForestModel {
  if (!LITTLE_ENDIAN) throw new Error('forest decoding needs a little-endian platform');
  const bad = (msg: string) => inputError('BAD_FOREST_MODEL', `not a scan2print forest model: ${msg}`, file);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== FOREST_MAGIC) throw bad(`missing the "${FOREST_MAGIC}" signature`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jl = dv.getUint32(8, true);
  if (12 + jl > bytes.length) throw bad('truncated metadata');
  let meta: ForestMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jl))) as ForestMeta;
  } catch {
    throw bad('metadata is not JSON');
  }
  if (meta.format !== 1 || !Array.isArray(meta.groups) || !Array.isArray(meta.features) || !Array.isArray(meta.contextFeatures)) throw bad('metadata lacks format 1, groups or features');
  let o = 12 + pad4(jl);
  const take = <T>(Ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, count: number): T => {
    const len = count * Ctor.BYTES_PER_ELEMENT;
    if (o + len > bytes.length) throw bad('truncated tree arrays');
    const copy = bytes.slice(o, o + len); // aligned copy
    o += pad4(len);
    return new Ctor(copy.buffer);
  };
  const stages: StageArrays[] = [];
  const nFeatures = [meta.features.length, meta.features.length + meta.contextFeatures.length];
  for (let s = 0; s < 2; s++) {
    if (o + 16 > bytes.length) throw bad('truncated stage header');
    const trees = dv.getUint32(o, true);
    const nodes = dv.getUint32(o + 4, true);
    const leaves = dv.getUint32(o + 8, true);
    const classes = dv.getUint32(o + 12, true);
    o += 16;
    if (classes !== meta.groups.length + 1) throw bad(`stage ${s + 1} has ${classes} classes for ${meta.groups.length} groups`);
    if (trees === 0 || nodes === 0) throw bad(`stage ${s + 1} has no trees`);
    const roots = take(Uint32Array, trees);
    const feature = take(Uint16Array, nodes);
    const threshold = take(Float32Array, nodes);
    const next = take(Uint32Array, nodes);
    const leafP = take(Uint16Array, leaves * classes);
    for (const r of roots) if (r >= nodes) throw bad(`stage ${s + 1}: a root points outside the nodes`);
    for (let i = 0; i < nodes; i++) {
      const f = feature[i]!;
      if (f === LEAF) {
        if (next[i]! >= leaves) throw bad(`stage ${s + 1}: leaf ${i} points outside the leaf table`);
      } else if (f >= nFeatures[s]! || next[i]! + 1 >= nodes || next[i]! <= i) throw bad(`stage ${s + 1}: node ${i} is malformed`);
    }
    stages.push({ classes, roots, feature, threshold, next, leafP });
  }
  if (o !== bytes.length) throw bad(`${bytes.length - o} unexpected trailing bytes`);
  return { meta, stages: [stages[0]!, stages[1]!] };
}
