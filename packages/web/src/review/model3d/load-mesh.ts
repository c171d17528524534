/**
 * Parse a model file into its components on the mesh worker. One worker serves the panel;
 * requests are answered by id, so two versions can load at once.
 */
import type { MeshPart } from './components.js';
import type { MeshRequest, MeshResponse } from './mesh-messages.js';

let worker: Worker | null = null;
let nextId = 1;
const waiting = new Map<number, { resolve(v: { parts: MeshPart[]; ms: number }): void; reject(e: Error): void }>();

function meshWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./mesh.worker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<MeshResponse>) => {
    const r = e.data;
    const p = waiting.get(r.id);
    if (!p) return;
    waiting.delete(r.id);
    if (r.error !== undefined) p.reject(new Error(r.error));
    else p.resolve({ parts: r.parts, ms: r.ms });
  };
  w.onerror = (e) => {
    for (const p of waiting.values()) p.reject(new Error(`the mesh reader stopped: ${e.message}`));
    waiting.clear();
    worker = null;
  };
  worker = w;
  return w;
}

export function parseModel(bytes: ArrayBuffer, name: string): Promise<{ parts: MeshPart[]; ms: number }> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    const msg: MeshRequest = { id, bytes, name };
    meshWorker().postMessage(msg, [bytes]);
  });
}
