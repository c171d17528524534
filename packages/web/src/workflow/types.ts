/**
 * The workflow, notification and model-code JSON as the server sends it
 * (routes/workflow.ts, notifications.ts, codes.ts). A person may come as an id, an e-mail or {id, email} depending on the
 * endpoint; the pages read it through personName.
 */
import type { AuditEntry } from '@scan2print/core';
import type { Person } from '../cases/types.js';

export type GateName = 'segmentation' | 'model' | 'print-qc';
export const GATE_NAMES: readonly GateName[] = ['segmentation', 'model', 'print-qc'];

export interface GateStatus {
  signed: boolean;
  by?: string | Person | null;
  at?: string | null;
  modelVersionId?: string | null;
}

export interface NextTransition {
  to: string;
  label: string;
  roles: string[];
  /** Whether the caller may take it now (role and requirements). */
  allowed: boolean;
  /** What is missing before it can be taken, in the server's words. */
  missing: string[];
  /** The step needs a comment (never listed as missing: the form asks for it). */
  comment?: boolean;
  /** The server takes it by itself when its event happens (files stored, convert succeeded). */
  auto?: boolean;
}

export interface HistoryItem {
  from: string | null;
  to: string;
  by: string | Person | null;
  at: string;
  comment?: string | null;
}

export interface WorkflowView {
  state: string;
  /** The model version steps and gates apply to (the approved one, else the latest succeeded), and whether it passed its checks. */
  modelVersion?: { id: string; kind: string; ok: boolean; problems: string[] } | null;
  gates: Partial<Record<GateName, GateStatus>>;
  next: NextTransition[];
  history: HistoryItem[];
}

export interface TransitionResult {
  state: string;
  transitionId?: string;
  auditSeq?: number;
}

export interface AppNotification {
  id: string;
  caseId?: string | null;
  /** What happened, in words (the server's text, or its kind). */
  text: string;
  /** More words (the server's body under its title). */
  detail?: string;
  createdAt: string;
  read: boolean;
}

export interface NotificationList {
  items: AppNotification[];
  unread: number;
}

/** One audit entry, as /api/q/:code and /api/audit carry it: core's type, one definition. */
export type AuditEntryJson = AuditEntry;

/** GET /api/q/:code. */
export interface CodeLookup {
  code: string;
  caseId: string;
  modelVersionId: string;
  model: { name: string; sha256: string; bytes: number };
  approvedBy?: string | Person | null;
  auditEntry: AuditEntryJson;
}
