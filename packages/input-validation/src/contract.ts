// What validate-input promises the outside world: its answers, its budget and the variables it
// reads. Data only (the generated keys, not the validators), so the function registry, the CDK
// stack and the docs can read it without loading ajv's output.
import { DEFAULT_COUNTRY, type VariableSpec } from '@flowguard/contact';
import { OUTPUT_KEYS } from './generated/keys.js';

export const VALIDATE_INPUT_OUTPUTS: readonly string[] = [
  'valid',
  'errorField',
  'errorCode',
  'errorMessageKey',
  ...OUTPUT_KEYS,
];

/** Validation is CPU only: 1 s is ample, and a stuck check answers `valid=false` in time. */
export const VALIDATE_INPUT_BUDGET_MS = 1000;

/** What `readValidationConfig` reads. */
export const VALIDATION_VARIABLES: readonly VariableSpec[] = [DEFAULT_COUNTRY];
