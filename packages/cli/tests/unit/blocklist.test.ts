import { readScreeningConfig, Screener, type ScreeningStore } from '@flowguard/caller-screening';
import { parseContactEvent } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { cli, freshStore, liveKeys, localTables, NOW, NOW_MS } from './support/cli.js';

let store: ScreeningStore;
const local = localTables((fresh) => {
  store = fresh;
});

const DAY = 86_400;

describe('blocklist add', () => {
  it('normalises a US national-format number and blocks it for the duration', async () => {
    const r = await cli(
      ['blocklist', 'add', '(415) 555-0123', '--reason', 'fraud', '--duration', '7d', '--by', 'alice'],
      {
        store,
      },
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('blocked tel:+14155550123 until 2025-06-08T12:00:00Z (7d)\n');
    const state = await store.getState('tel:+14155550123');
    expect(state).toMatchObject({
      blockedUntil: NOW + 7 * DAY,
      blockReason: 'fraud',
      blockedBy: 'alice',
      blockedAt: NOW,
    });
  });

  it('uses --country for national formats (GB)', async () => {
    const r = await cli(
      ['blocklist', 'add', '020 7946 0000', '--country', 'GB', '--reason', 'abuse', '--json'],
      {
        store,
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      key: 'tel:+442079460000',
      result: 'applied',
      until: '2025-07-01T12:00:00Z',
      reason: 'abuse',
      by: 'cli',
    });
  });

  it('takes the country from FLOWGUARD_DEFAULT_COUNTRY and the admin from USER', async () => {
    const r = await cli(['blocklist', 'add', '020 7946 0000', '--reason', 'abuse'], {
      store,
      env: { FLOWGUARD_DEFAULT_COUNTRY: 'gb', USER: 'bob' },
    });
    expect(r.code).toBe(0);
    expect((await store.getState('tel:+442079460000'))?.blockedBy).toBe('bob');
  });

  it('defaults to 30 days', async () => {
    await cli(['blocklist', 'add', '+14155550123', '--reason', 'fraud'], { store });
    expect((await store.getState('tel:+14155550123'))?.blockedUntil).toBe(NOW + 30 * DAY);
  });

  it('accepts ip:, cust:, email: and tel: keys, normalised as screening keys them', async () => {
    const keys = [
      ['ip:2001:db8:1:2::99', 'ip:2001:db8:1:2::/64'],
      ['ip:::ffff:203.0.113.7', 'ip:203.0.113.7'],
      ['cust:C-1234', 'cust:C-1234'],
      ['email:Mallory@Example.COM', 'email:mallory@example.com'],
      // A tel: key is taken as the store key, even for a number libphonenumber calls invalid.
      ['tel:+123', 'tel:+123'],
    ];
    for (const [input = '', key] of keys) {
      const r = await cli(['blocklist', 'add', input, '--reason', 'test'], { store });
      expect(r.err).toBe('');
      expect(r.out).toContain(`blocked ${key} `);
    }
    expect(await liveKeys(store)).toEqual(keys.map(([, key]) => key).sort());
  });

  it.each([
    [['12345'], "flowguard: '12345' is not a valid phone number for country US\n"],
    [['+1 555 0123'], "flowguard: '+1 555 0123' is not a valid phone number\n"],
    [['020 7946 0000'], "flowguard: '020 7946 0000' is not a valid phone number for country US\n"],
    [['anonymous'], "flowguard: 'anonymous' is a withheld caller ID, which has no key\n"],
    [['hello'], "flowguard: 'hello' is not a phone number\n"],
    [['203.0.113.7'], "flowguard: '203.0.113.7' looks like an IP address: write ip:203.0.113.7\n"],
    [['ip:999.1.1.1'], "flowguard: 'ip:999.1.1.1' is not an IP address\n"],
    [
      ['sip:+14155550123'],
      "flowguard: 'sip:+14155550123': unknown key type 'sip:' (use a number, tel:, pai:, ip:, cust: or email:)\n",
    ],
    [
      ['tel:+1 415 555 0123'],
      "flowguard: 'tel:+1 415 555 0123' is not a store key: write tel:+ and the digits (E.164)\n",
    ],
    [
      ['+14155550123', '--country', 'XX'],
      "flowguard: --country must be a two-letter country code such as US or GB, not 'XX'\n",
    ],
    [
      ['+14155550123', '--duration', '3 weeks'],
      "flowguard: --duration '3 weeks': a duration is <n><s|m|h|d>, e.g. 30m or 7d\n",
    ],
    [['+14155550123', '--duration', '0d'], "flowguard: --duration '0d': a duration must be 1s to 3650d\n"],
  ])('refuses %j with one line and exit 2, writing nothing', async (args, message) => {
    const r = await cli(['blocklist', 'add', ...args, '--reason', 'x'], { store });
    expect(r).toEqual({ code: 2, out: '', err: message });
    expect(await liveKeys(store)).toEqual([]);
  });

  it('refuses a missing or empty --reason', async () => {
    for (const extra of [[], ['--reason', '  ']]) {
      const r = await cli(['blocklist', 'add', '+14155550123', ...extra], { store });
      expect(r.code).toBe(2);
      expect(r.err).toBe('flowguard: --reason is required: say why (it is kept in the history)\n');
    }
    const r = await cli(['blocklist', 'add', '+14155550123', '--reason', 'a\nb'], { store });
    expect(r.err).toBe('flowguard: --reason cannot contain control characters or line breaks\n');
    expect(await liveKeys(store)).toEqual([]);
  });

  it('refuses a bad FLOWGUARD_DEFAULT_COUNTRY without echoing it', async () => {
    const r = await cli(['blocklist', 'add', '4155550123', '--reason', 'x'], {
      store,
      env: { FLOWGUARD_DEFAULT_COUNTRY: 'secret-ish' },
    });
    expect(r).toEqual({
      code: 2,
      out: '',
      err: 'flowguard: FLOWGUARD_DEFAULT_COUNTRY must be a two-letter country code such as US or GB\n',
    });
  });

  it('keeps a longer block and says so; a longer one extends', async () => {
    await cli(['blocklist', 'add', '+14155550123', '--reason', 'first', '--duration', '30d'], { store });
    const shorter = await cli(
      ['blocklist', 'add', '+14155550123', '--reason', 'second', '--duration', '1d'],
      {
        store,
      },
    );
    expect(shorter.code).toBe(0);
    expect(shorter.out).toBe(
      'kept: tel:+14155550123 is already blocked until 2025-07-01T12:00:00Z, at least as long (a block is never shortened)\n',
    );
    expect((await store.getState('tel:+14155550123'))?.blockReason).toBe('first');
    const longer = await cli(
      ['blocklist', 'add', '+14155550123', '--reason', 'third', '--duration', '60d', '--json'],
      {
        store,
      },
    );
    expect(JSON.parse(longer.out)).toMatchObject({ result: 'applied', until: '2025-07-31T12:00:00Z' });
  });

  it('asks to quote a number typed with spaces', async () => {
    const r = await cli(['blocklist', 'add', '415', '555', '0123', '--reason', 'x'], { store });
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(
      "flowguard: unexpected argument '555 0123' (quote a number that contains spaces: '415 555 0123')",
    );
  });
});

describe('blocklist remove', () => {
  it('ends a live block and keeps it in the history', async () => {
    await cli(['blocklist', 'add', '(415) 555-0123', '--reason', 'fraud'], { store });
    const r = await cli(['blocklist', 'remove', '415-555-0123', '--reason', 'verified', '--by', 'carol'], {
      store,
    });
    expect(r).toEqual({ code: 0, out: 'unblocked tel:+14155550123\n', err: '' });
    expect(await liveKeys(store)).toEqual([]);
    const history = await store.history('tel:+14155550123');
    expect(history.map((h) => h.action).sort()).toEqual(['block', 'unblock']);
    expect(history.find((h) => h.action === 'unblock')).toMatchObject({ by: 'carol', reason: 'verified' });
  });

  it('lets an auto-blocked caller straight back in: the counts that caused the block go with it', async () => {
    const config = readScreeningConfig({
      FLOWGUARD_LIMITS: '2/10m,20/1d',
      FLOWGUARD_BLOCK_CACHE_SECONDS: '0',
    });
    const screener = new Screener({ store, config, clock: () => NOW_MS });
    const call = async () => (await screener.screen(parseContactEvent(voiceEvent('+14155550123')))).reason;
    const before = [];
    for (let i = 0; i < 7; i++) before.push(await call());

    const lifted = await cli(
      ['blocklist', 'remove', '415-555-0123', '--reason', 'verified', '--by', 'carol'],
      {
        store,
      },
    );
    const after = [await call(), await call(), await call()];

    // 2/10m with the default factor 3: the sixth contact reaches 6 and is auto-blocked.
    expect(before).toEqual([
      'ok',
      'ok',
      'rate_limited',
      'rate_limited',
      'rate_limited',
      'auto_blocked',
      'auto_blocked',
    ]);
    expect(lifted.out).toBe('unblocked tel:+14155550123\n');
    expect(after).toEqual(['ok', 'ok', 'rate_limited']);
  });

  it("says 'not blocked' and exits 0 when there is no live block", async () => {
    const r = await cli(['blocklist', 'remove', '+14155550123'], { store });
    expect(r).toEqual({
      code: 0,
      out: 'not blocked: tel:+14155550123 has no live block; nothing changed\n',
      err: '',
    });
    const json = await cli(['blocklist', 'remove', '+14155550123', '--json'], { store });
    expect(JSON.parse(json.out)).toEqual({ key: 'tel:+14155550123', removed: false });
  });

  it('treats an expired block as not blocked', async () => {
    await cli(['blocklist', 'add', '+14155550123', '--reason', 'short', '--duration', '1h'], { store });
    const later = await cli(['blocklist', 'remove', '+14155550123'], {
      store,
      now: () => NOW_MS + 2 * 3600_000,
    });
    expect(later.out).toContain('not blocked');
  });
});

describe('blocklist list and show', () => {
  beforeEach(async () => {
    await cli(['blocklist', 'add', '+14155550123', '--reason', 'fraud, reported twice', '--by', 'alice'], {
      store,
    });
    await cli(['blocklist', 'add', 'ip:203.0.113.7', '--reason', 'chat spam', '--duration', '12h'], {
      store,
    });
    await cli(['blocklist', 'add', '+14155550188', '--reason', 'gone', '--duration', '1h'], { store });
  });

  it('lists live blocks as a table', async () => {
    const r = await cli(['blocklist', 'list'], { store, now: () => NOW_MS + 2 * 3600_000 });
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'KEY               UNTIL                 BY     REASON',
        'ip:203.0.113.7    2025-06-02T00:00:00Z  cli    chat spam',
        'tel:+14155550123  2025-07-01T12:00:00Z  alice  fraud, reported twice',
        '',
      ].join('\n'),
    );
  });

  it('lists as JSON', async () => {
    const r = await cli(['blocklist', 'list', '--json'], { store });
    expect(JSON.parse(r.out)).toEqual([
      {
        key: 'ip:203.0.113.7',
        until: '2025-06-02T00:00:00Z',
        reason: 'chat spam',
        by: 'cli',
        since: '2025-06-01T12:00:00Z',
      },
      {
        key: 'tel:+14155550123',
        until: '2025-07-01T12:00:00Z',
        reason: 'fraud, reported twice',
        by: 'alice',
        since: '2025-06-01T12:00:00Z',
      },
      {
        key: 'tel:+14155550188',
        until: '2025-06-01T13:00:00Z',
        reason: 'gone',
        by: 'cli',
        since: '2025-06-01T12:00:00Z',
      },
    ]);
  });

  it('says so when nothing is blocked', async () => {
    const empty = await freshStore(local.client);
    expect(await cli(['blocklist', 'list'], { store: empty })).toEqual({
      code: 0,
      out: 'no live blocks\n',
      err: '',
    });
    expect((await cli(['blocklist', 'list', '--json'], { store: empty })).out).toBe('[]\n');
  });

  it("shows a caller's block and history", async () => {
    const r = await cli(['blocklist', 'show', '(415) 555-0123'], { store });
    expect(r.out).toBe(
      [
        'tel:+14155550123: blocked until 2025-07-01T12:00:00Z (30d left) by alice: fraud, reported twice',
        'history:',
        'AT                    ACTION  UNTIL                 BY     REASON',
        '2025-06-01T12:00:00Z  block   2025-07-01T12:00:00Z  alice  fraud, reported twice',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await cli(['blocklist', 'show', '+14155550123', '--json'], { store })).out);
    expect(json).toMatchObject({
      key: 'tel:+14155550123',
      blocked: true,
      block: { until: '2025-07-01T12:00:00Z', by: 'alice', reason: 'fraud, reported twice' },
      history: [{ action: 'block', at: '2025-06-01T12:00:00Z', by: 'alice', until: '2025-07-01T12:00:00Z' }],
    });
  });

  it('shows an ended block as not blocked, with its history', async () => {
    const r = await cli(['blocklist', 'show', '+14155550188', '--json'], {
      store,
      now: () => NOW_MS + 2 * 3600_000,
    });
    expect(JSON.parse(r.out)).toMatchObject({ blocked: false, block: null, history: [{ action: 'block' }] });
    const unknown = await cli(['blocklist', 'show', '+14155550100'], { store });
    expect(unknown.out).toBe('tel:+14155550100: not blocked\nno history\n');
  });
});
