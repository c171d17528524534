/**
 * The organisation's cases, kept live: GET /api/cases, then the `case` events of
 * GET /api/events applied by id. A dropped stream reconnects with backoff and
 * reloads the list first, so nothing that changed meanwhile is missed. Only when the server has
 * no /api/events (404: an older server) does the list fall back to polling every 3 s.
 * A case page asks for the `case-activity` events too (comments, gate signatures, print jobs
 * by state): they do not change the row, and another user's signature, comment or print (a
 * plate started from the schedule page) must show without a reload.
 * Such a page reads more than the rows (comments, jobs, the workflow) in its own requests, and a
 * change made before the stream joined sends no event: the first event of a case only says how
 * things stand. So `connects` counts the stream's (re)connections, and the page loads what it
 * shows once more at each (first connect and every reconnect after a drop).
 */
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client.js';
import { listCases } from './api.js';
import { applyCaseEvent } from './filter.js';
import { backoffMs, readEventStream, StreamMissing } from './sse.js';
import type { CaseRow } from './types.js';

export type LiveMode = 'connecting' | 'live' | 'reconnecting' | 'polling';

export const POLL_MS = 3000;

export interface LiveCases {
  rows: CaseRow[] | null;
  error: string | null;
  mode: LiveMode;
  /** With `activity`: each case's latest `case-activity` event, as its JSON (compare, don't parse). */
  activity: Record<string, string>;
  /**
   * How many times the stream has connected (0 before the first): from each connect on, every
   * change comes as an event; what changed before it, a page that loads more than the rows
   * reloads when this changes.
   */
  connects: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export function useLiveCases(opts: { activity?: boolean } = {}): LiveCases {
  const [rows, setRows] = useState<CaseRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [activity, setActivity] = useState<Record<string, string>>({});
  const [connects, setConnects] = useState(0);
  const withActivity = opts.activity === true;

  useEffect(() => {
    const ctl = new AbortController();
    const { signal } = ctl;
    const load = async () => {
      setRows(await listCases(signal));
      setError(null);
    };

    async function poll() {
      setMode('polling');
      while (!signal.aborted) {
        try {
          await load();
        } catch (e) {
          if (signal.aborted) return;
          setError((e as Error).message);
        }
        await pause(POLL_MS, signal);
      }
    }

    async function run() {
      let attempt = 0;
      while (!signal.aborted) {
        try {
          await load();
          await readEventStream(
            withActivity ? '/api/events?activity=1' : '/api/events',
            (ev) => {
              if (ev.event === 'case-activity') {
                const id = (JSON.parse(ev.data) as { id: string }).id;
                setActivity((a) => (a[id] === ev.data ? a : { ...a, [id]: ev.data }));
                return;
              }
              if (ev.event !== 'case') return;
              const row = JSON.parse(ev.data) as CaseRow;
              setRows((r) => (r ? applyCaseEvent(r, row) : [row]));
            },
            signal,
            () => {
              attempt = 0;
              setMode('live');
              // The server has taken this stream's first reading and follows changes from here on.
              setConnects((n) => n + 1);
            },
          );
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof StreamMissing) return poll();
          const status = e instanceof ApiError ? e.status : (e as { status?: number }).status;
          if (status === 401) {
            setError('your session has ended: log in again');
            return;
          }
          setError(`lost the connection to the server (${(e as Error).message}); retrying`);
        }
        if (signal.aborted) return;
        setMode('reconnecting');
        await pause(backoffMs(attempt++), signal);
      }
    }

    void run();
    return () => ctl.abort();
  }, [withActivity]);

  return { rows, error, mode, activity, connects };
}
