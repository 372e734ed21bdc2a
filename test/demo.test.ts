import { runDemo } from '@flowguard/scripts/demo';
import { describe, expect, it } from 'vitest';

describe('pnpm demo', () => {
  it('plays every scenario, ends cleanly, and prints no digits the caller typed', async () => {
    let output = '';

    const code = await runDemo({ write: (text) => (output += text) });

    expect(code).toBe(0);
    for (const expected of [
      /ordinary caller +ALLOW \(ok\) +queued for an agent/,
      /repeat caller, call 3 +THROTTLE \(rate_limited\)/,
      /repeat caller, call 4 +BLOCK \(auto_blocked\)/,
      /blocklisted caller +BLOCK \(blocklisted\)/,
      /premium-rate caller +BLOCK \(rule\)/,
      /withheld caller +ALLOW \(withheld\)/,
      /card payment +valid=true +queued for an agent +cardLast4=1111, cardBrand=visa/,
      /caller hears: "That card number is not valid\."/,
      /flagged caller calls again +BLOCK \(blocklisted\)/,
      /local servers stopped/,
    ]) {
      expect(output).toMatch(expected);
    }
    for (const typed of ['4111111111111111', '4111111111111112', '4111 1111', '411111'])
      expect(output).not.toContain(typed);
  }, 60_000);
});
