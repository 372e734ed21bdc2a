import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptLikeConnect } from '../../src/connect-encrypt.js';
import { ConnectDecryptor } from '../../src/decrypt.js';
import { certificatesInFlow, checkCertificate, createConnectKey, keysSecretJson } from '../../src/keys.js';
import { FakeSecrets, testKey } from './helpers.js';

const NOW = new Date('2026-03-02T10:00:00Z');

describe('createConnectKey', () => {
  it('makes an RSA-4096 key pair and a self-signed certificate that Connect-style input decrypts with', async () => {
    const material = await createConnectKey({ commonName: 'flowguard test', days: 90, now: NOW });
    const certificate = new X509Certificate(material.certificatePem);
    const secret = JSON.parse(keysSecretJson([{ keyId: 'new-key', privateKeyPem: material.privateKeyPem }]));
    const ciphertext = await encryptLikeConnect('4111111111111111', {
      keyId: 'new-key',
      publicKey: material.certificatePem,
    });

    const plaintext = await new ConnectDecryptor({
      secrets: new FakeSecrets({ keys: secret }),
      secretId: 'keys',
    }).decrypt(ciphertext);

    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(certificate.subject).toBe('CN=flowguard test');
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(new Date(certificate.validTo).getTime() - NOW.getTime()).toBeGreaterThanOrEqual(
      90 * 86_400_000 - 1000,
    );
    expect(material.publicKeyPem).toContain('BEGIN PUBLIC KEY');
    expect(plaintext.toString()).toBe('4111111111111111');
  }, 60_000);

  it.each([0, -1, 3651, 1.5])('refuses a lifetime of %s days', async (days) => {
    await expect(createConnectKey({ commonName: 'x', days })).rejects.toThrow(/days/);
  });
});

describe('checkCertificate', () => {
  const pem = testKey(1, 'cert');
  const notAfter = new Date(new X509Certificate(pem).validTo);

  it('is ok well before expiry', () => {
    expect(
      checkCertificate(pem, {
        source: 'a',
        warnDays: 30,
        now: new Date(notAfter.getTime() - 60 * 86_400_000),
      }).status,
    ).toBe('ok');
  });

  it('warns within the window and names the days left', () => {
    const status = checkCertificate(pem, {
      source: 'a',
      warnDays: 30,
      now: new Date(notAfter.getTime() - 10.5 * 86_400_000),
    });

    expect(status.status).toBe('expiring');
    expect(status.daysLeft).toBe(10);
  });

  it('reports an expired certificate', () => {
    expect(
      checkCertificate(pem, { source: 'a', warnDays: 30, now: new Date(notAfter.getTime() + 1000) }).status,
    ).toBe('expired');
  });
});

describe('certificatesInFlow', () => {
  it('finds the certificate of each encrypted Store customer input block', () => {
    const flow = {
      Actions: [
        {
          Identifier: 'collect',
          Type: 'GetParticipantInput',
          Parameters: { InputEncryption: { EncryptionKeyId: 'k1', Key: testKey(1, 'cert') } },
        },
        { Identifier: 'plain', Type: 'GetParticipantInput', Parameters: { StoreInput: 'True' } },
        {
          Identifier: 'placeholder',
          Type: 'GetParticipantInput',
          Parameters: { InputEncryption: { EncryptionKeyId: 'k', Key: '${ConnectCertificate}' } },
        },
      ],
    };

    expect(certificatesInFlow(flow).map((c) => [c.actionId, c.keyId])).toEqual([['collect', 'k1']]);
    expect(certificatesInFlow({ nope: true })).toEqual([]);
  });
});
