import {
  type Env,
  type FlowFunction,
  FlowguardError,
  readDefaultCountry,
  stringParameter,
} from '@flowguard/contact';
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/min';
import { settings } from './checks.js';
import {
  VALIDATE_INPUT_BUDGET_MS,
  VALIDATE_INPUT_OUTPUTS,
  VALIDATE_INPUT_SENSITIVE_OUTPUTS,
} from './contract.js';
import { SENSITIVE_KEYS } from './generated/schemas.js';
import { hasSchema, validateInput } from './validate.js';

export interface ValidationConfig {
  /** Country for national-format phone numbers (`FLOWGUARD_DEFAULT_COUNTRY`, default US). */
  readonly defaultCountry: CountryCode;
}

/** Reads the validation configuration once, at init. */
export function readValidationConfig(env: Env = process.env): ValidationConfig {
  const country = readDefaultCountry(env, isSupportedCountry);
  return { defaultCountry: country };
}

/**
 * `validate-input`: parameters `schema` plus the values to check. Answers `valid`, `errorField`,
 * `errorCode`, `errorMessageKey`, and the normalised values when valid. Fails closed: anything
 * that goes wrong answers `valid=false`.
 */
export function validateInputFunction(config: ValidationConfig = { defaultCountry: 'US' }): FlowFunction {
  settings.defaultCountry = config.defaultCountry;
  return {
    name: 'validate-input',
    outputKeys: VALIDATE_INPUT_OUTPUTS,
    // Personal answers (a date of birth) are kept out of the logs like the secrets are.
    sensitiveKeys: [...SENSITIVE_KEYS, ...VALIDATE_INPUT_SENSITIVE_OUTPUTS],
    budgetMs: VALIDATE_INPUT_BUDGET_MS,
    failMode: (code) => ({ valid: false, errorField: '', errorCode: code, errorMessageKey: `input_${code}` }),
    handle(contact) {
      const schema = stringParameter(contact, 'schema', { required: true, maxLength: 64 });
      if (!hasSchema(schema)) throw new FlowguardError('unknown_schema', 'no schema of that name');
      const result = validateInput(schema, contact.parameters);
      return {
        valid: result.valid,
        errorField: result.errorField,
        errorCode: result.errorCode,
        errorMessageKey: result.errorMessageKey,
        ...result.values,
      };
    },
  };
}
