// What one policy lets out of one contact record: its name, the dedupe key, the allow-listed fields
// and attributes (hashed or masked where asked); nothing else is copied.
import { type FingerprintKeys, versionedFingerprint } from '@flowguard/secure-input';
import type { AttributeRule, CompiledPolicies, CompiledPolicy, FieldTree } from './compile.js';
import type { ContactRecord } from './contact-record.js';
import { ForwardingError } from './errors.js';

/**
 * The record a destination receives. Field names are `[A-Za-z][A-Za-z0-9]*` (the schema's paths),
 * so plain objects are safe for them; the attribute map, whose names may be `__proto__`, has no
 * prototype.
 */
export interface MinimisedRecord {
  readonly policy: string;
  readonly ContactId: string;
  readonly LastUpdateTimestamp: string | null;
  /** `<policy>/<ContactId>/<LastUpdateTimestamp>`: the same for every delivery of one version. */
  readonly dedupeKey: string;
  readonly [field: string]: unknown;
}

const MASK_KEEP = 4;
/** Shorter values are masked whole: four characters of six would be most of the value. */
const MASK_MIN_TO_KEEP = 8;

/** `************1234`; values under eight characters become all `*`. Counts code points. */
export function maskValue(value: string): string {
  const chars = Array.from(value);
  const keep = chars.length >= MASK_MIN_TO_KEEP ? MASK_KEEP : 0;
  return '*'.repeat(chars.length - keep) + chars.slice(chars.length - keep).join('');
}

/** The purpose an attribute's fingerprint is made for: one attribute's are never another's. */
export function attributePurpose(name: string): string {
  return `attribute:${name}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parts of `value` the tree names; `undefined` when none is there. */
function project(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((item) => (isObject(item) ? project(item, tree) : null));
  if (value === null) return null;
  if (!isObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of tree) {
    if (!Object.hasOwn(value, key)) continue;
    const field = value[key];
    const picked = sub === true ? field : project(field, sub);
    if (picked !== undefined) out[key] = picked;
  }
  return out;
}

function attributesOut(
  record: ContactRecord,
  rules: readonly AttributeRule[],
  keys: FingerprintKeys | undefined,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const attributes = record.Attributes;
  if (!attributes) return out;
  for (const { name, form } of rules) {
    if (!Object.hasOwn(attributes, name)) continue;
    const value = attributes[name] as string;
    if (form === 'clear') out[name] = value;
    else if (form === 'mask') out[name] = maskValue(value);
    else {
      if (!keys)
        throw new ForwardingError('key_unavailable', 'a policy hashes attributes: no fingerprint key');
      out[name] = versionedFingerprint(keys.current, attributePurpose(name), Buffer.from(value, 'utf8'));
    }
  }
  return out;
}

/** One record as `policy` lets it out. `keys` is needed when the policy hashes. */
export function minimiseRecord(
  record: ContactRecord,
  policy: CompiledPolicy,
  keys?: FingerprintKeys,
): MinimisedRecord {
  const lastUpdate = typeof record.LastUpdateTimestamp === 'string' ? record.LastUpdateTimestamp : null;
  const out: Record<string, unknown> = {
    policy: policy.name,
    ContactId: record.ContactId,
    LastUpdateTimestamp: lastUpdate,
    dedupeKey: `${policy.name}/${record.ContactId}/${lastUpdate ?? ''}`,
  };
  const fields = project(record, policy.fields) as Record<string, unknown>;
  for (const key of Object.keys(fields)) out[key] = fields[key];
  if (policy.attributes.length > 0) out.Attributes = attributesOut(record, policy.attributes, keys);
  return out as MinimisedRecord;
}

/** One record's minimised form for one policy, serialised. */
export interface MinimisedEntry {
  /** Its record's position in the batch. */
  readonly index: number;
  readonly contactId: string;
  readonly lastUpdate: string | null;
  readonly json: string;
}

export interface PolicyBatch {
  readonly policy: CompiledPolicy;
  readonly entries: MinimisedEntry[];
  /** Records this policy did not match. */
  filtered: number;
  /** Matched records left out because `skip` said so (already delivered). */
  skipped: number;
}

export interface MinimiseOptions {
  readonly keys?: FingerprintKeys;
  /** Which policies to run (default: those with a destination). */
  readonly only?: (policy: CompiledPolicy) => boolean;
  /** Leave out a matched record (it was delivered before: see the delivery ledger). */
  readonly skip?: (policy: CompiledPolicy, index: number) => boolean;
}

/**
 * Every record through every policy with a destination: per policy, the serialised minimised
 * records in batch order. `undefined` records (those that did not parse) are passed over. Pure:
 * the benchmark measures this against JSON-parsing the same batch.
 */
export function minimiseBatch(
  records: readonly (ContactRecord | undefined)[],
  policies: CompiledPolicies,
  options: MinimiseOptions = {},
): PolicyBatch[] {
  const only = options.only ?? ((policy: CompiledPolicy) => policy.destination !== undefined);
  const batches: PolicyBatch[] = policies.policies
    .filter(only)
    .map((policy) => ({ policy, entries: [], filtered: 0, skipped: 0 }));
  records.forEach((record, index) => {
    if (!record) return;
    for (const batch of batches) {
      if (!batch.policy.matches(record)) {
        batch.filtered += 1;
        continue;
      }
      if (options.skip?.(batch.policy, index)) {
        batch.skipped += 1;
        continue;
      }
      const out = minimiseRecord(record, batch.policy, options.keys);
      batch.entries.push({
        index,
        contactId: record.ContactId,
        lastUpdate: out.LastUpdateTimestamp,
        json: JSON.stringify(out),
      });
    }
  });
  return batches;
}
