/**
 * Failed sign-ins counted per account, beside the per-address limit on POST /api/session: a
 * guesser spread over many addresses (which that limit cannot see) is stopped per e-mail. After
 * MAX_FAILURES wrong passwords within WINDOW_MS the account takes no sign-in, right password or
 * not, until the oldest of them leaves the window. Refused tries are not counted, so an attacker
 * cannot keep an account shut forever by trying on. In memory per process, as the per-address limit.
 */
import { setNewest } from './newest-map.js';

export const LOGIN_GUARD = { maxFailures: 10, windowMs: 15 * 60_000, maxAccounts: 100_000 } as const;

export class LoginGuard {
  private readonly failures = new Map<string, number[]>();

  /** Milliseconds until `email` may try again; 0 when it may now. */
  waitMs(email: string, now = Date.now()): number {
    const recent = this.recent(email, now);
    return recent.length >= LOGIN_GUARD.maxFailures ? recent[0]! + LOGIN_GUARD.windowMs - now : 0;
  }

  failed(email: string, now = Date.now()): void {
    const recent = this.recent(email, now);
    recent.push(now);
    setNewest(this.failures, email, recent, LOGIN_GUARD.maxAccounts);
  }

  succeeded(email: string): void {
    this.failures.delete(email);
  }

  private recent(email: string, now: number): number[] {
    return (this.failures.get(email) ?? []).filter((t) => now - t < LOGIN_GUARD.windowMs);
  }
}
