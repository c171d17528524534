/** Messages between the review page and its two workers (volume.worker.ts, edit.worker.ts). */
import type { RasLayout } from './ras-order.js';
import type { Vec3 } from './brush.js';

export type VolumeRequest =
  /** Fetch and decode volume.nii.gz at `url`; answer a preview of at most `previewVoxels` voxels (0: none). */
  | { type: 'load'; id: number; url: string; previewVoxels: number }
  /** The loaded file as uncompressed NIfTI bytes (once per load: the buffer is transferred). */
  | { type: 'full'; id: number }
  | { type: 'threshold'; id: number; lo: number; hi: number; layout: RasLayout };

export type VolumeResponse =
  | {
      type: 'loaded';
      id: number;
      /** Downsampling factor of the preview along each axis; preview null when the CT is small enough to show whole. */
      factor: number;
      preview: ArrayBuffer | null;
      ms: { fetchInflate: number; preview: number };
    }
  /** The whole CT for NiiVue, and its value range (the threshold slider's bounds). */
  | { type: 'full'; id: number; nii: ArrayBuffer; min: number; max: number }
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
