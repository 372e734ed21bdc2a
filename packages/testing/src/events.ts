import { randomUUID } from 'node:crypto';

/**
 * Builders for Connect contact-flow events, following the field list in connect-facts.md §1.
 * Each call returns a fresh object; override anything through `contactData` / `parameters`.
 */

export interface ConnectEndpoint {
  Address?: string;
  Type?: string;
}

export interface ConnectContactData {
  ContactId: string;
  InitialContactId: string;
  PreviousContactId?: string;
  Channel: string;
  InitiationMethod: string;
  CustomerEndpoint: ConnectEndpoint | null;
  SystemEndpoint: ConnectEndpoint | null;
  Attributes: Record<string, string>;
  Queue: { ARN: string; Name: string } | null;
  InstanceARN: string;
  LanguageCode: string;
  MediaStreams: Record<string, unknown>;
  [field: string]: unknown;
}

export interface ConnectEvent {
  Name: 'ContactFlowEvent';
  Details: {
    ContactData: ConnectContactData;
    Parameters: Record<string, unknown>;
  };
}

export const TEST_INSTANCE_ARN =
  'arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-4000-8000-000000000001';
/** The instance's claimed number callers dial (a fictitious 555 number). */
export const TEST_DIALED_NUMBER = '+18005550100';

export interface EventOptions {
  contactId?: string;
  initialContactId?: string;
  attributes?: Record<string, string>;
  parameters?: Record<string, unknown>;
  /** Merged last into ContactData. */
  contactData?: Partial<ConnectContactData>;
}

function queue(): ConnectEvent['Details']['ContactData']['Queue'] {
  return { ARN: `${TEST_INSTANCE_ARN}/queue/00000000-0000-4000-8000-0000000000a1`, Name: 'BasicQueue' };
}

function build(
  channel: string,
  initiationMethod: string,
  customerEndpoint: ConnectEndpoint | null,
  systemEndpoint: ConnectEndpoint | null,
  options: EventOptions,
): ConnectEvent {
  const contactId = options.contactId ?? randomUUID();
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        ContactId: contactId,
        InitialContactId: options.initialContactId ?? contactId,
        Channel: channel,
        InitiationMethod: initiationMethod,
        CustomerEndpoint: customerEndpoint,
        SystemEndpoint: systemEndpoint,
        Attributes: { ...options.attributes },
        Queue: queue(),
        InstanceARN: TEST_INSTANCE_ARN,
        LanguageCode: 'en-US',
        MediaStreams: { Customer: { Audio: null } },
        ...options.contactData,
      },
      Parameters: { ...options.parameters },
    },
  };
}

/**
 * An inbound call. `caller` is what Connect puts in CustomerEndpoint.Address; `null` gives a
 * null endpoint (as for some withheld callers).
 */
export function voiceEvent(caller: string | null = '+14155550123', options: EventOptions = {}): ConnectEvent {
  return build(
    'VOICE',
    'INBOUND',
    caller === null ? null : { Address: caller, Type: 'TELEPHONE_NUMBER' },
    { Address: TEST_DIALED_NUMBER, Type: 'TELEPHONE_NUMBER' },
    options,
  );
}

/**
 * The event a flow sees after a transfer: a new ContactId, the same InitialContactId, the
 * previous contact in PreviousContactId.
 */
export function transferEvent(from: ConnectEvent, options: EventOptions = {}): ConnectEvent {
  const previous = from.Details.ContactData;
  const event = build(previous.Channel, 'TRANSFER', previous.CustomerEndpoint, previous.SystemEndpoint, {
    ...options,
    initialContactId: previous.InitialContactId,
    attributes: { ...previous.Attributes, ...options.attributes },
  });
  event.Details.ContactData.PreviousContactId = previous.ContactId;
  return event;
}

/** A queued callback: Connect calls the customer back. */
export function callbackEvent(customer = '+14155550123', options: EventOptions = {}): ConnectEvent {
  return build(
    'VOICE',
    'CALLBACK',
    { Address: customer, Type: 'TELEPHONE_NUMBER' },
    { Address: TEST_DIALED_NUMBER, Type: 'TELEPHONE_NUMBER' },
    options,
  );
}

/** A web chat started through StartChatContact; the backend may pass the customer's IP as an attribute. */
export function chatEvent(options: EventOptions = {}): ConnectEvent {
  return build('CHAT', 'API', null, null, options);
}

/** A task. */
export function taskEvent(options: EventOptions = {}): ConnectEvent {
  return build('TASK', 'API', null, null, options);
}

/** An inbound e-mail contact. */
export function emailEvent(from = 'customer@example.com', options: EventOptions = {}): ConnectEvent {
  return build(
    'EMAIL',
    'INBOUND',
    { Address: from, Type: 'EMAIL_ADDRESS' },
    { Address: 'support@example.com', Type: 'EMAIL_ADDRESS' },
    options,
  );
}

/** A click-to-dial call: StartOutboundVoiceContact from a website, which puts the IP in an attribute. */
export function clickToDialEvent(customer = '+14155550123', options: EventOptions = {}): ConnectEvent {
  return build(
    'VOICE',
    'API',
    { Address: customer, Type: 'TELEPHONE_NUMBER' },
    { Address: TEST_DIALED_NUMBER, Type: 'TELEPHONE_NUMBER' },
    options,
  );
}
