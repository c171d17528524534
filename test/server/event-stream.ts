/** Follows a server-sent event stream of a test server (fetch, not EventSource: Node has none), keeping every event. */
export interface FollowedStream {
  status: number;
  events: Array<{ event: string; data: any }>;
  /** Resolves with the first event (seen or to come) for which `pred` holds. */
  until(pred: (e: { event: string; data: any }) => boolean, ms?: number): Promise<{ event: string; data: any }>;
  close(): Promise<void>;
}

export async function followEvents(url: string, token: string): Promise<FollowedStream> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: ctrl.signal });
  const events: FollowedStream['events'] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const read = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const lines = block.split('\n').filter((l) => !l.startsWith(':'));
          if (!lines.length) continue;
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          events.push({ event, data: JSON.parse(data) });
          for (const w of [...waiters]) w();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      for (const w of [...waiters]) w();
    }
  })();
  return {
    status: res.status,
    events,
    until(pred, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(pred);
          if (hit) {
            done();
            resolve(hit);
          } else if (ended) {
            done();
            reject(new Error(`the stream ended without the event; got ${events.length} events`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no such event within ${ms} ms; got ${JSON.stringify(events.map((e) => e.data?.latestJob ?? e.data)).slice(0, 2000)}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      ctrl.abort();
      await read;
    },
  };
}
