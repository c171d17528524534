/**
 * The soft threshold's slab kernel, apart from the method (soft-threshold.ts) so that a
 * worker loading segment/tasks.ts does not load zod with it.
 */
export const SOFT_THRESHOLD_TASK = 'segment.soft-threshold';

export interface SoftThresholdSlabPayload {
  src: Float32Array | Int16Array;
  prob: Float32Array;
  labels: Uint8Array;
  centre: number;
  width: number;
  start: number;
  end: number;
}

export function softThresholdSlab(p: SoftThresholdSlabPayload): void {
  const { src, prob, labels, centre, width, start, end } = p;
  const inv = 1 / width;
  for (let v = start; v < end; v++) {
    const x = src[v]!;
    prob[v] = 1 / (1 + Math.exp(-(x - centre) * inv));
    labels[v] = x >= centre ? 1 : 0;
  }
}
