import fc from 'fast-check';

/** Strings that hurt: huge, control characters, lone surrogates, prototype keys, JSON-ish. */
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'Timeout',
    '#',
    '',
    ' ',
    'anonymous',
    '+266696687',
    'null',
  ),
  fc.constantFrom('\ud800', 'a\udfffb', '\u0000', '${QueueArn}', '$.External.x', '{"a":1}'),
  fc.integer({ min: 1, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.base64String({ maxLength: 2000 }),
);

const value = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(hostileString, fc.anything(), { maxKeys: 3 }),
);

/** A deeply nested value, past the depths loggers and parsers handle lightly. */
const deep = fc.integer({ min: 50, max: 2000 }).map((depth) => {
  let node: unknown = 'leaf';
  for (let i = 0; i < depth; i++) node = { n: node };
  return node;
});

/** Mostly well-formed, sometimes hostile: events must reach the logic, not only the parser. */
const mostly = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: value });

const address = fc.oneof(
  fc.constantFrom('+14155550123', '+447400123456', 'anonymous', '', '+19005550123', 'customer@example.com'),
  hostileString,
);
const endpoint = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 8,
    arbitrary: fc.record(
      { Address: mostly(address), Type: mostly(fc.constant('TELEPHONE_NUMBER')) },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: value },
);

/** Connect events with every field possibly missing, null, mistyped or hostile. */
const contactData = fc.record(
  {
    ContactId: mostly(fc.uuid()),
    InitialContactId: mostly(fc.uuid()),
    Channel: mostly(fc.constantFrom('VOICE', 'CHAT', 'TASK', 'EMAIL', 'SMS')),
    InitiationMethod: mostly(fc.constantFrom('INBOUND', 'API', 'TRANSFER', 'WEBRTC_API')),
    CustomerEndpoint: endpoint,
    SystemEndpoint: endpoint,
    Attributes: mostly(fc.dictionary(hostileString, mostly(hostileString), { maxKeys: 5 })),
    Queue: mostly(fc.constant(null)),
  },
  { requiredKeys: ['ContactId'] },
);

const parameters = fc.oneof(
  fc.dictionary(
    fc.oneof(
      hostileString,
      fc.constantFrom(
        'schema',
        'format',
        'encryptedInput',
        'input',
        'reason',
        'duration',
        'number',
        'policy',
        'keyId',
        'cardNumber',
        'pin',
      ),
    ),
    fc.oneof(
      value,
      deep,
      fc.constantFrom('card', 'pin', 'dob', 'account', 'amount', 'attributes', 'default'),
    ),
    { maxKeys: 6 },
  ),
  value,
);

export const connectEvent = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      Name: fc.constant('ContactFlowEvent'),
      Details: fc.record({ ContactData: contactData, Parameters: parameters }, { requiredKeys: [] }),
    }),
  },
  { weight: 1, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.record({ Details: fc.oneof(value, deep) }) },
);
