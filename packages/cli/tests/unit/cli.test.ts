import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type LocalDynamoDB, startLocalDynamoDB } from '@flowguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeUnexpected } from '../../src/errors.js';
import { mainHelp } from '../../src/index.js';
import { cli } from './support/cli.js';

let local: LocalDynamoDB;

beforeAll(async () => {
  local = await startLocalDynamoDB();
});
afterAll(async () => {
  await local?.stop();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('help and usage', () => {
  it.each([[['--help']], [['-h']], [['help']]])('prints the main help for %j', async (argv) => {
    const r = await cli(argv);
    expect(r).toEqual({ code: 0, out: mainHelp(), err: '' });
    expect(r.out).toContain(
      'usage: flowguard <blocklist|rules|surge|flows|keys> <command> [options] | flowguard <audit|local> [options]',
    );
    expect(r.out).toContain('  flows simulate     run one scripted call through a flow, offline');
    expect(r.out).toContain('  blocklist import   block every caller in a CSV file, all or nothing');
    expect(r.out).toContain(
      '  local              run local DynamoDB, Secrets Manager, KMS, Kinesis, S3 and Connect until interrupted',
    );
  });

  it('prints a group help', async () => {
    const r = await cli(['rules', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'usage: flowguard rules <command> [options]',
        '',
        'commands:',
        '  add      add or replace a rule',
        '  remove   remove a rule',
        '  list     list rules',
        '',
        "Run 'flowguard rules <command> --help' for a command's options.",
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['blocklist', 'add'],
    ['blocklist', 'remove'],
    ['blocklist', 'list'],
    ['blocklist', 'show'],
    ['blocklist', 'import'],
    ['blocklist', 'export'],
    ['rules', 'add'],
    ['rules', 'remove'],
    ['rules', 'list'],
  ])('prints help for %s %s without touching the store', async (group, name) => {
    for (const argv of [
      [group, name, '--help'],
      [group, name, '-h'],
      ['help', group, name],
    ]) {
      const r = await cli(argv, { env: { FLOWGUARD_TABLE_NAME: '!' } });
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out.split('\n')[0]).toMatch(new RegExp(`^usage: flowguard ${group} ${name}\\b`));
      expect(r.out).toContain('  --json ');
      expect(r.out).toContain('  -h, --help ');
      expect(r.out).toContain('examples:\n  flowguard ');
    }
  });

  it('documents the import format in its help', async () => {
    const r = await cli(['blocklist', 'import', '--help']);
    expect(r.out).toContain('usage: flowguard blocklist import <file.csv> [options]');
    expect(r.out).toContain('--dry-run');
    expect(r.out).toContain('--concurrency <n>');
    expect(r.out).toContain('nothing is written: the rejected lines are listed with their line numbers');
  });

  it.each([
    [['frobnicate'], "flowguard: unknown command 'frobnicate'"],
    [['blocklist', 'frobnicate'], "flowguard: unknown command 'blocklist frobnicate'"],
    [['blocklist'], "flowguard: 'flowguard blocklist' needs a command"],
    [[], 'flowguard: a command is required'],
    [['blocklist', 'list', '--frobnicate'], "flowguard: unknown option '--frobnicate'"],
    [['blocklist', 'list', '-x'], "flowguard: unknown option '-x'"],
    [
      ['blocklist', 'add', '+14155550123', '--reason'],
      "flowguard: option '--reason <value>' argument missing",
    ],
    [['blocklist', 'list', '--json=yes'], "flowguard: option '--json' does not take an argument"],
    [['blocklist', 'list', 'extra'], "flowguard: unexpected argument 'extra'"],
    [['blocklist', 'add', '--reason', 'x'], 'flowguard: missing <number|key>'],
    [['rules', 'remove', 'prefix'], 'flowguard: missing <value>'],
    [['blocklist', 'import'], 'flowguard: missing <file.csv>'],
  ])('exits 2 with a usage message for %j', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const [first, second] = r.err.split('\n');
    expect(first).toBe(message);
    expect(second).toMatch(/^usage: flowguard /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('refuses a bad FLOWGUARD_TABLE_NAME with exit 2, naming the variable', async () => {
    const r = await cli(['blocklist', 'list'], { env: { FLOWGUARD_TABLE_NAME: 'x' } });
    expect(r).toEqual({
      code: 2,
      out: '',
      err: "flowguard: FLOWGUARD_TABLE_NAME must be 3 to 255 characters of letters, digits, '_', '-' and '.'\n",
    });
  });
});

describe('the real store wiring', () => {
  it('uses the SDK default chain and AWS_ENDPOINT_URL_DYNAMODB, and FLOWGUARD_TABLE_NAME', async () => {
    for (const [name, value] of Object.entries(local.env)) vi.stubEnv(name, value);
    const add = await cli(['blocklist', 'add', '+14155550123', '--reason', 'wired'], { env: local.env });
    expect(add).toMatchObject({ code: 0, err: '' });
    const list = await cli(['blocklist', 'list', '--json'], { env: local.env });
    expect(JSON.parse(list.out)).toMatchObject([{ key: 'tel:+14155550123', reason: 'wired' }]);
  });

  it('exits 1 with one line when the endpoint does not answer', async () => {
    for (const [name, value] of Object.entries(local.env)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'http://127.0.0.1:9');
    const r = await cli(['blocklist', 'list'], { env: local.env });
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'flowguard: store unavailable: store scan failed: cannot reach the DynamoDB endpoint (ECONNREFUSED)\n',
    });
  });

  it('exits 1 naming the table when it does not exist', async () => {
    for (const [name, value] of Object.entries(local.env)) vi.stubEnv(name, value);
    const env = { ...local.env, FLOWGUARD_TABLE_NAME: 'missing-table' };
    const r = await cli(['blocklist', 'add', '+14155550123', '--reason', 'x'], { env });
    expect(r).toEqual({
      code: 1,
      out: '',
      err: "flowguard: store unavailable: store block failed: table 'missing-table' not found (FLOWGUARD_TABLE_NAME, AWS_REGION)\n",
    });
  });
});

describe('the flowguard bin', () => {
  const bin = fileURLToPath(new URL('../../bin/flowguard.mjs', import.meta.url));
  const run = promisify(execFile);
  const flowguard = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
        env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('runs the sources through tsx, with exit codes', async () => {
    const help = await flowguard(['--help']);
    expect(help).toEqual({ code: 0, stdout: mainHelp(), stderr: '' });
    const bad = await flowguard(['nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe("flowguard: unknown command 'nope'");
  }, 30_000);

  it('talks to the table named by the environment', async () => {
    const env = { ...local.env, FLOWGUARD_TABLE_NAME: local.tableName };
    const add = await flowguard(
      ['blocklist', 'add', '020 7946 0000', '--country', 'GB', '--reason', 'bin'],
      env,
    );
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/^blocked tel:\+442079460000 until /);
    const show = await flowguard(['blocklist', 'show', '+442079460000', '--json'], env);
    expect(JSON.parse(show.stdout)).toMatchObject({ key: 'tel:+442079460000', blocked: true });
    const down = await flowguard(['rules', 'list'], {
      ...env,
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      'flowguard: store unavailable: store rules failed: cannot reach the DynamoDB endpoint (ECONNREFUSED)\n',
    );
  }, 30_000);
});

describe('an error no command expects', () => {
  it('is one line naming the error, its message and the command, with long digit runs masked', () => {
    const error = new TypeError('cannot read 4111111111111111 of undefined\nat somewhere');

    expect(describeUnexpected(error, ['flows', 'simulate', 'x.json', '--keys', '4111111111111111#'])).toBe(
      'TypeError: cannot read [digits] of undefined (in "flowguard flows simulate"); this is not an error flowguard expects: run the command again, and if it repeats, report it with the command line',
    );
    expect(describeUnexpected('thrown text', ['audit'])).toMatch(/^string \(in "flowguard audit"\)/);
  });
});
