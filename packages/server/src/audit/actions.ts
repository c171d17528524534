/** What the audit log records (issue 11): one name per kind of action. */
export const AUDIT_ACTIONS = [
  'sign-in', 'sign-in-failed', 'sign-out', 'org-created', 'org-settings-changed',
  'user-created', 'role-changed', 'token-created', 'token-revoked', 'user-disabled', 'user-enabled', 'case-created', 'case-updated', 'files-uploaded', 'job-queued',
  'job-started', 'job-succeeded', 'job-failed', 'job-cancelled', 'labels-edited', 'download', 'comment', 'review',
  'transition', 'gate-signed', 'model-code-issued', 'bundle-exported', 'notification-sent',
  // print management (issue 12)
  'print-catalogue-changed', 'printer-added', 'printer-status-changed', 'print-job-created', 'print-quoted', 'print-job-cancelled',
  'print-job-started', 'print-job-printed', 'print-job-failed',
  // PACS (issue 15)
  'pacs-refused', 'pacs-lost', 'pacs-route-changed', 'pacs-sent', 'pacs-imported', 'pacs-destination-changed',
  // the installation's bone forest (issue 14): a lab model set or removed changes every forest job's segmentation
  'forest-model-changed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
