// A validated policy document turned into what each record is checked against: set lookups for
// the match, a tree of allow-listed field paths, and one rule per attribute that may go out.
import { type ContactRecord, HIERARCHY_LEVELS } from './contact-record.js';
import type { Destination, Policy, PolicyDocument, PolicyMatch, RecordingsTarget } from './policy.js';

/** An allow-listed path ends here (`true`), or goes on into the named fields. */
export type FieldTree = Map<string, FieldTree | true>;

export type AttributeForm = 'clear' | 'hash' | 'mask';

export interface AttributeRule {
  readonly name: string;
  readonly form: AttributeForm;
}

export interface CompiledPolicy {
  readonly name: string;
  readonly matches: (record: ContactRecord) => boolean;
  readonly fields: FieldTree;
  readonly attributes: readonly AttributeRule[];
  /** Some attribute goes out as a fingerprint: the fingerprint key is needed. */
  readonly hashes: boolean;
  readonly destination: Destination | undefined;
  readonly recordings: RecordingsTarget | undefined;
}

export interface CompiledPolicies {
  readonly document: PolicyDocument;
  readonly policies: readonly CompiledPolicy[];
  readonly needsFingerprintKey: boolean;
}

/** ARNs and names kept apart, so a name is never compared with an ARN. */
class ArnOrName {
  private readonly arns: ReadonlySet<string>;
  private readonly names: ReadonlySet<string>;

  constructor(values: readonly string[]) {
    this.arns = new Set(values.filter((v) => v.startsWith('arn:')));
    this.names = new Set(values.filter((v) => !v.startsWith('arn:')));
  }

  has(item: { readonly ARN?: string | null } | null | undefined, name: string | null | undefined): boolean {
    return (
      (typeof item?.ARN === 'string' && this.arns.has(item.ARN)) ||
      (typeof name === 'string' && this.names.has(name))
    );
  }
}

type Test = (record: ContactRecord) => boolean;

function queueTest(values: readonly string[]): Test {
  const set = new ArnOrName(values);
  return (record) => set.has(record.Queue, record.Queue?.Name);
}

function routingProfileTest(values: readonly string[]): Test {
  const set = new ArnOrName(values);
  return (record) => set.has(record.Agent?.RoutingProfile, record.Agent?.RoutingProfile?.Name);
}

function hierarchyTest(values: readonly string[]): Test {
  const set = new ArnOrName(values);
  return (record) => {
    const groups = record.Agent?.HierarchyGroups;
    if (!groups) return false;
    return HIERARCHY_LEVELS.some((level) => set.has(groups[level], groups[level]?.GroupName));
  };
}

function channelTest(values: readonly string[]): Test {
  const set = new Set(values);
  return (record) => typeof record.Channel === 'string' && set.has(record.Channel);
}

function attributeTest(conditions: Readonly<Record<string, readonly string[]>>): Test {
  const pairs = Object.entries(conditions).map(([name, values]) => [name, new Set(values)] as const);
  return (record) => {
    const attributes = record.Attributes;
    if (!attributes) return false;
    return pairs.every(
      ([name, values]) => Object.hasOwn(attributes, name) && values.has(attributes[name] as string),
    );
  };
}

/** All given conditions must hold; the schema guarantees at least one. */
export function matcher(match: PolicyMatch): (record: ContactRecord) => boolean {
  const tests: Test[] = [];
  if (match.queues) tests.push(queueTest(match.queues));
  if (match.routingProfiles) tests.push(routingProfileTest(match.routingProfiles));
  if (match.channels) tests.push(channelTest(match.channels));
  if (match.hierarchyGroups) tests.push(hierarchyTest(match.hierarchyGroups));
  if (match.attributes) tests.push(attributeTest(match.attributes));
  return (record) => tests.every((test) => test(record));
}

/** `['Queue.Name', 'Queue.ARN', 'Agent']` → Queue → {Name, ARN}, Agent (whole). A whole field wins. */
export function fieldTree(paths: readonly string[]): FieldTree {
  const root: FieldTree = new Map();
  for (const path of paths) {
    const keys = path.split('.');
    let node = root;
    keys.forEach((key, i) => {
      const existing = node.get(key);
      if (existing === true) return;
      if (i === keys.length - 1) {
        node.set(key, true);
        return;
      }
      const next: FieldTree = existing ?? new Map();
      node.set(key, next);
      node = next;
    });
  }
  return root;
}

function attributeRules(policy: Policy): AttributeRule[] {
  return [
    ...(policy.attributes ?? []).map((name) => ({ name, form: 'clear' as const })),
    ...(policy.hash ?? []).map((name) => ({ name, form: 'hash' as const })),
    ...(policy.mask ?? []).map((name) => ({ name, form: 'mask' as const })),
  ];
}

/** Compiles a validated document (see `validatePolicyDocument`). */
export function compilePolicies(document: PolicyDocument): CompiledPolicies {
  const policies = document.policies.map(
    (policy): CompiledPolicy => ({
      name: policy.name,
      matches: matcher(policy.match),
      fields: fieldTree(policy.fields ?? []),
      attributes: attributeRules(policy),
      hashes: (policy.hash?.length ?? 0) > 0,
      destination: policy.destination,
      recordings: policy.recordings,
    }),
  );
  return { document, policies, needsFingerprintKey: policies.some((p) => p.hashes && p.destination) };
}
