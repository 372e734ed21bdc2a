// The request body: JSON checked by the validator compiled at build time from
// schemas/start-contact.json, then against the operator's allow-lists (flows, attribute keys).
import type { ContactKind, EdgeConfig } from './config.js';
import { validate } from './generated/start-contact-validator.js';

export interface StartContactBody {
  readonly kind: ContactKind;
  readonly flow: string;
  readonly displayName?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly initialMessage?: { readonly contentType: 'text/plain'; readonly content: string };
  readonly name?: string;
  readonly description?: string;
}

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
}

type Validator = ((data: unknown) => boolean) & { errors?: readonly AjvError[] | null };

/** Property names the schema defines: the only words a field path may contain besides allow-listed keys. */
const SCHEMA_NAMES: ReadonlySet<string> = new Set([
  'kind',
  'flow',
  'displayName',
  'attributes',
  'initialMessage',
  'contentType',
  'content',
  'name',
  'description',
]);

export type BodyCheck =
  | { readonly ok: true; readonly body: StartContactBody; readonly flowId: string }
  /** `field`: a JSON pointer (RFC 6901) made only of schema names and allow-listed keys, `''` for the body. */
  | { readonly ok: false; readonly field: string };

/**
 * The pointer of an error, cut at the first segment that is not a name start-contact knows: a
 * pointer never carries a client's own property name or value back to it.
 */
function pointer(error: AjvError, allowed: ReadonlySet<string>): string {
  const segments = error.instancePath.split('/').slice(1);
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string')
    segments.push(error.params.missingProperty);
  const kept: string[] = [];
  for (const segment of segments) {
    if (!SCHEMA_NAMES.has(segment) && !allowed.has(segment)) break;
    kept.push(segment);
  }
  return kept.map((s) => `/${s}`).join('');
}

/** Checks a parsed body. Never throws; never returns anything the client wrote besides known names. */
export function checkBody(data: unknown, config: Pick<EdgeConfig, 'flows' | 'attributes'>): BodyCheck {
  const validator = validate as Validator;
  if (!validator(data)) {
    const error = validator.errors?.[0];
    return { ok: false, field: error ? pointer(error, config.attributes) : '' };
  }
  const body = data as StartContactBody;
  const flowId = config.flows.get(body.flow);
  if (flowId === undefined) return { ok: false, field: '/flow' };
  for (const key of Object.keys(body.attributes ?? {}))
    if (!config.attributes.has(key)) return { ok: false, field: '/attributes' };
  return { ok: true, body, flowId };
}
