import { describe, expect, it } from 'vitest';
import { contactToken, slotOf } from '../../src/ledger.js';

describe('contactToken', () => {
  it('is 16 hex characters for any id, and the same for the same id', () => {
    for (const id of ['4a573372-1f28-4e26-b97b-0123456789ab', 'contact-1', '', 'ü'.repeat(300)]) {
      expect(contactToken(id)).toMatch(/^[0-9a-f]{16}$/);
      expect(contactToken(id)).toBe(contactToken(id));
    }
  });

  it('tells apart ids that share a prefix: time-ordered UUIDs and sequential ids', () => {
    // UUIDv7: the first 48 bits are the millisecond, so contacts in one millisecond share them.
    const sameMillisecond = Array.from(
      { length: 1000 },
      (_, i) => `0193a1b2-c3d4-7${i.toString(16).padStart(3, '0')}-8000-000000000000`,
    );
    const sequential = Array.from({ length: 1000 }, (_, i) => `contact-000000000000000000-${i}`);

    for (const ids of [sameMillisecond, sequential]) {
      expect(new Set(ids.map(contactToken)).size).toBe(ids.length);
      // They spread over the contact slots as random ids would, not into one.
      expect(new Set(ids.map((id) => slotOf(contactToken(id)))).size).toBeGreaterThan(20);
    }
  });
});
