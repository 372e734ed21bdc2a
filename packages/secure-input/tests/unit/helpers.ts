import { readFileSync } from 'node:fs';
import { testKeyPem as testKey } from '@flowguard/testing/test-keys';
import type { JsonSecrets } from '../../src/decrypt.js';

export { testKey };

const fixtures = new URL('../fixtures/', import.meta.url);

export interface KnownAnswer {
  keyId: string;
  key: 1 | 2;
  format: string;
  plaintext: string;
  ciphertext: string;
}

export const KNOWN_ANSWERS = JSON.parse(
  readFileSync(new URL('known-answers.json', fixtures), 'utf8'),
) as KnownAnswer[];

export function knownAnswer(plaintext: string): KnownAnswer {
  const answer = KNOWN_ANSWERS.find((a) => a.plaintext === plaintext);
  if (!answer) throw new Error(`no known answer for ${plaintext.length} digits`);
  return answer;
}

export function keysSecret(...ids: (1 | 2)[]): { keys: { keyId: string; privateKey: string }[] } {
  return { keys: ids.map((n) => ({ keyId: `test-only-key-${n}`, privateKey: testKey(n, 'private') })) };
}

/**
 * Secrets held in memory, versioned like Secrets Manager: `rotate` stores a new value that only a
 * `refresh` (or a get after `expire`) sees, as with a cache whose TTL has not run out.
 */
export class FakeSecrets implements JsonSecrets {
  private readonly current = new Map<string, unknown>();
  private readonly cached = new Map<string, unknown>();
  gets = 0;
  refreshes = 0;
  failing = false;

  constructor(initial: Record<string, unknown>) {
    for (const [id, value] of Object.entries(initial)) this.current.set(id, value);
  }

  rotate(id: string, value: unknown): void {
    this.current.set(id, value);
  }

  async getJson(id: string): Promise<unknown> {
    this.gets++;
    if (this.failing) throw Object.assign(new Error('down'), { name: 'InternalServiceError' });
    if (!this.cached.has(id)) this.cached.set(id, this.current.get(id));
    return this.cached.get(id);
  }

  async refresh(id: string): Promise<unknown> {
    this.refreshes++;
    if (this.failing) throw Object.assign(new Error('down'), { name: 'InternalServiceError' });
    this.cached.set(id, this.current.get(id));
    return this.cached.get(id);
  }
}

/** The digits of a value and its usual separated spellings, for leak scans. */
export function spellings(digits: string): string[] {
  const groups = digits.match(/.{1,4}/g) ?? [digits];
  return [digits, groups.join(' '), groups.join('-'), groups.join('.')];
}

/**
 * Whether `text` holds `digits` in any spelling. A short value (PIN, CVV) counts only standing
 * alone: random ids, tokens, fingerprints and logged latencies hold every short digit run sooner
 * or later.
 */
export function leaks(text: string, digits: string): string | undefined {
  return spellings(digits).find((spelled) => {
    if (digits.length >= 6) return text.includes(spelled);
    const escaped = spelled.replace(/[.]/g, '\\.');
    return new RegExp(`(?<![0-9A-Za-z+/._-])${escaped}(?![0-9A-Za-z+/=._-])`).test(text);
  });
}
