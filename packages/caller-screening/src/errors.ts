import { FlowguardError } from '@flowguard/contact';

/** The store did not answer in time, refused, or failed. The flow gets the fail-mode answer. */
export class StoreUnavailableError extends FlowguardError {
  constructor(operation: string, options?: { cause?: unknown }) {
    super('store_unavailable', `store ${operation} failed`, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A rule, limit or block request that does not make sense. */
export class ScreeningInputError extends FlowguardError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'ScreeningInputError';
  }
}
