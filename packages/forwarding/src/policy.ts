// The policy document (schema/policy.schema.json): its TypeScript shape, its validation (the
// standalone validator generated from the schema, then the rules a schema cannot say) and its
// messages, which name JSON paths and never quote a value from the document.
import { PolicyError, type PolicyIssue } from './errors.js';
import { validate as validateSchema } from './generated/policy-validator.js';

export interface FirehoseDestination {
  readonly type: 'firehose';
  /** Delivery stream name or ARN. */
  readonly deliveryStream: string;
}

export interface KinesisDestination {
  readonly type: 'kinesis';
  /** Data stream name or ARN. */
  readonly stream: string;
}

export interface EventBridgeDestination {
  readonly type: 'eventbridge';
  /** Event bus name or ARN. */
  readonly eventBus: string;
  readonly source: string;
  readonly detailType: string;
}

export interface S3Destination {
  readonly type: 's3';
  readonly bucket: string;
  readonly prefix?: string;
  readonly kmsKeyId?: string;
}

export type Destination = FirehoseDestination | KinesisDestination | EventBridgeDestination | S3Destination;
export type DestinationType = Destination['type'];

/** Every condition given must hold; inside one, any listed value will do. */
export interface PolicyMatch {
  /** Queue ARNs or names. */
  readonly queues?: readonly string[];
  /** Routing profile ARNs or names. */
  readonly routingProfiles?: readonly string[];
  readonly channels?: readonly string[];
  /** Agent hierarchy group ARNs or names, at any level. */
  readonly hierarchyGroups?: readonly string[];
  /** Attribute name → the values it may have. */
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
}

/** Where forward-recordings copies the recordings of matching contacts. */
export interface RecordingsTarget {
  readonly bucket: string;
  readonly prefix?: string;
  readonly kmsKeyId: string;
  /** Only these kinds (`AUDIO`, `VIDEO`, `CHAT`); all when absent. */
  readonly mediaStreamTypes?: readonly string[];
}

export interface Policy {
  readonly name: string;
  readonly description?: string;
  readonly match: PolicyMatch;
  /** Contact-record fields that go out, as dotted paths. */
  readonly fields?: readonly string[];
  /** Attributes that go out as they are. */
  readonly attributes?: readonly string[];
  /** Attributes that go out as a keyed fingerprint. */
  readonly hash?: readonly string[];
  /** Attributes that go out masked. */
  readonly mask?: readonly string[];
  readonly destination?: Destination;
  readonly recordings?: RecordingsTarget;
}

export interface PolicyDocument {
  readonly version: 1;
  readonly policies: readonly Policy[];
}

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

type Validator = ((data: unknown) => boolean) & { errors?: readonly AjvError[] | null };

const MAX_ISSUES = 20;

/** A property name from the document, safe to print: short, printable. */
function quoteName(name: unknown): string {
  const text = String(name).slice(0, 64);
  return `'${text.replace(/[^\x20-\x7e]/g, '?')}'`;
}

function messageOf(error: AjvError): string | undefined {
  const { keyword, params } = error;
  switch (keyword) {
    // `if` only says that a `then` failed; the `then` errors say what.
    case 'if':
      return undefined;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'additionalProperties':
      return `has no property ${quoteName(params.additionalProperty)}`;
    case 'required':
      return `needs the property ${quoteName(params.missingProperty)}`;
    case 'minProperties':
      return params.limit === 1 ? 'must not be empty' : (error.message ?? keyword);
    case 'propertyNames':
      return `property name ${quoteName(params.propertyName)} is not allowed`;
    default:
      // ajv's own messages quote the schema (limits, patterns, types), never the data.
      return error.message ?? keyword;
  }
}

function schemaIssues(errors: readonly AjvError[]): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const message = messageOf(error);
    if (message === undefined) continue;
    const key = `${error.instancePath}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path: error.instancePath, message });
  }
  return issues;
}

/** What the schema cannot say: unique names, each attribute in one form, somewhere to send. */
function ruleIssues(document: PolicyDocument): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const names = new Map<string, number>();
  document.policies.forEach((policy, i) => {
    const at = `/policies/${i}`;
    const first = names.get(policy.name);
    if (first !== undefined)
      issues.push({ path: `${at}/name`, message: `also the name of /policies/${first}` });
    else names.set(policy.name, i);
    if (!policy.destination && !policy.recordings) {
      issues.push({ path: at, message: "needs a 'destination', 'recordings' or both" });
    }
    policy.fields?.forEach((field, j) => {
      if (field === 'Attributes' || field.startsWith('Attributes.')) {
        issues.push({
          path: `${at}/fields/${j}`,
          message: "attributes go out only through 'attributes', 'hash' and 'mask'",
        });
      }
    });
    const forms = new Map<string, string>();
    for (const form of ['attributes', 'hash', 'mask'] as const) {
      policy[form]?.forEach((name, j) => {
        const other = forms.get(name);
        if (other) {
          issues.push({
            path: `${at}/${form}/${j}`,
            message: `also in '${other}': an attribute goes out in one form`,
          });
        } else forms.set(name, form);
      });
    }
  });
  return issues;
}

/**
 * Firehose streams named by an ARN of an account other than `account` (the function's own). Firehose's
 * PutRecordBatch takes a stream name and nothing else: the call reaches a stream of that name in
 * the caller's own account, so another account's stream cannot be written without assuming a role
 * there, which the function does not do. Kinesis streams and event buses of other accounts are
 * fine: their calls take the ARN, and the owner's resource policy decides.
 */
export function firehoseAccountIssues(document: PolicyDocument, account: string): PolicyIssue[] {
  return document.policies.flatMap((policy, i) => {
    const destination = policy.destination;
    if (destination?.type !== 'firehose' || !destination.deliveryStream.startsWith('arn:')) return [];
    if (destination.deliveryStream.split(':')[4] === account) return [];
    return [
      {
        path: `/policies/${i}/destination/deliveryStream`,
        message:
          "names a stream of another account than this function's: Firehose takes a stream name, which reaches the caller's own account only; name a stream in this function's account",
      },
    ];
  });
}

/**
 * Validates a policy document (parsed JSON) and returns it typed. Throws `PolicyError` listing
 * every problem by JSON path (`/policies/0/destination/type: must be one of firehose, kinesis,
 * eventbridge, s3`); `source` names where the document came from.
 */
export function validatePolicyDocument(value: unknown, source = 'policy'): PolicyDocument {
  const validate = validateSchema as unknown as Validator;
  if (!validate(value))
    throw new PolicyError(source, schemaIssues(validate.errors ?? []).slice(0, MAX_ISSUES));
  const document = value as PolicyDocument;
  const issues = ruleIssues(document);
  if (issues.length > 0) throw new PolicyError(source, issues.slice(0, MAX_ISSUES));
  return document;
}

/** Parses and validates a policy document held as JSON text. */
export function parsePolicyDocument(text: string, source = 'policy'): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may hold a value.
    throw new PolicyError(source, [{ path: '', message: 'is not JSON' }]);
  }
  return validatePolicyDocument(value, source);
}
