// Property-based fuzzing of every function handler with arbitrary and malformed Connect events.
// CI runs FUZZ_RUNS (default 2,000) per function, 10,000 in all; `pnpm fuzz` runs more and
// prints the seed (FUZZ_SEED replays a run).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectEvent } from './fuzz/arbitraries.js';
import { fuzzTargets } from './fuzz/handlers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const KEY = /^[A-Za-z0-9_]{1,64}$/;
/** Parameters whose values are sensitive: none may come back or reach a log. */
const SENSITIVE = new Set(['input', 'cardNumber', 'pin', 'cvv', 'accountNumber', 'encryptedInput']);

function sensitiveValues(event: unknown): string[] {
  const parameters = (event as { Details?: { Parameters?: unknown } } | null)?.Details?.Parameters;
  if (typeof parameters !== 'object' || parameters === null) return [];
  return Object.entries(parameters)
    .filter(([key, value]) => SENSITIVE.has(key) && typeof value === 'string' && /^[0-9]{6,}$/.test(value))
    .map(([, value]) => value as string);
}

describe(`fuzzing every function handler (seed ${SEED}, ${RUNS} events each)`, () => {
  const lines: string[] = [];
  const targets = fuzzTargets(lines);

  beforeAll(() => {
    console.log(`fuzz: seed ${SEED}, ${RUNS} events per function; replay with FUZZ_SEED=${SEED}`);
  });

  it.each(targets.map((t) => [t.name, t] as const))(
    `%s answers every event with a flat, legal, bounded map, in time, echoing nothing sensitive (seed ${SEED})`,
    async (_, target) => {
      const allowed = new Set([...target.outputs, 'error']);
      let answered = 0;
      let parsed = 0;
      await fc.assert(
        fc.asyncProperty(connectEvent, async (event) => {
          lines.length = 0;
          const started = performance.now();
          const response = await target.handler(event);
          const elapsed = performance.now() - started;
          answered++;
          if (response.error !== 'bad_event') parsed++;

          expect(typeof response).toBe('object');
          for (const [key, value] of Object.entries(response)) {
            expect(key).toMatch(KEY);
            expect(allowed.has(key)).toBe(true);
            expect(typeof value).toBe('string');
          }
          expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(32 * 1024);
          // In time: the wrapper answers by its budget; the slack is for a busy machine, not a measurement.
          expect(elapsed).toBeLessThan(target.budgetMs + 5000);
          const seen = `${JSON.stringify(response)}\n${lines.join('\n')}`;
          for (const secret of sensitiveValues(event)) expect(seen).not.toContain(secret);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      expect(answered).toBe(RUNS);
      // The events must reach the functions' logic, not only the event parser.
      expect(parsed).toBeGreaterThan(RUNS / 10);
    },
    600_000,
  );
});
