/** Words and checks of the PACS pages, kept pure so they are tested without a browser. */
import type { PacsDestination, PacsSend } from './types.js';

/** Roles that may send a case back and search (every member); import makes a case, so only those who create cases. */
export const canImport = (role: string) => role === 'org-admin' || role === 'requester' || role === 'engineer';
export const canManageDestinations = (role: string) => role === 'org-admin';

/** A DICOM date (YYYYMMDD) as YYYY-MM-DD; anything else as given. */
export function dicomDate(d: string | null): string {
  if (!d) return '—';
  return /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;
}

/**
 * The search form's date field as the API takes it: a day (YYYY-MM-DD) or a range FROM..TO
 * (either end may be empty). Null when the text is not one of those, with why.
 */
export function dateQuery(text: string): { ok: true; value: string | undefined } | { ok: false; why: string } {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const parts = t.split('..');
  if (parts.length > 2) return { ok: false, why: 'use one day (2026-01-15) or a range (2026-01-01..2026-01-31)' };
  for (const p of parts) if (p !== '' && !day.test(p)) return { ok: false, why: `"${p}" is not a day like 2026-01-15` };
  if (parts.length === 2 && parts[0] === '' && parts[1] === '') return { ok: false, why: 'a range needs at least one end' };
  return { ok: true, value: t };
}

export function destinationWords(d: PacsDestination): string {
  return d.kind === 'dimse' ? `${d.name} (DICOM ${d.aeTitle}@${d.host}:${d.port})` : `${d.name} (DICOMweb ${d.dicomwebUrl})`;
}

const KIND_WORDS: Record<string, string> = { stl: 'model (Encapsulated STL)', seg: 'segmentation (DICOM SEG)', pdf: 'report (Encapsulated PDF)' };

/** One line per sent object: what it is and whether the PACS took it. */
export function sendLines(s: PacsSend): string[] {
  return s.objects.map((o) => `${KIND_WORDS[o.kind] ?? o.kind}: ${o.ok === undefined ? 'sending' : o.ok ? 'stored' : `refused${o.comment ? ` (${o.comment})` : ''}`}`);
}

export function sendStatusWords(s: PacsSend): string {
  const via = s.via === 'c-store' ? 'C-STORE' : 'STOW-RS';
  switch (s.status) {
    case 'sent':
      return `Sent by ${via}: ${s.objects.length} objects stored`;
    case 'partial':
      return `Partly sent by ${via}: ${s.objects.filter((o) => o.ok).length} of ${s.objects.length} stored`;
    case 'failed':
      return `Not sent (${via})${s.error ? `: ${s.error}` : ''}`;
    default:
      return `Sending by ${via}…`;
  }
}
