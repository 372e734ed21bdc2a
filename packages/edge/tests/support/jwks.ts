// A JSON Web Key Set served over real HTTP on 127.0.0.1, and tokens signed with its keys.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export const ISSUER = 'https://login.example.com/';
export const AUDIENCE = 'start-contact';

export interface LocalJwks {
  readonly url: string;
  /** Requests the server answered. */
  readonly fetches: () => number;
  sign(
    payload: JWTPayload,
    options?: { alg?: string; kid?: string; expiresIn?: string | number; issuer?: string },
  ): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalJwks(): Promise<LocalJwks> {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const keys: Record<string, { privateKey: CryptoKey; alg: string }> = {
    'rsa-1': { privateKey: rsa.privateKey, alg: 'RS256' },
    'ec-1': { privateKey: ec.privateKey, alg: 'ES256' },
  };
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  };
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    async sign(payload, options = {}) {
      const kid = options.kid ?? 'rsa-1';
      const key = keys[kid] ?? keys['rsa-1'];
      if (!key) throw new Error('no key');
      return new SignJWT(payload)
        .setProtectedHeader({ alg: options.alg ?? key.alg, kid })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(key.privateKey);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
