/** The workflow, notification and model-code calls, typed. */
import { api } from '../api/client.js';
import type { AppNotification, CodeLookup, GateName, NotificationList, TransitionResult, WorkflowView } from './types.js';

const enc = encodeURIComponent;

export const getWorkflow = (caseId: string) => api<WorkflowView>('GET', `/api/cases/${enc(caseId)}/workflow`);

export function postTransition(caseId: string, to: string, comment?: string, modelVersionId?: string): Promise<TransitionResult> {
  return api<TransitionResult>('POST', `/api/cases/${enc(caseId)}/transitions`, {
    to,
    ...(comment ? { comment } : {}),
    ...(modelVersionId ? { modelVersionId } : {}),
  });
}

export function signGate(caseId: string, gate: GateName, comment?: string, modelVersionId?: string): Promise<unknown> {
  return api('POST', `/api/cases/${enc(caseId)}/gates`, {
    gate,
    ...(comment ? { comment } : {}),
    ...(modelVersionId ? { modelVersionId } : {}),
  });
}

/**
 * A notification row in whatever words the server gives it: `text`, `message`, `title` or,
 * failing those, its kind and the state it names.
 */
export function notificationOf(raw: Record<string, unknown>): AppNotification {
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const text = str('text') ?? str('message') ?? str('title') ?? str('body') ?? [str('kind') ?? 'update', str('state') ?? str('to')].filter(Boolean).join(': ');
  const readAt = raw.readAt ?? raw.read_at;
  const detail = str('title') && str('body') ? str('body') : undefined;
  return {
    id: String(raw.id),
    caseId: str('caseId') ?? null,
    text,
    ...(detail ? { detail } : {}),
    createdAt: str('createdAt') ?? str('at') ?? '',
    read: raw.read === true || (readAt !== undefined && readAt !== null),
  };
}

/** GET /api/notifications: an array, or {notifications|items, unread}. */
export function notificationListOf(body: unknown): NotificationList {
  const o = (body ?? {}) as Record<string, unknown>;
  const rows = Array.isArray(body) ? body : Array.isArray(o.notifications) ? o.notifications : Array.isArray(o.items) ? o.items : [];
  const items = (rows as Array<Record<string, unknown>>).map(notificationOf);
  const unread = typeof o.unread === 'number' ? o.unread : typeof o.unreadCount === 'number' ? o.unreadCount : items.filter((n) => !n.read).length;
  return { items, unread };
}

export const listNotifications = async (): Promise<NotificationList> => notificationListOf(await api<unknown>('GET', '/api/notifications'));
export const markRead = (id: string) => api<unknown>('POST', `/api/notifications/${enc(id)}/read`);

export const lookupCode = (code: string) => api<CodeLookup>('GET', `/api/q/${enc(code)}`);

export const labelUrl = (caseId: string, jobId: string, ext: 'svg' | 'png') => `/api/cases/${enc(caseId)}/versions/${enc(jobId)}/label.${ext}`;
export const bundleUrl = (caseId: string) => `/api/cases/${enc(caseId)}/bundle`;
