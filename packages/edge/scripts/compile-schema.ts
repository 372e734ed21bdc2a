// `pnpm build` in this package: compiles schemas/start-contact.json into
// src/generated/start-contact-validator.ts (ajv standalone code; a test checks it is fresh).
import { writeFile } from 'node:fs/promises';
import { GENERATED_FILE, generatedValidator } from './schema.js';

try {
  await writeFile(GENERATED_FILE, generatedValidator());
  console.log(`wrote ${GENERATED_FILE}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
