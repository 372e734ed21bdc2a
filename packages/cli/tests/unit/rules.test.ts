import { type ScreeningStore, SIGNAL_NAMES } from '@flowguard/caller-screening';
import { describe, expect, it } from 'vitest';
import { cli, localTables, NOW, NOW_MS } from './support/cli.js';

let store: ScreeningStore;
localTables((fresh) => {
  store = fresh;
});

describe('rules', () => {
  it('adds, lists and removes rules', async () => {
    expect(
      await cli(['rules', 'add', 'prefix', '+1900', '--note', 'premium rate', '--by', 'alice'], { store }),
    ).toEqual({
      code: 0,
      out: 'added rule prefix +1900 BLOCK, no expiry\n',
      err: '',
    });
    const caller = await cli(
      ['rules', 'add', 'caller', '(415) 555-0123', '--action', 'allow', '--expires', '7d'],
      {
        store,
      },
    );
    expect(caller.out).toBe('added rule caller tel:+14155550123 ALLOW, expires 2025-06-08T12:00:00Z\n');
    await cli(['rules', 'add', 'Line-Type', 'VOIP'], { store });
    await cli(['rules', 'add', 'country', 'kp'], { store });

    expect(await store.loadRules()).toContainEqual({
      type: 'prefix',
      value: '+1900',
      action: 'BLOCK',
      note: 'premium rate',
      createdBy: 'alice',
      createdAt: NOW,
      expiresAt: 0,
      monitor: false,
    });

    const list = await cli(['rules', 'list'], { store, now: () => NOW_MS + 8 * 86_400_000 });
    expect(list.out).toBe(
      [
        'TYPE       VALUE             ACTION  MODE     EXPIRES                       BY     NOTE',
        'caller     tel:+14155550123  ALLOW   enforce  expired 2025-06-08T12:00:00Z  cli',
        'prefix     +1900             BLOCK   enforce  never                         alice  premium rate',
        'country    KP                BLOCK   enforce  never                         cli',
        'line_type  voip              BLOCK   enforce  never                         cli',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await cli(['rules', 'list', '--json'], { store })).out);
    expect(json[0]).toEqual({
      type: 'caller',
      value: 'tel:+14155550123',
      action: 'ALLOW',
      monitor: false,
      note: '',
      by: 'cli',
      created: '2025-06-01T12:00:00Z',
      expires: '2025-06-08T12:00:00Z',
      expired: false,
    });

    // Removal normalises the value the same way.
    expect((await cli(['rules', 'remove', 'caller', '415.555.0123'], { store })).out).toBe(
      'removed rule caller tel:+14155550123\n',
    );
    expect((await cli(['rules', 'remove', 'line_type', 'voip'], { store })).out).toBe(
      'removed rule line_type voip\n',
    );
    expect((await store.loadRules()).map((r) => `${r.type}:${r.value}`).sort()).toEqual([
      'country:KP',
      'prefix:+1900',
    ]);
  });

  it('replaces a rule with the same type and value, and says so', async () => {
    await cli(['rules', 'add', 'prefix', '+1900'], { store });
    const r = await cli(['rules', 'add', 'prefix', '+1900', '--action', 'ALLOW', '--json'], { store });
    expect(JSON.parse(r.out)).toMatchObject({
      type: 'prefix',
      value: '+1900',
      action: 'ALLOW',
      replaced: true,
    });
    expect(await store.loadRules()).toHaveLength(1);
  });

  it('adds a monitor-only rule with --monitor, lists its mode, and enforces it when added again without', async () => {
    const added = await cli(['rules', 'add', 'line_type', 'voip', '--monitor'], { store });
    expect(added.out).toBe('added rule line_type voip BLOCK (monitor-only), no expiry\n');
    const json = await cli(['rules', 'add', 'signal', 'oli:29', '--monitor', '--json'], { store });
    expect(JSON.parse(json.out)).toMatchObject({
      type: 'signal',
      value: 'oli:29',
      monitor: true,
      replaced: false,
    });
    await cli(['rules', 'add', 'prefix', '+1900'], { store });

    expect(await store.loadRules()).toContainEqual(expect.objectContaining({ value: 'voip', monitor: true }));
    expect((await cli(['rules', 'list'], { store })).out).toBe(
      [
        'TYPE       VALUE   ACTION  MODE     EXPIRES  BY   NOTE',
        'prefix     +1900   BLOCK   enforce  never    cli',
        'line_type  voip    BLOCK   monitor  never    cli',
        'signal     oli:29  BLOCK   monitor  never    cli',
        '',
      ].join('\n'),
    );
    const listed = JSON.parse((await cli(['rules', 'list', '--json'], { store })).out);
    expect(listed.map((r: { value: string; monitor: boolean }) => [r.value, r.monitor])).toEqual([
      ['+1900', false],
      ['voip', true],
      ['oli:29', true],
    ]);

    const enforced = await cli(['rules', 'add', 'line_type', 'voip'], { store });
    expect(enforced.out).toBe('replaced rule line_type voip BLOCK, no expiry (was BLOCK (monitor-only))\n');
    expect(await store.loadRules()).toContainEqual(
      expect.objectContaining({ value: 'voip', monitor: false }),
    );
  });

  it('explains --monitor in the help of rules add', async () => {
    const help = await cli(['rules', 'add', '--help'], { store });
    expect(help.out).toContain('--monitor');
    expect(help.out).toContain('monitor-only');
  });

  it('adds a signal rule for any signal screen-caller names, and an OLI code', async () => {
    for (const value of ['from_mismatch', 'OLI_Prison', 'oli:029', 'pai:+14155550123']) {
      const r = await cli(['rules', 'add', value.startsWith('pai:') ? 'caller' : 'signal', value], { store });
      expect(r.code, value).toBe(0);
    }
    const values = (await store.loadRules()).map((rule) => `${rule.type} ${rule.value}`).sort();
    expect(values).toEqual([
      'caller pai:+14155550123',
      'signal from_mismatch',
      'signal oli:29',
      'signal oli_prison',
    ]);
  });

  it("says 'no rule' and exits 0 when removing a rule that does not exist", async () => {
    expect(await cli(['rules', 'remove', 'prefix', '+1900'], { store })).toEqual({
      code: 0,
      out: 'no rule prefix +1900; nothing changed\n',
      err: '',
    });
  });

  it.each([
    [['add', 'bogus', 'x'], 'flowguard: rule type must be one of caller, prefix, country, line_type, signal'],
    [
      ['remove', 'bogus', 'x'],
      'flowguard: rule type must be one of caller, prefix, country, line_type, signal',
    ],
    [['add', 'prefix', '1900'], "flowguard: prefix rule value must be '+' and 1 to 15 digits"],
    [['add', 'country', 'Korea'], 'flowguard: country rule value must be a two-letter country code'],
    [['add', 'line_type', 'voip', '--action', 'ALLOW'], 'flowguard: line_type rules can only BLOCK'],
    [['add', 'prefix', '+1900', '--action', 'DENY'], 'flowguard: rule action must be ALLOW or BLOCK'],
    [['add', 'caller', '12345'], "flowguard: '12345' is not a valid phone number for country US"],
    [['add', 'caller', 'ip:1.2.3'], "flowguard: 'ip:1.2.3' is not an IP address"],
    [
      ['add', 'prefix', '+1900', '--expires', 'soon'],
      "flowguard: --expires 'soon': a duration is <n><s|m|h|d>, e.g. 30m or 7d",
    ],
    [['add', 'prefix'], 'flowguard: missing <value>'],
    [
      ['add', 'signal', 'spoofed'],
      `flowguard: signal rule value must be one of ${SIGNAL_NAMES.join(', ')}, oli:<code>`,
    ],
    [['add', 'signal', 'from_mismatch', '--action', 'ALLOW'], 'flowguard: signal rules can only BLOCK'],
  ])('refuses rules %j with exit 2 and writes nothing', async (args, message) => {
    const r = await cli(['rules', ...args], { store });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe(message);
    expect(await store.loadRules()).toEqual([]);
  });

  it('says so when there are no rules', async () => {
    expect((await cli(['rules', 'list'], { store })).out).toBe('no rules\n');
    expect((await cli(['rules', 'list', '--json'], { store })).out).toBe('[]\n');
  });
});
