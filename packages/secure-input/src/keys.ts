/**
 * Key tooling for Connect's encrypted input (`flowguard keys`): RSA-4096 key pairs with
 * self-signed certificates, and certificate expiry checks (an expired certificate in a flow
 * silently breaks it). CLI only: nothing here is in a Lambda bundle.
 */
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const SIGNING = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface ConnectKeyMaterial {
  /** PKCS#8 PEM: goes into the keys secret, nowhere else. */
  readonly privateKeyPem: string;
  /** SPKI PEM: what an admin uploads to the Connect instance as a flow security key. */
  readonly publicKeyPem: string;
  /** Self-signed X.509 PEM: what a flow's InputEncryption.Key holds. */
  readonly certificatePem: string;
  readonly notAfter: Date;
}

/** A new RSA-4096 key pair and a self-signed certificate valid for `days` from `now`. */
export async function createConnectKey(options: {
  commonName: string;
  days: number;
  now?: Date;
}): Promise<ConnectKeyMaterial> {
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3650) {
    throw new RangeError('days must be a whole number from 1 to 3650');
  }
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 4096,
    publicExponent: 0x10001,
  });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      'pkcs8',
      privateKey.export({ type: 'pkcs8', format: 'der' }),
      SIGNING,
      false,
      ['sign'],
    ),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      SIGNING,
      true,
      ['verify'],
    ),
  };
  const notAfter = new Date(now.getTime() + options.days * DAY_MS);
  const name = `CN=${options.commonName.replace(/[,=+<>#;\\"]/g, ' ').slice(0, 64)}`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name,
    notBefore: now,
    notAfter,
    signingAlgorithm: SIGNING,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return { privateKeyPem, publicKeyPem, certificatePem: certificate.toString('pem'), notAfter };
}

/** The JSON the keys secret holds (`FLOWGUARD_CONNECT_KEYS_SECRET_ID`). */
export function keysSecretJson(keys: readonly { keyId: string; privateKeyPem: string }[]): string {
  return JSON.stringify(
    { keys: keys.map((k) => ({ keyId: k.keyId, privateKey: k.privateKeyPem })) },
    null,
    2,
  );
}

export interface CertificateStatus {
  readonly source: string;
  readonly subject: string;
  readonly notAfter: Date;
  readonly daysLeft: number;
  readonly status: 'ok' | 'expiring' | 'expired';
}

/** Reads a PEM certificate and says whether it expires within `warnDays` of `now`. */
export function checkCertificate(
  pem: string,
  options: { source: string; warnDays: number; now?: Date },
): CertificateStatus {
  const certificate = new X509Certificate(pem);
  const notAfter = new Date(certificate.validTo);
  const now = options.now ?? new Date();
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  const status = notAfter <= now ? 'expired' : daysLeft < options.warnDays ? 'expiring' : 'ok';
  return {
    source: options.source,
    subject: certificate.subject.replace(/\n/g, ', '),
    notAfter,
    daysLeft,
    status,
  };
}

/** The certificates a flow carries: every `InputEncryption.Key` of its Store customer input blocks. */
export function certificatesInFlow(flow: unknown): { actionId: string; keyId: string; pem: string }[] {
  const actions = (flow as { Actions?: unknown } | null)?.Actions;
  if (!Array.isArray(actions)) return [];
  const out: { actionId: string; keyId: string; pem: string }[] = [];
  for (const action of actions as { Identifier?: unknown; Parameters?: { InputEncryption?: unknown } }[]) {
    const encryption = action?.Parameters?.InputEncryption as
      | { EncryptionKeyId?: unknown; Key?: unknown }
      | undefined;
    if (typeof encryption?.Key === 'string' && encryption.Key.includes('BEGIN CERTIFICATE')) {
      out.push({
        actionId: String(action.Identifier ?? ''),
        keyId: String(encryption.EncryptionKeyId ?? ''),
        pem: encryption.Key,
      });
    }
  }
  return out;
}
