import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import {
  ConnectClient,
  DescribeSecurityProfileCommand,
  ListSecurityProfilePermissionsCommand,
  ListSecurityProfilesCommand,
  SearchUsersCommand,
} from '@aws-sdk/client-connect';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { testKeyFile } from '@flowguard/testing/test-keys';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, NOW_MS } from './support/cli.js';

const FLOWS = join(import.meta.dirname, '../../../../flows');
const flow = (name: string) => join(FLOWS, `${name}.json`);
const REAL = join(import.meta.dirname, '../../../../test/fixtures/real-flows');
const TEST_CERT = testKeyFile(1, 'cert');

describe('flowguard flows', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowguard-cli-flows-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lints every shipped flow clean', async () => {
    for (const name of ['caller-screening', 'secure-payment', 'validate-account', 'agent-flag-caller']) {
      const result = await cli(['flows', 'lint', flow(name)]);
      expect(result).toMatchObject({ code: 0, out: `${flow(name)}: ok\n` });
    }
  });

  it('lints, graphs and renders a flow as DescribeContactFlow hands it out (Content a JSON string)', async () => {
    const shipped = await readFile(flow('caller-screening'), 'utf8');
    const described = join(dir, 'described.json');
    await writeFile(
      described,
      JSON.stringify({
        ContactFlow: {
          Id: 'f1',
          Name: 'Caller screening',
          Type: 'CONTACT_FLOW',
          State: 'ACTIVE',
          Content: shipped,
        },
      }),
    );
    const legacy = join(dir, 'legacy.json');
    await writeFile(legacy, JSON.stringify({ modules: [], version: '1', type: 'contactFlow', start: 'x' }));

    expect(await cli(['flows', 'lint', described])).toMatchObject({ code: 0, out: `${described}: ok\n` });
    expect((await cli(['flows', 'graph', described])).out).toContain('flowchart TD');
    expect(await cli(['flows', 'lint', legacy])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/legacy flow format \(modules\)/),
    });
  });

  it('names the action and rule of each finding and exits 1', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(
      broken,
      JSON.stringify({
        Version: '2019-10-30',
        StartAction: 'a',
        Actions: [
          {
            Identifier: 'a',
            Type: 'MessageParticipant',
            Parameters: { Text: 'hi' },
            Transitions: { NextAction: 'ghost' },
          },
        ],
      }),
    );

    const result = await cli(['flows', 'lint', broken]);

    expect(result.code).toBe(1);
    expect(result.out).toContain('error dangling-transition at a: transition to ghost, which does not exist');
    // A prompt without an error branch is what the designer exports routinely: no finding.
    expect(result.out).not.toContain('missing-error-branch');
    expect(result.out).toContain(`${broken}: 1 error, 0 warnings, 0 info`);
  });

  it('lints many files and patterns with a summary, and fails on warnings only past --max-warnings', async () => {
    const unknown = join(dir, 'with-unknown-block.json');
    await writeFile(
      unknown,
      JSON.stringify({
        Version: '2019-10-30',
        StartAction: 'a',
        Actions: [
          {
            Identifier: 'a',
            Type: 'RouteContactToAgent',
            Parameters: {},
            Transitions: { NextAction: 'b' },
          },
          { Identifier: 'b', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
        ],
      }),
    );

    const many = await cli(['flows', 'lint', join(FLOWS, '*.json'), unknown]);
    const strict = await cli(['flows', 'lint', unknown, '--max-warnings', '0']);
    const json = await cli(['flows', 'lint', join(FLOWS, 'caller-*.json'), unknown, '--json']);
    const none = await cli(['flows', 'lint', join(dir, 'nothing-*.json')]);

    expect(many.code).toBe(0);
    expect(many.out).toContain(
      `${unknown}: warning unknown-type at a: unknown action type RouteContactToAgent`,
    );
    expect(many.out).toContain(`${unknown}: 0 errors, 1 warning, 0 info`);
    expect(many.out).toContain(`${join(FLOWS, 'secure-payment.json')}: ok`);
    expect(many.out.trim().split('\n').at(-1)).toBe('7 flows: 0 errors, 1 warning, 0 info');
    expect(strict.code).toBe(1);
    expect(JSON.parse(json.out).map((f: { file: string }) => f.file)).toEqual([
      flow('caller-screening'),
      unknown,
    ]);
    expect(none).toMatchObject({ code: 1, err: expect.stringMatching(/no file matches/) });
  });

  it("warns when a flow keeps validate-input's date of birth in an attribute, not its masked account number", async () => {
    const keeping = (file: string, attributes: Record<string, string>, arn = '${ValidateInputFunctionArn}') =>
      writeFile(
        join(dir, file),
        JSON.stringify({
          Version: '2019-10-30',
          StartAction: 'check',
          Actions: [
            {
              Identifier: 'check',
              Type: 'InvokeLambdaFunction',
              Parameters: {
                LambdaFunctionARN: arn,
                InvocationTimeLimitSeconds: '3',
                LambdaInvocationAttributes: { schema: 'dob', dateOfBirth: '$.Attributes.dob' },
                ResponseValidation: { ResponseType: 'STRING_MAP' },
              },
              Transitions: {
                NextAction: 'keep',
                Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }],
              },
            },
            {
              Identifier: 'keep',
              Type: 'UpdateContactAttributes',
              Parameters: { Attributes: attributes, TargetContact: 'Current' },
              Transitions: {
                NextAction: 'end',
                Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }],
              },
            },
            { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
          ],
        }),
      );
    await keeping('keeps-dob.json', { dob: '$.External.dateOfBirth' });
    await keeping(
      'keeps-dob-rendered.json',
      { dob: '$.External.dateOfBirth' },
      'arn:aws:lambda:us-east-1:111122223333:function:flowguard-validate-input:live',
    );
    await keeping('keeps-mask.json', { accountMasked: '$.External.accountNumber', dobVerified: 'true' });

    const dob = await cli(['flows', 'lint', join(dir, 'keeps-dob.json'), '--max-warnings', '0']);
    const rendered = await cli(['flows', 'lint', join(dir, 'keeps-dob-rendered.json'), '--json']);
    const mask = await cli(['flows', 'lint', join(dir, 'keeps-mask.json'), '--max-warnings', '0']);

    expect(dob.code).toBe(1);
    expect(dob.out).toContain(
      `${join(dir, 'keeps-dob.json')}: warning sensitive-external-kept at keep: attribute dob keeps $.External.dateOfBirth, which \${ValidateInputFunctionArn} marks sensitive`,
    );
    expect(JSON.parse(rendered.out)[0].findings.map((f: { rule: string }) => f.rule)).toContain(
      'sensitive-external-kept',
    );
    expect(mask).toMatchObject({ code: 0, out: `${join(dir, 'keeps-mask.json')}: ok\n` });
  });

  it('finds no sensitive answer kept in the published flows of others (they call no flowguard function)', async () => {
    const result = await cli(['flows', 'lint', join(REAL, '*.json'), '--json']);
    const files: { file: string; findings: { rule: string }[] }[] = JSON.parse(result.out);

    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(files.flatMap((f) => f.findings).filter((f) => f.rule === 'sensitive-external-kept')).toEqual([]);
  });

  it('refuses a file that is not a flow, with a clear message', async () => {
    const notFlow = join(dir, 'not.json');
    await writeFile(notFlow, '{"hello": 1}');

    expect(await cli(['flows', 'lint', notFlow])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/Version must be/),
    });
    expect(await cli(['flows', 'lint', join(dir, 'missing.json')])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/cannot read/),
    });
  });

  it('renders a flow from a values file and --set, and refuses to leave a placeholder', async () => {
    const values = join(dir, 'values.json');
    await writeFile(values, JSON.stringify({ QueueArn: 'arn:queue' }));
    const out = join(dir, 'rendered.json');

    const done = await cli([
      'flows',
      'render',
      flow('caller-screening'),
      '--values',
      values,
      '--set',
      'ScreenCallerFunctionArn=arn:fn',
      '--set',
      'ChallengeModuleArn=arn:module',
      '--out',
      out,
    ]);
    const missing = await cli(['flows', 'render', flow('caller-screening'), '--values', values]);
    const rendered = await readFile(out, 'utf8');

    expect(done.code).toBe(0);
    expect(rendered).toContain('"arn:fn"');
    expect(rendered).not.toContain('${');
    expect(missing).toMatchObject({
      code: 1,
      err: expect.stringContaining('no value for ${ChallengeModuleArn}, ${ScreenCallerFunctionArn}'),
    });
  });

  it('draws a Mermaid graph', async () => {
    const result = await cli(['flows', 'graph', flow('agent-flag-caller')]);

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^flowchart TD\n/);
  });

  it('names the placeholders a flow leaves unfilled, and how to give them', async () => {
    const result = await cli([
      'flows',
      'simulate',
      join(REAL, 'aws-samples--amazon-connect-gitlab-cicd-terraform--acme-main.json'),
    ]);

    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `flowguard: ${join(REAL, 'aws-samples--amazon-connect-gitlab-cicd-terraform--acme-main.json')}: no value for \${ACCT_ID}, \${INSTANCE_ID}, \${REGION}: give each with --set ACCT_ID=<value> or in a --values file\n`,
    );
    expect(result.err).not.toContain('nothing more is known');
  }, 60_000);

  it('simulates an exported flow with scripted outcomes and function answers, following its transfers', async () => {
    const hop = join(REAL, 'aws-samples--amazon-connect-experience-builder--experience-builder-hop.json');
    const flows = join(dir, 'journey');
    await mkdir(flows, { recursive: true });
    for (const name of ['experience-builder-hop', 'experience-builder-journey'])
      await copyFile(
        join(REAL, `aws-samples--amazon-connect-experience-builder--${name}.json`),
        join(flows, `${name}.json`),
      );
    await writeFile(join(flows, 'not-a-flow.json'), '{"hello": "world"}');
    // A flow with unfilled placeholders that the run never goes to is no obstacle.
    await copyFile(
      join(REAL, 'aws-samples--amazon-connect-gitlab-cicd-terraform--acme-contact-flow-module.json'),
      join(flows, 'templated-module.json'),
    );

    const alone = await cli(['flows', 'simulate', hop]);
    const followed = await cli(['flows', 'simulate', hop, '--flows-dir', flows, '--keys', '0']);

    expect(alone.code).toBe(0);
    expect(alone.out).toMatch(/ending: transfer-to-flow/);
    expect(followed.err).toContain('not-a-flow.json left out');
    expect(followed.out).toMatch(/ › /);
    expect(followed.out).not.toMatch(/ending: (error|step_limit)/);
    expect(followed.code).toBe(0);
  }, 60_000);

  it('takes --outcome and --lambda answers, and says when a function has no stand-in', async () => {
    const file = join(dir, 'hours.json');
    await writeFile(
      file,
      JSON.stringify({
        Version: '2019-10-30',
        StartAction: 'hours',
        Actions: [
          {
            Identifier: 'hours',
            Type: 'CheckHoursOfOperation',
            Parameters: {},
            Transitions: {
              NextAction: 'bye',
              Conditions: [
                { NextAction: 'lookup', Condition: { Operator: 'Equals', Operands: ['True'] } },
                { NextAction: 'closed', Condition: { Operator: 'Equals', Operands: ['False'] } },
              ],
              Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }],
            },
          },
          {
            Identifier: 'lookup',
            Type: 'InvokeLambdaFunction',
            Parameters: {
              LambdaFunctionARN: 'arn:aws:lambda:us-east-1:111122223333:function:tier-lookup',
              InvocationTimeLimitSeconds: '3',
              ResponseValidation: { ResponseType: 'STRING_MAP' },
            },
            Transitions: {
              NextAction: 'tier',
              Errors: [{ NextAction: 'sorry', ErrorType: 'NoMatchingError' }],
            },
          },
          {
            Identifier: 'tier',
            Type: 'MessageParticipant',
            Parameters: { Text: 'You are $.External.tier.' },
            Transitions: { NextAction: 'bye' },
          },
          {
            Identifier: 'sorry',
            Type: 'MessageParticipant',
            Parameters: { Text: 'Sorry.' },
            Transitions: { NextAction: 'bye' },
          },
          {
            Identifier: 'closed',
            Type: 'MessageParticipant',
            Parameters: { Text: 'We are closed.' },
            Transitions: { NextAction: 'bye' },
          },
          { Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
        ],
      }),
    );
    const stubs = join(dir, 'stubs.json');
    await writeFile(stubs, JSON.stringify({ 'tier-lookup': { tier: 'silver' } }));

    const closed = await cli(['flows', 'simulate', file, '--outcome', 'CheckHoursOfOperation=False']);
    const open = await cli(['flows', 'simulate', file, '--lambda', 'tier-lookup={"tier":"gold"}']);
    const fromFile = await cli(['flows', 'simulate', file, '--stubs', stubs]);
    const unstubbed = await cli(['flows', 'simulate', file]);
    const wrong = await cli(['flows', 'simulate', file, '--outcome', 'hours=Maybe']);
    const badJson = await cli(['flows', 'simulate', file, '--lambda', 'tier-lookup={tier']);
    const noName = await cli(['flows', 'simulate', file, '--outcome', '=True']);

    expect(closed.out).toContain('caller hears: "We are closed."');
    expect(open.out).toContain('caller hears: "You are gold."');
    expect(fromFile.out).toContain('caller hears: "You are silver."');
    expect(unstubbed.out).toContain('(no stand-in for tier-lookup: script its answer with --lambda)');
    expect(unstubbed.out).toContain('caller hears: "Sorry."');
    expect(wrong).toMatchObject({
      code: 1,
      out: expect.stringContaining('the outcome Maybe is not a branch'),
    });
    expect(badJson).toMatchObject({
      code: 2,
      err: expect.stringContaining('--lambda tier-lookup: the answer is not valid JSON'),
    });
    expect(noName).toMatchObject({
      code: 2,
      err: expect.stringContaining('--outcome takes <action-id-or-type>=<branch>'),
    });
  }, 60_000);

  it('simulates a payment call offline without printing the keys typed', async () => {
    const result = await cli(['flows', 'simulate', flow('secure-payment'), '--keys', '4111111111111111#']);

    expect(result.code).toBe(0);
    expect(result.out).toContain('caller hears: "Thank you. Your card ending in 1111 has been accepted."');
    expect(result.out).toContain('ending: queue');
    expect(result.out).not.toContain('4111111111111111');
  }, 60_000);

  describe('the challenge module caller-screening invokes (${ChallengeModuleArn})', () => {
    const SCREEN_CALLER = 'arn:aws:lambda:us-east-1:000000000000:function:flowguard-screen-caller';
    const CHALLENGE = 'arn:aws:lambda:us-east-1:000000000000:function:flowguard-challenge';
    /** screen-caller's stand-in: the surge asks this caller to prove they are a person. */
    const challenged = `${SCREEN_CALLER}={"decision":"CHALLENGE","reason":"surge"}`;
    type Trace = {
      steps: { flow?: string; action: string; branch: string }[];
      heard: string[];
      invocations: { arn: string }[];
      ending: { kind: string; action: string };
    };

    it('fills it with no --set, from flows/challenge.json beside the flow, and runs the real challenge function there', async () => {
      const result = await cli([
        'flows',
        'simulate',
        flow('caller-screening'),
        '--lambda',
        challenged,
        '--json',
      ]);
      const trace: Trace = JSON.parse(result.out);

      expect(result.err).toBe('');
      expect(trace.steps.find((s) => s.action === 'challenge')).toMatchObject({ branch: 'module' });
      expect(trace.steps.filter((s) => s.flow === 'flowguard challenge').map((s) => s.action)).toEqual([
        'issue',
        'issued',
        'ask',
        'verify',
        'verified',
        'goodbye',
        'hang-up',
      ]);
      expect(trace.heard[0]).toMatch(/^To continue, please press \d \d on your keypad\.$/);
      expect(trace.invocations.map((c) => c.arn)).toEqual([SCREEN_CALLER, CHALLENGE, CHALLENGE]);
      // No keys pressed: the module ends the call.
      expect(trace.ending).toMatchObject({ kind: 'disconnect', action: 'hang-up' });
      expect(result.code).toBe(0);
    }, 60_000);

    it('fills any ${<Name>ModuleArn} by the module file named so (kebab-case), and the modules it invokes', async () => {
      const flows = join(dir, 'modules');
      await mkdir(flows, { recursive: true });
      const say = (id: string, text: string, next: string) => ({
        Identifier: id,
        Type: 'MessageParticipant',
        Parameters: { Text: text },
        Transitions: { NextAction: next },
      });
      const invoke = (id: string, placeholder: string, next: string) => ({
        Identifier: id,
        Type: 'InvokeFlowModule',
        Parameters: { FlowModuleId: `\${${placeholder}}` },
        Transitions: { NextAction: next, Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] },
      });
      const end = { Identifier: 'end', Type: 'EndFlowModuleExecution', Parameters: {}, Transitions: {} };
      const write = (name: string, start: string, actions: unknown[]) =>
        writeFile(
          join(flows, `${name}.json`),
          JSON.stringify({ Version: '2019-10-30', StartAction: start, Actions: actions }),
        );
      await write('host', 'verify', [
        invoke('verify', 'VerifyCallerModuleArn', 'back'),
        say('back', 'Back in the flow.', 'bye'),
        { Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
        { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
      ]);
      await write('verify-caller', 'hello', [
        say('hello', 'In verify-caller.', 'inner'),
        invoke('inner', 'InnerModuleArn', 'end'),
        end,
      ]);
      await write('inner', 'hello', [say('hello', 'In inner.', 'end'), end]);

      const result = await cli(['flows', 'simulate', join(flows, 'host.json')]);

      expect(result.out).toContain(
        'caller hears: "In verify-caller."\n  caller hears: "In inner."\n  caller hears: "Back in the flow."',
      );
      expect(result.out).toContain('ending: disconnect at bye');
      expect(result.code).toBe(0);
    }, 60_000);

    it('finds the module in --flows-dir for a flow kept elsewhere, and returns to the queue when the caller passes', async () => {
      // A copy of the flow away from flows/: the module is found in --flows-dir, not beside it.
      const copy = join(dir, 'screening-copy.json');
      await copyFile(flow('caller-screening'), copy);
      const passing = `${CHALLENGE}={"reason":"issued","digits":"12","digitsSpoken":"1 2","challengeToken":"t","passed":"true"}`;

      const passed = await cli([
        'flows',
        'simulate',
        copy,
        '--flows-dir',
        FLOWS,
        '--lambda',
        challenged,
        '--lambda',
        passing,
        '--keys',
        '12',
      ]);
      const alone = await cli(['flows', 'simulate', copy, '--lambda', challenged]);

      expect(passed.out).toContain(
        'challenge                InvokeFlowModule           → module (into flowguard challenge)',
      );
      expect(passed.out).toContain('flowguard challenge › done');
      expect(passed.out).toContain('caller hears: "To continue, please press 1 2 on your keypad."');
      expect(passed.out).toMatch(/ending: queue .* at to-queue/);
      expect(passed.out).not.toMatch(/flowguard: .*ChallengeModuleArn/);
      expect(passed.code).toBe(0);
      // With no module at hand, the placeholder is named with how to give it, as before.
      expect(alone).toMatchObject({
        code: 1,
        err: `flowguard: ${copy}: no value for \${ChallengeModuleArn}: give it with --set ChallengeModuleArn=<value> or in a --values file\n`,
      });
    }, 60_000);
  });
});

describe('flowguard keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowguard-cli-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a key pair, certificate and secret file (owner-only) and says what to do next', async () => {
    const result = await cli(['keys', 'create', '--key-id', 'test-key', '--days', '30', '--out', dir]);
    const secret = JSON.parse(await readFile(join(dir, 'test-key.secret.json'), 'utf8'));

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/security key \(stack parameter ConnectPublicKeyA or B\)/);
    expect(secret.keys[0].keyId).toBe('test-key');
    expect((await stat(join(dir, 'test-key.secret.json'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'test-key.cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  }, 60_000);

  it('refuses a missing key id and a bad lifetime', async () => {
    expect((await cli(['keys', 'create'])).code).toBe(2);
    expect((await cli(['keys', 'create', '--key-id', 'k', '--days', '0'])).code).toBe(2);
  });

  it('checks a certificate: ok far from expiry, exit 1 within the warning window', async () => {
    const notAfter = Date.parse(new X509Certificate(await readFile(TEST_CERT, 'utf8')).validTo);
    const ok = await cli(['keys', 'check', TEST_CERT, '--days', '30']);
    const warn = await cli(['keys', 'check', TEST_CERT, '--days', '30'], {
      now: () => notAfter - 10 * 86_400_000,
    });
    const expired = await cli(['keys', 'check', TEST_CERT], { now: () => notAfter + 86_400_000 });

    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/ok: \d+ day\(s\) left/);
    expect(warn.code).toBe(1);
    expect(warn.out).toMatch(/EXPIRES SOON: 10 day\(s\) left/);
    expect(expired).toMatchObject({ code: 1, out: expect.stringMatching(/EXPIRED/) });
  });

  it('checks the certificates inside a rendered flow', async () => {
    const pem = await readFile(TEST_CERT, 'utf8');
    const rendered = join(dir, 'flow.json');
    await writeFile(
      rendered,
      JSON.stringify({
        Actions: [
          { Identifier: 'collect', Parameters: { InputEncryption: { EncryptionKeyId: 'k1', Key: pem } } },
        ],
      }),
    );

    const result = await cli(['keys', 'check', rendered], { now: () => NOW_MS });

    expect(result.out).toContain('(collect, key k1)');
  });
});

describe('flowguard audit', () => {
  const INSTANCE = '9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa';
  const args = ['audit', '--instance-id', INSTANCE, '--region', 'us-east-1'];
  const connect = mockClient(ConnectClient);
  const cloudtrail = mockClient(CloudTrailClient);
  const eventbridge = mockClient(EventBridgeClient);
  const denied = () =>
    Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });

  /** An instance with one risky profile and nothing else configured: every list answers, empty. */
  async function smallInstance() {
    const c = await import('@aws-sdk/client-connect');
    connect.reset();
    cloudtrail.reset();
    eventbridge.reset();
    connect.on(c.DescribeInstanceCommand).resolves({
      Instance: {
        Id: INSTANCE,
        Arn: `arn:aws:connect:us-east-1:123456789012:instance/${INSTANCE}`,
        IdentityManagementType: 'SAML',
      },
    });
    connect
      .on(c.DescribeInstanceAttributeCommand)
      .resolves({ Attribute: { AttributeType: 'CONTACTFLOW_LOGS', Value: 'true' } });
    connect
      .on(ListSecurityProfilesCommand)
      .resolves({ SecurityProfileSummaryList: [{ Id: 'p1', Name: 'Supervisor' }] });
    connect
      .on(ListSecurityProfilePermissionsCommand)
      .resolves({ Permissions: ['SecurityProfiles.Edit', 'ListenCallRecordings'] });
    connect.on(DescribeSecurityProfileCommand).resolves({ SecurityProfile: {} });
    connect.on(SearchUsersCommand).resolves({ Users: [{ Username: 'lee', SecurityProfileIds: ['p1'] }] });
    connect.on(c.ListApprovedOriginsCommand).resolves({ Origins: [] });
    connect.on(c.ListLambdaFunctionsCommand).resolves({ LambdaFunctions: [] });
    connect.on(c.ListBotsCommand).resolves({ LexBots: [] });
    connect.on(c.ListSecurityKeysCommand).resolves({ SecurityKeys: [] });
    connect.on(c.ListInstanceStorageConfigsCommand).resolves({ StorageConfigs: [] });
    connect.on(c.ListContactFlowsCommand).resolves({ ContactFlowSummaryList: [] });
    connect.on(c.ListContactFlowModulesCommand).resolves({ ContactFlowModulesSummaryList: [] });
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [] });
    eventbridge.on(ListRulesCommand).resolves({ Rules: [] });
  }

  afterAll(() => {
    connect.restore();
    cloudtrail.restore();
    eventbridge.restore();
  });

  it('prints a table of findings and exits by --fail-on', async () => {
    await smallInstance();

    const table = await cli(args);
    const failing = await cli([...args, '--fail-on', 'high']);
    const markdown = await cli([...args, '--format', 'markdown']);

    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^HIGH {4}profile Supervisor grants ListenCallRecordings, held by 1 user$/m);
    expect(table.out).toMatch(
      /^INFO {4}profile Supervisor grants SecurityProfiles.Edit, held by 1 user; 1 user in all/m,
    );
    expect(table.out).toMatch(
      /no logging CloudTrail trail records Connect's write management events in us-east-1/,
    );
    expect(table.out).not.toContain('not checked');
    expect(failing.code).toBe(1);
    expect(markdown.out).toContain('| severity | rule | finding |');
  });

  it('rates profile editing high above --threshold', async () => {
    await smallInstance();

    const result = await cli([...args, '--threshold', '0', '--format', 'json']);

    const report = JSON.parse(result.out);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ id: 'security-profile-administration', severity: 'high' }),
    );
  });

  it('fails closed: with every API denied it names the permissions the role lacks and --fail-on high exits 1', async () => {
    connect.reset().onAnyCommand().rejects(denied());
    cloudtrail.reset().onAnyCommand().rejects(denied());
    eventbridge.reset().onAnyCommand().rejects(denied());

    const table = await cli([...args, '--fail-on', 'high']);
    const json = JSON.parse((await cli([...args, '--format', 'json'])).out);

    expect(table.code).toBe(1);
    expect(table.out).toMatch(
      /^HIGH {4}not checked: ListSecurityProfiles was denied: the auditing role lacks connect:ListSecurityProfiles$/m,
    );
    expect(table.out).toContain('packages/audit/iam-policy.json');
    expect(json.findings.length).toBeGreaterThan(0);
    expect(json.findings.every((f: { id: string }) => f.id === 'not-checked')).toBe(true);
    expect((await cli([...args, '--fail-on', 'high', '--not-checked', 'low'])).code).toBe(0);
  });

  it('prints SARIF 2.1.0 for code scanning', async () => {
    await smallInstance();

    const result = await cli([
      ...args,
      '--format',
      'sarif',
      '--docs-url',
      'https://example.com/docs/audit.md',
    ]);

    const log = JSON.parse(result.out);
    expect(log.version).toBe('2.1.0');
    const rules = log.runs[0].tool.driver.rules;
    expect(rules.find((r: { id: string }) => r.id === 'unredacted-content').helpUri).toBe(
      'https://example.com/docs/audit.md#unredacted-content',
    );
    expect(log.runs[0].results).toContainEqual(
      expect.objectContaining({ ruleId: 'unredacted-content', level: 'error' }),
    );
  });

  it('refuses a bad instance id, format, severity or number before calling AWS', async () => {
    connect.reset();

    for (const bad of [
      ['audit', '--instance-id', 'nope'],
      [...args, '--format', 'pdf'],
      [...args, '--fail-on', 'critical'],
      [...args, '--not-checked', 'ignore'],
      [...args, '--rotation-days', '-1'],
      [...args, '--docs-url', 'docs/audit.md'],
    ]) {
      expect((await cli(bad)).code).toBe(2);
    }
    expect(connect.calls()).toHaveLength(0);
  });

  it('documents the formats and the fail-closed behaviour in its help', async () => {
    const help = await cli(['audit', '--help']);

    expect(help.out).toContain('--format <table|json|markdown|sarif>');
    expect(help.out).toContain('--fail-on <low|medium|high>');
    expect(help.out).toContain('not_checked');
  });
});
