import { FlowguardError } from '@flowguard/contact';

/** The store did not answer in time, refused, or failed. The flow gets the fail-mode answer. */
export class StoreUnavailableError extends FlowguardError {
  /** The request was cut off by a timeout or the time budget, rather than refused. */
  readonly timedOut: boolean;

  constructor(operation: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super('store_unavailable', `store ${operation} failed`, options);
    this.name = 'StoreUnavailableError';
    this.timedOut = options?.timedOut ?? false;
  }
}

/** A rule, limit or block request that does not make sense. */
export class ScreeningInputError extends FlowguardError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'ScreeningInputError';
  }
}
