import { App, aws_lambda as lambda, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { shippedFlows } from '../../src/flows.js';
import { FUNCTION_NAMES, type FunctionName } from '../../src/functions.js';
import { flowguardChecks } from '../../src/nag.js';
import { FlowguardStack, type FlowguardStackProps } from '../../src/stack.js';

export const ENV = { account: '123456789012', region: 'us-east-1' };
export const ALL: readonly FunctionName[] = FUNCTION_NAMES;
export const FLOWS_DIR = new URL('../../../../flows/', import.meta.url);
export const flows = shippedFlows(FLOWS_DIR);
export const inlineCode = () => lambda.Code.fromInline('export const handler = async () => ({});');

/** The contact-record stream's inputs the tests deploy the stream functions with. */
export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/connect-contact-records';
export const RECORDINGS_BUCKET_ARN = 'arn:aws:s3:::connect-recordings-123456789012';
export const RECORDINGS_KEY = 'arn:aws:kms:us-east-1:210987654321:key/11111111-2222-3333-4444-555555555555';

/** docs/data-minimisation.md's first and third examples: Firehose with a hashed id, one queue's recordings. */
export const POLICY = JSON.stringify({
  version: 1,
  policies: [
    {
      name: 'cards-analytics',
      match: { queues: ['Cards Chat'] },
      fields: ['Channel', 'Queue.Name'],
      hash: ['customerId'],
      destination: { type: 'firehose', deliveryStream: 'cards-analytics' },
    },
    {
      name: 'complaints-recordings',
      match: { queues: ['Complaints'] },
      fields: ['Channel'],
      recordings: { bucket: 'complaints-archive', prefix: 'connect/', kmsKeyId: RECORDINGS_KEY },
    },
  ],
});

export type Resource = { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown };
export type TemplateJson = {
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Record<string, unknown>>;
  Rules?: Record<string, unknown>;
};

/** The app's stack synthesized with the cdk-nag checks on (a finding not acknowledged throws). */
export function synthStack(options: Partial<Omit<FlowguardStackProps, 'env' | 'code'>> = {}): {
  template: Template;
  json: TemplateJson;
  stack: Stack;
} {
  const app = new App();
  flowguardChecks(app);
  const stack = new FlowguardStack(app, 'Flowguard', {
    env: ENV,
    functions: ALL,
    code: inlineCode,
    flows,
    ...options,
  });
  app.synth();
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() as TemplateJson, stack };
}

/** A resource's property, which must be there. */
export function prop<T>(resource: Resource | undefined, name: string): T {
  const value = resource?.Properties?.[name];
  if (value === undefined) throw new Error(`no property ${name}`);
  return value as T;
}

export function resourcesOf(json: TemplateJson, type: string): [string, Resource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

export type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

export const actionsOf = (statements: readonly Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

/** The statements of every policy attached to a role, the role found by its description. */
export function roleStatements(json: TemplateJson, description: string): Statement[] {
  const role = resourcesOf(json, 'AWS::IAM::Role').find(([, r]) => r.Properties?.Description === description);
  if (!role) throw new Error(`no role described "${description}"`);
  const [roleId, roleResource] = role;
  const managed = JSON.stringify(roleResource.Properties?.ManagedPolicyArns ?? []);
  const attached = Object.entries(json.Resources).filter(
    ([id, r]) =>
      (r.Type === 'AWS::IAM::ManagedPolicy' && managed.includes(`"${id}"`)) ||
      (r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`)),
  );
  return attached.flatMap(([, r]) => prop<{ Statement: Statement[] }>(r, 'PolicyDocument').Statement);
}

/** The statements of a function's role. */
export const statementsOf = (json: TemplateJson, name: FunctionName) =>
  roleStatements(json, `flowguard ${name}: least privilege`);

/** The logical id of the one resource of `type` whose id contains `fragment`. */
export function idOf(json: TemplateJson, type: string, fragment: string): string {
  const matches = resourcesOf(json, type).filter(([id]) => id.includes(fragment));
  if (matches.length !== 1) throw new Error(`${matches.length} ${type} match ${fragment}`);
  return (matches[0] as [string, Resource])[0];
}

/**
 * A small CloudFormation evaluator: parameters (defaults unless given), conditions, and the
 * intrinsics the stack uses. A resource's Ref is `<Id>`, an attribute `<Id.Attribute>`.
 */
export class Deployment {
  private readonly conditions = new Map<string, boolean>();

  constructor(
    readonly json: TemplateJson,
    readonly parameters: Readonly<Record<string, string>>,
  ) {}

  parameter(name: string): string {
    if (Object.hasOwn(this.parameters, name)) return this.parameters[name] as string;
    const declared = this.json.Parameters?.[name];
    if (!declared) throw new Error(`no parameter ${name}`);
    if (declared.Default === undefined) throw new Error(`parameter ${name} has no value`);
    return String(declared.Default);
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const expression = this.json.Conditions?.[name];
    if (expression === undefined) throw new Error(`no condition ${name}`);
    const value = this.truth(expression);
    this.conditions.set(name, value);
    return value;
  }

  truth(expression: unknown): boolean {
    const [fn, args] = Object.entries(expression as Record<string, unknown[]>)[0] ?? [];
    switch (fn) {
      case 'Condition':
        return this.condition(args as unknown as string);
      case 'Fn::Equals':
        return this.value(args?.[0]) === this.value(args?.[1]);
      case 'Fn::Not':
        return !this.truth(args?.[0]);
      case 'Fn::And':
        return (args ?? []).every((a) => this.truth(a));
      case 'Fn::Or':
        return (args ?? []).some((a) => this.truth(a));
      default:
        throw new Error(`condition function ${fn}`);
    }
  }

  /** Whether a resource is created with these parameters. */
  exists(logicalId: string): boolean {
    const resource = this.json.Resources[logicalId];
    if (!resource) return false;
    return typeof resource.Condition === 'string' ? this.condition(resource.Condition) : true;
  }

  value(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.value(n));
    if (typeof node !== 'object' || node === null) return node;
    const entries = Object.entries(node as Record<string, unknown>);
    const [key, arg] = entries[0] ?? [];
    if (entries.length !== 1 || !key || !(key === 'Ref' || key.startsWith('Fn::'))) {
      return Object.fromEntries(entries.map(([k, v]) => [k, this.value(v)]));
    }
    const args = arg as unknown[];
    switch (key) {
      case 'Ref': {
        const name = arg as string;
        if (name === 'AWS::Partition') return 'aws';
        if (name === 'AWS::Region') return 'us-east-1';
        if (name === 'AWS::AccountId') return '123456789012';
        if (this.json.Parameters?.[name]) return this.parameter(name);
        if (!this.exists(name)) throw new Error(`Ref to ${name}, which is not created`);
        return `<${name}>`;
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = args as [string, string];
        if (!this.exists(id)) throw new Error(`GetAtt on ${id}, which is not created`);
        return `<${id}.${attribute}>`;
      }
      case 'Fn::Join': {
        const [delimiter, list] = args as [string, unknown];
        return (this.value(list) as unknown[]).join(delimiter);
      }
      case 'Fn::Split': {
        const [delimiter, source] = args as [string, unknown];
        return String(this.value(source)).split(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = args as [number, unknown];
        return (this.value(list) as unknown[])[Number(index)];
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args as [string, unknown, unknown];
        return this.condition(condition) ? this.value(whenTrue) : this.value(whenFalse);
      }
      default:
        throw new Error(`intrinsic ${key}`);
    }
  }

  /** A resource's property, evaluated. */
  property(logicalId: string, name: string): unknown {
    return this.value(this.json.Resources[logicalId]?.Properties?.[name]);
  }
}
