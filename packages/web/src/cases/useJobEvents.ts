/**
 * One job followed live over GET /api/jobs/:id/events (`job` events) while it is queued or
 * running. The server ends the stream when the job ends; a stream that drops earlier is
 * reopened with backoff.
 */
import { useEffect, useState } from 'react';
import { backoffMs, readEventStream } from './sse.js';
import { pause } from './useCaseEvents.js';
import type { JobDetail } from './types.js';

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

export const isTerminal = (state: string): boolean => TERMINAL.includes(state);

/** The job as its last event said, or null before the first; nothing is opened when `jobId` is null. */
export function useJobEvents(jobId: string | null): JobDetail | null {
  const [job, setJob] = useState<JobDetail | null>(null);
  useEffect(() => {
    setJob(null);
    if (!jobId) return;
    const ctl = new AbortController();
    const { signal } = ctl;
    // Held in an object: the stream's callback sets it, the loop reads it.
    const seen: { last: JobDetail | null } = { last: null };
    void (async () => {
      let attempt = 0;
      while (!signal.aborted && !(seen.last && isTerminal(seen.last.state))) {
        try {
          await readEventStream(
            `/api/jobs/${encodeURIComponent(jobId)}/events`,
            (ev) => {
              if (ev.event !== 'job') return;
              seen.last = JSON.parse(ev.data) as JobDetail;
              setJob(seen.last);
            },
            signal,
            () => (attempt = 0),
          );
        } catch {
          if (signal.aborted) return;
        }
        if (seen.last && isTerminal(seen.last.state)) return;
        await pause(backoffMs(attempt++), signal);
      }
    })();
    return () => ctl.abort();
  }, [jobId]);
  return job;
}
