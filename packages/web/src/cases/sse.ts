/**
 * Server-sent events read over fetch instead of EventSource: fetch tells a missing endpoint
 * (404: the server predates /api/events) from a dropped connection, which EventSource
 * cannot, and the same parser serves the case stream and a job's stream.
 */

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental parser of the text/event-stream format (HTML Living Standard §9.2.6): feed it
 * chunks as they arrive, in any split, and it returns the events each chunk completed.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const ev: SseEvent = { event: this.event || 'message', data: this.data.join('\n'), ...(this.id !== undefined ? { id: this.id } : {}) };
      this.data = [];
      this.event = '';
      return ev;
    }
    if (line.startsWith(':')) return null; // comment: keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return null;
  }
}

/** Wait before reconnect attempt `n` (0-based): 1 s doubling to 30 s, with up to 20 % jitter so tabs do not stampede. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, Math.min(attempt, 10)));
  return Math.round(base * (1 + 0.2 * random()));
}

export class StreamMissing extends Error {}

/**
 * Opens `path` as an event stream and calls `onEvent` for each event until the server ends
 * it or `signal` aborts. Resolves when the stream ends; rejects with StreamMissing on a 404
 * and with the error otherwise (a 401 keeps its status in `status`).
 */
export async function readEventStream(path: string, onEvent: (e: SseEvent) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'text/event-stream' }, signal, cache: 'no-store' });
  if (res.status === 404) throw new StreamMissing(`${path} is not served here`);
  if (!res.ok || !res.body) throw Object.assign(new Error(`${path}: the server answered ${res.status}`), { status: res.status });
  onOpen?.();
  const parser = new SseParser();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const e of parser.feed(value)) onEvent(e);
    }
  } finally {
    reader.releaseLock();
  }
}
