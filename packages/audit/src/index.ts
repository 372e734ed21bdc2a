export { AUDIT_APIS, type AuditApi, auditActions, auditPolicy } from './apis.js';
export {
  type AuditOptions,
  type AuditReport,
  auditInstance,
  exitCodeFor,
  instanceIdOf,
} from './audit.js';
export { AUDIT_RETRY, type AuditClients, createAuditClients } from './clients.js';
export { AuditError, AuditOptionsError } from './errors.js';
export { PERMISSION_CATALOGUE, PERMISSION_LIST_URL } from './permissions.js';
export { formatJson, formatMarkdown, formatTable } from './report.js';
export { type Finding, SEVERITIES, type Severity } from './rule.js';
export { RULES } from './rules/index.js';
export { DEFAULT_DOCS_URL, formatSarif } from './sarif.js';
export { WATCHED_CONNECT_CALLS, WATCHED_EVENTS, type WatchedCall } from './watched.js';
