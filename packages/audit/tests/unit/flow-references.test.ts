import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlow } from '@flowguard/flow-sim';
import { describe, expect, it } from 'vitest';
import { flowReferences } from '../../src/flow-references.js';
import {
  CERTIFICATE,
  KEY_ID,
  PAYMENT_FLOW,
  SCREEN_CALLER_ARN,
  SCREENING_FLOW,
  SECURE_INPUT_ARN,
} from './support/instance.js';

const REAL = join(import.meta.dirname, '../../../../test/fixtures/real-flows');
const real = (name: string) =>
  flowReferences(parseFlow(JSON.parse(readFileSync(join(REAL, `${name}.json`), 'utf8'))));

describe('flowReferences', () => {
  it("reads flowguard's flows: the function each invokes, and the key and certificate secure input uses", () => {
    expect(flowReferences(parseFlow(SCREENING_FLOW)).lambdas).toEqual([SCREEN_CALLER_ARN]);
    const payment = flowReferences(parseFlow(PAYMENT_FLOW));

    expect(payment.lambdas).toEqual([SECURE_INPUT_ARN]);
    expect(payment.encryption).toEqual([{ action: 'collect-card', keyId: KEY_ID, certificate: CERTIFICATE }]);
  });

  it('reads a Lex V2 alias ARN and a Lex V1 bot by name and region (real exports)', () => {
    expect(real('amazon-connect--amazon-connect-chat-ui-examples--third-party-chatbot').lexV2).toEqual([
      'arn:aws:lex:us-west-2:112008460156:bot-alias/OA8JL1Y1UM/XHE7BBHU2G',
    ]);
    expect(real('amazon-connect--amazon-connect-chat-ui-examples--interactive-msg-lexv2').lexV1).toEqual([
      { name: 'InteractiveMessageBot', region: 'us-west-2' },
    ]);
  });

  it('reads the module an InvokeFlowModule block runs (real export)', () => {
    expect(real('aws-samples--amazon-connect-contact-surveys--survey-disconnect').modules).toEqual([
      '1bc263e9-09cf-432c-971c-32da62c784af',
    ]);
  });

  it('marks targets given as attributes as dynamic instead of guessing (real export)', () => {
    const refs = real('aws-samples--amazon-connect-gitlab-cicd-terraform--acme-main');

    expect(refs.dynamic).toEqual({ lambda: true, lex: true, module: true });
    expect([...refs.lambdas, ...refs.lexV2, ...refs.modules]).toEqual([]);
  });

  it('reduces a module ARN to its id', () => {
    const flow = parseFlow({
      Version: '2019-10-30',
      StartAction: 'm',
      Actions: [
        {
          Identifier: 'm',
          Type: 'InvokeFlowModule',
          Parameters: {
            FlowModuleId: 'arn:aws:connect:us-east-1:123456789012:instance/i-1/flow-module/abc-123',
          },
          Transitions: {},
        },
      ],
    });

    expect(flowReferences(flow).modules).toEqual(['abc-123']);
  });
});
