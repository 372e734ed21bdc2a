import { parseArgs } from 'node:util';
import { runAudit } from './audit-command.js';
import {
  addBlock,
  DEFAULT_BLOCK_DURATION,
  durationOf,
  exportBlocks,
  listBlocks,
  removeBlock,
  showBlock,
} from './blocklist.js';
import { Context, DEFAULT_COUNTRY_VARIABLE, type Io } from './context.js';
import { CommandError, describeUnexpected, EXIT, UsageError } from './errors.js';
import { graphFlow, lintFlows, renderFlowFile, simulateFlow } from './flow-commands.js';
import { importBlocklist } from './import.js';
import { checkKeys, createKeys } from './key-commands.js';
import { DEFAULT_ENV_FILE, DEFAULT_KEYS_DIR, runLocal } from './local-command.js';
import { addRule, listRules, removeRule } from './rules.js';
import { describeStoreError, isStoreUnavailable } from './store.js';
import { surgeOff, surgeOn, surgeStatus } from './surge.js';

type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's name in help: `--reason <text>`. */
  readonly arg?: string;
  readonly describe: string;
  /** May be given more than once. */
  readonly multiple?: boolean;
}

interface Command {
  readonly group: string;
  readonly name: string;
  /** Positional arguments, in usage syntax. */
  readonly args: readonly string[];
  readonly summary: string;
  readonly details: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Options the usage line shows as required: `--for <time>`. */
  readonly requiredUsage?: string;
  readonly examples: readonly string[];
  run(ctx: Context, values: Values, args: readonly string[]): Promise<number>;
}

const JSON_OPTION: OptionSpec = { type: 'boolean', describe: 'print the result as JSON' };
const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', describe: 'show this help' };
const COUNTRY_OPTION: OptionSpec = {
  type: 'string',
  arg: 'CC',
  describe: `country for national-format numbers (default ${DEFAULT_COUNTRY_VARIABLE}, else US)`,
};
const BY_OPTION: OptionSpec = { type: 'string', arg: 'who', describe: 'who is doing this (default $USER)' };

const KEY_HELP = `A caller is a phone number in any format ('(415) 555-0123', '+44 20 7946 0000'), normalised to
E.164 with --country; it must be a valid number. Or a store key: tel:+<digits> (exactly as
screening keys it, even for numbers libphonenumber calls invalid), ip:<address> (IPv6 by its
/64), cust:<id>, email:<address>.`;

function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function arg(args: readonly string[], index: number): string {
  return args[index] ?? '';
}

const COMMANDS: readonly Command[] = [
  {
    group: 'blocklist',
    name: 'add',
    args: ['<number|key>'],
    summary: 'block a caller',
    details: `Blocks a caller until now + --duration. A block is never shortened: if the caller is already
blocked at least as long, the existing block is kept (and the command says so). Every change is
kept in the caller's history.

${KEY_HELP}`,
    options: {
      reason: { type: 'string', arg: 'text', describe: 'why (required; kept in the history)' },
      duration: {
        type: 'string',
        arg: 'time',
        describe: `how long: <n><s|m|h|d>, up to 3650d (default ${DEFAULT_BLOCK_DURATION})`,
      },
      by: BY_OPTION,
      country: COUNTRY_OPTION,
    },
    examples: [
      "flowguard blocklist add '(415) 555-0123' --reason 'fraud reported' --duration 90d",
      "flowguard blocklist add '020 7946 0000' --country GB --reason 'abusive caller'",
      "flowguard blocklist add ip:203.0.113.7 --reason 'chat spam' --duration 12h",
    ],
    run: (ctx, v, args) =>
      addBlock(ctx, {
        input: arg(args, 0),
        reason: str(v, 'reason'),
        duration: str(v, 'duration'),
        by: str(v, 'by'),
        country: str(v, 'country'),
      }),
  },
  {
    group: 'blocklist',
    name: 'remove',
    args: ['<number|key>'],
    summary: 'end a block early',
    details: `Ends a caller's live block and adds an unblock entry to its history. A caller with no live
block is reported as 'not blocked' and the command still exits 0.

${KEY_HELP}`,
    options: {
      reason: { type: 'string', arg: 'text', describe: 'why (kept in the history)' },
      by: BY_OPTION,
      country: COUNTRY_OPTION,
    },
    examples: ["flowguard blocklist remove +14155550123 --reason 'verified customer'"],
    run: (ctx, v, args) =>
      removeBlock(ctx, {
        input: arg(args, 0),
        reason: str(v, 'reason'),
        by: str(v, 'by'),
        country: str(v, 'country'),
      }),
  },
  {
    group: 'blocklist',
    name: 'list',
    args: [],
    summary: 'list live blocks',
    details:
      'Lists every caller with a live block: key, end, who, why. Scans the table (an admin operation).',
    options: {},
    examples: ['flowguard blocklist list', 'flowguard blocklist list --json'],
    run: (ctx) => listBlocks(ctx),
  },
  {
    group: 'blocklist',
    name: 'show',
    args: ['<number|key>'],
    summary: "show a caller's block and history",
    details: `Shows whether a caller is blocked now (until when, by whom, why) and every block, auto-block and
unblock in its history.

${KEY_HELP}`,
    options: { country: COUNTRY_OPTION },
    examples: ["flowguard blocklist show '(415) 555-0123'"],
    run: (ctx, v, args) => showBlock(ctx, arg(args, 0), str(v, 'country')),
  },
  {
    group: 'blocklist',
    name: 'import',
    args: ['<file.csv>'],
    summary: 'block every caller in a CSV file, all or nothing',
    details: `Reads a CSV file with a header row naming its columns: number, reason, and optionally duration
(<n><s|m|h|d>; empty: --duration) and by (empty: --by). 'key' is accepted for 'number', and an
'until' column (written by export) is ignored. Fields with commas are quoted ("a, b").

Every row is checked first. If any row is rejected (bad number, missing reason, bad duration, a
caller listed twice), nothing is written: the rejected lines are listed with their line numbers
and the command exits 1. Otherwise every row is written with a conditional update that never
shortens a block, so running the same file again is safe: rows already blocked as long are
reported as 'kept'. A row the store fails on is retried with backoff; rows that still fail are
listed and the command exits 1 (run it again to retry them).

Durations count from the moment writing starts. Re-running a file later lengthens its blocks by
the time since; pass the --from time the first run printed to count from the same moment.`,
    options: {
      'dry-run': { type: 'boolean', describe: 'check every row, write nothing' },
      by: { type: 'string', arg: 'who', describe: 'for rows without a by value (default $USER)' },
      duration: {
        type: 'string',
        arg: 'time',
        describe: `for rows with an empty duration (default ${DEFAULT_BLOCK_DURATION})`,
      },
      country: COUNTRY_OPTION,
      concurrency: { type: 'string', arg: 'n', describe: 'writes in flight, 1 to 256 (default 16)' },
      from: {
        type: 'string',
        arg: 'time',
        describe: 'ISO time durations count from (default now); rows already ended are skipped',
      },
    },
    examples: [
      'flowguard blocklist import blocks.csv --dry-run',
      'flowguard blocklist import blocks.csv --by fraud-team --concurrency 32',
    ],
    run: (ctx, v, args) => {
      const concurrencyText = str(v, 'concurrency') ?? '16';
      const concurrency = Number(concurrencyText);
      if (!/^\d{1,3}$/.test(concurrencyText) || concurrency < 1 || concurrency > 256) {
        throw new UsageError(`--concurrency must be a whole number from 1 to 256, not '${concurrencyText}'`);
      }
      const fromText = str(v, 'from');
      let from: number | undefined;
      if (fromText !== undefined) {
        const ms = /^\d{4}-\d{2}-\d{2}T/.test(fromText) ? Date.parse(fromText) : Number.NaN;
        if (!Number.isFinite(ms))
          throw new UsageError(`--from must be an ISO time such as 2025-01-31T09:00:00Z`);
        from = Math.floor(ms / 1000);
        if (from > ctx.nowSeconds() + 60) throw new UsageError('--from cannot be in the future');
      }
      return importBlocklist(ctx, {
        file: arg(args, 0),
        dryRun: v['dry-run'] === true,
        country: ctx.country(str(v, 'country')),
        by: ctx.by(str(v, 'by')),
        defaultSeconds: durationOf(str(v, 'duration') ?? DEFAULT_BLOCK_DURATION, '--duration'),
        concurrency,
        from,
      });
    },
  },
  {
    group: 'blocklist',
    name: 'export',
    args: [],
    summary: 'write live blocks as CSV that import accepts',
    details: `Writes every live block to stdout as CSV: number, reason, duration, until, by. 'duration' is the
time left (exact, or rounded up to the minute for blocks over 11 days), so importing the file
re-creates each block at least as long; 'until' is for people and ignored by import. Valid phone
numbers are written in E.164, other callers as their key.`,
    options: {},
    examples: ['flowguard blocklist export > blocks.csv', 'flowguard blocklist import blocks.csv'],
    run: (ctx) => exportBlocks(ctx),
  },
  {
    group: 'rules',
    name: 'add',
    args: ['<type>', '<value>'],
    summary: 'add or replace a rule',
    details: `Adds a rule, or replaces the rule with the same type and value. Types and values:
  caller     a number or key (as for blocklist add)   ALLOW, BLOCK
  prefix     '+' and 1 to 15 digits (+1900)             ALLOW, BLOCK
  country    two-letter code (KP)                       ALLOW (an allowlist), BLOCK
  line_type  premium_rate, voip, toll_free, ...         BLOCK
  signal     pai_mismatch, oli_prison, ..., oli:<code>  BLOCK
             (a spoofing signal; an unknown name gets the list of all)
With --monitor the rule is monitor-only: screen-caller reports what it would have decided
(monitoredDecision, monitoredRule; metrics WouldBlock, WouldAllow) but answers as if it
were not there. Add the rule again without --monitor to enforce it.
Functions pick up rule changes within FLOWGUARD_RULES_TTL seconds (default 60).`,
    options: {
      action: { type: 'string', arg: 'ALLOW|BLOCK', describe: 'what the rule does (default BLOCK)' },
      monitor: { type: 'boolean', describe: 'monitor-only: report what it would decide, never enforce it' },
      note: { type: 'string', arg: 'text', describe: 'why, for people' },
      expires: { type: 'string', arg: 'time', describe: 'expire after <n><s|m|h|d> (default never)' },
      by: BY_OPTION,
      country: COUNTRY_OPTION,
    },
    examples: [
      "flowguard rules add prefix +1900 --note 'premium rate'",
      'flowguard rules add country KP',
      'flowguard rules add signal from_mismatch',
      'flowguard rules add caller +14155550123 --action ALLOW --expires 7d',
      'flowguard rules add line_type voip --monitor',
    ],
    run: (ctx, v, args) =>
      addRule(ctx, {
        type: arg(args, 0),
        value: arg(args, 1),
        action: str(v, 'action'),
        monitor: v.monitor === true,
        note: str(v, 'note'),
        expires: str(v, 'expires'),
        by: str(v, 'by'),
        country: str(v, 'country'),
      }),
  },
  {
    group: 'rules',
    name: 'remove',
    args: ['<type>', '<value>'],
    summary: 'remove a rule',
    details:
      'Removes the rule with this type and value (normalised as rules add does). No such rule: says so and exits 0.',
    options: { country: COUNTRY_OPTION },
    examples: ['flowguard rules remove prefix +1900'],
    run: (ctx, v, args) => removeRule(ctx, arg(args, 0), arg(args, 1), str(v, 'country')),
  },
  {
    group: 'rules',
    name: 'list',
    args: [],
    summary: 'list rules',
    details:
      'Lists every rule, expired ones marked (they stay in the table until TTL removes them); MODE is enforce or monitor.',
    options: {},
    examples: ['flowguard rules list --json'],
    run: (ctx) => listRules(ctx),
  },
  {
    group: 'surge',
    name: 'on',
    args: [],
    summary: 'start a manual surge: voice callers are challenged',
    details: `Starts a manual surge until now + --for (1m to 7d) on every shard of the aggregate item
(FLOWGUARD_AGGREGATE_SHARDS, default 1, and any shard item found beyond it). Each screen-caller
instance applies it at its next flush of the aggregates (seconds; FLOWGUARD_AGGREGATE_FLUSH_MS): a voice
caller without a recent verified contact is answered CHALLENGE (rule surge:manual), a repeat
caller BLOCK (surge_repeat), as in an automatic surge (docs/screening.md, "Surge mode").
Running it again sets a new end, shorter or longer (the command says what it replaced). With
FLOWGUARD_SURGE_MONITOR=true in screen-caller the surge is only reported (WouldChallenge), and
with FLOWGUARD_AGGREGATES=off it has no effect at all.`,
    options: {
      for: { type: 'string', arg: 'time', describe: 'how long: <n><s|m|h|d>, 1m to 7d (required)' },
      by: BY_OPTION,
    },
    requiredUsage: '--for <time>',
    examples: ['flowguard surge on --for 30m', "flowguard surge on --for 2h --by 'fraud on-call'"],
    run: (ctx, v) => surgeOn(ctx, { for: str(v, 'for'), by: str(v, 'by') }),
  },
  {
    group: 'surge',
    name: 'off',
    args: [],
    summary: 'end every surge, manual and automatic, or one scope',
    details: `Ends the manual surge and every automatic scope in surge, on every shard item, and prints
what it ended; with --scope only that one (a name as 'flowguard surge status' shows it: manual,
all, withheld, dialled:+18005550100, prefix:17, country:NG, ...). An automatic scope starts again
at the next flush while its rate is still at its threshold (FLOWGUARD_SURGE_THRESHOLDS): look at
'flowguard surge status' first. Nothing on: says so and exits 0.`,
    options: {
      scope: { type: 'string', arg: 'name', describe: 'end only this scope (manual, all, prefix:17, ...)' },
    },
    examples: ['flowguard surge off', 'flowguard surge off --scope prefix:17'],
    run: (ctx, v) => surgeOff(ctx, { scope: str(v, 'scope') }),
  },
  {
    group: 'surge',
    name: 'status',
    args: [],
    summary: 'show surges and the current rates against the thresholds',
    details: `Shows the surge state of every shard item, merged: the manual surge (until, by, time left),
each automatic scope in surge (since, last seen above its lower threshold, live or lapsed past
FLOWGUARD_SURGE_HOLD), and the calls each threshold counts now, every shard added together,
against its on level and its off level (FLOWGUARD_SURGE_OFF_PERCENT). The thresholds, hold and
off percent are read from this shell's environment: set them as screen-caller has them.
One fact a line, each starting with what it is about (surge:, manual:, scope, rate, warning:).`,
    options: {},
    examples: ['flowguard surge status', 'flowguard surge status --json'],
    run: (ctx) => surgeStatus(ctx),
  },
];

const STRING = (arg: string, describe: string): OptionSpec => ({ type: 'string', arg, describe });
const list = (values: Values, name: string): string[] => {
  const value = values[name];
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? [value]
      : [];
};

const MORE_COMMANDS: readonly Command[] = [
  {
    group: 'flows',
    name: 'lint',
    args: ['<flow.json...>'],
    summary: 'check flows: structure, secure input, contracts',
    details: `Checks each flow's structure (dangling transitions, duplicate ids, branches a block type does
not have, time limits outside 1..8 s; warnings for unreachable actions, unknown block types and
branches that go nowhere), its handling of secure input (encrypted input collected while logging
may be on, $.StoredCustomerInput sent anywhere but secure-input, attributes holding stored input
never overwritten) and its contracts with the functions ($.External.x read after a function that
never returns x). Takes many files, and patterns such as 'flows/*.json'; reads the flow language,
DescribeContactFlow output and {Name, Type, Content} files. Exit 1 on any error, or on more
warnings than --max-warnings.`,
    options: { 'max-warnings': STRING('n', 'exit 1 when there are more warnings than this') },
    examples: [
      'flowguard flows lint flows/secure-payment.json',
      "flowguard flows lint 'flows/*.json' --max-warnings 0",
    ],
    run: (ctx, v, args) => lintFlows(ctx, args, { maxWarnings: v['max-warnings'] as string | undefined }),
  },
  {
    group: 'flows',
    name: 'render',
    args: ['<flow.json>'],
    summary: 'fill the placeholders of a flow',
    details:
      'Fills ${Name} placeholders from --values (a JSON object) and --set Name=value; refuses to leave any unfilled.',
    options: {
      values: STRING('file', 'a JSON file of placeholder names to values'),
      set: { type: 'string', arg: 'Name=value', describe: 'one placeholder (repeatable)', multiple: true },
      out: STRING('file', 'write the flow here instead of stdout'),
    },
    examples: [
      'flowguard flows render flows/caller-screening.json --values stack-outputs.json --out rendered.json',
      'flowguard flows render flows/agent-flag-caller.json --set FlagCallerFunctionArn=arn:aws:lambda:...',
    ],
    run: (ctx, v, args) =>
      renderFlowFile(ctx, arg(args, 0), {
        set: list(v, 'set'),
        values: str(v, 'values'),
        out: str(v, 'out'),
      }),
  },
  {
    group: 'flows',
    name: 'graph',
    args: ['<flow.json>'],
    summary: 'draw a flow as a Mermaid diagram',
    details: 'Writes a Mermaid flowchart of the flow: actions, branches and the functions they call.',
    options: { out: STRING('file', 'write the diagram here instead of stdout') },
    examples: ['flowguard flows graph flows/caller-screening.json > screening.mmd'],
    run: (ctx, v, args) => graphFlow(ctx, arg(args, 0), { out: str(v, 'out') }),
  },
  {
    group: 'flows',
    name: 'simulate',
    args: ['<flow.json>'],
    summary: 'run one scripted call through a flow, offline',
    details: `Runs the flow in flow-sim against local DynamoDB with flowguard's functions in this process;
stored input is encrypted exactly as Connect does. Other functions answer what --lambda or --stubs
says (without one, the block takes its Error branch: "no stand-in"). Blocks whose outcome the
outside world decides (hours, staffing, metrics, Lex, views, random distribution) take --outcome's
branch or their documented default (docs/flows.md). Transfer to flow and Invoke module follow into
--flows-dir; without it the run ends there. A module named \${<Name>ModuleArn} (as the stack names
it) gets a local ARN and runs from <name>.json in --flows-dir or beside the flow. The keys typed
are never printed.`,
    options: {
      caller: STRING('number', 'the caller (default +14155550123)'),
      keys: {
        type: 'string',
        arg: 'digits',
        describe: 'keys for the next input block, e.g. 4111111111111111# (repeatable)',
        multiple: true,
      },
      channel: STRING('channel', 'VOICE (default), CHAT, ...'),
      outcome: {
        type: 'string',
        arg: 'id-or-type=branch',
        describe:
          'the branch a block takes (hours, metrics, Lex, ...): next, a condition or an error (repeatable)',
        multiple: true,
      },
      lambda: {
        type: 'string',
        arg: 'arn-or-name=json',
        describe: 'a function\'s answer, e.g. lookup=\'{"found":"true"}\' (repeatable)',
        multiple: true,
      },
      stubs: STRING('file', 'a JSON object of function names or ARNs to their answers'),
      'flows-dir': STRING('dir', 'follow Transfer to flow and Invoke module into the flows here'),
      values: STRING('file', 'a JSON file of placeholder names to values'),
      set: { type: 'string', arg: 'Name=value', describe: 'one placeholder (repeatable)', multiple: true },
    },
    examples: [
      'flowguard flows simulate flows/secure-payment.json --caller +14155550123 --keys 4111111111111111#',
      'flowguard flows simulate exported.json --outcome CheckHoursOfOperation=False --lambda lookup=\'{"tier":"gold"}\'',
      'flowguard flows simulate main.json --flows-dir exported/ --outcome lex-menu=Billing',
    ],
    run: (ctx, v, args) =>
      simulateFlow(ctx, arg(args, 0), {
        caller: str(v, 'caller'),
        keys: list(v, 'keys'),
        channel: str(v, 'channel'),
        outcome: list(v, 'outcome'),
        lambda: list(v, 'lambda'),
        stubs: str(v, 'stubs'),
        flowsDir: str(v, 'flows-dir'),
        values: str(v, 'values'),
        set: list(v, 'set'),
      }),
  },
  {
    group: 'keys',
    name: 'create',
    args: [],
    summary: 'make an RSA-4096 key pair and certificate for encrypted input',
    details:
      'Writes <key-id>.public.pem (upload to Connect), <key-id>.cert.pem (the flows) and <key-id>.secret.json (the keys secret; mode 600).',
    options: {
      'key-id': STRING('id', 'a name for the key (required)'),
      days: STRING('n', 'certificate lifetime in days (default 365)'),
      out: STRING('dir', 'where to write the files (default .)'),
      name: STRING('text', 'the certificate subject'),
    },
    examples: ['flowguard keys create --key-id payments-2027 --days 365 --out keys/'],
    run: (ctx, v) =>
      createKeys(ctx, {
        keyId: str(v, 'key-id'),
        days: str(v, 'days'),
        out: str(v, 'out'),
        name: str(v, 'name'),
      }),
  },
  {
    group: 'keys',
    name: 'check',
    args: ['<file>'],
    summary: 'warn before a certificate expires (a PEM file or a flow)',
    details:
      'Reads a certificate, or every certificate in a flow; exit 1 when one expires within --days or has.',
    options: { days: STRING('n', 'warn this many days ahead (default 30)') },
    examples: ['flowguard keys check rendered/secure-payment.json --days 45'],
    run: (ctx, v, args) => checkKeys(ctx, [arg(args, 0)], { days: str(v, 'days') }),
  },
  {
    group: 'audit',
    name: '',
    args: [],
    summary:
      "check the instance's security profiles, integrations and detective controls against AWS's guidance",
    details: `Reads the instance once (read-only: packages/audit/iam-policy.json lists every action), then runs
each rule over what it read (docs/audit.md). Security profiles against the whole permission
catalogue (legacy names included): user and profile administration, unredacted and redacted
recordings and transcripts, download and delete, live monitoring, flow changes. The integration
surface: approved origins, Lambda functions and Lex bots no published flow uses (or used but not
associated), security keys and the certificates in the flows, identity management, storage
encryption, flow logs. Detective controls: CloudTrail management events and data events on the
recordings, EventBridge rules with targets for the watched Connect changes.
A check that could not run (access denied, throttled, not available) is a not_checked finding
naming the IAM action; it counts for --fail-on. Exit 1 when a finding is at least as severe as
--fail-on.`,
    options: {
      'instance-id': STRING('id', 'the Connect instance id or ARN (required)'),
      region: STRING('region', 'AWS region (default AWS_REGION)'),
      format: STRING('table|json|markdown|sarif', 'output format (default table)'),
      'fail-on': STRING('low|medium|high', 'exit 1 on a finding this severe, not_checked included'),
      threshold: STRING('n', 'users able to administer users or profiles before it is high (default 3)'),
      'rotation-days': STRING('n', 'days two security keys may both be active (default 7)'),
      'expiry-days': STRING('n', 'warn this many days before a flow certificate expires (default 30)'),
      'not-checked': STRING('high|medium|low|info', 'severity of a check that could not run (default high)'),
      'docs-url': STRING('url', 'where docs/audit.md is published, for SARIF help links'),
    },
    examples: [
      'flowguard audit --instance-id 9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa --fail-on high',
      'flowguard audit --instance-id 9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa --format sarif > audit.sarif',
    ],
    run: (ctx, v) =>
      runAudit(ctx, {
        instanceId: str(v, 'instance-id'),
        region: str(v, 'region'),
        format: str(v, 'format'),
        failOn: str(v, 'fail-on'),
        threshold: str(v, 'threshold'),
        rotationDays: str(v, 'rotation-days'),
        expiryDays: str(v, 'expiry-days'),
        notChecked: str(v, 'not-checked'),
        docsUrl: str(v, 'docs-url'),
      }),
  },
];

const LOCAL_COMMAND: Command = {
  group: 'local',
  name: '',
  args: [],
  summary: 'run local DynamoDB, Secrets Manager, KMS, Kinesis, S3 and Connect until interrupted',
  details: `Starts local DynamoDB (dynalite, with the table FLOWGUARD_TABLE_NAME, default flowguard), Secrets
Manager, KMS, Kinesis, S3 and Connect's start APIs (StartChatContact, StartWebRTCContact,
StartTaskContact: contacts are recorded, not run), each on 127.0.0.1 only, writes 'export NAME=value' lines for them to --out
(mode 600) and prints them: source the file in another shell and the AWS SDK, the functions and
this CLI talk to the local servers. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are local
credentials that open nothing real. FLOWGUARD_CONNECT_INSTANCE_ID and FLOWGUARD_EDGE_FLOWS
(web-chat) name the local Connect's instance and flow, for start-contact.

--seed-keys also makes a Connect key pair the way 'keys create' does, puts its private key in the
keys secret flowguard/connect-keys (and nowhere else: not on stdout, not in a file), a random
fingerprint key in flowguard/fingerprint, a random edge signing key in flowguard/edge-signing
and a KMS key for tokens, adds the variables the functions read (FLOWGUARD_CONNECT_KEYS_SECRET_ID,
FLOWGUARD_FINGERPRINT_SECRET_ID, FLOWGUARD_TOKEN_KMS_KEY_ID, FLOWGUARD_EDGE_SIGNING_SECRET_ID), and writes the certificate and public key to --keys-dir.

Runs until Ctrl-C (SIGINT) or SIGTERM, then stops every server, removes the env file and key files
it wrote (the servers and keys they describe are gone; a file changed since is kept) and exits 0.
An env file that this command did not write, or that a running one still uses, is never replaced.
Exit 1 when a port is in use or a file cannot be written, with nothing left running.`,
  options: {
    // Not --env-file: Node reads that flag anywhere on its command line (nodejs/node#54232).
    out: STRING('file', `where the export lines go (default ./${DEFAULT_ENV_FILE})`),
    'seed-keys': { type: 'boolean', describe: 'seed a Connect key pair, a fingerprint key and a token key' },
    'keys-dir': STRING(
      'dir',
      `for --seed-keys: the certificate's directory (default ${DEFAULT_KEYS_DIR}/ next to the env file)`,
    ),
    port: STRING(
      'n',
      'DynamoDB on port n, Secrets Manager on n+1, KMS on n+2, Kinesis on n+3, S3 on n+4, Connect on n+5 (default: free ports)',
    ),
  },
  examples: [
    'flowguard local',
    'flowguard local --seed-keys --port 8000 --out /tmp/flowguard.env',
    'source .flowguard-local.env && flowguard blocklist list',
  ],
  run: (ctx, v) =>
    runLocal(ctx, {
      envFile: str(v, 'out'),
      seedKeys: v['seed-keys'] === true,
      keysDir: str(v, 'keys-dir'),
      port: str(v, 'port'),
    }),
};

const ALL_COMMANDS: readonly Command[] = [...COMMANDS, ...MORE_COMMANDS, LOCAL_COMMAND];
const GROUPS = ['blocklist', 'rules', 'surge', 'flows', 'keys', 'audit', 'local'] as const;

function usageLine(command: Command): string {
  const required = command.requiredUsage
    ? ` ${command.requiredUsage}`
    : Object.keys(command.options).includes('reason') && command.name === 'add'
      ? ' --reason <text>'
      : '';
  return `usage: flowguard ${command.group}${command.name ? ` ${command.name}` : ''}${command.args.map((a) => ` ${a}`).join('')}${required} [options]`;
}

function allOptions(command: Command): Record<string, OptionSpec> {
  return { ...command.options, json: JSON_OPTION, help: HELP_OPTION };
}

function commandHelp(command: Command): string {
  const options = Object.entries(allOptions(command)).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` <${spec.arg}>` : ''}`;
    return `  ${flag.padEnd(26)} ${spec.describe}`;
  });
  return [
    usageLine(command),
    '',
    command.details,
    '',
    'options:',
    ...options,
    '',
    'examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const commands = ALL_COMMANDS.filter((c) => c.group === group);
  return [
    `usage: flowguard ${group} <command> [options]`,
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`),
    '',
    `Run 'flowguard ${group} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

export function mainHelp(): string {
  return [
    'usage: flowguard <blocklist|rules|surge|flows|keys> <command> [options] | flowguard <audit|local> [options]',
    '',
    "flowguard's admin tool: the screening table's blocks, rules and surge mode, flows, keys, the security",
    'audit, and local AWS for development.',
    '',
    'commands:',
    ...ALL_COMMANDS.map((c) => `  ${`${c.group} ${c.name}`.padEnd(18)} ${c.summary}`),
    '',
    'Every command takes --help, and --json for machine-readable output.',
    '',
    'environment:',
    '  FLOWGUARD_TABLE_NAME       the table (default flowguard)',
    `  ${DEFAULT_COUNTRY_VARIABLE.padEnd(26)} country for national-format numbers (default US)`,
    '  AWS_REGION, AWS_PROFILE, ...  AWS credentials and region (the SDK default chain)',
    '  AWS_ENDPOINT_URL_DYNAMODB  a local DynamoDB endpoint',
    '  FLOWGUARD_AGGREGATE_SHARDS, FLOWGUARD_SURGE_THRESHOLDS, ...  for surge: as screen-caller has them',
    '',
    'exit codes: 0 done (local: stopped by Ctrl-C or SIGTERM), 1 failed (store unavailable, import rejected,',
    '            a port in use), 2 bad command line',
    '',
  ].join('\n');
}

const isHelp = (word: string | undefined) => word === '--help' || word === '-h' || word === 'help';

/** Node's parseArgs messages, made one line. */
function parseArgsMessage(error: Error): string {
  const first = error.message.split(/\n|\. /)[0] ?? error.message;
  return first.charAt(0).toLowerCase() + first.slice(1).replace(/\.$/, '');
}

function isParseArgsError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('ERR_PARSE_ARGS')
  );
}

async function dispatch(argv: readonly string[], io: Io, context: { ctx: Context | null }): Promise<number> {
  const [group, name] = argv;
  if (group === undefined) throw new UsageError('a command is required', mainHelp());
  if (isHelp(group)) {
    if (argv.length === 1) {
      io.stdout(mainHelp());
      return EXIT.ok;
    }
    // `flowguard help blocklist add`
    return dispatch([...argv.slice(1), '--help'], io, context);
  }
  if (group === '--version') {
    io.stdout('flowguard 0.1.0\n');
    return EXIT.ok;
  }
  if (!(GROUPS as readonly string[]).includes(group)) {
    throw new UsageError(`unknown command '${group.slice(0, 40)}'`, mainHelp());
  }
  // `flowguard audit [options]` and `flowguard local [options]` are commands of their own, with no sub-command.
  const single = ALL_COMMANDS.some((c) => c.group === group && c.name === '');
  if (!single && name === undefined)
    throw new UsageError(`'flowguard ${group}' needs a command`, groupHelp(group));
  if (!single && isHelp(name)) {
    io.stdout(groupHelp(group));
    return EXIT.ok;
  }
  const command = ALL_COMMANDS.find((c) => c.group === group && c.name === (single ? '' : name));
  if (!command)
    throw new UsageError(`unknown command '${group} ${(name ?? '').slice(0, 40)}'`, groupHelp(group));
  const rest = argv.slice(single ? 1 : 2);
  const usage = `${usageLine(command)}\nRun 'flowguard ${group}${single ? '' : ` ${name}`} --help' for details.\n`;
  let values: Values;
  let positionals: string[];
  try {
    const options = Object.fromEntries(
      Object.entries(allOptions(command)).map(([option, spec]) => [
        option,
        {
          type: spec.type,
          ...(spec.short ? { short: spec.short } : {}),
          ...(spec.multiple ? { multiple: true } : {}),
        },
      ]),
    );
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    if (isParseArgsError(error)) throw new UsageError(parseArgsMessage(error), usage);
    throw error;
  }
  if (values.help === true) {
    io.stdout(commandHelp(command));
    return EXIT.ok;
  }
  if (positionals.length < command.args.length) {
    const missing = command.args.slice(positionals.length).join(' ');
    throw new UsageError(`missing ${missing}`, usage);
  }
  // A last argument written `<name...>` takes any number of values.
  const variadic = command.args.at(-1)?.endsWith('...>') === true;
  if (positionals.length > command.args.length && !variadic) {
    const extra = positionals.slice(command.args.length).join(' ').slice(0, 60);
    const hint = command.args.includes('<number|key>')
      ? " (quote a number that contains spaces: '415 555 0123')"
      : '';
    throw new UsageError(`unexpected argument '${extra}'${hint}`, usage);
  }
  const ctx = new Context(io, values.json === true);
  context.ctx = ctx;
  return command.run(ctx, values, positionals);
}

/**
 * Runs one command line (`argv` without node and the script) and returns the exit code. Errors
 * end as one line on stderr, never a stack trace: 2 for a bad command line, 1 for a failure.
 */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const context: { ctx: Context | null } = { ctx: null };
  try {
    return await dispatch(argv, io, context);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`flowguard: ${error.message}\n`);
      if (error.usage) io.stderr(error.usage.endsWith('\n') ? error.usage : `${error.usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof CommandError) {
      io.stderr(`flowguard: ${error.message}\n`);
      return EXIT.failed;
    }
    if (isStoreUnavailable(error)) {
      const table = (() => {
        try {
          return context.ctx?.table() ?? '';
        } catch {
          return '';
        }
      })();
      io.stderr(`flowguard: ${describeStoreError(error, table)}\n`);
      return EXIT.failed;
    }
    io.stderr(`flowguard: ${describeUnexpected(error, argv)}\n`);
    return EXIT.failed;
  } finally {
    context.ctx?.close();
  }
}
