/** What identification returns and takes (anatomy/identify.ts). */
import type { LabelMap } from '../geometry/types.js';
import type { StageRecord } from '../pipeline/record.js';
import type { AnatomyGraph } from './graph.js';
import type { RegionParams } from './regions.js';

export interface IdentifiedStructure {
  name: string;
  group: string;
  side: 'left' | 'right' | null;
  /** Value of this structure in the identification's label map. */
  label: number;
  voxels: number;
  volume_mm3: number;
  bbox_mm: [number, number, number, number, number, number];
  confidence: number;
  evidence: string[];
}

export interface Identification {
  region: string[];
  structures: IdentifiedStructure[];
  missing: { name: string; reason: string }[];
  unassigned: { label: number; volume_mm3: number; reason: string }[];
}

/**
 * The forest's output as identification reads it (segment/forest's ForestOutput has these
 * fields): group id per voxel (label k = groups[k − 1]) and argmax P × 255 per voxel.
 */
export interface ForestEvidence {
  labels: LabelMap;
  groups: string[];
  confidence?: Uint8Array;
}

export interface IdentifyOptions {
  forest?: ForestEvidence;
  graph?: AnatomyGraph;
  regions?: RegionParams;
}

export interface IdentifyResult {
  output: Identification;
  record: StageRecord;
  /** Structure label per voxel on the labels' grid (value = IdentifiedStructure.label). */
  labels: LabelMap;
}
