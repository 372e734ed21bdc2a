export {
  type AuditOptions,
  type AuditReport,
  auditInstance,
  exitCodeFor,
  type Finding,
  INHERITED,
  type Severity,
} from './audit.js';
export { formatJson, formatMarkdown, formatTable } from './report.js';
