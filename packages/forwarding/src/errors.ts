import { FlowguardError } from '@flowguard/contact';

/** A forwarding failure with a stable code. Messages name fields and paths, never contact data. */
export class ForwardingError extends FlowguardError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ForwardingError';
  }
}

/** One thing wrong with a policy document: the JSON path (`/policies/0/name`) and what is wrong. */
export interface PolicyIssue {
  readonly path: string;
  readonly message: string;
}

/** `/policies/0/name: must match ...; /policies/1: ...` */
export function describeIssues(issues: readonly PolicyIssue[]): string {
  return issues.map((issue) => `${issue.path || '/'}: ${issue.message}`).join('; ');
}

/**
 * The policy document is not valid. `issues` name each JSON path and the rule it breaks; no
 * value from the document is quoted (a match list can hold an attribute value).
 */
export class PolicyError extends ForwardingError {
  readonly issues: readonly PolicyIssue[];

  constructor(source: string, issues: readonly PolicyIssue[]) {
    super('bad_policy', `${source}: invalid policy: ${describeIssues(issues)}`);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

/** A Kinesis record that is not a contact record; `problem` is a reason code, `detail` a field path. */
export class RecordParseError extends Error {
  readonly problem: 'bad_base64' | 'not_json' | 'not_a_contact_record';
  readonly detail: string;

  constructor(problem: RecordParseError['problem'], detail: string) {
    super(`${problem}: ${detail}`);
    this.name = 'RecordParseError';
    this.problem = problem;
    this.detail = detail;
  }
}
