// What validate-input promises the outside world: its answers, its budget and the variables it
// reads. Data only (the generated keys, not the validators), so the function registry, the CDK
// stack and the docs can read it without loading ajv's output.
import { DEFAULT_COUNTRY, type VariableSpec } from '@flowguard/contact';
import { CLEAR_OUTPUT_KEYS, OUTPUT_KEYS, SENSITIVE_KEYS } from './generated/keys.js';

export const VALIDATE_INPUT_OUTPUTS: readonly string[] = [
  'valid',
  'errorField',
  'errorCode',
  'errorMessageKey',
  ...OUTPUT_KEYS,
];

/**
 * Personal data validate-input answers as itself (the ISO date of birth): a flow may hand it to
 * another function, but not keep it. `x-sensitive` cannot mark it, since a sensitive property is
 * answered masked or not at all.
 */
const PERSONAL_DATA_KEYS: readonly string[] = ['dateOfBirth'];

/**
 * Answers a flow must not copy into contact attributes, which reach every contact record
 * (`flowguard flows lint`: sensitive-external-kept): personal data answered as itself, and any key
 * a sensitive property has in one schema that another (a custom one) answers in the clear. Masked
 * answers (`accountNumber`, `cardNumber`) are not here: keeping the mask is fine.
 */
export const VALIDATE_INPUT_SENSITIVE_OUTPUTS: readonly string[] = CLEAR_OUTPUT_KEYS.filter(
  (key) => PERSONAL_DATA_KEYS.includes(key) || SENSITIVE_KEYS.includes(key),
);

/** Validation is CPU only: 1 s is ample, and a stuck check answers `valid=false` in time. */
export const VALIDATE_INPUT_BUDGET_MS = 1000;

/** What `readValidationConfig` reads. */
export const VALIDATION_VARIABLES: readonly VariableSpec[] = [DEFAULT_COUNTRY];
