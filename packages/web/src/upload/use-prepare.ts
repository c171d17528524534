/**
 * Runs the parse worker on a drop: series list first, then the anonymised zip. A new drop
 * ends the previous worker (its results would be stale). Timing marks ('s2p-prepare-start',
 * 's2p-ready') let the benchmark read the time from drop to "ready to upload".
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AnonymisedReport, SeriesView, WorkerReply } from './messages.js';

export interface Parsed {
  series: SeriesView[];
  notDicom: number;
  unreadable: number;
  sources: number;
  ms: number;
}

export interface Prepared {
  zip: Blob;
  report: AnonymisedReport;
  ms: number;
}

export interface PrepareState {
  phase: 'idle' | 'working' | 'ready' | 'failed';
  progress: { stage: string; fraction: number; message: string } | null;
  parsed: Parsed | null;
  prepared: Prepared | null;
  error: string | null;
}

const IDLE: PrepareState = { phase: 'idle', progress: null, parsed: null, prepared: null, error: null };

export function usePrepare(): { state: PrepareState; prepare(files: File[], key: Uint8Array): void; reset(): void } {
  const [state, setState] = useState<PrepareState>(IDLE);
  const worker = useRef<Worker | null>(null);

  const stop = useCallback(() => {
    worker.current?.terminate();
    worker.current = null;
  }, []);
  useEffect(() => stop, [stop]);

  const prepare = useCallback(
    (files: File[], key: Uint8Array) => {
      stop();
      performance.clearMarks();
      performance.mark('s2p-prepare-start');
      setState({ ...IDLE, phase: 'working', progress: { stage: 'read', fraction: 0, message: `${files.length} files` } });
      const w = new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module' });
      worker.current = w;
      w.onmessage = (ev: MessageEvent<WorkerReply>) => {
        const m = ev.data;
        if (m.type === 'progress') setState((s) => ({ ...s, progress: { stage: m.stage, fraction: m.fraction, message: m.message } }));
        else if (m.type === 'parsed') {
          performance.mark('s2p-parsed');
          setState((s) => ({ ...s, parsed: { series: m.series, notDicom: m.notDicom, unreadable: m.unreadable, sources: m.sources, ms: m.ms } }));
        } else if (m.type === 'anonymised') {
          performance.mark('s2p-ready');
          setState((s) => ({ ...s, phase: 'ready', progress: null, prepared: { zip: m.zip, report: m.report, ms: m.ms } }));
          stop();
        } else {
          setState((s) => ({ ...s, phase: 'failed', progress: null, error: m.message }));
          stop();
        }
      };
      w.onerror = (ev) => {
        setState((s) => ({ ...s, phase: 'failed', progress: null, error: `the parse worker failed: ${ev.message || 'unknown error'}` }));
        stop();
      };
      w.postMessage({ type: 'prepare', files, key });
    },
    [stop],
  );

  const reset = useCallback(() => {
    stop();
    setState(IDLE);
  }, [stop]);

  return { state, prepare, reset };
}
