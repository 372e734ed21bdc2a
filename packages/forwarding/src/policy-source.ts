// Where each invocation gets its compiled policy: the document from the environment (validated at
// init), or one read from Secrets Manager or SSM and read again after a TTL. A document that does
// not validate stops forwarding (fail closed) until it is fixed: the stream keeps the records.
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { SecretCache } from '@flowguard/secrets';
import { type FingerprintKeys, fingerprintKeysOf } from '@flowguard/secure-input';
import { type CompiledPolicies, compilePolicies } from './compile.js';
import { type ForwardingConfig, missingFingerprintKey } from './config.js';
import { POLICY_VARIABLE } from './contract.js';
import { ForwardingError, PolicyError } from './errors.js';
import { type PolicyDocument, parsePolicyDocument, validatePolicyDocument } from './policy.js';

export interface PolicySource {
  get(signal?: AbortSignal): Promise<CompiledPolicies>;
}

/** Compiles once per version: a re-read of an unchanged document costs no work. */
class Versioned {
  private version: string | undefined;
  private compiled: CompiledPolicies | undefined;

  constructor(
    private readonly source: string,
    private readonly fingerprintSecretId: string | undefined,
    private readonly needsKey: boolean,
  ) {}

  of(version: string, read: () => PolicyDocument): CompiledPolicies {
    if (this.compiled && this.version === version) return this.compiled;
    const document = read();
    const missing = this.needsKey ? missingFingerprintKey(document, this.fingerprintSecretId) : undefined;
    if (missing) throw new PolicyError(this.source, [missing]);
    this.compiled = compilePolicies(document);
    this.version = version;
    return this.compiled;
  }
}

export function staticPolicySource(document: PolicyDocument): PolicySource {
  const compiled = compilePolicies(document);
  return { get: async () => compiled };
}

/** The policy as a Secrets Manager secret's JSON, through the shared cache (TTL, stale-if-error). */
export function secretPolicySource(
  cache: SecretCache,
  secretId: string,
  options: { fingerprintSecretId?: string; needsKey?: boolean } = {},
): PolicySource {
  const versions = new Versioned(
    `secret ${secretId}`,
    options.fingerprintSecretId,
    options.needsKey ?? false,
  );
  return {
    async get(signal) {
      const secret = await cache.getJson(secretId, { signal });
      return versions.of(secret.versionId, () => validatePolicyDocument(secret.value, `secret ${secretId}`));
    },
  };
}

export interface ParameterSourceOptions {
  readonly ttlMs: number;
  /** How long the last good document is used while SSM fails. */
  readonly maxStaleMs?: number;
  readonly clock?: () => number;
  readonly fingerprintSecretId?: string;
  readonly needsKey?: boolean;
  readonly onStale?: (error: unknown) => void;
}

/**
 * The policy as an SSM parameter (String or SecureString, read with decryption), read again after
 * `ttlMs`; one read in flight at a time; while SSM fails the last good document is used for up to
 * `maxStaleMs` (an hour), then the failure stands.
 */
export function parameterPolicySource(
  ssm: SSMClient,
  name: string,
  options: ParameterSourceOptions,
): PolicySource {
  const clock = options.clock ?? Date.now;
  const maxStaleMs = options.maxStaleMs ?? 3_600_000;
  const source = `parameter ${name}`;
  const versions = new Versioned(source, options.fingerprintSecretId, options.needsKey ?? false);
  let current: { compiled: CompiledPolicies; readAt: number } | undefined;
  let flight: Promise<CompiledPolicies> | undefined;

  async function read(signal?: AbortSignal): Promise<CompiledPolicies> {
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }), {
      abortSignal: signal,
    });
    const value = out.Parameter?.Value;
    if (typeof value !== 'string')
      throw new PolicyError(source, [{ path: '', message: 'the parameter has no value' }]);
    const version = `${out.Parameter?.Version ?? ''}:${out.Parameter?.LastModifiedDate?.getTime() ?? ''}`;
    return versions.of(version, () => parsePolicyDocument(value, source));
  }

  return {
    async get(signal) {
      const now = clock();
      if (current && now - current.readAt < options.ttlMs) return current.compiled;
      flight ??= read(signal).finally(() => {
        flight = undefined;
      });
      try {
        const compiled = await flight;
        current = { compiled, readAt: clock() };
        return compiled;
      } catch (error) {
        // A document that does not validate is never papered over with the old one: fail closed.
        if (error instanceof PolicyError || !current || now - current.readAt > maxStaleMs) throw error;
        options.onStale?.(error);
        return current.compiled;
      }
    },
  };
}

/** How errors name where the policy came from (`FLOWGUARD_FORWARD_POLICY`, `secret <id>`, `parameter <name>`). */
export function policySourceName(config: ForwardingConfig): string {
  const { policy } = config;
  switch (policy.kind) {
    case 'inline':
      return POLICY_VARIABLE;
    case 'secret':
      return `secret ${policy.secretId}`;
    case 'parameter':
      return `parameter ${policy.name}`;
  }
}

/** The policy source the configuration names. */
export function policySourceFor(
  config: ForwardingConfig,
  clients: { readonly ssm: SSMClient; readonly secrets: SecretCache },
  options: { readonly needsKey: boolean; readonly onStale?: (error: unknown) => void },
): PolicySource {
  const { policy } = config;
  const shared = { fingerprintSecretId: config.fingerprintSecretId, needsKey: options.needsKey };
  switch (policy.kind) {
    case 'inline':
      return staticPolicySource(policy.document);
    case 'secret':
      return secretPolicySource(clients.secrets, policy.secretId, shared);
    case 'parameter':
      return parameterPolicySource(clients.ssm, policy.name, {
        ttlMs: config.policyTtlMs,
        onStale: options.onStale,
        ...shared,
      });
  }
}

export interface FingerprintKeySource {
  get(signal?: AbortSignal): Promise<FingerprintKeys>;
}

/** The fingerprint keys from secure-input's secret format, parsed once per secret version. */
export function secretFingerprintKeys(
  cache: SecretCache,
  secretId: string | undefined,
): FingerprintKeySource {
  let parsed: { version: string; keys: FingerprintKeys } | undefined;
  return {
    async get(signal) {
      if (!secretId) throw new ForwardingError('key_unavailable', 'no fingerprint secret is configured');
      const secret = await cache.getJson(secretId, { signal });
      if (parsed?.version !== secret.versionId) {
        parsed = { version: secret.versionId, keys: fingerprintKeysOf(secret.value) };
      }
      return parsed.keys;
    },
  };
}
