import { readFileSync } from 'node:fs';
import { renderFlow } from '@flowguard/flow-sim';
import { Fn, Token } from 'aws-cdk-lib';

export interface FlowSpec {
  readonly name: string;
  /** The flow JSON as shipped in flows/ (with placeholders). */
  readonly document: unknown;
  /**
   * A flow's type, or `MODULE`: a flow module (`AWS::Connect::ContactFlowModule`), which flows
   * run through an Invoke module block (same flow language, ends in EndFlowModuleExecution).
   */
  readonly type: 'CONTACT_FLOW' | 'AGENT_TRANSFER' | 'MODULE';
  /** Deployed only with this part of the stack (`edge`: start-contact, whose identities it trusts). */
  readonly requires?: 'edge';
}

/** The shipped flows (and flow modules) from a flows/ folder. */
export function shippedFlows(flowsDir: URL): FlowSpec[] {
  const load = (file: string) => JSON.parse(readFileSync(new URL(file, flowsDir), 'utf8')) as unknown;
  return [
    { name: 'caller-screening', document: load('caller-screening.json'), type: 'CONTACT_FLOW' },
    { name: 'secure-payment', document: load('secure-payment.json'), type: 'CONTACT_FLOW' },
    { name: 'validate-account', document: load('validate-account.json'), type: 'CONTACT_FLOW' },
    { name: 'agent-flag-caller', document: load('agent-flag-caller.json'), type: 'AGENT_TRANSFER' },
    // Chats start-contact started: screen-caller with trustSignedIdentity needs the signing secret.
    { name: 'web-chat', document: load('web-chat.json'), type: 'CONTACT_FLOW', requires: 'edge' },
    // The IVR challenge, a module a flow invokes where it wants callers to press the digits asked.
    { name: 'challenge', document: load('challenge.json'), type: 'MODULE' },
  ];
}

/**
 * A PEM value made safe to sit inside a JSON string at deploy time: carriage returns dropped,
 * line breaks written as `\n`. A PEM holds nothing else JSON would need escaped (base64, dashes,
 * spaces, letters), which the parameters' patterns enforce. A value known at synth needs nothing:
 * JSON.stringify escapes it.
 */
export function jsonSafePem(pem: string): string {
  if (!Token.isUnresolved(pem)) return pem;
  const withoutCarriageReturns = Fn.join('', Fn.split('\r', pem));
  return Fn.join('\\n', Fn.split('\n', withoutCarriageReturns));
}

/**
 * The flow's content for `AWS::Connect::ContactFlow`: the flow JSON with its placeholders
 * filled. Values may be deploy-time tokens: each becomes its own part of a join, inserted as is
 * between literal JSON text (so a token must not hold a character JSON would escape; see
 * {@link jsonSafePem}).
 */
export function flowContent(document: unknown, values: Readonly<Record<string, string>>): string {
  return JSON.stringify(renderFlow(document, values));
}

/**
 * The Invoke block time limits (seconds) of a flow, by the placeholder of the function invoked:
 * the shortest where a function is invoked more than once.
 */
export function invocationLimits(document: unknown): Map<string, number> {
  const limits = new Map<string, number>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const arn = record.LambdaFunctionARN;
    const seconds = Number(record.InvocationTimeLimitSeconds);
    const placeholder =
      typeof arn === 'string' ? /^\$\{([A-Za-z][A-Za-z0-9_]*)\}$/.exec(arn)?.[1] : undefined;
    if (placeholder && Number.isFinite(seconds) && seconds > 0) {
      limits.set(placeholder, Math.min(seconds, limits.get(placeholder) ?? Number.POSITIVE_INFINITY));
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(document);
  return limits;
}

/**
 * The placeholder a flow names a module of the same stack by: `${<Name>ModuleArn}`
 * (`challenge` → `ChallengeModuleArn`), filled with the module's ARN at deploy.
 */
export function modulePlaceholder(moduleName: string): string {
  const pascal = moduleName.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep, c: string) =>
    c.toUpperCase(),
  );
  return `${pascal}ModuleArn`;
}

type Document = {
  StartAction?: string;
  Metadata?: { ActionMetadata?: Record<string, unknown> };
  Actions?: {
    Identifier: string;
    Type: string;
    Parameters?: Record<string, unknown>;
    Transitions?: unknown;
  }[];
};

/**
 * The flow with its Invoke module blocks that name one of `modules` (placeholders of modules not
 * deployed) taken out, what led to each going where its Error branch goes: the flow behaves as
 * if the module failed. Undefined when such a block has no Error branch.
 */
export function withoutModules(document: unknown, modules: readonly string[]): unknown | undefined {
  const flow = structuredClone(document) as Document;
  const wanted = new Set(modules.map((m) => `\${${m}}`));
  const replaced = new Map<string, string>();
  for (const action of flow.Actions ?? []) {
    if (action.Type !== 'InvokeFlowModule' || !wanted.has(String(action.Parameters?.FlowModuleId))) continue;
    const errors = (action.Transitions as { Errors?: { NextAction: string; ErrorType: string }[] }).Errors;
    const target = errors?.find((e) => e.ErrorType === 'NoMatchingError')?.NextAction;
    if (target === undefined) return undefined;
    replaced.set(action.Identifier, target);
  }
  const resolve = (id: string): string => {
    const seen = new Set<string>();
    let current = id;
    while (replaced.has(current) && !seen.has(current)) {
      seen.add(current);
      current = replaced.get(current) ?? current;
    }
    return current;
  };
  const redirect = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(redirect);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === 'NextAction' && typeof value === 'string' ? resolve(value) : redirect(value),
      ]),
    );
  };
  flow.Actions = (flow.Actions ?? [])
    .filter((action) => !replaced.has(action.Identifier))
    .map((action) => ({ ...action, Transitions: redirect(action.Transitions) }));
  if (flow.StartAction !== undefined) flow.StartAction = resolve(flow.StartAction);
  for (const id of replaced.keys()) delete flow.Metadata?.ActionMetadata?.[id];
  return flow;
}
