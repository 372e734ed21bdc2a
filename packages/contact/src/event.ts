import { EventParseError } from './errors.js';

/** Connect's channels. New ones appear over time, so any string is accepted. */
export type Channel = 'VOICE' | 'CHAT' | 'TASK' | 'EMAIL' | (string & {});

export interface Endpoint {
  /**
   * E.164 number for voice (sometimes a SIP or tel URI), an e-mail address for email; null when
   * absent, and when {@link addressMalformed}.
   */
  readonly address: string | null;
  /** `TELEPHONE_NUMBER`, `VOIP`, `CONTACT_FLOW`, `CONNECT_PHONENUMBER_ARN`, `EMAIL_ADDRESS`, ... */
  readonly type: string | null;
  /**
   * `true` when the event had an Address that is not a string, or is longer than 4096 characters:
   * the event is still read (`address` null) so that the function can treat the caller as
   * unidentified rather than fail. Absent otherwise, never `false`.
   */
  readonly addressMalformed?: boolean;
}

export interface Queue {
  readonly arn: string | null;
  readonly name: string | null;
}

/** A parsed Connect contact-flow event. Records have no prototype: `__proto__` is just a key. */
export interface Contact {
  readonly contactId: string;
  /** The first contact of a chain of transfers; equals `contactId` for a first contact. */
  readonly initialContactId: string;
  readonly previousContactId: string | null;
  /** `UNKNOWN` when the event names none. */
  readonly channel: Channel;
  readonly initiationMethod: string | null;
  readonly customerEndpoint: Endpoint | null;
  readonly systemEndpoint: Endpoint | null;
  readonly attributes: Readonly<Record<string, string>>;
  /** The block's function input parameters: usually strings, but newer flows send any JSON. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly queue: Queue | null;
  readonly instanceArn: string | null;
  readonly languageCode: string | null;
  readonly customerId: string | null;
  readonly awsRegion: string | null;
}

/** Ids and names are short in Connect; a longer one is not a real event. */
const MAX_ID_LENGTH = 256;
const MAX_FIELD_LENGTH = 4096;

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, path: string): Fields {
  if (value === undefined) throw new EventParseError(path, 'missing');
  if (!isObject(value)) throw new EventParseError(path, 'not_an_object');
  return value;
}

function optionalObjectAt(value: unknown, path: string): Fields | null {
  return value === undefined || value === null ? null : objectAt(value, path);
}

function optionalStringAt(value: unknown, path: string, maxLength = MAX_FIELD_LENGTH): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new EventParseError(path, 'not_a_string');
  if (value.length > maxLength) throw new EventParseError(path, 'too_long');
  return value;
}

function idAt(value: unknown, path: string): string | null {
  const id = optionalStringAt(value, path, MAX_ID_LENGTH);
  return id === '' ? null : id;
}

/**
 * An endpoint. A caller controls what ends up in its Address (a SIP From header, a number typed
 * for click-to-dial), so an unusable Address does not fail the event: it is reported by
 * `addressMalformed` and left to the function.
 */
function endpointAt(value: unknown, path: string): Endpoint | null {
  const fields = optionalObjectAt(value, path);
  if (fields === null) return null;
  const type = optionalStringAt(fields.Type, `${path}.Type`, MAX_ID_LENGTH);
  const address = fields.Address;
  if (address === undefined || address === null) return { address: null, type };
  if (typeof address !== 'string' || address.length > MAX_FIELD_LENGTH) {
    return { address: null, type, addressMalformed: true };
  }
  return { address, type };
}

/** Own enumerable entries copied into a record without a prototype. */
function recordOf<T>(fields: Fields, map: (value: unknown, key: string) => T | undefined): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const key of Object.keys(fields)) {
    const mapped = map(fields[key], key);
    if (mapped !== undefined) out[key] = mapped;
  }
  return out;
}

function describeKey(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}...` : key;
}

function attributesAt(value: unknown, path: string): Record<string, string> {
  const fields = optionalObjectAt(value, path);
  if (fields === null) return Object.create(null) as Record<string, string>;
  return recordOf(fields, (v, key) => {
    if (v === null) return undefined;
    if (typeof v !== 'string') throw new EventParseError(`${path}.${describeKey(key)}`, 'not_a_string');
    return v;
  });
}

function parametersAt(value: unknown, path: string): Record<string, unknown> {
  const fields = optionalObjectAt(value, path);
  if (fields === null) return Object.create(null) as Record<string, unknown>;
  return recordOf(fields, (v) => v);
}

/**
 * Parses a Connect contact-flow event. Unknown fields are ignored; a missing or mistyped field
 * that the toolkit relies on gives an {@link EventParseError} (code `bad_event`) naming the field,
 * except an endpoint's Address, which is marked `addressMalformed` instead.
 */
export function parseContactEvent(event: unknown): Contact {
  const root = objectAt(event, 'event');
  const details = objectAt(root.Details, 'Details');
  const data = objectAt(details.ContactData, 'Details.ContactData');
  const at = (field: string) => `Details.ContactData.${field}`;

  const contactId = idAt(data.ContactId, at('ContactId'));
  if (contactId === null) throw new EventParseError(at('ContactId'), 'missing');
  const queue = optionalObjectAt(data.Queue, at('Queue'));

  return {
    contactId,
    initialContactId: idAt(data.InitialContactId, at('InitialContactId')) ?? contactId,
    previousContactId: idAt(data.PreviousContactId, at('PreviousContactId')),
    channel: optionalStringAt(data.Channel, at('Channel'), MAX_ID_LENGTH) || 'UNKNOWN',
    initiationMethod: optionalStringAt(data.InitiationMethod, at('InitiationMethod'), MAX_ID_LENGTH),
    customerEndpoint: endpointAt(data.CustomerEndpoint, at('CustomerEndpoint')),
    systemEndpoint: endpointAt(data.SystemEndpoint, at('SystemEndpoint')),
    attributes: attributesAt(data.Attributes, at('Attributes')),
    parameters: parametersAt(details.Parameters, 'Details.Parameters'),
    queue:
      queue === null
        ? null
        : {
            arn: optionalStringAt(queue.ARN, at('Queue.ARN')),
            name: optionalStringAt(queue.Name, at('Queue.Name')),
          },
    instanceArn: optionalStringAt(data.InstanceARN, at('InstanceARN')),
    languageCode: optionalStringAt(data.LanguageCode, at('LanguageCode'), MAX_ID_LENGTH),
    customerId: optionalStringAt(data.CustomerId, at('CustomerId')),
    awsRegion: optionalStringAt(data.AwsRegion, at('AwsRegion'), MAX_ID_LENGTH),
  };
}
