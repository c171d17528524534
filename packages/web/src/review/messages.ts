/** Messages between the review page and its two workers (threshold.worker.ts, edit.worker.ts). */
import type { RasLayout } from './ras-order.js';
import type { Vec3 } from './brush.js';

export type ThresholdRequest =
  | { type: 'load'; id: number; volume: ArrayBuffer; layout: RasLayout }
  | { type: 'threshold'; id: number; lo: number; hi: number };

export type ThresholdResponse =
  | { type: 'loaded'; id: number; min: number; max: number }
  | { type: 'threshold'; id: number; labels: Uint8Array; count: number; ms: number }
  | { type: 'error'; id: number; message: string };

export type EditRequest =
  /** labels.nii.gz → RAS-order labels checked against the CT's native grid. */
  | { type: 'labels'; id: number; file: ArrayBuffer; layout: RasLayout; nativeDims: Vec3 }
  | { type: 'component'; id: number; mode: 'remove' | 'keep'; labels: ArrayBuffer; dims: Vec3; seed: number }
  /** The edited RAS labels → labels.nii.gz bytes in the original file's geometry. */
  | { type: 'export'; id: number; labels: ArrayBuffer; layout: RasLayout; file: ArrayBuffer };

export type EditResponse =
  | { type: 'labels'; id: number; labels: Uint8Array; count: number }
  | { type: 'component'; id: number; indices: Uint32Array }
  | { type: 'export'; id: number; bytes: Uint8Array }
  | { type: 'error'; id: number; message: string };
