/**
 * One case's activity (comments, gate signatures: the `case-activity` events of
 * GET /api/events?activity=1), for a page that shows them but not the case list (the review
 * page): it re-renders only when this case's activity changes, not at every job's progress.
 * A dropped stream reconnects with backoff; a server without the stream (404) leaves it at ''.
 */
import { useEffect, useState } from 'react';
import { backoffMs, readEventStream, StreamMissing } from './sse.js';
import { pause } from './useCaseEvents.js';

/** The case's latest activity event as its JSON ('' until the first): compare it, don't parse it. */
export function useCaseActivity(caseId: string): string {
  const [key, setKey] = useState('');
  useEffect(() => {
    const ctl = new AbortController();
    const { signal } = ctl;
    async function run() {
      let attempt = 0;
      while (!signal.aborted) {
        try {
          await readEventStream(
            '/api/events?activity=1',
            (ev) => {
              if (ev.event !== 'case-activity') return;
              if ((JSON.parse(ev.data) as { id: string }).id === caseId) setKey(ev.data);
            },
            signal,
            () => {
              attempt = 0;
            },
          );
        } catch (e) {
          if (signal.aborted || e instanceof StreamMissing) return;
          if ((e as { status?: number }).status === 401) return; // the session ended: the app shows the login
        }
        if (signal.aborted) return;
        await pause(backoffMs(attempt++), signal);
      }
    }
    void run();
    return () => ctl.abort();
  }, [caseId]);
  return key;
}
