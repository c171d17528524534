/**
 * The automatic printer and material choice on a worker thread. Core's read3mf and
 * choosePrint are one synchronous stretch of about 2 s for a 225 000-triangle skull; on the
 * API's main thread that stalled every other request meanwhile (status reads, event streams,
 * PACS receivers). As the convert thread does (cli serve/convert-thread.ts), the thread gets
 * the bytes and answers with plain data; a ScanError comes back as a ScanError.
 *
 * One thread per choice, ended after its answer. A choice is a user's click, not a stream, and
 * the thread's start (tens of ms) is small beside the choice it runs. A kept thread would hold
 * core and the last model's heap for the life of the server, and need a queue and a way to
 * tell which answer is whose; a crash or an endless loop in one choice would take later ones
 * with it. Two choices at once run side by side, as two convert jobs may.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isScanError, scanErrorFromWire, settleOnce, type ChoiceParams, type PrintCatalogue, type PrintChoice, type PrintRecord, type ScanErrorWire } from '@scan2print/core';
import type { ChooseReply, ChooseRequest } from './choose-thread-messages.js';

/**
 * The thread's error on this side: core's ScanError again, code, kind and message intact (an
 * unreadable 3MF, a usage error), so the API answers as it did when the choice ran here; any
 * other error named as the choice's, its stack from the thread kept for the log.
 */
function rebuilt(wire: ScanErrorWire, name: string): Error {
  const e = scanErrorFromWire(wire);
  return isScanError(e) ? e : new Error(`the printer choice for ${name} failed on its thread: ${e.message}`, { cause: e });
}

/** The choice was stopped before its answer (its `stop` signal aborted): its thread is ended. */
export class ChoiceStopped extends Error {
  constructor(name: string) {
    super(`the printer choice for ${name} was stopped before its answer`);
    this.name = 'ChoiceStopped';
  }
}

/** The compiled entry; from source (tests) the compiled one in dist/ (the test command builds first). */
function entryScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, 'choose-thread-entry.js'), resolve(here, '../../dist/print/choose-thread-entry.js')]) {
    if (existsSync(p)) return p;
  }
  throw new Error(`printer choice thread script (choose-thread-entry.js) not found next to ${here}; run "npm run build" first`);
}

/**
 * core's choosePrint(read3mf(bytes, name), catalogue, params) on a thread of its own: its
 * answer, or the error it threw (a ScanError with its code, kind and message). The caller's
 * bytes stay its own: the thread gets one copy, moved, not cloned. When `stop` aborts (the client
 * went away) the thread is ended at once and the promise rejects with ChoiceStopped.
 */
export function chooseOnThread(
  catalogue: PrintCatalogue,
  bytes: Uint8Array,
  name: string,
  params: ChoiceParams,
  stop?: AbortSignal,
): Promise<{ output: PrintChoice; record: PrintRecord }> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(entryScript());
    const { done, fail } = settleOnce(() => void worker.terminate(), resolvePromise, reject);
    // Seconds of CPU for an answer nobody reads: ended, not left to run out.
    const stopped = () => fail(new ChoiceStopped(name));
    if (stop?.aborted) stopped();
    stop?.addEventListener('abort', stopped, { once: true });
    worker.on('message', (m: ChooseReply) => {
      if (m.type === 'done') done({ output: m.output, record: m.record });
      else fail(rebuilt(m.error, name));
    });
    worker.on('messageerror', (e) => fail(new Error(`the printer choice thread for ${name}: its answer could not be read (${e.message})`)));
    worker.on('error', (e) => fail(new Error(`the printer choice thread for ${name} failed: ${e.message}`, { cause: e })));
    // An exit before the answer (out of memory, process.exit in a dependency): never a request left hanging.
    worker.on('exit', (code) => fail(new Error(`the printer choice thread for ${name} stopped before answering (exit code ${code})`)));
    // A copy of its own, moved: a clone would copy the 3MF twice (serialised, then read back),
    // and moving the caller's buffer would detach bytes the quote still writes out (and, for a
    // view into a shared pool buffer, its neighbours').
    const own = bytes.slice();
    const req: ChooseRequest = { bytes: own, name, catalogue, params };
    try {
      worker.postMessage(req, [own.buffer]);
    } catch (e) {
      fail(e); // a catalogue that cannot be posted: the thread, still waiting for it, is ended
    }
  });
}
