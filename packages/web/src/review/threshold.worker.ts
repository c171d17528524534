/**
 * Live threshold preview: holds the CT in HU (volume.nii.gz read by core) and answers each
 * threshold with a new label map already in NiiVue's RAS order, its buffer transferred.
 */
import { readNifti } from '@scan2print/core';
import { thresholdToRas, type RasLayout } from './ras-order.js';
import type { ThresholdRequest, ThresholdResponse } from './messages.js';

let hu: Int16Array | Float32Array | null = null;
let layout: RasLayout | null = null;

const post = (m: ThresholdResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

self.onmessage = (e: MessageEvent<ThresholdRequest>) => {
  const m = e.data;
  try {
    if (m.type === 'load') {
      hu = readNifti(new Uint8Array(m.volume), 'volume.nii.gz').volume.data;
      layout = m.layout;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < hu.length; i++) {
        const v = hu[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      post({ type: 'loaded', id: m.id, min, max });
    } else {
      if (!hu || !layout) throw new Error('no CT volume loaded');
      const t0 = performance.now();
      const { labels, count } = thresholdToRas(hu, layout, m.lo, m.hi);
      post({ type: 'threshold', id: m.id, labels, count, ms: performance.now() - t0 }, [labels.buffer]);
    }
  } catch (err) {
    post({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
};
