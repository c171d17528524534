/** How a case's state reads in the list and on its page: pure functions of the row and the clock. */
import { CASE_CREATORS } from '@scan2print/core';
import type { CaseRow, LatestJob, Person } from './types.js';

export type StatusKind =
  | 'no-files'
  | 'ready'
  | 'queued'
  | 'running'
  | 'done'
  | 'failed'
  | 'cancelled'
  | 'approved'
  | 'changes-requested'
  // The workflow's states after the model is made (core's CASE_STATES); 'case-cancelled' is the case's, 'cancelled' a job's.
  | 'in-review'
  | 'print-preparation'
  | 'printing'
  | 'qc-passed'
  | 'delivered'
  | 'rejected'
  | 'case-cancelled';

/** Workflow states shown as they are, whatever the latest job did. */
const WORKFLOW_KINDS: Record<string, { kind: StatusKind; label: string }> = {
  'in-review': { kind: 'in-review', label: 'in review' },
  'print-preparation': { kind: 'print-preparation', label: 'print preparation' },
  printing: { kind: 'printing', label: 'printing' },
  'qc-passed': { kind: 'qc-passed', label: 'QC passed' },
  delivered: { kind: 'delivered', label: 'delivered' },
  rejected: { kind: 'rejected', label: 'rejected' },
  cancelled: { kind: 'case-cancelled', label: 'case cancelled' },
};

/** A case past approval (or closed) is never overdue. */
export function isFinished(kind: StatusKind): boolean {
  return ['approved', 'print-preparation', 'printing', 'qc-passed', 'delivered', 'rejected', 'case-cancelled'].includes(kind);
}

export interface StatusInfo {
  kind: StatusKind;
  /** Short words for the status cell. */
  label: string;
  /** 0..100 while a job runs. */
  percent?: number;
  /** The running stage or the failure reason. */
  detail?: string;
}

export function percentOf(progress: number): number {
  if (!Number.isFinite(progress)) return 0;
  return Math.max(0, Math.min(100, Math.round(progress * 100)));
}

/**
 * What a case is doing now. A job in the queue or running is the live news and wins; then the
 * review decision; then how the latest job ended; then whether there is anything to convert.
 */
export function statusOf(row: Pick<CaseRow, 'status' | 'latestJob' | 'files'>): StatusInfo {
  const j: LatestJob | null | undefined = row.latestJob;
  if (j?.state === 'queued') return { kind: 'queued', label: 'queued' };
  if (j?.state === 'running') {
    const percent = percentOf(j.progress);
    return { kind: 'running', label: `running ${percent} %`, percent, ...(j.stage ? { detail: j.stage } : {}) };
  }
  if (row.status === 'approved') return { kind: 'approved', label: 'approved' };
  if (row.status === 'changes-requested') return { kind: 'changes-requested', label: 'changes requested' };
  const w = WORKFLOW_KINDS[row.status];
  if (w) return { ...w };
  if (j?.state === 'failed') return { kind: 'failed', label: 'failed', detail: j.error || 'no reason given' };
  if (j?.state === 'cancelled') return { kind: 'cancelled', label: 'cancelled' };
  if (j?.state === 'succeeded') return { kind: 'done', label: 'done' };
  if (row.files === 0) return { kind: 'no-files', label: 'no files yet' };
  return { kind: 'ready', label: row.files ? `${row.files} files, not converted` : 'not converted' };
}

export type DueUrgency = 'none' | 'overdue' | 'today' | 'soon' | 'later';

export interface DueInfo {
  urgency: DueUrgency;
  label: string;
  /** Whole days from today to the due date (negative: overdue). */
  days?: number;
}

/** The local calendar date of `now` as YYYY-MM-DD. */
export function isoDay(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

function dayNumber(iso: string): number {
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number);
  return Date.UTC(y!, (m ?? 1) - 1, d ?? 1) / 86_400_000;
}

/** Days ahead that count as "soon". */
export const SOON_DAYS = 3;

/** How pressing a due date is, by calendar days; a finished case (approved) is never overdue. */
export function dueInfo(dueDate: string | null, now: Date, finished = false): DueInfo {
  if (!dueDate) return { urgency: 'none', label: 'no due date' };
  const days = Math.round(dayNumber(dueDate) - dayNumber(isoDay(now)));
  if (finished) return { urgency: 'later', label: dueDate, days };
  if (days < 0) return { urgency: 'overdue', label: `${dueDate} (${-days} ${-days === 1 ? 'day' : 'days'} overdue)`, days };
  if (days === 0) return { urgency: 'today', label: `${dueDate} (today)`, days };
  if (days <= SOON_DAYS) return { urgency: 'soon', label: `${dueDate} (in ${days} ${days === 1 ? 'day' : 'days'})`, days };
  return { urgency: 'later', label: dueDate, days };
}

/** A person field may be an id, an e-mail or {id, email}, depending on the endpoint. */
export function personName(p: string | Person | null | undefined): string {
  if (!p) return '—';
  return typeof p === 'string' ? p : p.email;
}

/** A timestamp as the user's locale shows date and time, minutes only. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Whether the role may create a case (core's CASE_CREATORS, which the server enforces). */
export function canCreateCases(role: string): boolean {
  return (CASE_CREATORS as readonly string[]).includes(role);
}
