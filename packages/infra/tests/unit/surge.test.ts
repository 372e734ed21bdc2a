import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { flowguardApp, surgeFromContext } from '../../src/app.js';
import { Flowguard, type FlowguardProps } from '../../src/flowguard.js';
import {
  ALL,
  ENV,
  FLOWS_DIR,
  inlineCode,
  prop,
  resourcesOf,
  statementsOf,
  synthStack,
  type TemplateJson,
} from './helpers.js';

type Variables = Record<string, unknown>;

const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555';

/** The construct alone (the stack has no `environment` prop), with screen-caller only. */
function construct(options: Pick<FlowguardProps, 'surge' | 'environment'>): TemplateJson {
  const app = new App();
  const stack = new Stack(app, 'ContactCentre', { env: ENV });
  new Flowguard(stack, 'Flowguard', {
    instanceArn: INSTANCE,
    code: inlineCode,
    functions: ['screen-caller'],
    ...options,
  });
  return Template.fromStack(stack).toJSON() as TemplateJson;
}

function variablesOf(json: TemplateJson, name: string): Variables {
  const fn = resourcesOf(json, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties?.FunctionName === `flowguard-${name}`,
  );
  if (!fn) throw new Error(`no function ${name}`);
  return prop<{ Variables: Variables }>(fn[1], 'Environment').Variables;
}

describe("screen-caller's surge settings", () => {
  it('reach screen-caller, and only screen-caller', () => {
    const { json } = synthStack({
      surge: { thresholds: 'all:60/10s,withheld:20/1m,prefix:30/1m', monitor: true, aggregateShards: 4 },
    });
    expect(variablesOf(json, 'screen-caller')).toMatchObject({
      FLOWGUARD_SURGE_THRESHOLDS: 'all:60/10s,withheld:20/1m,prefix:30/1m',
      FLOWGUARD_SURGE_MONITOR: 'true',
      FLOWGUARD_AGGREGATE_SHARDS: '4',
    });
    for (const name of ALL.filter((n) => n !== 'screen-caller'))
      expect(
        Object.keys(variablesOf(json, name)).filter((v) => /SURGE|AGGREGATE/.test(v)),
        name,
      ).toEqual([]);
  });

  it('come from the app context: -c surgeThresholds, -c surgeMonitor, -c aggregateShards', () => {
    const app = new App({
      context: { surgeThresholds: 'all:100/1m', surgeMonitor: 'false', aggregateShards: '2' },
    });
    const stack = flowguardApp(app, { functions: ALL, code: inlineCode, flowsDir: FLOWS_DIR });
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    expect(variablesOf(json, 'screen-caller')).toMatchObject({
      FLOWGUARD_SURGE_THRESHOLDS: 'all:100/1m',
      FLOWGUARD_SURGE_MONITOR: 'false',
      FLOWGUARD_AGGREGATE_SHARDS: '2',
    });
    expect(surgeFromContext(new App())).toBeUndefined();
    expect(() => surgeFromContext(new App({ context: { surgeMonitor: 'yes' } }))).toThrow(
      '-c surgeMonitor takes true or false',
    );
    expect(() => surgeFromContext(new App({ context: { aggregateShards: 'four' } }))).toThrow(
      '-c aggregateShards takes a whole number from 1 to 16',
    );
  });

  it.each([
    [
      { surge: { thresholds: 'everyone:5/1m' } },
      /^screen-caller: FLOWGUARD_SURGE_THRESHOLDS: unknown dimension "everyone"/,
    ],
    [{ surge: { thresholds: 'prefix:30/10s' } }, /^screen-caller: FLOWGUARD_SURGE_THRESHOLDS: prefix: /],
    [{ surge: { aggregateShards: 17 } }, /^screen-caller: FLOWGUARD_AGGREGATE_SHARDS: /],
  ])('fail the synth on a bad value, naming it: %j', (options, message) => {
    expect(() => synthStack(options)).toThrow(message);
  });

  it('are checked with the aggregate variables of the environment prop, each given once', () => {
    expect(() => construct({ environment: { 'screen-caller': { FLOWGUARD_SURGE_HOLD: '5s' } } })).toThrow(
      /^screen-caller: FLOWGUARD_SURGE_HOLD: must be from 10s to 1d/,
    );
    expect(() =>
      construct({
        surge: { thresholds: 'all:60/10s' },
        environment: { 'screen-caller': { FLOWGUARD_SURGE_THRESHOLDS: 'all:90/10s' } },
      }),
    ).toThrow(
      /^screen-caller: FLOWGUARD_SURGE_THRESHOLDS is given twice, as a surge prop and in environment/,
    );
    const json = construct({
      surge: { thresholds: 'withheld:20/1m' },
      environment: { 'screen-caller': { FLOWGUARD_SURGE_HOLD: '5m', FLOWGUARD_LIMITS: '3/10m' } },
    });
    expect(variablesOf(json, 'screen-caller')).toMatchObject({
      FLOWGUARD_SURGE_THRESHOLDS: 'withheld:20/1m',
      FLOWGUARD_SURGE_HOLD: '5m',
      FLOWGUARD_LIMITS: '3/10m',
    });
  });

  it('fail a synth from the app context the same way', () => {
    const app = new App({ context: { surgeThresholds: 'all:sixty/10s' } });
    expect(() => flowguardApp(app, { functions: ALL, code: inlineCode, flowsDir: FLOWS_DIR })).toThrow(
      /^screen-caller: FLOWGUARD_SURGE_THRESHOLDS: "all:sixty\/10s": expected /,
    );
  });

  it('need no grant beyond the table operations screen-caller has: the aggregate items are items of the table', () => {
    const { json } = synthStack({ surge: { thresholds: 'all:60/10s' } });
    const table = statementsOf(json, 'screen-caller').filter((s) =>
      (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('dynamodb:')),
    );
    expect(table).toHaveLength(1);
    // A flush and a surge's start or end: UpdateItem; a flush with nothing to write: GetItem.
    expect(table[0]?.Action).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:GetItem']));
    // On the table itself, not some of its keys: `pk=aggregate#<shard>` is covered.
    expect(JSON.stringify(table[0]?.Resource)).not.toContain('LeadingKeys');
    expect(table[0]?.Condition).toBeUndefined();
  });
});
