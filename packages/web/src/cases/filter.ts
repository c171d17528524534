/** The case list's filters, sort and live merge: pure functions over rows. */
import { personName, statusOf, type StatusKind } from './format.js';
import type { CaseRow } from './types.js';

export type StatusFilter = 'all' | 'active' | 'done' | 'failed' | 'approved' | 'changes-requested' | 'not-converted' | 'printing' | 'delivered' | 'closed';
export type WhoFilter = 'all' | 'assigned-to-me' | 'created-by-me' | 'unassigned';
export type SortKey = 'due-asc' | 'due-desc' | 'created-desc';

export interface CaseFilters {
  status: StatusFilter;
  who: WhoFilter;
  text: string;
  /** YYYY-MM-DD or '' (inclusive). */
  dueBefore: string;
  sort: SortKey;
}

export const DEFAULT_FILTERS: CaseFilters = { status: 'all', who: 'all', text: '', dueBefore: '', sort: 'due-asc' };

const STATUS_GROUPS: Record<Exclude<StatusFilter, 'all'>, StatusKind[]> = {
  active: ['queued', 'running'],
  done: ['done', 'in-review'],
  failed: ['failed', 'cancelled'],
  approved: ['approved'],
  'changes-requested': ['changes-requested'],
  'not-converted': ['no-files', 'ready'],
  printing: ['print-preparation', 'printing', 'qc-passed'],
  delivered: ['delivered'],
  closed: ['rejected', 'case-cancelled'],
};

export function matchesStatus(row: CaseRow, f: StatusFilter): boolean {
  return f === 'all' || STATUS_GROUPS[f].includes(statusOf(row).kind);
}

export function matchesWho(row: CaseRow, f: WhoFilter, meId: string): boolean {
  if (f === 'assigned-to-me') return row.assignee?.id === meId;
  if (f === 'created-by-me') return row.createdBy === meId;
  if (f === 'unassigned') return !row.assignee;
  return true;
}

/** Every word of the query must appear in the anatomy, purpose, notes, assignee, status or id. */
export function matchesText(row: CaseRow, text: string): boolean {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const s = statusOf(row);
  const hay = [row.anatomy, row.purpose, row.notes ?? '', personName(row.assignee ?? null), s.label, s.detail ?? '', row.id].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function filterCases(rows: CaseRow[], f: CaseFilters, meId: string): CaseRow[] {
  return rows.filter(
    (r) => matchesStatus(r, f.status) && matchesWho(r, f.who, meId) && matchesText(r, f.text) && (!f.dueBefore || (r.dueDate !== null && r.dueDate <= f.dueBefore)),
  );
}

/** Sorted copy. By due date: cases without one last, then newest first; ties by creation time, newest first. */
export function sortCases(rows: CaseRow[], key: SortKey): CaseRow[] {
  const byCreated = (a: CaseRow, b: CaseRow) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);
  if (key === 'created-desc') return [...rows].sort(byCreated);
  const dir = key === 'due-asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    if (a.dueDate === b.dueDate) return byCreated(a, b);
    if (a.dueDate === null) return 1;
    if (b.dueDate === null) return -1;
    return (a.dueDate < b.dueDate ? -1 : 1) * dir;
  });
}

/** The list after one `case` event: the row replaced by id, or added first when new. Same array when unchanged. */
export function applyCaseEvent(rows: CaseRow[], row: CaseRow): CaseRow[] {
  const i = rows.findIndex((r) => r.id === row.id);
  if (i < 0) return [row, ...rows];
  if (JSON.stringify(rows[i]) === JSON.stringify(row)) return rows;
  const next = rows.slice();
  next[i] = row;
  return next;
}

/** Filters as URL query parameters, so a filtered list can be bookmarked or shared. */
export function filtersToQuery(f: CaseFilters): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(DEFAULT_FILTERS) as Array<keyof CaseFilters>) if (f[k] !== DEFAULT_FILTERS[k]) q.set(k, f[k]);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function filtersFromQuery(search: string): CaseFilters {
  const q = new URLSearchParams(search);
  const pick = <T extends string>(k: string, allowed: readonly T[], d: T): T => {
    const v = q.get(k);
    return v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : d;
  };
  const due = q.get('dueBefore') ?? '';
  return {
    status: pick('status', ['all', 'active', 'done', 'failed', 'approved', 'changes-requested', 'not-converted', 'printing', 'delivered', 'closed'] as const, 'all'),
    who: pick('who', ['all', 'assigned-to-me', 'created-by-me', 'unassigned'] as const, 'all'),
    text: q.get('text') ?? '',
    dueBefore: /^\d{4}-\d{2}-\d{2}$/.test(due) ? due : '',
    sort: pick('sort', ['due-asc', 'due-desc', 'created-desc'] as const, 'due-asc'),
  };
}
