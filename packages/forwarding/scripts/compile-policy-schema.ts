// `pnpm --filter @flowguard/forwarding generate`: writes src/generated/policy-validator.ts from
// schema/policy.schema.json. A test regenerates it and compares, so the two cannot drift.
import { writeFileSync } from 'node:fs';
import { policyValidatorSource, VALIDATOR_FILE } from './policy-validator.js';

writeFileSync(VALIDATOR_FILE, policyValidatorSource());
console.log(`wrote ${VALIDATOR_FILE}`);
