import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/**
 * The configuration the CDK stack gives the functions (docs/deploy.md), with placeholder ids: what
 * a bundle needs to import at all, since each reads its required settings at load.
 */
export const DEPLOYED_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  FLOWGUARD_TABLE_NAME: 'flowguard',
  FLOWGUARD_CONNECT_KEYS_SECRET_ID: 'flowguard/connect-keys',
  FLOWGUARD_FINGERPRINT_SECRET_ID: 'flowguard/fingerprint',
  FLOWGUARD_TOKEN_KMS_KEY_ID: 'alias/flowguard-tokens',
};

const EDGE_SIGNING: Readonly<Record<string, string>> = {
  FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'flowguard/edge-signing',
};

/** A forwarding policy as the stack sets it inline (docs/data-minimisation.md): one queue to S3. */
const FORWARDING: Readonly<Record<string, string>> = {
  FLOWGUARD_FORWARD_POLICY: JSON.stringify({
    version: 1,
    policies: [
      {
        name: 'analytics',
        match: { queues: ['Billing'] },
        fields: ['ContactId', 'Queue.Name'],
        destination: { type: 's3', bucket: 'flowguard-analytics' },
      },
    ],
  }),
  FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: 'flowguard-dead-letters',
};

/**
 * What each function is given besides {@link DEPLOYED_ENV}, as the stack gives it. screen-caller
 * as deployed without start-contact; `screen-caller+edge` is the same bundle with the edge's
 * signing secret set (it then loads the Secrets Manager client at init).
 */
export const FUNCTION_ENV: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'screen-caller+edge': EDGE_SIGNING,
  'start-contact': {
    // The instance, its flows, the website (docs/screening.md, "Screening at the edge").
    FLOWGUARD_CONNECT_INSTANCE_ID: '00000000-0000-4000-8000-000000000000',
    FLOWGUARD_EDGE_FLOWS: 'support=00000000-0000-4000-8000-000000000001',
    FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'https://www.example.com',
    ...EDGE_SIGNING,
  },
  'forward-contact-records': FORWARDING,
  'forward-recordings': FORWARDING,
};

/** Milliseconds to import a module in a fresh Node process (process start-up not included). */
export function coldImportMs(file: string, env: Record<string, string> = {}): number {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...DEPLOYED_ENV,
      ...env,
    },
    encoding: 'utf8',
    // Captured, not echoed: a failure's stderr (the minified bundle's line) is in the thrown error.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return Number(out);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Median cold-import time of each file, runs interleaved (a, b, c, a, b, c, ...) so that a
 * machine getting busier or quieter affects every file alike.
 */
export function coldImports(files: Record<string, string>, runs = 15): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((name) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, file] of Object.entries(files))
      samples[name]?.push(coldImportMs(file, FUNCTION_ENV[name] ? { ...FUNCTION_ENV[name] } : {}));
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}
