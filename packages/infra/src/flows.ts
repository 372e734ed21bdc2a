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
