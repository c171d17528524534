/**
 * The per-address sign-in limit's refusals in the audit log. Once per address per window, not
 * per refused request: each entry is hash-chained under one lock, so a flood of 429s must not
 * become a flood of entries (the limit exists to make a flood cheap). The entry says which
 * address was limited; the e-mail is not known, as the limit answers before the body is read.
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/index.js';
import type { Database } from '../db/schema.js';
import type { Services } from '../context.js';
import { setNewest } from './newest-map.js';

const MAX_ADDRESSES = 100_000;

/** An `onExceeded` callback for @fastify/rate-limit: audits `sign-in-failed` {address, limitedBy}. */
export function auditAddressLimit(s: Services, db: Kysely<Database>, windowMs: number): (req: FastifyRequest, key: string) => void {
  const audited = new Map<string, number>();
  return (req, key) => {
    const now = Date.now();
    const last = audited.get(key);
    if (last !== undefined && now - last < windowMs) return;
    setNewest(audited, key, now, MAX_ADDRESSES);
    const details = { address: req.ip, limitedBy: 'address', windowMs };
    // Not awaited: the limit's hook is synchronous. A failed write is logged, never thrown.
    appendAudit(s, db, { action: 'sign-in-failed', actor: null, orgId: null, details }).catch((e: unknown) => {
      req.log.warn({ err: e }, 'could not audit a sign-in refused by the per-address limit');
    });
  };
}
