/** How print figures read: durations as h:mm, grams, prices with their currency, or what is missing. */
import { APPROVED_STATES } from '@scan2print/core';
import type { QuoteJson } from './types.js';
import type { WorkflowView } from '../workflow/types.js';

/** Seconds as h:mm (rounded to the minute): 3723 → "1:02", 59 → "0:01", 0 → "0:00". */
export function hMm(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const min = Math.round(seconds / 60);
  return `${Math.floor(min / 60)}:${String(min % 60).padStart(2, '0')}`;
}

export function grams(g: number): string {
  if (!Number.isFinite(g)) return '—';
  return `${g < 10 ? g.toFixed(1) : Math.round(g)} g`;
}

/** A price in its currency with two decimals ("123.40 EUR"); the currency code, not a symbol, so no locale guesses it. */
export function money(v: number | null, currency: string | null): string | null {
  if (v === null || !Number.isFinite(v)) return null;
  return `${v.toFixed(2)} ${currency ?? ''}`.trim();
}

/** The quote's price, or why there is none. */
export function priceText(q: Pick<QuoteJson, 'price' | 'currency' | 'missing'>): string {
  const m = money(q.price, q.currency);
  if (m) return m;
  const missing = q.missing ?? [];
  return missing.length ? `no price: missing ${missing.join(', ')}` : 'no price';
}

export const METHOD_WORDS: Record<string, string> = {
  'prusa-slicer': 'sliced with PrusaSlicer (time and filament from its G-code)',
  'volume-height-model': 'estimated from the model volume and height (no slicer for this technology)',
};

/**
 * States in which a case's signed model version stands approved: core's APPROVED_STATES, and
 * 'delivered' (its model is still the approved one), as the server's approved-model.ts reads it.
 */
const APPROVED = new Set<string>([...APPROVED_STATES, 'delivered']);

/**
 * Whether the case has an approved model to quote, by the server's rule: the state says so and
 * the model gate's signature holds. A gate alone is not enough (a cancelled or rejected case can
 * keep its signature), nor is the state alone (the server quotes the signed version, and 409s
 * NOT_APPROVED without one).
 */
export function isApproved(wf: WorkflowView | null): boolean {
  if (!wf) return false;
  return APPROVED.has(wf.state) && wf.gates.model?.signed === true;
}

/** Roles that may put a case in the print queue and mark printers down or up (the server's rule). */
export const canQueue = (role: string): boolean => role === 'technician' || role === 'org-admin';
export const canEditCatalogue = (role: string): boolean => role === 'org-admin';

/** A time of day with its date, 24 h ("30 Nov 14:05"), in the user's time zone. */
export function whenText(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  const month = d.toLocaleString('en-GB', { month: 'short' });
  return `${d.getDate()} ${month} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
