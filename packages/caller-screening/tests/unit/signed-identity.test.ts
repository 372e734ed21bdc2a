import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requestIdentities, signedKeyIdentity } from '../../src/identity.js';
import {
  SIGNED_IDENTITY_ATTRIBUTES as A,
  newNonce,
  type SignedIdentity,
  SigningKeys,
  signIdentity,
  signingKeyOf,
  verifySignedIdentity,
} from '../../src/signed-identity.js';

const KEY = randomBytes(32);
const OTHER_KEY = randomBytes(32);
const NOW = 1_780_000_000;

const identity = (overrides: Partial<SignedIdentity> = {}): SignedIdentity => ({
  key: 'ip:203.0.113.7',
  customerId: 'cust-42',
  issuedAt: NOW - 5,
  nonce: newNonce(),
  ...overrides,
});

const verify = (attributes: Record<string, string>, keys: Uint8Array[] = [KEY], now = NOW) =>
  verifySignedIdentity(keys, attributes, { nowSeconds: now, maxAgeSeconds: 120 });

describe('signed identities', () => {
  it('verifies what it signed, and gives back exactly the identity', () => {
    const signed = identity();
    const attributes = signIdentity(KEY, signed);
    expect(Object.keys(attributes).sort()).toEqual(Object.values(A).sort());
    expect(verify(attributes)).toEqual({ ok: true, identity: signed });
  });

  it('is an HMAC-SHA256 over the fields, as a second implementation computes it', () => {
    const signed = identity();
    const text = JSON.stringify([
      'flowguard-identity-v1',
      signed.key,
      signed.customerId,
      signed.issuedAt,
      signed.nonce,
    ]);
    const mac = createHmac('sha256', KEY).update(text).digest('base64url');
    expect(signIdentity(KEY, signed)[A.signature]).toBe(`v1.${mac}`);
  });

  it('refuses any field changed after signing as forged', () => {
    const attributes = signIdentity(KEY, identity());
    const changes: Record<string, string> = {
      [A.key]: 'ip:203.0.113.8',
      [A.customer]: 'cust-43',
      [A.issued]: String(NOW),
      [A.nonce]: newNonce(),
    };
    for (const [name, value] of Object.entries(changes)) {
      expect(verify({ ...attributes, [name]: value }), name).toEqual({ ok: false, reason: 'forged' });
    }
    // Moving the boundary between two fields changes the signed text too.
    const split = signIdentity(KEY, identity({ key: 'cust:a', customerId: 'b' }));
    expect(verify({ ...split, [A.key]: 'cust:ab', [A.customer]: '' })).toEqual({
      ok: false,
      reason: 'forged',
    });
  });

  it('refuses a signature under another key, and accepts it when that key is among the keys', () => {
    const attributes = signIdentity(OTHER_KEY, identity());
    expect(verify(attributes)).toEqual({ ok: false, reason: 'forged' });
    expect(verify(attributes, [KEY, OTHER_KEY]).ok).toBe(true);
  });

  it('refuses an identity older than the maximum age, or too far in the future', () => {
    expect(verify(signIdentity(KEY, identity({ issuedAt: NOW - 120 }))).ok).toBe(true);
    expect(verify(signIdentity(KEY, identity({ issuedAt: NOW - 121 })))).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verify(signIdentity(KEY, identity({ issuedAt: NOW + 30 }))).ok).toBe(true);
    expect(verify(signIdentity(KEY, identity({ issuedAt: NOW + 31 })))).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('tells a contact with no signature from a malformed one', () => {
    expect(verify({ customerIp: '203.0.113.7' })).toEqual({ ok: false, reason: 'absent' });
    expect(verify({ [A.signature]: '' })).toEqual({ ok: false, reason: 'absent' });
    const good = signIdentity(KEY, identity());
    const mac = (good[A.signature] as string).slice(3);
    const malformed: Record<string, string>[] = [
      { ...good, [A.signature]: `v2.${mac}` },
      { ...good, [A.signature]: `v1.${mac}.x` },
      { ...good, [A.signature]: `v1.${mac.slice(1)}` },
      { ...good, [A.signature]: 'v1' },
      { ...good, [A.nonce]: 'short' },
      { ...good, [A.issued]: '-5' },
      { ...good, [A.issued]: '1e9' },
      { ...good, [A.key]: '' },
      { ...good, [A.key]: `cust:${'x'.repeat(400)}` },
    ];
    const { [A.key]: _, ...noKey } = good;
    malformed.push(noKey);
    for (const attributes of malformed)
      expect(verify(attributes)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('takes one spelling of a signature: the unused bits of its last character must be zero', () => {
    const good = signIdentity(KEY, identity());
    const signature = good[A.signature] as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1) as string);
    // 32 bytes in 43 characters: the last one carries 4 bits of the MAC and 2 unused ones.
    const respelled = `${signature.slice(0, -1)}${alphabet[last | 1]}`;
    expect(Buffer.from(respelled.slice(3), 'base64url')).toEqual(
      Buffer.from(signature.slice(3), 'base64url'),
    );
    expect(verify({ ...good, [A.signature]: respelled })).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(good).ok).toBe(true);
  });

  it('is not fooled by inherited properties standing in for attributes', () => {
    const inherited = Object.create(signIdentity(KEY, identity())) as Record<string, string>;
    expect(verify(inherited)).toEqual({ ok: false, reason: 'absent' });
  });

  it('refuses to sign with a short key, a bad nonce or a bad time', () => {
    expect(() => signIdentity(randomBytes(31), identity())).toThrow(RangeError);
    expect(() => signIdentity(KEY, identity({ nonce: 'abc' }))).toThrow(RangeError);
    expect(() => signIdentity(KEY, identity({ issuedAt: 1.5 }))).toThrow(RangeError);
  });

  it('makes nonces of 128 bits that do not repeat', () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
  });
});

describe('signing keys', () => {
  it('reads SecretBinary as it is and SecretString as base64 of at least 32 bytes', () => {
    expect(signingKeyOf(KEY)).toEqual(KEY);
    expect(Buffer.from(signingKeyOf(KEY.toString('base64')))).toEqual(KEY);
    expect(Buffer.from(signingKeyOf(`${KEY.toString('base64url')}\n`))).toEqual(KEY);
    for (const bad of [randomBytes(16).toString('base64'), 'not base64!', '', randomBytes(8)]) {
      expect(() => signingKeyOf(bad)).toThrow(/at least 32 bytes/);
    }
  });

  it('asks for AWSCURRENT, and for AWSPREVIOUS only as a second choice that may be missing', async () => {
    const asked: (string | undefined)[] = [];
    const keys = new SigningKeys(
      {
        async get(_id, options) {
          asked.push(options?.versionStage);
          if (options?.versionStage === 'AWSPREVIOUS') throw new Error('ResourceNotFoundException');
          return { value: KEY.toString('base64') };
        },
      },
      'flowguard/edge-signing',
    );
    expect(Buffer.from(await keys.current())).toEqual(KEY);
    expect(await keys.previous()).toBeNull();
    expect(asked).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });
});

describe('request identities', () => {
  it('counts the IP by default, the customer id when asked, each standing in for the other', () => {
    const both = { ip: '203.0.113.7', customerId: 'cust-42' };
    expect(requestIdentities(both).counted.key).toBe('ip:203.0.113.7');
    expect(requestIdentities(both).other?.key).toBe('cust:cust-42');
    expect(requestIdentities(both, 'customer').counted.key).toBe('cust:cust-42');
    expect(requestIdentities(both, 'customer').other?.key).toBe('ip:203.0.113.7');
    expect(requestIdentities({ ip: '203.0.113.7' }, 'customer').counted.key).toBe('ip:203.0.113.7');
    expect(requestIdentities({ customerId: 'cust-42' }).counted.key).toBe('cust:cust-42');
  });

  it('keys IPv6 by its /64', () => {
    const a = requestIdentities({ ip: '2001:db8:1:2:aaaa::1' }).counted;
    const b = requestIdentities({ ip: '2001:db8:1:2:bbbb::9' }).counted;
    expect(a.key).toBe('ip:2001:db8:1:2::/64');
    expect(b.key).toBe(a.key);
  });

  it('marks an unparseable IP with no customer id as an unusable IP, and keeps its warning otherwise', () => {
    const alone = requestIdentities({ ip: '010.0.0.1' }).counted;
    expect(alone).toMatchObject({
      class: 'unidentified',
      key: null,
      unusable: 'ip',
      warning: 'ipv4_leading_zero',
    });
    const withCustomer = requestIdentities({ ip: 'nonsense', customerId: 'c1' }).counted;
    expect(withCustomer).toMatchObject({ class: 'customer', key: 'cust:c1', warning: 'ip_unparseable' });
    expect(requestIdentities({}).counted).toMatchObject({ class: 'unidentified', key: null, unusable: '' });
    expect(requestIdentities({ customerId: 'x'.repeat(300) }).counted).toMatchObject({
      class: 'unidentified',
      warning: 'customer_id_too_long',
    });
  });

  it('trusts as signed keys only the two kinds the edge signs, in their canonical form', () => {
    expect(signedKeyIdentity('ip:203.0.113.7')).toMatchObject({ class: 'ip', key: 'ip:203.0.113.7' });
    expect(signedKeyIdentity('ip:2001:db8:1:2::/64')).toMatchObject({ class: 'ip' });
    expect(signedKeyIdentity('cust:cust-42')).toMatchObject({ class: 'customer', key: 'cust:cust-42' });
    for (const key of [
      'tel:+14155550123',
      'ip:010.0.0.1',
      'ip:2001:db8:1:2::1',
      'cust:',
      'cust: padded ',
      'email:a@b',
    ]) {
      expect(signedKeyIdentity(key), key).toBeNull();
    }
  });
});
