/// <reference lib="webworker" />
/**
 * The parse worker: reads the dropped files, describes their series and anonymises them,
 * so the page stays responsive and the original bytes never reach the page's network code.
 * One request per worker: the page makes a new worker for each drop.
 */
import { anonymiseSources } from './anonymise.js';
import { describeSources } from './describe.js';
import type { PrepareRequest, WorkerReply } from './messages.js';
import { sourcesOf } from './sources.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function send(m: WorkerReply, transfer: Transferable[] = []): void {
  scope.postMessage(m, transfer);
}

scope.onmessage = async (ev: MessageEvent<PrepareRequest>) => {
  const req = ev.data;
  try {
    const t0 = performance.now();
    send({ type: 'progress', stage: 'read', fraction: 0, message: 'listing files' });
    const sources = await sourcesOf(req.files);
    const d = await describeSources(sources, (f, m) => send({ type: 'progress', stage: 'describe', fraction: f, message: m }));
    const t1 = performance.now();
    send({ type: 'parsed', series: d.series, notDicom: d.notDicom, unreadable: d.unreadable, sources: sources.length, ms: t1 - t0 });
    const a = await anonymiseSources(sources, req.key, (f, m) => send({ type: 'progress', stage: 'anonymise', fraction: f, message: m }));
    const zip = new Blob([a.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
    send({ type: 'anonymised', zip, report: a.report, ms: performance.now() - t1 });
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};
