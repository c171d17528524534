/// <reference lib="webworker" />
/**
 * The parse worker: reads the dropped files and either describes their series or anonymises
 * them, so the page stays responsive and the original bytes never reach the page's network
 * code. One request per worker: the page starts two for each drop (describe and anonymise
 * run side by side) and ends them when they answer.
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
    const sources = await sourcesOf(req.files);
    if (req.type === 'describe') {
      const d = await describeSources(sources, (f, m) => send({ type: 'progress', stage: 'describe', fraction: f, message: m }));
      send({ type: 'parsed', series: d.series, notDicom: d.notDicom, unreadable: d.unreadable, skipped: d.skipped, sources: sources.length, ms: performance.now() - t0 });
    } else {
      const a = await anonymiseSources(sources, req.key, (f, m) => send({ type: 'progress', stage: 'anonymise', fraction: f, message: m }));
      const zip = new Blob([a.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
      send({ type: 'anonymised', zip, report: a.report, ms: performance.now() - t0 });
    }
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};
