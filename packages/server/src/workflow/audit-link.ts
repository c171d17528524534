/** The audit and model-code calls the workflow makes (helpers AUDIT and CODES own those modules). */
export { appendAudit } from '../audit/index.js';
export { issueModelCode } from '../codes/issue.js';
