export { AUDIT_ACTIONS, type AuditAction } from './actions.js';
export { appendAudit, auditEntries, auditKeys, entryOfRow, type AuditInput } from './log.js';
export { nodeSign, nodeVerify } from './native.js';
export { auditSigner, auditKeyFile, keyToPem, parseKeyFile, retiredKeys, type AuditSigner } from './keys.js';
