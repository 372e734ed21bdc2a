import { SecretCache } from '@flowguard/secrets';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenConfig } from '../../src/config.js';
import { TokenVerifier } from '../../src/token.js';
import { AUDIENCE, ISSUER, type LocalJwks, startLocalJwks } from '../support/jwks.js';
import { fakeSecrets, HMAC_SECRET } from '../support/secrets.js';

let jwks: LocalJwks;
let verifier: TokenVerifier;

function jwksConfig(overrides: Partial<TokenConfig> = {}): TokenConfig {
  return {
    source: { jwksUrl: new URL(jwks.url) },
    issuer: ISSUER,
    audience: [AUDIENCE],
    algorithms: ['RS256', 'ES256'],
    claim: 'sub',
    clockToleranceSeconds: 0,
    ...overrides,
  };
}

beforeAll(async () => {
  jwks = await startLocalJwks();
  verifier = new TokenVerifier({ config: jwksConfig(), required: false });
});

afterAll(async () => {
  await jwks.stop();
});

describe('TokenVerifier against a JWKS served on 127.0.0.1', () => {
  it('takes the customer id from a good token (RS256 and ES256), fetching the key set once', async () => {
    const rsa = await verifier.verify(`Bearer ${await jwks.sign({ sub: 'cust-42' })}`);
    const ec = await verifier.verify(`bearer ${await jwks.sign({ sub: 'cust-43' }, { kid: 'ec-1' })}`);

    expect(rsa).toEqual({ ok: true, customerId: 'cust-42' });
    expect(ec).toEqual({ ok: true, customerId: 'cust-43' });
    expect(jwks.fetches()).toBe(1);
  });

  it('refuses an expired token as expired, never as anonymous', async () => {
    const token = await jwks.sign({ sub: 'cust-42' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 });
    expect(await verifier.verify(`Bearer ${token}`)).toEqual({ ok: false, reason: 'token_expired' });
  });

  it('refuses a token from another issuer or for another audience', async () => {
    const other = await jwks.sign({ sub: 'cust-42' }, { issuer: 'https://evil.example/' });
    expect(await verifier.verify(`Bearer ${other}`)).toEqual({ ok: false, reason: 'token_invalid' });
    const strict = new TokenVerifier({ config: jwksConfig({ audience: ['someone-else'] }), required: false });
    expect(await strict.verify(`Bearer ${await jwks.sign({ sub: 'cust-42' })}`)).toEqual({
      ok: false,
      reason: 'token_invalid',
    });
  });

  it('refuses an algorithm that is not on the allow-list', async () => {
    const rsaOnly = new TokenVerifier({ config: jwksConfig({ algorithms: ['RS256'] }), required: false });
    const ec = await jwks.sign({ sub: 'cust-42' }, { kid: 'ec-1' });
    expect(await rsaOnly.verify(`Bearer ${ec}`)).toEqual({ ok: false, reason: 'token_invalid' });
  });

  it('refuses alg none (an unsigned token) and a token re-signed with HS256 over the public key', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(
      JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now + 300 }),
    );
    expect((await verifier.verify(`Bearer ${header}.${payload}.`)).ok).toBe(false);
    const published = (await fetch(jwks.url).then((r) => r.json())) as { keys: unknown[] };
    const confused = await new SignJWT({ sub: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(published.keys[0])));
    expect(await verifier.verify(`Bearer ${confused}`)).toEqual({ ok: false, reason: 'token_invalid' });
  });

  it('refuses a token without exp, a forged signature, a bad header and a missing claim', async () => {
    const good = await jwks.sign({ sub: 'cust-42' });
    const [h, p, s] = good.split('.');
    const forged = `${h}.${base64url.encode(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 }))}.${s}`;
    expect((await verifier.verify(`Bearer ${forged}`)).ok).toBe(false);
    expect(await verifier.verify(`Basic ${p}`)).toEqual({ ok: false, reason: 'token_malformed' });
    expect(await verifier.verify('Bearer not.a.jwt!')).toEqual({ ok: false, reason: 'token_malformed' });
    expect(await verifier.verify(`Bearer ${await jwks.sign({ name: 'no sub' })}`)).toEqual({
      ok: false,
      reason: 'token_claim',
    });
  });

  it('reads another claim when configured', async () => {
    const custom = new TokenVerifier({ config: jwksConfig({ claim: 'customer_id' }), required: false });
    expect(await custom.verify(`Bearer ${await jwks.sign({ sub: 'x', customer_id: 'c-9' })}`)).toEqual({
      ok: true,
      customerId: 'c-9',
    });
  });

  it('treats no token as anonymous unless required; a token with no verification set up is refused', async () => {
    expect(await verifier.verify(undefined)).toEqual({ ok: true, customerId: undefined });
    const required = new TokenVerifier({ config: jwksConfig(), required: true });
    expect(await required.verify(undefined)).toEqual({ ok: false, reason: 'token_missing' });
    const unconfigured = new TokenVerifier({ config: null, required: false });
    expect(await unconfigured.verify(`Bearer ${await jwks.sign({ sub: 'c' })}`)).toEqual({
      ok: false,
      reason: 'token_unconfigured',
    });
  });

  it('answers keys unavailable (not 401) when the JWKS host cannot be reached', async () => {
    const down = new TokenVerifier({
      config: jwksConfig({ source: { jwksUrl: new URL('http://127.0.0.1:1/jwks.json') } }),
      required: false,
    });
    expect(await down.verify(`Bearer ${await jwks.sign({ sub: 'c' })}`)).toEqual({
      ok: false,
      reason: 'token_keys_unavailable',
    });
  });
});

describe('TokenVerifier with an HS256 secret from Secrets Manager', () => {
  const config: TokenConfig = {
    source: { secretId: 'edge/jwt' },
    issuer: ISSUER,
    audience: [AUDIENCE],
    algorithms: ['HS256'],
    claim: 'sub',
    clockToleranceSeconds: 0,
  };
  const sign = (secret: string, alg = 'HS256') =>
    new SignJWT({ sub: 'cust-7' })
      .setProtectedHeader({ alg })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));

  it('verifies a token signed with the shared secret, and refuses one signed with another', async () => {
    const client = fakeSecrets({ 'edge/jwt': HMAC_SECRET });
    const hs = new TokenVerifier({ config, required: false, secrets: new SecretCache({ client }) });

    expect(await hs.verify(`Bearer ${await sign(HMAC_SECRET)}`)).toEqual({ ok: true, customerId: 'cust-7' });
    expect(await hs.verify(`Bearer ${await sign(`${HMAC_SECRET}-other`)}`)).toEqual({
      ok: false,
      reason: 'token_invalid',
    });
    expect(await hs.verify(`Bearer ${await sign(HMAC_SECRET, 'HS512')}`)).toEqual({
      ok: false,
      reason: 'token_invalid',
    });
    expect(client.calls).toBe(1);
  });

  it('answers keys unavailable when the secret cannot be read, and refuses a short secret', async () => {
    const missing = new TokenVerifier({
      config,
      required: false,
      secrets: new SecretCache({ client: fakeSecrets({}) }),
    });
    expect((await missing.verify(`Bearer ${await sign(HMAC_SECRET)}`)).ok).toBe(false);
    const short = new TokenVerifier({
      config,
      required: false,
      secrets: new SecretCache({ client: fakeSecrets({ 'edge/jwt': 'short' }) }),
    });
    expect(await short.verify(`Bearer ${await sign('short-but-signed-anyway-with-32-bytes!!')}`)).toEqual({
      ok: false,
      reason: 'token_keys_unavailable',
    });
  });
});
