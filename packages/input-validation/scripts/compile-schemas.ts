// `pnpm build` in this package: compiles schemas/*.json and schemas/custom/*.json into
// src/generated/ (standalone validators, the manifest, TypeScript types).
import { writeFile } from 'node:fs/promises';
import { compileSchemas, SchemaError } from '../src/compiler.js';
import { GENERATED_DIR, generatedFiles, SCHEMA_FOLDERS } from '../src/generate.js';

try {
  const compiled = await compileSchemas(SCHEMA_FOLDERS);
  for (const warning of compiled.warnings) console.warn(`warning: ${warning}`);
  for (const [file, text] of Object.entries(generatedFiles(compiled)))
    await writeFile(`${GENERATED_DIR}/${file}`, text);
  console.log(`compiled ${compiled.plans.length} schemas: ${compiled.plans.map((p) => p.name).join(', ')}`);
} catch (error) {
  console.error(error instanceof SchemaError ? `schema error: ${error.message}` : error);
  process.exitCode = 1;
}
