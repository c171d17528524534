/**
 * The label map's heavy edits off the page's thread: reading labels.nii.gz into NiiVue's
 * RAS order, the clicked island (remove it or keep only it), and writing the edited map back
 * as NIfTI in the original file's geometry.
 */
import { readNiftiLabels } from '@scan2print/core';
import { nativeToRas, rasToNative } from './ras-order.js';
import { islandToRemove, othersToRemove } from './components.js';
import { countLabelled } from './history.js';
import { replaceNiftiVoxels } from './nifti-replace.js';
import { inflateIfGzip } from './inflate.js';
import type { EditRequest, EditResponse } from './messages.js';

const post = (m: EditResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

self.onmessage = async (e: MessageEvent<EditRequest>) => {
  const m = e.data;
  try {
    if (m.type === 'labels') {
      // Inflated natively: core's pure-JS gunzip of a 37-megavoxel map took seconds on a loaded machine.
      const map = readNiftiLabels(await inflateIfGzip(new Uint8Array(m.file)), 'labels.nii');
      const d = map.grid.dims;
      if (d[0] !== m.nativeDims[0] || d[1] !== m.nativeDims[1] || d[2] !== m.nativeDims[2]) {
        throw new Error(`the label map's grid ${d.join('×')} is not the CT's ${m.nativeDims.join('×')}`);
      }
      const native = map.data instanceof Uint8Array ? map.data : Uint8Array.from(map.data, (v) => Math.min(v, 255));
      const labels = nativeToRas(native, m.layout);
      post({ type: 'labels', id: m.id, labels, count: countLabelled(labels) }, [labels.buffer]);
    } else if (m.type === 'component') {
      const labels = new Uint8Array(m.labels);
      const indices = m.mode === 'remove' ? islandToRemove(labels, m.dims, m.seed) : othersToRemove(labels, m.dims, m.seed);
      post({ type: 'component', id: m.id, indices }, [indices.buffer]);
    } else {
      const native = rasToNative(new Uint8Array(m.labels), m.layout);
      const bytes = replaceNiftiVoxels(new Uint8Array(m.file), native, { level: 3 });
      post({ type: 'export', id: m.id, bytes }, [bytes.buffer]);
    }
  } catch (err) {
    post({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
};
