/**
 * The server's convert jobs on a worker thread (serve and worker commands). Core's job is
 * seconds of CPU in long synchronous stretches; on the API process's main thread it stalled
 * status reads for up to 6 s (bench/server). The thread runs core's runConvertJob with its
 * own worker pool; the main thread keeps the store and the database: it answers the
 * thread's reads of input files and stores each output as it arrives.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanErrorFromWire, settleOnce, type ConvertJobRequest, type JobOutput, type JobSink, type Report } from '@scan2print/core';
import type { ThreadReply, ThreadRequest } from './convert-thread-messages.js';
import { SharedBlocks } from '../io/shared-blocks.js';

/** The compiled entry; from source (tests) the compiled one in dist/ (the test command builds first). */
function entryScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, 'convert-thread-entry.js'), resolve(here, '../../dist/serve/convert-thread-entry.js')]) {
    if (existsSync(p)) return p;
  }
  throw new Error(`convert thread script not found next to ${here}; run "npm run build" first`);
}

export function convertOnThread(
  req: ConvertJobRequest,
  hooks: { progress: (fraction: number, message?: string) => void; sink: JobSink },
): Promise<{ outputs: JobOutput[]; report: Report }> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(entryScript());
    const { sources, ...rest } = req;
    // Each input file goes to the thread, and from there to its pool's workers, in a shared block
    // (io/shared-blocks.ts): posted by reference, not copied twice into this process's malloc heap.
    const blocks = new SharedBlocks();
    const run = settleOnce(() => void worker.terminate(), resolvePromise, reject);
    const fail = run.fail;
    const reply = (m: ThreadReply) => {
      if (!run.settled) worker.postMessage(m);
    };
    worker.on('message', (m: ThreadRequest) => {
      void (async () => {
        try {
          if (m.type === 'progress') hooks.progress(m.fraction, m.message); // may throw: stop the job
          else if (m.type === 'read') {
            // A failed read goes back to core, which names the file; the caller sees its own source fail too.
            const bytes = await sources[m.index]!.read().catch((e: unknown) => e as Error);
            reply(bytes instanceof Error ? { type: 'reply', id: m.id, error: bytes.message } : { type: 'reply', id: m.id, bytes: blocks.copy(bytes) });
          } else if (m.type === 'output') {
            await hooks.sink(m.name, m.bytes); // a store failure fails the job with the store's own error
            reply({ type: 'reply', id: m.id });
          } else if (m.type === 'done') run.done({ outputs: m.outputs, report: m.report });
          else if (m.type === 'error') fail(scanErrorFromWire(m.error)); // the thread's ScanError again, file and all
        } catch (e) {
          fail(e);
        }
      })();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the convert thread stopped (exit code ${code})`)));
    worker.postMessage({ type: 'run', req: rest, sources: sources.map((s) => s.name) });
  });
}
