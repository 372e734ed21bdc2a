export {
  abaChecksum,
  ageInYears,
  type CardBrand,
  CHECKS,
  calendarDate,
  cardBrand,
  expiryEnd,
  isWeakPin,
  luhn,
  minorUnits,
  runCheck,
  settings,
  toE164,
} from './checks.js';
export { VALIDATE_INPUT_BUDGET_MS, VALIDATE_INPUT_OUTPUTS, VALIDATION_VARIABLES } from './contract.js';
export {
  readValidationConfig,
  type ValidationConfig,
  validateInputFunction,
} from './function.js';
export { OUTPUT_KEYS, SCHEMAS, SENSITIVE_KEYS } from './generated/schemas.js';
export type { SchemaInputs, SchemaName } from './generated/types.js';
export type { CompiledValidator, SchemaManifest } from './manifest-types.js';
export { coerceParameter, hasSchema, schemaNames, type ValidationResult, validateInput } from './validate.js';
