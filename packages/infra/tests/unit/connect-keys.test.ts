import { describe, expect, it } from 'vitest';
import { Deployment, idOf, resourcesOf, synthStack, type TemplateJson } from './helpers.js';

const { json } = synthStack();

const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/0f0e0d0c-0b0a-4909-8807-060504030201';
const QUEUE = `${INSTANCE}/queue/11111111-2222-4333-8444-555555555555`;
const certificate = (n: number, newline = '\n') =>
  [
    '-----BEGIN CERTIFICATE-----',
    `MIIC${n}zCCAbOgAwIBAgIUJ0`,
    `vq3Q+/m4Z${n}mV1c=`,
    '-----END CERTIFICATE-----',
    '',
  ].join(newline);
const publicKey = (n: number) =>
  ['-----BEGIN PUBLIC KEY-----', `MIIB${n}jANBgkqhkiG9w0BAQEF`, '-----END PUBLIC KEY-----', ''].join('\n');

const slotA = idOf(json, 'AWS::Connect::SecurityKey', 'SlotA');
const slotB = idOf(json, 'AWS::Connect::SecurityKey', 'SlotB');
const securePayment = idOf(json, 'AWS::Connect::ContactFlow', 'securepayment');

function deploy(parameters: Record<string, string>, template: TemplateJson = json) {
  return new Deployment(template, { ConnectInstanceArn: INSTANCE, QueueArn: QUEUE, ...parameters });
}

/** The secure-payment flow as Connect receives it: the content parsed as JSON. */
function flowOf(deployment: Deployment, id = securePayment) {
  return JSON.parse(deployment.property(id, 'Content') as string) as { Actions: Record<string, unknown>[] };
}

function inputEncryption(deployment: Deployment) {
  const action = flowOf(deployment).Actions.find((a) => JSON.stringify(a).includes('InputEncryption'));
  return (
    (action?.Parameters as { InputEncryption: { EncryptionKeyId: string; Key: string } } | undefined)
      ?.InputEncryption ?? { EncryptionKeyId: '', Key: '' }
  );
}

/** Whether the template's rules let these parameters through. */
function rulesPass(deployment: Deployment): boolean {
  const rules = (deployment.json.Rules ?? {}) as Record<string, { Assertions: { Assert: unknown }[] }>;
  const rule = rules.ActiveConnectKeyIsFilled;
  return (rule?.Assertions ?? []).every((a) => deployment.truth(a.Assert));
}

describe('Connect security keys', () => {
  it('owns two key slots, each created only when its public key parameter is not empty', () => {
    for (const [id, name] of [
      [slotA, 'A'],
      [slotB, 'B'],
    ] as const) {
      const key = json.Resources[id];
      expect(key?.Properties).toEqual({
        InstanceId: { Ref: 'ConnectInstanceArn' },
        Key: { Ref: `ConnectPublicKey${name}` },
      });
      expect(deploy({ [`ConnectPublicKey${name}`]: '' }).exists(id)).toBe(false);
      expect(deploy({ [`ConnectPublicKey${name}`]: publicKey(1) }).exists(id)).toBe(true);
    }
    expect(resourcesOf(json, 'AWS::Connect::SecurityKey')).toHaveLength(2);
  });

  it('writes the active slot’s AssociationId and certificate into the flows', () => {
    const both = {
      ConnectPublicKeyA: publicKey(1),
      ConnectCertificateA: certificate(1),
      ConnectPublicKeyB: publicKey(2),
      ConnectCertificateB: certificate(2),
    };

    expect(inputEncryption(deploy({ ...both, ActiveConnectKey: 'A' }))).toEqual({
      EncryptionKeyId: `<${slotA}.AssociationId>`,
      Key: certificate(1),
    });
    expect(inputEncryption(deploy({ ...both, ActiveConnectKey: 'B' }))).toEqual({
      EncryptionKeyId: `<${slotB}.AssociationId>`,
      Key: certificate(2),
    });
  });

  it('rotates through the two slots without ever needing a third key or replacing one', () => {
    const steps: Record<string, string>[] = [
      { ConnectPublicKeyA: publicKey(1), ConnectCertificateA: certificate(1), ActiveConnectKey: 'A' },
      // The new key goes into the free slot; the flows still use the old one.
      {
        ConnectPublicKeyA: publicKey(1),
        ConnectCertificateA: certificate(1),
        ConnectPublicKeyB: publicKey(2),
        ConnectCertificateB: certificate(2),
        ActiveConnectKey: 'A',
      },
      // The flows switch.
      {
        ConnectPublicKeyA: publicKey(1),
        ConnectCertificateA: certificate(1),
        ConnectPublicKeyB: publicKey(2),
        ConnectCertificateB: certificate(2),
        ActiveConnectKey: 'B',
      },
      // The old slot is emptied.
      { ConnectPublicKeyB: publicKey(2), ConnectCertificateB: certificate(2), ActiveConnectKey: 'B' },
    ];
    const states = steps.map((parameters) => {
      const deployment = deploy(parameters);
      const keys = [slotA, slotB].filter((id) => deployment.exists(id));
      return {
        passes: rulesPass(deployment),
        keys: Object.fromEntries(keys.map((id) => [id, deployment.property(id, 'Key')])),
        keyId: inputEncryption(deployment).EncryptionKeyId,
      };
    });

    expect(states.map((s) => s.passes)).toEqual([true, true, true, true]);
    expect(states.map((s) => Object.keys(s.keys).length)).toEqual([1, 2, 2, 1]);
    // A key that stays keeps its logical id and its properties: CloudFormation leaves it in place.
    expect(states[1]?.keys[slotA]).toBe(states[0]?.keys[slotA]);
    expect(states[3]?.keys[slotB]).toBe(states[1]?.keys[slotB]);
    expect(states.map((s) => s.keyId)).toEqual([
      `<${slotA}.AssociationId>`,
      `<${slotA}.AssociationId>`,
      `<${slotB}.AssociationId>`,
      `<${slotB}.AssociationId>`,
    ]);
  });

  it('refuses parameters whose active slot holds no key, before anything is created', () => {
    expect(
      rulesPass(
        deploy({
          ConnectPublicKeyA: publicKey(1),
          ConnectCertificateA: certificate(1),
          ActiveConnectKey: 'B',
        }),
      ),
    ).toBe(false);
    expect(rulesPass(deploy({ ConnectPublicKeyA: publicKey(1), ActiveConnectKey: 'A' }))).toBe(false);
    expect(rulesPass(deploy({}))).toBe(false);
  });

  it('outputs each slot’s key id, only while the slot holds a key', () => {
    const outputA = json.Outputs?.ConnectKeyIdA;

    expect(outputA?.Value).toEqual({ 'Fn::GetAtt': [slotA, 'AssociationId'] });
    expect(outputA?.Condition).toBe(json.Resources[slotA]?.Condition);
  });
});

describe('the certificate inside the flow JSON', () => {
  it('stays valid JSON with a PEM of real line breaks, and reaches the flow unchanged', () => {
    const deployment = deploy({ ConnectPublicKeyA: publicKey(1), ConnectCertificateA: certificate(1) });

    const content = deployment.property(securePayment, 'Content') as string;

    expect(content).not.toContain('\n');
    expect(() => JSON.parse(content)).not.toThrow();
    expect(inputEncryption(deployment).Key).toBe(certificate(1));
  });

  it('drops carriage returns of a PEM saved with CRLF line breaks', () => {
    const deployment = deploy({
      ConnectPublicKeyA: publicKey(1),
      ConnectCertificateA: certificate(1, '\r\n'),
    });

    expect(inputEncryption(deployment).Key).toBe(certificate(1));
  });

  it('accepts a PEM with its line breaks already written as \\n', () => {
    const escaped = certificate(1).replaceAll('\n', '\\n');
    const deployment = deploy({ ConnectPublicKeyA: publicKey(1), ConnectCertificateA: escaped });

    expect(inputEncryption(deployment).Key).toBe(certificate(1));
  });
});

describe('flow dependencies', () => {
  const dependsOn = (id: string) => (json.Resources[id]?.DependsOn as string[] | undefined) ?? [];

  it('creates each flow after the integration association and invoke permission of every function it calls', () => {
    const expected: Record<string, string[]> = {
      callerscreening: ['screencaller'],
      securepayment: ['secureinput'],
      validateaccount: ['validateinput'],
      agentflagcaller: ['flagcaller'],
    };
    for (const [flow, functions] of Object.entries(expected)) {
      const id = idOf(json, 'AWS::Connect::ContactFlow', flow);
      for (const fn of functions) {
        expect(dependsOn(id)).toContain(
          idOf(json, 'AWS::Connect::IntegrationAssociation', `${fn}integration`),
        );
        expect(dependsOn(id)).toContain(idOf(json, 'AWS::Lambda::Permission', `${fn}connectinvoke`));
      }
    }
  });

  it('reaches the security key a flow encrypts with through the key’s own attribute (an implicit dependency)', () => {
    const content = JSON.stringify(json.Resources[securePayment]?.Properties?.Content);

    expect(content).toContain(`{"Fn::GetAtt":["${slotA}","AssociationId"]}`);
    expect(content).toContain(`{"Fn::GetAtt":["${slotB}","AssociationId"]}`);
    // Each reference sits under a condition implying its key exists: a DependsOn on a key that
    // is not created would fail the whole template.
    const deployment = deploy({
      ConnectPublicKeyB: publicKey(2),
      ConnectCertificateB: certificate(2),
      ActiveConnectKey: 'B',
    });
    expect(deployment.exists(slotA)).toBe(false);
    expect(() => flowOf(deployment)).not.toThrow();
    expect(dependsOn(securePayment)).not.toContain(slotA);
  });

  it('leaves out a flow whose function is not deployed, and the key slots with it', () => {
    const partial = synthStack({ functions: ['screen-caller', 'flag-caller', 'validate-input'] }).json;
    const names = resourcesOf(partial, 'AWS::Connect::ContactFlow').map(([, f]) => f.Properties?.Name);

    expect(names).not.toContain('flowguard secure-payment');
    expect(names).toContain('flowguard caller-screening');
    expect(resourcesOf(partial, 'AWS::Connect::SecurityKey')).toEqual([]);
    expect(Object.keys(partial.Parameters ?? {})).not.toContain('ActiveConnectKey');
  });
});
