/**
 * A promise fed by a thread's events, settled by the first of them: its answer, its error, its
 * exit. Every later event is ignored, and the thread is stopped when the first one comes (the
 * server's convert and printer-choice threads: one thread per run, ended after its answer).
 */
export interface SettleOnce<T> {
  /** Resolves with `v` and stops the thread, unless already settled. */
  done(v: T): void;
  /** Rejects with `e` and stops the thread, unless already settled. */
  fail(e: unknown): void;
  /** Whether done or fail ran: a late message to the thread is not sent. */
  readonly settled: boolean;
}

export function settleOnce<T>(stop: () => void, resolve: (v: T) => void, reject: (e: unknown) => void): SettleOnce<T> {
  let settled = false;
  const finish = (f: () => void) => {
    if (settled) return;
    settled = true;
    stop();
    f();
  };
  return {
    done: (v) => finish(() => resolve(v)),
    fail: (e) => finish(() => reject(e)),
    get settled() {
      return settled;
    },
  };
}
