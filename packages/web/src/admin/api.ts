/** The admin pages' calls: users and roles, organisation settings, the audit log (the server's OpenAPI: /api/openapi.json). */
import { api } from '../api/client.js';
import type { AuditEntryJson } from '../workflow/types.js';

const enc = encodeURIComponent;

export interface AdminUser {
  id: string;
  email: string;
  role: string;
  orgId?: string | null;
  /** For an org-admin or the admin only (GET /api/users): the account is disabled. */
  disabled?: boolean;
  /** For an org-admin or the admin only: logs in with a password (a person), else a script account. */
  passwordLogin?: boolean;
}

export interface OrgSettings {
  id: string;
  name: string;
  serverAnonymise: boolean;
}

export type AuditFault = 'modified' | 'deleted' | 'inserted' | 'reordered' | 'bad-signature' | 'unknown-key';

export interface AuditVerifyJson {
  ok: boolean;
  checked: number;
  firstBad?: { seq: number; fault: AuditFault | string; message: string };
  keys?: Array<{ keyId: string; publicKey: string }>;
}

/** Roles an organisation's user may have (the installation admin is not one). */
export const ORG_ROLES = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;

export const listUsers = () => api<AdminUser[]>('GET', '/api/users');
export const createUser = (orgId: string, body: { email: string; role: string; password?: string }) =>
  api<{ id: string }>('POST', `/api/orgs/${enc(orgId)}/users`, body);
export const changeRole = (userId: string, role: string) => api<unknown>('PATCH', `/api/users/${enc(userId)}`, { role });
/** Disabled: the user's sessions end and their tokens stop at once (PATCH /api/users/:id). */
export const setDisabled = (userId: string, disabled: boolean) => api<unknown>('PATCH', `/api/users/${enc(userId)}`, { disabled });

export const getOrg = (orgId: string) => api<OrgSettings>('GET', `/api/orgs/${enc(orgId)}`);
export const patchOrg = (orgId: string, body: { serverAnonymise: boolean }) => api<Partial<OrgSettings>>('PATCH', `/api/orgs/${enc(orgId)}`, body);

export function auditEntries(q: { caseId?: string; afterSeq?: number; limit?: number }): Promise<{ entries: AuditEntryJson[] }> {
  const s = new URLSearchParams();
  if (q.caseId) s.set('caseId', q.caseId);
  if (q.afterSeq !== undefined) s.set('afterSeq', String(q.afterSeq));
  if (q.limit !== undefined) s.set('limit', String(q.limit));
  const qs = s.toString();
  return api('GET', `/api/audit${qs ? `?${qs}` : ''}`);
}

export function verifyAudit(caseId?: string): Promise<AuditVerifyJson> {
  return api('GET', `/api/audit/verify${caseId ? `?caseId=${enc(caseId)}` : ''}`);
}

/** The Verify button's answer in words. */
export function verifyText(r: AuditVerifyJson): string {
  if (r.ok) return `The chain holds (${r.checked} ${r.checked === 1 ? 'entry' : 'entries'} checked).`;
  const b = r.firstBad;
  if (!b) return `The chain is broken (${r.checked} entries checked).`;
  return `The chain is broken at entry ${b.seq} (${b.fault}): ${b.message}`;
}

export const canAdminister = (role: string): boolean => role === 'admin' || role === 'org-admin';

/** An audit entry's details in one short line (JSON, long values cut). */
export function detailsLine(d: Record<string, unknown>, max = 160): string {
  const s = JSON.stringify(d, (_k, v: unknown) => (typeof v === 'string' && v.length > 48 ? `${v.slice(0, 16)}…` : v));
  if (!s || s === '{}') return '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
