/** The convert thread: core's runConvertJob with a worker pool; files in and out through the main thread. */
import { parentPort } from 'node:worker_threads';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { runConvertJob, scanErrorToWire } from '@scan2print/core';
import { lazyNodePool } from '../io/import-input.js';
import { shippedForestModel } from '../convert/forest-model.js';
import { sha256Hex } from '../util/checksum.js';
import { nodeDeflater } from '../util/native-deflate.js';
import { libraryVersions } from '../util/versions.js';
import type { RunMessage, ThreadReply, ThreadRequest } from './convert-thread-messages.js';

const gzipAsync = promisify(gzip);
const port = parentPort!;
const pending = new Map<number, { resolve: (b: Uint8Array | undefined) => void; reject: (e: Error) => void }>();
let nextId = 0;

function send(m: ThreadRequest): void {
  port.postMessage(m);
}

function ask(m: { type: 'read'; index: number } | { type: 'output'; name: string; bytes: Uint8Array }): Promise<Uint8Array | undefined> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ ...m, id });
  });
}

async function run(m: RunMessage): Promise<void> {
  const pool = lazyNodePool();
  try {
    const sources = m.sources.map((name, index) => ({ name, read: async () => (await ask({ type: 'read', index }))! }));
    const result = await runConvertJob(
      { ...m.req, sources },
      {
        pool,
        sha256Hex,
        // Native gzip: the CT volume output (tens of MB) takes seconds in core's pure-JS fflate.
        // The level is core's: 1 for the CT volume (13.5 → 6.8 s on the phantom, 40.0 → 40.8 MB), 6 for label maps.
        // On libuv's threads: the job starts the volume's file while a preview runs on the pool.
        gzip: (bytes, level) => gzipAsync(bytes, { level }),
        // The 3MF's model XML: native zlib on libuv's threads (util/native-deflate.ts).
        deflateRaw: nodeDeflater,
        libraries: libraryVersions(),
        // `params.method: forest | threshold-forest`: the model shipped with @scan2print/core, as for the CLI's convert.
        forestModel: shippedForestModel,
        progress: (fraction, message) => send({ type: 'progress', fraction, ...(message !== undefined ? { message } : {}) }),
        sink: async (name, bytes) => {
          await ask({ type: 'output', name, bytes });
        },
      },
    );
    send({ type: 'done', outputs: result.outputs, report: result.report });
  } catch (e) {
    // Core's wire form keeps every field of a ScanError (its file too); convert-thread.ts rebuilds it.
    send({ type: 'error', error: scanErrorToWire(e) });
  } finally {
    await pool.close();
  }
}

port.on('message', (m: RunMessage | ThreadReply) => {
  if (m.type === 'run') {
    void run(m);
    return;
  }
  const p = pending.get(m.id);
  pending.delete(m.id);
  if (m.error !== undefined) p?.reject(new Error(m.error));
  else p?.resolve(m.bytes);
});
