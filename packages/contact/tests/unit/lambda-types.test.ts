// The Connect boundary checked against AWS's published Lambda types (@types/aws-lambda): a change
// in the event or result shape AWS documents shows up here at `pnpm typecheck`.
import type {
  ConnectContactFlowEvent,
  ConnectContactFlowHandler,
  ConnectContactFlowResult,
  Context,
} from 'aws-lambda';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseContactEvent } from '../../src/event.js';
import { type FlowFunction, flowHandler } from '../../src/handler.js';

type ContactData = ConnectContactFlowEvent['Details']['ContactData'];

/** The fields parseContactEvent reads that AWS's type declares, with the types it accepts. */
interface Read {
  ContactId: string;
  InitialContactId: string;
  PreviousContactId: string;
  Channel: string;
  InitiationMethod: string;
  InstanceARN: string;
  Attributes: Record<string, string>;
  CustomerEndpoint: { Address: string; Type: string } | null;
  SystemEndpoint: { Address: string; Type: string } | null;
  Queue: { ARN: string; Name: string } | null;
}

const fn: FlowFunction = {
  name: 'echo-channel',
  outputKeys: ['channel'],
  budgetMs: 1000,
  failMode: () => ({ channel: '' }),
  handle: (contact) => ({ channel: contact.channel }),
};

/** AWS's documented example event for a Lambda invoked from a flow (shape of the Lambda types). */
const example: ConnectContactFlowEvent = {
  Name: 'ContactFlowEvent',
  Details: {
    ContactData: {
      Attributes: { exampleAttributeKey1: 'exampleAttributeValue1' },
      Channel: 'VOICE',
      ContactId: '4a573372-1f28-4e26-b97b-XXXXXXXXXXX',
      CustomerEndpoint: { Address: '+1234567890', Type: 'TELEPHONE_NUMBER' },
      InitialContactId: '4a573372-1f28-4e26-b97b-XXXXXXXXXXX',
      InitiationMethod: 'INBOUND',
      InstanceARN: 'arn:aws:connect:aws-region:1234567890:instance/c8c0e68d-2200-4265-82c0-XXXXXXXXXX',
      PreviousContactId: '4a573372-1f28-4e26-b97b-XXXXXXXXXXX',
      Queue: {
        ARN: 'arn:aws:connect:eu-west-2:111111111111:instance/cccccccc/queue/dddddddd',
        Name: 'PasswordReset',
      },
      SystemEndpoint: { Address: '+1234567890', Type: 'TELEPHONE_NUMBER' },
      MediaStreams: { Customer: { Audio: null } },
    },
    Parameters: { sentAttributeKey: 'sentAttributeValue' },
  },
};

describe('the Connect boundary against @types/aws-lambda', () => {
  it('is a handler Lambda’s Connect types accept, answering a ConnectContactFlowResult', () => {
    const handler = flowHandler(fn, { env: {}, logSink: () => {}, metricSink: () => {} });

    expectTypeOf(handler).toExtend<ConnectContactFlowHandler>();
    expectTypeOf<Awaited<ReturnType<typeof handler>>>().toExtend<ConnectContactFlowResult>();
    expectTypeOf<Context>().toExtend<NonNullable<Parameters<typeof handler>[1]>>();
  });

  it('reads only fields AWS’s event type declares, with types it accepts', () => {
    expectTypeOf<Pick<ContactData, keyof Read>>().toExtend<Read>();
  });

  it('parses AWS’s documented event and answers it', async () => {
    const contact = parseContactEvent(example);
    const answer = await flowHandler(fn, { env: {}, logSink: () => {}, metricSink: () => {} })(example);

    expect(contact).toMatchObject({
      channel: 'VOICE',
      initiationMethod: 'INBOUND',
      customerEndpoint: { address: '+1234567890' },
      attributes: { exampleAttributeKey1: 'exampleAttributeValue1' },
      parameters: { sentAttributeKey: 'sentAttributeValue' },
    });
    expect(answer).toEqual({ channel: 'VOICE', error: '' });
  });
});
