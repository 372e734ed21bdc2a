// validate-input: checks flow input against a schema compiled at build time (docs/validation.md).
import { flowHandler } from '@flowguard/contact';
import { readValidationConfig, validateInputFunction } from '@flowguard/input-validation';

export const handler = flowHandler(validateInputFunction(readValidationConfig()));
