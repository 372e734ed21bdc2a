// Validation benchmark (`pnpm bench`): a card-number payload through the compiled validator,
// next to a hand-written Luhn + length check measured in the same run.
import { luhn, validateInput } from '@flowguard/input-validation';
import { reportRows } from '../lib/bench-rows.js';

const CARDS = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '6011111111111117',
  '4012888888881881',
];
const payloads = Array.from({ length: 5000 }, (_, i) => ({ cardNumber: CARDS[i % CARDS.length] ?? '' }));

function handWritten(payload: { cardNumber: string }): boolean {
  const digits = payload.cardNumber;
  return digits.length >= 12 && digits.length <= 19 && /^[0-9]+$/.test(digits) && luhn(digits);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median ns per call over batches; the result is consumed so the work cannot be dropped. */
function nsPerCall(call: (payload: { cardNumber: string }) => unknown, batches = 40): number {
  const samples: number[] = [];
  let sink = 0;
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (const payload of payloads) if (call(payload)) sink++;
    samples.push(Number(process.hrtime.bigint() - start) / payloads.length);
  }
  if (sink === 0) throw new Error('nothing validated');
  return median(samples);
}

for (let i = 0; i < 3; i++) {
  nsPerCall(handWritten, 5);
  nsPerCall((p) => validateInput('card', p).valid, 5);
}
const floor = nsPerCall(handWritten);
const schema = nsPerCall((p) => validateInput('card', p).valid);
const ok = schema / 1000 <= 10;

console.log('validation benchmark                              measured   target   verdict');
console.log(`hand-written Luhn + length (floor), µs median      ${(floor / 1000).toFixed(2).padStart(8)}`);
console.log(
  `validateInput('card'), µs median                  ${(schema / 1000).toFixed(2).padStart(8)}   <= 10    ${ok ? 'ok' : 'MISSED'} (${(schema / floor).toFixed(1)}x floor)`,
);
reportRows([
  {
    group: 'validation',
    name: 'hand-written Luhn + length (floor), µs median',
    measured: (floor / 1000).toFixed(2),
  },
  {
    group: 'validation',
    name: "validateInput('card'), µs median",
    measured: (schema / 1000).toFixed(2),
    floor: (floor / 1000).toFixed(2),
    ratio: (schema / floor).toFixed(1),
    target: '<= 10 µs',
    verdict: ok ? 'ok' : 'MISSED',
  },
]);
if (!ok) process.exitCode = 1;
