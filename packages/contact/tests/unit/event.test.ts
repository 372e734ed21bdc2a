import { describe, expect, it } from 'vitest';
import { EventParseError, FlowguardError, parseContactEvent } from '../../src/index.js';

type Fields = Record<string, unknown>;
interface ConnectEvent {
  Name: string;
  Details: { ContactData: Fields; Parameters: Fields; [extra: string]: unknown };
  [extra: string]: unknown;
}

const CONTACT_ID = '5ca32fbd-8f92-46af-92a5-6b0f970f0efe';
const INITIAL_CONTACT_ID = '0d9b8f3e-6a1f-4c55-9b0e-3f1b7e2c9a41';
const INSTANCE_ARN = 'arn:aws:connect:us-east-1:123456789012:instance/9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa';
const QUEUE_ARN = `${INSTANCE_ARN}/queue/6f4e2a17-3c1d-4b8e-9f20-5a7c1e0d3b92`;

const VOICE_EVENT: ConnectEvent = {
  Name: 'ContactFlowEvent',
  Details: {
    ContactData: {
      ContactId: CONTACT_ID,
      InitialContactId: INITIAL_CONTACT_ID,
      PreviousContactId: INITIAL_CONTACT_ID,
      Channel: 'VOICE',
      InitiationMethod: 'INBOUND',
      CustomerEndpoint: { Address: '+14155550123', Type: 'TELEPHONE_NUMBER' },
      SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
      Attributes: { language: 'en-US', tier: 'gold' },
      Queue: { ARN: QUEUE_ARN, Name: 'BasicQueue', OutboundCallerId: null },
      InstanceARN: INSTANCE_ARN,
      LanguageCode: 'en-US',
      AwsRegion: 'us-east-1',
    },
    Parameters: { policy: 'default', sipIsupOli: '00' },
  },
};

/** A fresh voice event; `undefined` in an override removes the field, as JSON would. */
function voiceEvent(overrides: { contactData?: Fields; parameters?: Fields } = {}): ConnectEvent {
  const event = structuredClone(VOICE_EVENT);
  const apply = (target: Fields, changes: Fields) => {
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) Reflect.deleteProperty(target, key);
      else target[key] = value;
    }
  };
  apply(event.Details.ContactData, overrides.contactData ?? {});
  if (overrides.parameters) event.Details.Parameters = overrides.parameters;
  return event;
}

/** Runs `parse` and returns the EventParseError it throws, failing the test if it does not. */
function parseError(event: unknown): EventParseError {
  try {
    parseContactEvent(event);
  } catch (error) {
    if (error instanceof EventParseError) return error;
    throw error;
  }
  throw new Error('expected an EventParseError');
}

describe('parseContactEvent', () => {
  it('maps a voice event to a Contact', () => {
    const event = voiceEvent();

    const contact = parseContactEvent(event);

    expect(contact).toEqual({
      contactId: CONTACT_ID,
      initialContactId: INITIAL_CONTACT_ID,
      previousContactId: INITIAL_CONTACT_ID,
      channel: 'VOICE',
      initiationMethod: 'INBOUND',
      customerEndpoint: { address: '+14155550123', type: 'TELEPHONE_NUMBER' },
      systemEndpoint: { address: '+18005550100', type: 'TELEPHONE_NUMBER' },
      attributes: { language: 'en-US', tier: 'gold' },
      parameters: { policy: 'default', sipIsupOli: '00' },
      queue: { arn: QUEUE_ARN, name: 'BasicQueue' },
      instanceArn: INSTANCE_ARN,
      languageCode: 'en-US',
      customerId: null,
      awsRegion: 'us-east-1',
    });
  });

  it('accepts null CustomerEndpoint, SystemEndpoint and Queue', () => {
    const event = voiceEvent({ contactData: { CustomerEndpoint: null, SystemEndpoint: null, Queue: null } });

    const contact = parseContactEvent(event);

    expect(contact.customerEndpoint).toBeNull();
    expect(contact.systemEndpoint).toBeNull();
    expect(contact.queue).toBeNull();
  });

  it('accepts an endpoint whose Address is null (web chat, withheld)', () => {
    const event = voiceEvent({ contactData: { CustomerEndpoint: { Address: null, Type: null } } });

    const contact = parseContactEvent(event);

    expect(contact.customerEndpoint).toEqual({ address: null, type: null });
  });

  describe('an unusable endpoint Address', () => {
    // The caller decides what reaches CustomerEndpoint.Address (a SIP From header, a typed
    // number), so an unusable one must not turn the whole event into bad_event: the screening
    // function would then answer its fail-mode ALLOW without counting the call.
    const unusable: [string, unknown][] = [
      ['a number', 14155550123],
      ['zero', 0],
      ['a boolean', true],
      ['an object', { number: '+14155550123' }],
      ['an array', ['+14155550123']],
      ['a string of 4097 characters', `+1${'4'.repeat(4095)}`],
      ['a string of 10 KB', 'x'.repeat(10 * 1024)],
    ];

    it.each(unusable)(
      'reads the event with address null and addressMalformed when Address is %s',
      (_, address) => {
        const event = voiceEvent({
          contactData: { CustomerEndpoint: { Address: address, Type: 'TELEPHONE_NUMBER' } },
        });

        const contact = parseContactEvent(event);

        expect(contact.customerEndpoint).toEqual({
          address: null,
          type: 'TELEPHONE_NUMBER',
          addressMalformed: true,
        });
        expect(contact.contactId).toBe(CONTACT_ID);
        expect(contact.systemEndpoint).toEqual({ address: '+18005550100', type: 'TELEPHONE_NUMBER' });
      },
    );

    it('does the same for SystemEndpoint', () => {
      const event = voiceEvent({
        contactData: { SystemEndpoint: { Address: 18005550100, Type: 'TELEPHONE_NUMBER' } },
      });

      const contact = parseContactEvent(event);

      expect(contact.systemEndpoint).toEqual({
        address: null,
        type: 'TELEPHONE_NUMBER',
        addressMalformed: true,
      });
      expect(contact.customerEndpoint?.address).toBe('+14155550123');
    });

    it('keeps an Address of exactly 4096 characters', () => {
      const address = `+1${'4'.repeat(4094)}`;
      const event = voiceEvent({
        contactData: { CustomerEndpoint: { Address: address, Type: 'TELEPHONE_NUMBER' } },
      });

      const contact = parseContactEvent(event);

      expect(contact.customerEndpoint).toEqual({ address, type: 'TELEPHONE_NUMBER' });
    });

    it.each([
      ['null', { Address: null, Type: 'TELEPHONE_NUMBER' }],
      ['absent', { Type: 'TELEPHONE_NUMBER' }],
    ])('does not mark an Address that is %s: that is no caller ID, not a malformed one', (_, endpoint) => {
      const contact = parseContactEvent(voiceEvent({ contactData: { CustomerEndpoint: endpoint } }));

      expect(contact.customerEndpoint).toEqual({ address: null, type: 'TELEPHONE_NUMBER' });
      expect(contact.customerEndpoint).not.toHaveProperty('addressMalformed');
    });

    it('never sets addressMalformed false: a usable Address has no such property', () => {
      const contact = parseContactEvent(voiceEvent());

      expect(contact.customerEndpoint).not.toHaveProperty('addressMalformed');
    });

    it('still refuses an endpoint that is not an object', () => {
      const error = parseError(voiceEvent({ contactData: { CustomerEndpoint: 42 } }));

      expect(error.path).toBe('Details.ContactData.CustomerEndpoint');
      expect(error.problem).toBe('not_an_object');
    });
  });

  it('defaults InitialContactId to ContactId when it is absent, null or empty', () => {
    for (const initial of [undefined, null, '']) {
      const event = voiceEvent({ contactData: { InitialContactId: initial } });

      const contact = parseContactEvent(event);

      expect(contact.initialContactId).toBe(CONTACT_ID);
    }
  });

  it('gives channel UNKNOWN when Channel is missing, and keeps a channel it does not know', () => {
    const withoutChannel = voiceEvent({ contactData: { Channel: undefined } });
    const newChannel = voiceEvent({ contactData: { Channel: 'VIDEO' } });

    expect(parseContactEvent(withoutChannel).channel).toBe('UNKNOWN');
    expect(parseContactEvent(newChannel).channel).toBe('VIDEO');
  });

  it('tolerates unknown extra fields at every level', () => {
    const event = voiceEvent({
      contactData: {
        MediaStreams: { Customer: { Audio: null } },
        SegmentAttributes: { 'connect:Subtype': { ValueString: 'connect:Telephony' } },
        Tags: { team: 'fraud' },
        References: {},
        RelatedContactId: null,
        SomethingNew: [1, 2, 3],
      },
    });
    event.SchemaVersion = 2;
    event.Details.Extra = { any: 'thing' };

    const contact = parseContactEvent(event);

    expect(contact.contactId).toBe(CONTACT_ID);
    expect(contact).not.toHaveProperty('SomethingNew');
  });

  it('drops attributes whose value is null', () => {
    const event = voiceEvent({ contactData: { Attributes: { kept: 'yes', unset: null } } });

    const contact = parseContactEvent(event);

    expect(contact.attributes).toEqual({ kept: 'yes' });
  });

  it('gives empty records when Attributes and Parameters are absent', () => {
    const event = voiceEvent({ contactData: { Attributes: undefined } });
    Reflect.deleteProperty(event.Details, 'Parameters');

    const contact = parseContactEvent(event);

    expect(Object.keys(contact.attributes)).toEqual([]);
    expect(Object.keys(contact.parameters)).toEqual([]);
  });

  describe('parameters', () => {
    it('preserves numbers, booleans, null and nested JSON as sent', () => {
      const parameters = {
        retries: 3,
        ratio: 0.25,
        strict: true,
        none: null,
        nested: { a: [1, { b: 'c' }] },
      };
      const event = voiceEvent({ parameters });

      const contact = parseContactEvent(event);

      expect(contact.parameters).toEqual(parameters);
      expect(typeof contact.parameters.retries).toBe('number');
      expect(contact.parameters.strict).toBe(true);
    });

    it('keeps a 100 KB string parameter whole', () => {
      const big = 'x'.repeat(100 * 1024);
      const event = voiceEvent({ parameters: { payload: big } });

      const contact = parseContactEvent(event);

      expect(contact.parameters.payload).toBe(big);
    });

    it('keeps unicode values intact', () => {
      const values = { name: 'Zoë Ångström', greeting: 'こんにちは', emoji: '📞👋', rtl: 'مرحبا' };
      const event = voiceEvent({ parameters: values, contactData: { Attributes: values } });

      const contact = parseContactEvent(event);

      expect(contact.parameters).toEqual(values);
      expect(contact.attributes).toEqual(values);
    });
  });

  describe('__proto__ keys', () => {
    const hostile = '{"__proto__": {"polluted": "yes"}, "ok": "1"}';

    it('keeps __proto__ in Parameters as a plain key, without touching any prototype', () => {
      const parameters = JSON.parse(hostile) as Fields;
      expect(Object.hasOwn(parameters, '__proto__')).toBe(true);
      const event = voiceEvent({ parameters });

      const contact = parseContactEvent(event);

      expect(Object.getPrototypeOf(contact.parameters)).toBeNull();
      expect(Object.hasOwn(contact.parameters, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(contact.parameters, '__proto__')?.value).toEqual({
        polluted: 'yes',
      });
      expect(contact.parameters.ok).toBe('1');
      expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
      expect(({} as Fields).polluted).toBeUndefined();
    });

    it('keeps __proto__ in Attributes as a plain key, without touching any prototype', () => {
      const attributes = JSON.parse('{"__proto__": "x", "ok": "1"}') as Fields;
      const event = voiceEvent({ contactData: { Attributes: attributes } });

      const contact = parseContactEvent(event);

      expect(Object.getPrototypeOf(contact.attributes)).toBeNull();
      expect(Object.hasOwn(contact.attributes, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(contact.attributes, '__proto__')?.value).toBe('x');
      expect(Object.keys(contact.attributes).sort()).toEqual(['__proto__', 'ok']);
    });

    it('refuses a non-string __proto__ attribute like any other key', () => {
      const attributes = JSON.parse(hostile) as Fields;
      const event = voiceEvent({ contactData: { Attributes: attributes } });

      const error = parseError(event);

      expect(error.path).toBe('Details.ContactData.Attributes.__proto__');
      expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    });
  });

  describe('refusals', () => {
    it.each([
      ['null', null, 'event', 'not_an_object'],
      ['undefined', undefined, 'event', 'missing'],
      ['a string', '{"Details":{}}', 'event', 'not_an_object'],
      ['a number', 42, 'event', 'not_an_object'],
      ['an array', [VOICE_EVENT], 'event', 'not_an_object'],
      ['an event without Details', { Name: 'ContactFlowEvent' }, 'Details', 'missing'],
      ['Details as an array', { Details: [] }, 'Details', 'not_an_object'],
      ['Details without ContactData', { Details: { Parameters: {} } }, 'Details.ContactData', 'missing'],
    ])('refuses %s as bad_event', (_, event, path, problem) => {
      const error = parseError(event);

      expect(error).toBeInstanceOf(FlowguardError);
      expect(error.code).toBe('bad_event');
      expect(error.path).toBe(path);
      expect(error.problem).toBe(problem);
    });

    it.each([
      ['ContactId is a number', { ContactId: 42 }, 'Details.ContactData.ContactId', 'not_a_string'],
      ['ContactId is missing', { ContactId: undefined }, 'Details.ContactData.ContactId', 'missing'],
      ['ContactId is empty', { ContactId: '' }, 'Details.ContactData.ContactId', 'missing'],
      ['ContactId is too long', { ContactId: 'x'.repeat(1000) }, 'Details.ContactData.ContactId', 'too_long'],
      [
        'CustomerEndpoint is a string',
        { CustomerEndpoint: '+14155550123' },
        'Details.ContactData.CustomerEndpoint',
        'not_an_object',
      ],
      [
        'CustomerEndpoint.Type is a number',
        { CustomerEndpoint: { Address: '+14155550123', Type: 1 } },
        'Details.ContactData.CustomerEndpoint.Type',
        'not_a_string',
      ],
      ['Attributes is an array', { Attributes: ['a'] }, 'Details.ContactData.Attributes', 'not_an_object'],
      ['Channel is a number', { Channel: 1 }, 'Details.ContactData.Channel', 'not_a_string'],
      ['Queue is a string', { Queue: 'BasicQueue' }, 'Details.ContactData.Queue', 'not_an_object'],
    ])('refuses an event where %s, naming the field', (_, contactData, path, problem) => {
      const event = voiceEvent({ contactData });

      const error = parseError(event);

      expect(error.code).toBe('bad_event');
      expect(error.path).toBe(path);
      expect(error.problem).toBe(problem);
    });

    it('names the attribute whose value is not a string', () => {
      const event = voiceEvent({ contactData: { Attributes: { language: 'en-US', retries: 3 } } });

      const error = parseError(event);

      expect(error.code).toBe('bad_event');
      expect(error.path).toBe('Details.ContactData.Attributes.retries');
      expect(error.problem).toBe('not_a_string');
    });

    it('refuses Parameters that are not an object', () => {
      const event = voiceEvent();
      event.Details.Parameters = ['a'] as unknown as Fields;

      const error = parseError(event);

      expect(error.path).toBe('Details.Parameters');
    });

    it('never puts the offending value in the message', () => {
      const event = voiceEvent({ contactData: { Attributes: { pin: 98765 }, ContactId: CONTACT_ID } });

      const error = parseError(event);

      expect(error.message).toContain('Details.ContactData.Attributes.pin');
      expect(error.message).not.toContain('98765');
    });

    it('cuts a very long attribute key in the path', () => {
      const key = 'k'.repeat(500);
      const event = voiceEvent({ contactData: { Attributes: { [key]: 1 } } });

      const error = parseError(event);

      expect(error.path.length).toBeLessThan(120);
      expect(error.path.startsWith('Details.ContactData.Attributes.kkkk')).toBe(true);
    });
  });
});
