// Secure IVR benchmarks (`pnpm bench`): decrypt of Connect's message and encrypt-input's token,
// each next to a floor of the same cryptography done with raw node:crypto in the same run.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import {
  ConnectDecryptor,
  type JsonSecrets,
  makeToken,
  rsaTokenKeyring,
  tokenContext,
} from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { type TestKeyPart, testKeyPem } from '@flowguard/testing/test-keys';
import { reportRows } from '../lib/bench-rows.js';

const key = (part: TestKeyPart) => testKeyPem(1, part);
const privateKey = createPrivateKey(key('private'));
const publicKey = createPublicKey(key('public'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median ms of `runs` calls, after `warm` unmeasured ones; alternating so load hits both alike. */
async function compare(
  a: () => Promise<unknown> | unknown,
  b: () => Promise<unknown> | unknown,
  runs: number,
) {
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < 5; i++) {
    await a();
    await b();
  }
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await a();
    sa.push(performance.now() - t);
    t = performance.now();
    await b();
    sb.push(performance.now() - t);
  }
  return [median(sa), median(sb)] as const;
}

// Decrypt floor: what the SDK must do for one Connect message, by hand.
const wrapped = publicEncrypt(
  { key: publicKey, oaepHash: 'sha512', padding: constants.RSA_PKCS1_OAEP_PADDING },
  randomBytes(32),
);
const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const signed = randomBytes(800);
const signature = sign('sha384', signed, ec.privateKey);
const gcmKey = randomBytes(32);
const iv = randomBytes(12);
const cipher = createCipheriv('aes-256-gcm', gcmKey, iv);
const body = Buffer.concat([cipher.update('4111111111111111'), cipher.final()]);
const tag = cipher.getAuthTag();
function decryptFloor(): Buffer {
  privateDecrypt({ key: privateKey, oaepHash: 'sha512', padding: constants.RSA_PKCS1_OAEP_PADDING }, wrapped);
  if (!verify('sha384', signed, ec.publicKey, signature)) throw new Error('verify');
  const decipher = createDecipheriv('aes-256-gcm', gcmKey, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}

// Encrypt floor: RSA public encrypt of a data key plus AES-GCM of the value.
function encryptFloor(): Buffer {
  const dataKey = randomBytes(32);
  publicEncrypt({ key: publicKey, oaepHash: 'sha512', padding: constants.RSA_PKCS1_OAEP_PADDING }, dataKey);
  const c = createCipheriv('aes-256-gcm', dataKey, randomBytes(12));
  return Buffer.concat([c.update('4111111111111111'), c.final(), c.getAuthTag()]);
}

const secret = { keys: [{ keyId: 'test-only-key-1', privateKey: key('private') }] };
const secrets: JsonSecrets = { getJson: async () => secret, refresh: async () => secret };
const decryptor = new ConnectDecryptor({ secrets, secretId: 'connect-keys' });
const message = await encryptLikeConnect('4111111111111111', {
  keyId: 'test-only-key-1',
  publicKey: key('cert'),
});
const tokenKeyring = rsaTokenKeyring('downstream', key('public'));
const value = Buffer.from('4111111111111111');
const context = tokenContext('5ca32fbd-8f92-46af-92a5-6b0f970f0efe', 'card');

const [decryptMs, decryptFloorMs] = await compare(() => decryptor.decrypt(message), decryptFloor, 60);
const [encryptMs, encryptFloorMs] = await compare(
  () => makeToken(tokenKeyring, value, context),
  encryptFloor,
  200,
);

const rows = [
  ['secure-input decrypt (keys cached)', decryptMs, decryptFloorMs, 1.3],
  ['encrypt-input token (RSA public key)', encryptMs, encryptFloorMs, 3],
] as const;
let failed = false;
console.log('crypto benchmark                        median ms   floor ms   ratio   target');
for (const [name, ms, floor, target] of rows) {
  const ratio = ms / floor;
  if (ratio > target) failed = true;
  console.log(
    `${name.padEnd(39)} ${ms.toFixed(3).padStart(9)}  ${floor.toFixed(3).padStart(9)}   ${ratio.toFixed(2).padStart(5)}   <= ${target} ${ratio <= target ? 'ok' : 'MISSED'}`,
  );
}
reportRows(
  rows.map(([name, ms, floor, target]) => ({
    group: 'secure input',
    name: `${name}, ms median`,
    measured: ms.toFixed(3),
    floor: floor.toFixed(3),
    ratio: (ms / floor).toFixed(2),
    target: `<= ${target}x floor`,
    verdict: ms / floor <= target ? 'ok' : 'MISSED',
  })),
);
if (failed) process.exitCode = 1;
