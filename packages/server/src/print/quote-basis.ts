/**
 * What a stored quote was made with: the catalogue's printer and material records as they were
 * (its price is rate × hours + price × kg + set-up, its time the slicer's run with the printer's
 * and material's settings). A quote stays the basis of a print job only while both records are
 * unchanged: an org-admin's new rate or price (a new catalogue version) makes older quotes
 * stale, and the job is refused (409 QUOTE_STALE, naming what changed) or, without a quoteId,
 * quoted afresh. Compared by content, not by version number: another printer's edit leaves the
 * quote standing, and version 0 (the shipped catalogue) can change with the software.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { MaterialSpec, PrinterSpec } from '@scan2print/core';
import { HttpError } from '../http/errors.js';

export interface CatalogueEntry {
  printer: PrinterSpec;
  material: MaterialSpec;
}

/** RFC 8785 canonical JSON (keys sorted, undefined members left out): jsonb keeps no key order. */
export function canonicalJson(v: unknown): string {
  return canonicalize(v) ?? 'null';
}

/** SHA-256 (hex) of the entry's canonical JSON: what print_quotes.catalogue_hash holds. */
export function entryHash(e: CatalogueEntry): string {
  return createHash('sha256').update(canonicalJson({ printer: e.printer, material: e.material })).digest('hex');
}

/** The columns a stored quote gets (quote-file.ts quoteAndStore). */
export function entryColumns(e: CatalogueEntry): { catalogue_hash: string; catalogue_entry: string } {
  return { catalogue_hash: entryHash(e), catalogue_entry: JSON.stringify({ printer: e.printer, material: e.material }) };
}

/** A field's value as a reader knows it: "4 EUR", "not set", "250×210×220". */
function shown(x: unknown): string {
  if (x === null || x === undefined) return 'not set';
  if (Array.isArray(x)) return x.map(shown).join('×');
  if (typeof x === 'object') return JSON.stringify(x);
  return String(x);
}

/** The fields of one record that differ, with old → new values where the field is a sourced value. */
function fieldChanges(before: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(before), ...Object.keys(now)])].sort()) {
    if (canonicalJson(before[k]) === canonicalJson(now[k])) continue;
    const [b, n] = [before[k] as Record<string, unknown> | undefined, now[k] as Record<string, unknown> | undefined];
    const valued = (x: unknown): x is { value: unknown; currency?: unknown } => x !== null && typeof x === 'object' && 'value' in x;
    if (valued(b) && valued(n) && (canonicalJson(b.value) !== canonicalJson(n.value) || b.currency !== n.currency)) {
      const money = (x: { value: unknown; currency?: unknown }) => `${shown(x.value)}${x.value !== null && typeof x.currency === 'string' ? ` ${x.currency}` : ''}`;
      out.push(`${k} ${money(b)} → ${money(n)}`);
    } else out.push(valued(b) && valued(n) ? `${k} (its source)` : k);
  }
  return out;
}

/** What changed from the entry a quote was made with to the current one, in words ('' when nothing did). */
export function entryChanges(before: CatalogueEntry, now: CatalogueEntry): string {
  const part = (what: 'printer' | 'material') => {
    const f = fieldChanges(before[what] as unknown as Record<string, unknown>, now[what] as unknown as Record<string, unknown>);
    return f.length ? `${what} ${now[what].id}: ${f.join(', ')}` : '';
  };
  return [part('printer'), part('material')].filter(Boolean).join('; ');
}

/**
 * 409 QUOTE_STALE when the stored quote's entry is not the catalogue's current one (a quote
 * from before 0014 records none: what it was made with is not known); null when it is current.
 */
export function staleQuoteError(q: { id: string; caseId: string; hash: string | null; entry: unknown }, now: CatalogueEntry): HttpError | null {
  if (q.hash === entryHash(now)) return null;
  const again = `quote the case again (POST /api/cases/${q.caseId}/quote), or queue the job without a quoteId to have it quoted now`;
  const before = q.entry as CatalogueEntry | null;
  if (q.hash === null || !before?.printer || !before.material) {
    return new HttpError(409, 'QUOTE_STALE', `quote ${q.id} was made before quotes recorded the catalogue entry they were made with, so its prices and rates may be out of date: ${again}`);
  }
  const changed = entryChanges(before, now) || `printer ${now.printer.id} or material ${now.material.id}`;
  return new HttpError(409, 'QUOTE_STALE', `quote ${q.id} was made with an older catalogue entry; since then the catalogue changed ${changed}: ${again}`);
}
