/**
 * Runs the parse workers on a drop: one describes the series, the other anonymises and zips,
 * side by side (a hospital PC has cores to spare; "ready to upload" is the slower of the two,
 * not their sum). A new drop ends the previous workers (their results would be stale).
 * Performance marks (s2p-prepare-start, s2p-parsed, s2p-anonymised, s2p-ready) let the
 * benchmark read the time from drop to "ready to upload".
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AnonymisedReport, PrepareRequest, SeriesView, WorkerReply } from './messages.js';

export interface Parsed {
  series: SeriesView[];
  notDicom: number;
  unreadable: number;
  /** Left-out files named, "path: why" (the first few). */
  skipped: string[];
  sources: number;
  ms: number;
}

export interface Prepared {
  zip: Blob;
  report: AnonymisedReport;
  ms: number;
}

type Task = PrepareRequest['type'];

export interface PrepareState {
  phase: 'idle' | 'working' | 'ready' | 'failed';
  progress: Partial<Record<Task, { fraction: number; message: string }>>;
  parsed: Parsed | null;
  prepared: Prepared | null;
  error: string | null;
}

const IDLE: PrepareState = { phase: 'idle', progress: {}, parsed: null, prepared: null, error: null };

function settle(s: PrepareState): PrepareState {
  if (s.phase !== 'working' || !s.parsed || !s.prepared) return s;
  performance.mark('s2p-ready');
  return { ...s, phase: 'ready', progress: {} };
}

export function usePrepare(): { state: PrepareState; prepare(files: File[], key: Uint8Array): void; reset(): void } {
  const [state, setState] = useState<PrepareState>(IDLE);
  const workers = useRef<Worker[]>([]);

  const stop = useCallback(() => {
    for (const w of workers.current) w.terminate();
    workers.current = [];
  }, []);
  useEffect(() => stop, [stop]);

  const prepare = useCallback(
    (files: File[], key: Uint8Array) => {
      stop();
      for (const m of ['s2p-prepare-start', 's2p-parsed', 's2p-anonymised', 's2p-ready']) performance.clearMarks(m);
      performance.mark('s2p-prepare-start');
      setState({ ...IDLE, phase: 'working' });
      const fail = (message: string) => {
        setState((s) => (s.phase === 'working' ? { ...s, phase: 'failed', progress: {}, error: message } : s));
        stop();
      };
      for (const task of ['describe', 'anonymise'] as const) {
        const w = new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module' });
        workers.current.push(w);
        w.onmessage = (ev: MessageEvent<WorkerReply>) => {
          const m = ev.data;
          if (m.type === 'progress') {
            setState((s) => ({ ...s, progress: { ...s.progress, [task]: { fraction: m.fraction, message: m.message } } }));
          } else if (m.type === 'parsed') {
            performance.mark('s2p-parsed');
            const parsed = { series: m.series, notDicom: m.notDicom, unreadable: m.unreadable, skipped: m.skipped, sources: m.sources, ms: m.ms };
            setState((s) => settle({ ...s, parsed, progress: { ...s.progress, describe: undefined } }));
            w.terminate();
          } else if (m.type === 'anonymised') {
            performance.mark('s2p-anonymised');
            setState((s) => settle({ ...s, prepared: { zip: m.zip, report: m.report, ms: m.ms }, progress: { ...s.progress, anonymise: undefined } }));
            w.terminate();
          } else fail(m.message);
        };
        w.onerror = (ev) => fail(`the ${task} worker failed: ${ev.message || 'unknown error'}`);
        const req: PrepareRequest = { type: task, files, key };
        w.postMessage(req);
      }
    },
    [stop],
  );

  const reset = useCallback(() => {
    stop();
    setState(IDLE);
  }, [stop]);

  return { state, prepare, reset };
}
