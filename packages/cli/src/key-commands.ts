import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  certificatesInFlow,
  checkCertificate,
  createConnectKey,
  keysSecretJson,
} from '@flowguard/secure-input/keys';
import type { Context } from './context.js';
import { CommandError, UsageError } from './errors.js';

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `flowguard keys create`: an RSA-4096 key pair and a self-signed certificate. Writes the public
 * key (upload it to Connect), the certificate (the flows' InputEncryption.Key) and the secret
 * JSON (the private key: put it in the keys secret, then delete the file), and prints next steps.
 */
export async function createKeys(
  ctx: Context,
  options: { keyId?: string; days?: string; out?: string; name?: string },
): Promise<number> {
  const keyId = options.keyId ?? '';
  if (!KEY_ID.test(keyId)) throw new UsageError('--key-id is required: 1 to 64 letters, digits, _ . -');
  const days = Number(options.days ?? '365');
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new UsageError('--days must be a whole number from 1 to 3650');
  const dir = options.out ?? '.';
  const material = await createConnectKey({
    commonName: options.name ?? `flowguard ${keyId}`,
    days,
    now: new Date(ctx.nowMs()),
  });
  const files = {
    publicKey: join(dir, `${keyId}.public.pem`),
    certificate: join(dir, `${keyId}.cert.pem`),
    secret: join(dir, `${keyId}.secret.json`),
  };
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(files.publicKey, material.publicKeyPem);
    await writeFile(files.certificate, material.certificatePem);
    await writeFile(files.secret, `${keysSecretJson([{ keyId, privateKeyPem: material.privateKeyPem }])}\n`, {
      mode: 0o600,
    });
    await chmod(files.secret, 0o600);
  } catch (error) {
    throw new CommandError(
      `could not write the key files to ${dir} (${error instanceof Error ? error.name : 'error'})`,
    );
  }
  if (ctx.json) {
    ctx.out(`${JSON.stringify({ keyId, notAfter: material.notAfter.toISOString(), files })}\n`);
    return 0;
  }
  ctx.out(`Made an RSA-4096 key pair and a certificate valid until ${material.notAfter.toISOString()}.

  ${files.publicKey}    the instance's security key (stack parameter ConnectPublicKeyA or B)
  ${files.certificate}    the flows' InputEncryption.Key (stack parameter ConnectCertificateA or B)
  ${files.secret}    the private key: add its entry to the keys secret (FLOWGUARD_CONNECT_KEYS_SECRET_ID) under the key id Connect gives, then delete this file

Next: deploy the stack with the key in a free slot (docs/deploy.md), put the private key in the
secret under the key id the stack outputs, and run 'flowguard keys check' before the
certificate expires.
`);
  return 0;
}

/**
 * `flowguard keys check <file...>`: certificates in PEM files or in flows; exit 1 when one expires
 * within --days (default 30) or already has.
 */
export async function checkKeys(
  ctx: Context,
  files: readonly string[],
  options: { days?: string },
): Promise<number> {
  if (files.length === 0) throw new UsageError('name certificate files (.pem) or flows (.json) to check');
  const warnDays = Number(options.days ?? '30');
  if (!Number.isInteger(warnDays) || warnDays < 0 || warnDays > 3650)
    throw new UsageError('--days must be a whole number');
  const now = new Date(ctx.nowMs());
  const results = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new CommandError(`cannot read ${file}`);
    }
    const certificates = file.endsWith('.json')
      ? certificatesInFlow(JSON.parse(text) as unknown).map((c) => ({
          source: `${file} (${c.actionId}, key ${c.keyId})`,
          pem: c.pem,
        }))
      : [{ source: file, pem: text }];
    for (const { source, pem } of certificates) {
      try {
        results.push(checkCertificate(pem, { source, warnDays, now }));
      } catch {
        throw new CommandError(`${source} is not a PEM certificate`);
      }
    }
  }
  if (ctx.json) ctx.out(`${JSON.stringify(results)}\n`);
  else if (results.length === 0) ctx.out('no certificates found (placeholders are not checked)\n');
  else {
    for (const r of results) {
      const when =
        r.status === 'expired'
          ? `EXPIRED ${-r.daysLeft} day(s) ago`
          : `${r.status === 'expiring' ? 'EXPIRES SOON' : 'ok'}: ${r.daysLeft} day(s) left`;
      ctx.out(`${r.source}: ${when} (until ${r.notAfter.toISOString()}, ${r.subject})\n`);
    }
  }
  return results.some((r) => r.status !== 'ok') ? 1 : 0;
}
