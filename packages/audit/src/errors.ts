/** Base of the audit's own errors. AWS failures are not thrown: they become not_checked findings. */
export class AuditError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
  }
}

/** Options that cannot describe an audit (an instance id that is neither an id nor an ARN, ...). */
export class AuditOptionsError extends AuditError {
  constructor(message: string) {
    super(message);
    this.name = 'AuditOptionsError';
  }
}
