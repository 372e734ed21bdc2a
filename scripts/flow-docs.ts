// Writes the flow pictures in docs/flows.md and the README from flows/*.json, and the package
// table of docs/architecture.md from each package.json, the functions and variables of
// docs/configuration.md from the function registry:
// `pnpm exec tsx scripts/flow-docs.ts`. A test fails when they no longer match the flows.
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIGURATION_FILE, configurationWithFunctions } from './lib/configuration-docs.js';
import { FLOW_DOCS_FILE, flowDocs, README_FILE, readmeWithFlows } from './lib/flow-docs.js';
import { ARCHITECTURE_FILE, architectureWithPackages } from './lib/package-docs.js';

writeFileSync(FLOW_DOCS_FILE, flowDocs());
writeFileSync(README_FILE, readmeWithFlows(readFileSync(README_FILE, 'utf8')));
writeFileSync(ARCHITECTURE_FILE, architectureWithPackages(readFileSync(ARCHITECTURE_FILE, 'utf8')));
writeFileSync(CONFIGURATION_FILE, configurationWithFunctions(readFileSync(CONFIGURATION_FILE, 'utf8')));
console.log(
  `wrote ${FLOW_DOCS_FILE}, the flows section of ${README_FILE}, the package table of ${ARCHITECTURE_FILE} and the functions of ${CONFIGURATION_FILE}`,
);
