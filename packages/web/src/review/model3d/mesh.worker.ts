/**
 * Reads a model's STL with core (welding identical vertices) and splits it into connected
 * components, off the page's thread: a 24k-triangle preview takes 30-180 ms in Node, long
 * enough to stall the page. The parts' buffers are transferred back, not copied.
 */
import { readMesh } from '@scan2print/core';
import { splitComponents } from './components.js';
import type { MeshRequest, MeshResponse } from './mesh-messages.js';

self.onmessage = (e: MessageEvent<MeshRequest>) => {
  const { id, bytes, name } = e.data;
  try {
    const t0 = performance.now();
    const parts = splitComponents(readMesh(new Uint8Array(bytes), name));
    const reply: MeshResponse = { id, parts, ms: performance.now() - t0 };
    const transfer = parts.flatMap((p) => [p.positions.buffer, p.indices.buffer]) as ArrayBuffer[];
    (self as unknown as Worker).postMessage(reply, transfer);
  } catch (err) {
    const reply: MeshResponse = { id, error: err instanceof Error ? err.message : String(err) };
    (self as unknown as Worker).postMessage(reply);
  }
};
