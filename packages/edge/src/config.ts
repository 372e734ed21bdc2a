import { EDGE_SIGNING_SECRET_VARIABLE } from '@flowguard/caller-screening/contract';
import { ConfigError, type Env, envBool, envEnum, envInt, envList, envString } from '@flowguard/contact';
import { parseTrustedProxies, type TrustedProxies } from './client-ip.js';
import { CONTACT_KINDS } from './contract.js';

export type ContactKind = (typeof CONTACT_KINDS)[number];
export type EdgeFailMode = 'open' | 'closed';

export interface TokenConfig {
  readonly source: { readonly jwksUrl: URL } | { readonly secretId: string };
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly algorithms: readonly string[];
  readonly claim: string;
  readonly clockToleranceSeconds: number;
}

export interface EdgeConfig {
  readonly instanceId: string;
  /** Flow name → contact flow id. */
  readonly flows: ReadonlyMap<string, string>;
  /** Exact origins (`https://www.example.com`), as browsers send them. */
  readonly origins: ReadonlySet<string>;
  readonly allowNoOrigin: boolean;
  readonly corsMaxAgeSeconds: number;
  readonly attributes: ReadonlySet<string>;
  readonly trustedProxies: TrustedProxies;
  readonly keyBy: 'ip' | 'customer';
  readonly failMode: Readonly<Record<ContactKind, EdgeFailMode>>;
  readonly signingSecretId: string;
  /** Null: no verification configured; a token, if sent, is refused (401) rather than ignored. */
  readonly token: TokenConfig | null;
  readonly tokenRequired: boolean;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Contact flow ids are UUIDs; an ARN's last part is accepted as written in the console. */
const FLOW_ID = UUID;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Attribute names start-contact writes itself (the signed identity). */
const RESERVED_ATTRIBUTE = /^flowguard/i;
/** RFC 7518 §3.1 algorithms jose verifies; `none` is never among them. */
const ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

function flows(env: Env): Map<string, string> {
  const name = 'FLOWGUARD_EDGE_FLOWS';
  const map = new Map<string, string>();
  envList(name, { env }).forEach((entry, i) => {
    const [flow = '', id = '', ...rest] = entry.split('=').map((part) => part.trim());
    if (!NAME.test(flow) || rest.length > 0)
      throw new ConfigError(name, `entry ${i + 1}: a name of 1 to 64 letters, digits, _ or - before =`);
    if (!FLOW_ID.test(id)) throw new ConfigError(name, `entry ${i + 1}: the contact flow id must be a UUID`);
    if (map.has(flow)) throw new ConfigError(name, `entry ${i + 1}: the name is given twice`);
    map.set(flow, id.toLowerCase());
  });
  if (map.size === 0) throw new ConfigError(name, 'names no flow');
  return map;
}

/** An origin as a browser serialises it, or why not. */
function origin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!secure || url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== '/' || text.replace(/\/$/, '') !== url.origin) return null;
  return url.origin;
}

function origins(env: Env): Set<string> {
  const name = 'FLOWGUARD_EDGE_ALLOWED_ORIGINS';
  const set = new Set<string>();
  envList(name, { env }).forEach((entry, i) => {
    const parsed = origin(entry);
    if (parsed === null)
      throw new ConfigError(
        name,
        `entry ${i + 1}: an origin such as https://www.example.com (scheme and host, no path; no wildcard)`,
      );
    set.add(parsed);
  });
  if (set.size === 0) throw new ConfigError(name, 'names no origin');
  return set;
}

function attributes(env: Env): Set<string> {
  const name = 'FLOWGUARD_EDGE_ATTRIBUTES';
  // The same defaults as @flowguard/caller-screening's readScreeningConfig.
  const identityAttributes = {
    ip: envString('FLOWGUARD_IP_ATTRIBUTE', { env, default: 'customerIp' }),
    customer: envString('FLOWGUARD_CUSTOMER_ID_ATTRIBUTE', { env, default: 'customerId' }),
  };
  const set = new Set<string>();
  envList(name, { env, default: [] }).forEach((key, i) => {
    if (!NAME.test(key))
      throw new ConfigError(name, `entry ${i + 1}: 1 to 64 letters, digits, _ or - (Connect attribute keys)`);
    if (RESERVED_ATTRIBUTE.test(key))
      throw new ConfigError(name, `entry ${i + 1}: names starting with flowguard are start-contact's own`);
    // screen-caller identifies an unsigned chat by these: a client must not be able to name itself.
    if (key === identityAttributes.ip || key === identityAttributes.customer)
      throw new ConfigError(
        name,
        `entry ${i + 1}: screen-caller reads the caller's identity from it (FLOWGUARD_IP_ATTRIBUTE, FLOWGUARD_CUSTOMER_ID_ATTRIBUTE)`,
      );
    set.add(key);
  });
  return set;
}

function failModes(env: Env): Record<ContactKind, EdgeFailMode> {
  const name = 'FLOWGUARD_EDGE_FAIL_MODE';
  const modes = ['open', 'closed'] as const;
  const entries = envList(name, { env, default: ['open'] });
  const single = entries.length === 1 && !entries[0]?.includes('=');
  if (single) {
    const mode = envEnum(name, modes, { env, default: 'open' });
    return { chat: mode, webrtc: mode, task: mode };
  }
  const result: Record<ContactKind, EdgeFailMode> = { chat: 'open', webrtc: 'open', task: 'open' };
  entries.forEach((entry, i) => {
    const [kind = '', mode = ''] = entry.split('=').map((part) => part.trim().toLowerCase());
    if (!(CONTACT_KINDS as readonly string[]).includes(kind) || !(modes as readonly string[]).includes(mode))
      throw new ConfigError(
        name,
        `entry ${i + 1}: kind=mode with kind chat, webrtc or task and mode open or closed`,
      );
    result[kind as ContactKind] = mode as EdgeFailMode;
  });
  return result;
}

function token(env: Env): TokenConfig | null {
  const jwks = envString('FLOWGUARD_EDGE_JWKS_URL', { env, default: '' });
  const secretId = envString('FLOWGUARD_EDGE_JWT_SECRET_ID', { env, default: '' });
  const issuer = envString('FLOWGUARD_EDGE_JWT_ISSUER', { env, default: '' });
  const audience = envList('FLOWGUARD_EDGE_JWT_AUDIENCE', { env, default: [] });
  const algorithmList = envList('FLOWGUARD_EDGE_JWT_ALGORITHMS', { env, default: [] });
  const claim = envString('FLOWGUARD_EDGE_JWT_CLAIM', {
    env,
    default: 'sub',
    pattern: /^[A-Za-z0-9_:.-]{1,64}$/,
    describe: 'a claim name (letters, digits, _ : . -)',
  });
  const clockToleranceSeconds = envInt('FLOWGUARD_EDGE_JWT_CLOCK_TOLERANCE', {
    env,
    min: 0,
    max: 300,
    default: 30,
  });
  if (jwks === '' && secretId === '') return null;
  if (jwks !== '' && secretId !== '')
    throw new ConfigError(
      'FLOWGUARD_EDGE_JWT_SECRET_ID',
      'give either it or FLOWGUARD_EDGE_JWKS_URL, not both',
    );
  let source: TokenConfig['source'];
  if (jwks !== '') {
    let url: URL | null = null;
    try {
      url = new URL(jwks);
    } catch {}
    const secure = url?.protocol === 'https:' || (url?.protocol === 'http:' && LOOPBACK.has(url.hostname));
    if (!url || !secure)
      throw new ConfigError('FLOWGUARD_EDGE_JWKS_URL', 'must be an https URL (http only for localhost)');
    source = { jwksUrl: url };
  } else {
    source = { secretId };
  }
  if (issuer === '')
    throw new ConfigError('FLOWGUARD_EDGE_JWT_ISSUER', 'is required when tokens are verified');
  if (audience.length === 0)
    throw new ConfigError('FLOWGUARD_EDGE_JWT_AUDIENCE', 'is required when tokens are verified');
  const hmac = 'secretId' in source;
  const algorithms = algorithmList.length > 0 ? algorithmList : hmac ? ['HS256'] : ['RS256', 'ES256'];
  algorithms.forEach((alg, i) => {
    const known = (ALGORITHMS as readonly string[]).includes(alg);
    if (!known || alg.startsWith('HS') !== hmac)
      throw new ConfigError(
        'FLOWGUARD_EDGE_JWT_ALGORITHMS',
        `entry ${i + 1}: ${hmac ? 'HS256, HS384 or HS512 with a secret' : 'an asymmetric JWS algorithm (RS256, ES256, EdDSA, ...) with a JWKS'}`,
      );
  });
  return { source, issuer, audience, algorithms, claim, clockToleranceSeconds };
}

/** Reads start-contact's configuration once, at init; a bad variable fails naming itself (never its value). */
export function readEdgeConfig(env: Env = process.env): EdgeConfig {
  const instanceId = envString('FLOWGUARD_CONNECT_INSTANCE_ID', {
    env,
    pattern: UUID,
    describe: 'the Amazon Connect instance id (a UUID)',
  });
  const trustedNames = envList('FLOWGUARD_TRUSTED_PROXIES', { env, default: [] });
  let trustedProxies: TrustedProxies;
  try {
    trustedProxies = parseTrustedProxies(trustedNames);
  } catch (error) {
    throw new ConfigError('FLOWGUARD_TRUSTED_PROXIES', error instanceof Error ? error.message : 'bad CIDR');
  }
  const tokenRequired = envBool('FLOWGUARD_EDGE_TOKEN_REQUIRED', { env, default: false });
  const tokenConfig = token(env);
  if (tokenRequired && tokenConfig === null)
    throw new ConfigError(
      'FLOWGUARD_EDGE_TOKEN_REQUIRED',
      'needs FLOWGUARD_EDGE_JWKS_URL or FLOWGUARD_EDGE_JWT_SECRET_ID to verify the tokens with',
    );
  return {
    instanceId,
    flows: flows(env),
    origins: origins(env),
    allowNoOrigin: envBool('FLOWGUARD_EDGE_ALLOW_NO_ORIGIN', { env, default: false }),
    corsMaxAgeSeconds: envInt('FLOWGUARD_EDGE_CORS_MAX_AGE', { env, min: 0, max: 86_400, default: 600 }),
    attributes: attributes(env),
    trustedProxies,
    keyBy: envEnum('FLOWGUARD_EDGE_KEY_BY', ['ip', 'customer'] as const, { env, default: 'ip' }),
    failMode: failModes(env),
    signingSecretId: envString(EDGE_SIGNING_SECRET_VARIABLE, {
      env,
      describe: 'a Secrets Manager secret id or ARN',
    }),
    token: tokenConfig,
    tokenRequired,
  };
}
