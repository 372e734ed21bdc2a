/** A deploy that cannot go on; `exitCode` 1 for a failed or rolled-back deploy, 2 for a bad command line. */
export class DeployError extends Error {
  /** `credentials` when AWS cannot be called at all (no credentials, no region): a dry run then prints every step. */
  readonly kind?: 'credentials';

  constructor(
    message: string,
    readonly exitCode = 1,
    options?: { cause?: unknown; kind?: 'credentials' },
  ) {
    super(message, options);
    this.name = 'DeployError';
    this.kind = options?.kind;
  }
}

/** A canary whose metrics turned bad, or that was interrupted: `live` was put back. */
export class CanaryRolledBackError extends DeployError {
  constructor(
    message: string,
    readonly reasons: readonly string[],
  ) {
    super(message, 1);
    this.name = 'CanaryRolledBackError';
  }
}

/** One AWS call of a deploy: what it does, in words, and the IAM action it needs. */
export interface Step {
  /** `read the configuration of`, completed with the function's name. */
  readonly doing: string;
  readonly action: string;
  /** What a `ResourceNotFoundException` means for this call. */
  readonly notFound?: string;
}

export const STEPS = {
  readFunction: {
    doing: 'read the configuration of',
    action: 'lambda:GetFunctionConfiguration',
    notFound: 'function',
  },
  readAlias: { doing: 'read the alias of', action: 'lambda:GetAlias', notFound: 'alias' },
  readVersion: { doing: 'read a version of', action: 'lambda:GetFunctionConfiguration', notFound: 'version' },
  listVersions: { doing: 'list the versions of', action: 'lambda:ListVersionsByFunction' },
  upload: { doing: 'update the code of', action: 'lambda:UpdateFunctionCode' },
  publish: { doing: 'publish a version of', action: 'lambda:PublishVersion' },
  invoke: { doing: 'invoke the new version of', action: 'lambda:InvokeFunction' },
  moveAlias: { doing: 'move the alias of', action: 'lambda:UpdateAlias' },
  readMetrics: { doing: 'read the CloudWatch metrics of', action: 'cloudwatch:GetMetricData' },
} as const satisfies Record<string, Step>;

/** Every permission `deploy:function` uses, for the message that names a missing one. */
export const DEPLOY_ACTIONS = [...new Set(Object.values(STEPS).map((step) => step.action))];

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const CREDENTIALS_MISSING = new Set(['CredentialsProviderError']);
const CREDENTIALS_REFUSED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

/**
 * Why an AWS call failed, in words an operator can act on: the cause, and the permission or the
 * step that fixes it. Never the credentials themselves.
 */
export function explain(
  error: unknown,
  step: Step,
  context: { functionName: string; alias: string; qualifier?: string },
): DeployError {
  if (error instanceof DeployError) return error;
  const name = nameOf(error);
  const message = messageOf(error);
  const { functionName, alias } = context;
  const detail = (text: string) => new DeployError(text, 1, { cause: error });
  const credentials = (text: string) => new DeployError(text, 1, { cause: error, kind: 'credentials' });
  if (CREDENTIALS_REFUSED.has(name)) {
    return credentials(
      `AWS refused the credentials (${name}): they have expired or are not valid; sign in again (aws sso login) or renew them`,
    );
  }
  if (CREDENTIALS_MISSING.has(name) || /credential/i.test(message)) {
    return credentials(
      'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  if (/region is missing/i.test(message)) {
    return credentials('no AWS region: set AWS_REGION, or a region in your AWS profile');
  }
  switch (name) {
    case 'AbortError':
      return detail(`interrupted while trying to ${step.doing} ${functionName}: run again to resume`);
    case 'ResourceNotFoundException':
      if (step.notFound === 'alias') {
        return detail(
          `${functionName} has no alias ${alias}: the stack creates it, and the flows invoke it; deploy the stack first (docs/deploy.md)`,
        );
      }
      if (step.notFound === 'version') {
        return detail(`version ${context.qualifier ?? '?'} of ${functionName} no longer exists`);
      }
      return detail(
        `function ${functionName} does not exist yet: deploy the stack first (docs/deploy.md), then deploy single functions`,
      );
    case 'AccessDeniedException':
    case 'AccessDenied':
      return detail(
        `not allowed to ${step.doing} ${functionName}: the deploying role needs ${step.action} ` +
          `(deploy:function uses ${DEPLOY_ACTIONS.join(', ')})`,
      );
    case 'ResourceConflictException':
      return detail(
        `another update of ${functionName} is in progress: wait a minute and run again (the run resumes where this one stopped)`,
      );
    case 'PreconditionFailedException':
      return detail(
        `${functionName} changed while deploying (another deploy, or a stack update): run again to resume`,
      );
    case 'CodeStorageExceededException':
      return detail(
        `the account's Lambda code storage is full: delete old versions of ${functionName} (aws lambda delete-function --function-name ${functionName} --qualifier <n>)`,
      );
    case 'TooManyRequestsException':
    case 'Throttling':
    case 'ThrottlingException':
      return detail(`AWS throttled the calls to ${step.doing} ${functionName}: run again in a minute`);
    default:
      return detail(
        `${name || 'error'} while trying to ${step.doing} ${functionName}${message ? `: ${message.slice(0, 300)}` : ''}`,
      );
  }
}
