import type { KeyringNode } from '@aws-crypto/material-management-node';
import { type Contact, type FlowFunction, type InvocationContext, stringParameter } from '@flowguard/contact';
import { cardBrand, coerceParameter, hasSchema, SCHEMAS, validateInput } from '@flowguard/input-validation';
import { ENCRYPT_INPUT_OUTPUTS, SECURE_INPUT_BUDGET_MS, SECURE_INPUT_OUTPUTS } from './contract.js';
import type { ConnectDecryptor, JsonSecrets } from './decrypt.js';
import { SecureInputError } from './errors.js';
import {
  type FingerprintKey,
  fingerprintKeysOf,
  NO_FINGERPRINT_FORMATS,
  versionedFingerprint,
} from './fingerprint.js';
import { makeToken, tokenContext } from './token.js';

/** Formats a flow can name, each validated with the schema of the same name (or a user schema). */
export const FORMATS = ['card', 'expiry', 'cvv', 'account', 'routing', 'pin', 'dob', 'digits'] as const;

export interface SecureInputDeps {
  /** Where the fingerprint key comes from (`FLOWGUARD_FINGERPRINT_SECRET_ID`); none: no fingerprint. */
  readonly secrets?: JsonSecrets;
  readonly fingerprintSecretId?: string;
  /** The keyring tokens are made with (a KMS key or an RSA public key); none: no token. */
  readonly tokenKeyring?: (signal?: AbortSignal) => Promise<KeyringNode>;
}

interface Target {
  readonly schema: string;
  readonly field: string;
  /** Derive last four digits and brand only for values that are masked, never for PINs or CVVs. */
  readonly revealsLast4: boolean;
  /** False for PINs and CVVs, and for any value its schema says is never output. */
  readonly fingerprinted: boolean;
}

/** The schema and parameter a format's value is checked as: the schema's first required field. */
function targetOf(format: string): Target {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(format) || !hasSchema(format)) {
    throw new SecureInputError('unknown_format', 'no schema for this format');
  }
  const schema = SCHEMAS[format];
  const property = schema?.properties.find((p) => p.required && p.type === 'string');
  if (!schema || !property)
    throw new SecureInputError('unknown_format', 'the schema has no required text field');
  return {
    schema: format,
    field: property.name,
    revealsLast4: property.output === 'masked',
    fingerprinted: !NO_FINGERPRINT_FORMATS.has(format) && property.output !== 'none',
  };
}

async function fingerprintKey(
  deps: SecureInputDeps,
  target: Target,
  signal?: AbortSignal,
): Promise<FingerprintKey | undefined> {
  if (!target.fingerprinted || !deps.secrets || !deps.fingerprintSecretId) return undefined;
  let secret: unknown;
  try {
    secret = await deps.secrets.getJson(deps.fingerprintSecretId, { signal });
  } catch (error) {
    throw new SecureInputError('key_unavailable', 'the fingerprint secret could not be read', {
      cause: error,
    });
  }
  return fingerprintKeysOf(secret).current;
}

interface Facts {
  valid: boolean;
  errorCode: string;
  last4: string;
  brand: string;
  length: number;
  fingerprint: string;
  token: string;
}

/**
 * Validates a plaintext value and derives what may leave the function: validity and why, last
 * four digits and brand (for maskable values), length, a keyed fingerprint and a token. The
 * plaintext itself never appears in what is returned.
 */
async function derive(
  plaintext: Buffer,
  target: Target,
  deps: SecureInputDeps,
  contact: Contact,
  context: InvocationContext,
  fingerprintKeyRead: Promise<FingerprintKey | undefined>,
): Promise<Facts> {
  const text = plaintext.toString('utf8');
  const result = validateInput(target.schema, { [target.field]: text });
  const facts: Facts = {
    valid: result.valid,
    errorCode: result.errorCode,
    last4: '',
    brand: '',
    length: 0,
    fingerprint: '',
    token: '',
  };
  if (!result.valid) return facts;
  // The normalised value (separators removed) is what the facts and the token describe.
  const value = Buffer.from(coerceParameter(target.schema, target.field, text) ?? '', 'utf8');
  try {
    facts.length = value.length;
    // Last four only where at least six digits stay hidden: for a short value they are most of it.
    if (target.revealsLast4 && value.length >= 10) facts.last4 = value.subarray(-4).toString('utf8');
    if (target.schema === 'card') facts.brand = cardBrand(value.toString('utf8'));
    const key = await fingerprintKeyRead;
    if (key) facts.fingerprint = versionedFingerprint(key, target.schema, value);
    if (deps.tokenKeyring) {
      const keyring = await deps.tokenKeyring(context.signal);
      facts.token = await makeToken(keyring, value, tokenContext(contact.contactId, target.schema));
    }
    return facts;
  } finally {
    value.fill(0);
  }
}

/** `secure-input`: decrypts `encryptedInput` (from `$.StoredCustomerInput`), validates, derives. */
export function secureInput(decryptor: ConnectDecryptor, deps: SecureInputDeps): FlowFunction {
  return {
    name: 'secure-input',
    outputKeys: SECURE_INPUT_OUTPUTS,
    sensitiveKeys: ['encryptedInput', 'storedCustomerInput', 'input'],
    neverLogEvent: true,
    budgetMs: SECURE_INPUT_BUDGET_MS,
    failMode: (code) => ({ valid: false, errorCode: code }),
    async handle(contact, context) {
      const format = stringParameter(contact, 'format', { required: true, maxLength: 40 });
      const target = targetOf(format);
      const keyId = stringParameter(contact, 'keyId', { maxLength: 128 });
      const encrypted = Object.hasOwn(contact.parameters, 'encryptedInput')
        ? contact.parameters.encryptedInput
        : undefined;
      // The fingerprint key is read while the input decrypts: when Secrets Manager is slow, the two
      // reads share the wait instead of queueing for the budget. A read this call turns out not to
      // need (the input did not decrypt or is invalid) is abandoned when the call ends, so the next
      // call starts a fetch of its own rather than join one that is failing.
      const fingerprintRead = new AbortController();
      const abandon = () => fingerprintRead.abort(context.signal.reason);
      context.signal.addEventListener('abort', abandon, { once: true });
      const fingerprintKeyRead = fingerprintKey(deps, target, fingerprintRead.signal);
      fingerprintKeyRead.catch(() => {}); // awaited below only for a valid value
      try {
        const plaintext = await decryptor.decrypt(encrypted ?? '', { keyId, signal: context.signal });
        try {
          const facts = await derive(plaintext, target, deps, contact, context, fingerprintKeyRead);
          context.addMetric(facts.valid ? 'ValidInput' : 'InvalidInput');
          return { ...facts };
        } finally {
          plaintext.fill(0);
        }
      } finally {
        context.signal.removeEventListener('abort', abandon);
        fingerprintRead.abort();
      }
    },
  };
}

function masked(value: string): string {
  const keep = value.length > 8 ? 4 : 0;
  return '*'.repeat(value.length - keep) + value.slice(value.length - keep);
}

/** `encrypt-input`: validates plaintext input (e.g. a Lex slot) and returns a token and a mask. */
export function encryptInput(
  deps: SecureInputDeps & { tokenKeyring: NonNullable<SecureInputDeps['tokenKeyring']> },
): FlowFunction {
  return {
    name: 'encrypt-input',
    outputKeys: ENCRYPT_INPUT_OUTPUTS,
    sensitiveKeys: ['input'],
    neverLogEvent: true,
    budgetMs: SECURE_INPUT_BUDGET_MS,
    failMode: (code) => ({ valid: false, errorCode: code, masked: '', token: '' }),
    async handle(contact, context) {
      const format = stringParameter(contact, 'format', { required: true, maxLength: 40 });
      const target = targetOf(format);
      const input = stringParameter(contact, 'input', { maxLength: 256 });
      if (input === undefined) throw new SecureInputError('no_input', 'nothing to encrypt');
      const result = validateInput(target.schema, { [target.field]: input });
      if (!result.valid) return { valid: false, errorCode: result.errorCode, masked: '', token: '' };
      const value = Buffer.from(coerceParameter(target.schema, target.field, input) ?? '', 'utf8');
      try {
        const keyring = await deps.tokenKeyring(context.signal);
        const token = await makeToken(keyring, value, tokenContext(contact.contactId, target.schema));
        return {
          valid: true,
          errorCode: '',
          masked: target.revealsLast4 ? masked(value.toString('utf8')) : '*'.repeat(value.length),
          token,
        };
      } finally {
        value.fill(0);
      }
    },
  };
}
