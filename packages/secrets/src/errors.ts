import { FlowguardError } from '@flowguard/contact';

/**
 * A secret could not be served. Messages name the secret id, never its value; the SDK error (if
 * any) is kept as `cause`, which `errorAttributes` logs by name only.
 */
export class SecretError extends FlowguardError {
  readonly secretId: string;

  constructor(code: string, secretId: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SecretError';
    this.secretId = secretId;
  }
}

/** Secrets Manager has no such secret, or no such version or stage of it. */
export class SecretNotFoundError extends SecretError {
  constructor(secretId: string, options?: { cause?: unknown }) {
    super('secret_not_found', secretId, `secret ${secretId} not found`, options);
    this.name = 'SecretNotFoundError';
  }
}

/** The function's role may not read the secret (or decrypt it). */
export class SecretAccessDeniedError extends SecretError {
  constructor(secretId: string, options?: { cause?: unknown }) {
    super('secret_access_denied', secretId, `access to secret ${secretId} denied`, options);
    this.name = 'SecretAccessDeniedError';
  }
}

/** The secret has no value, or not the shape asked for (e.g. not JSON). */
export class SecretFormatError extends SecretError {
  constructor(secretId: string, problem: string) {
    // No cause: a JSON.parse error quotes its input, which here is the secret.
    super('secret_malformed', secretId, `secret ${secretId}: ${problem}`);
    this.name = 'SecretFormatError';
  }
}

/** Secrets Manager did not answer usefully: timeout, throttling, 5xx, network, abort. */
export class SecretUnavailableError extends SecretError {
  constructor(secretId: string, problem: string, options?: { cause?: unknown }) {
    super('secret_unavailable', secretId, `secret ${secretId} unavailable: ${problem}`, options);
    this.name = 'SecretUnavailableError';
  }
}

const NOT_FOUND = new Set(['ResourceNotFoundException']);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied']);

/** Maps an SDK failure to the flowguard error for `secretId`, by name as the SDK sets it. */
export function secretErrorOf(secretId: string, error: unknown): SecretError {
  if (error instanceof SecretError) return error;
  const name = error instanceof Error ? error.name : '';
  if (NOT_FOUND.has(name)) return new SecretNotFoundError(secretId, { cause: error });
  if (ACCESS_DENIED.has(name)) return new SecretAccessDeniedError(secretId, { cause: error });
  const problem = name === 'TimeoutError' ? 'timed out' : 'fetch failed';
  return new SecretUnavailableError(secretId, problem, { cause: error });
}
