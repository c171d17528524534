import { parentPort } from 'node:worker_threads';
// Not all of core (~1 s less CPU per worker to start): each task's module loads on its first run.
import { loadTask, scanErrorToWire, setThreadDeflater } from '@scan2print/core/worker';
import { collectGarbage } from '../util/collect-garbage.js';
import { nodeDeflater } from '../util/native-deflate.js';

// A 3MF made on a worker (the job writes the model beside the gate) is deflated as the main
// thread would deflate it: node:zlib, so the file has the same bytes wherever it was made.
setThreadDeflater(nodeDeflater);

/**
 * A worker idle this long after a task (a stage's slabs are done) frees what its tasks dropped.
 * Each is a full collection, which costs tens of ms of CPU with V8's helper threads even for a
 * worker heap of a few MB; at 50 ms a worker collected 7-16 times in a default convert (gaps
 * inside a stage's run of tasks), at 150 ms 4-5 times, for ~15 MB more peak RSS (issue 8).
 */
const IDLE_COLLECT_MS = 150;
let idle: ReturnType<typeof setTimeout> | undefined;

parentPort!.on('message', async (msg: { id: number; task: string; payload: unknown }) => {
  clearTimeout(idle);
  try {
    const result = await (await loadTask(msg.task))(msg.payload);
    parentPort!.postMessage({ id: msg.id, ok: true, result });
    idle = setTimeout(collectGarbage, IDLE_COLLECT_MS);
    idle.unref();
  } catch (err) {
    // Core's wire form, as the convert thread sends it: a ScanError's code, kind and file; a plain Error's message and stack.
    parentPort!.postMessage({ id: msg.id, ok: false, error: scanErrorToWire(err) });
  }
});

// Every import above is evaluated: the pool tells a task failure from a worker that could not load.
parentPort!.postMessage({ ready: true });
