/**
 * The review's CT, decoded once, off the page's thread: the worker fetches volume.nii.gz and
 * inflates it as it arrives with the browser's native DecompressionStream (core's pure-JS gunzip took
 * seconds for the 40 MB file), reads it with core and keeps the HU voxels for the live
 * threshold. The page gets, in this order, a downsampled preview to show at once and then the
 * full uncompressed NIfTI for NiiVue (a copy: the HU voxels are a view into the worker's), so
 * the file is neither fetched nor inflated twice. Each threshold answers a label map already
 * in NiiVue's RAS order, its buffer transferred.
 */
import { previewFactor, previewVolume, writeNifti } from '@scan2print/core';
import { huOf } from './ct-voxels.js';
import { thresholdToRas } from './ras-order.js';
import { inflateIfGzip } from './inflate.js';
import type { VolumeRequest, VolumeResponse } from './messages.js';

let raw: Uint8Array | null = null;
let hu: Int16Array | Float32Array | null = null;

const post = (m: VolumeResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

/** The file at `url`, inflated while it downloads when the server says it is gzip (volume.nii.gz is). */
async function fetchInflated(url: string): Promise<Uint8Array> {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) {
    let why = `${r.status} ${r.statusText}`;
    try {
      why = ((await r.json()) as { error?: { message?: string } }).error?.message ?? why;
    } catch {
      // not JSON
    }
    throw new Error(`the CT volume could not be fetched: ${why}`);
  }
  if (r.body && /gzip/i.test(r.headers.get('content-type') ?? '') && !r.headers.get('content-encoding')) {
    return new Uint8Array(await new Response(r.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  }
  return inflateIfGzip(new Uint8Array(await r.arrayBuffer()));
}

self.onmessage = async (e: MessageEvent<VolumeRequest>) => {
  const m = e.data;
  try {
    if (m.type === 'load') {
      const t0 = performance.now();
      raw = await fetchInflated(m.url);
      const t1 = performance.now();
      const volume = huOf(raw);
      hu = volume.data;
      // 0: the page shows the job's own preview file and wants none from here.
      const factor = m.previewVoxels > 0 ? previewFactor(volume.grid.dims, m.previewVoxels) : 1;
      const preview = factor > 1 ? writeNifti(previewVolume(volume, factor)) : null;
      post(
        { type: 'loaded', id: m.id, factor, preview: preview ? (preview.buffer as ArrayBuffer) : null, ms: { fetchInflate: t1 - t0, preview: performance.now() - t1 } },
        preview ? [preview.buffer as ArrayBuffer] : [],
      );
    } else if (m.type === 'full') {
      if (!raw || !hu) throw new Error('no CT volume loaded');
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < hu.length; i++) {
        const v = hu[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      // The page gets its own copy for NiiVue: `hu` may be a view into these bytes.
      const nii = raw.slice().buffer;
      raw = null;
      post({ type: 'full', id: m.id, nii, min, max }, [nii]);
    } else {
      if (!hu) throw new Error('no CT volume loaded');
      const t0 = performance.now();
      const { labels, count } = thresholdToRas(hu, m.layout, m.lo, m.hi);
      post({ type: 'threshold', id: m.id, labels, count, ms: performance.now() - t0 }, [labels.buffer]);
    }
  } catch (err) {
    post({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
};
