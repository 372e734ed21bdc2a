// What start-contact promises the outside world: its name, its budget and the variables it reads.
// No imports beyond types and data, so the function registry, the CDK stack and the docs can read
// it without loading jose, ajv's output or the Connect client.
import { EDGE_SIGNING_SECRET_VARIABLE } from '@flowguard/caller-screening/contract';
import type { VariableSpec } from '@flowguard/contact';

export const START_CONTACT = 'start-contact';

/**
 * The whole answer within 2.5 s: a browser waits on it, and API Gateway's HTTP API integration
 * timeout (30 s) and a Function URL's (the function's own) are far above it.
 */
export const START_CONTACT_BUDGET_MS = 2500;

/** The largest request body read (UTF-8 bytes, after base64 decoding): larger is answered 413. */
export const MAX_BODY_BYTES = 8192;

/** The kinds of contact a website may start. */
export const CONTACT_KINDS = ['chat', 'webrtc', 'task'] as const;

/** What `readEdgeConfig` reads (docs/screening.md, "Screening at the edge", explains each). */
export const EDGE_VARIABLES: readonly VariableSpec[] = [
  {
    name: 'FLOWGUARD_CONNECT_INSTANCE_ID',
    values: 'the Amazon Connect instance id (a UUID)',
    default: '(required)',
    meaning: 'the instance start-contact starts contacts in',
  },
  {
    name: 'FLOWGUARD_EDGE_FLOWS',
    values: 'comma-separated `name=contactFlowId` (name: 1..64 letters, digits, `_`, `-`)',
    default: '(required)',
    meaning: 'the flows a request may name (`flow`), each mapped to its contact flow id',
  },
  {
    name: 'FLOWGUARD_EDGE_ALLOWED_ORIGINS',
    values: 'comma-separated origins (`https://www.example.com`); http only for localhost',
    default: '(required)',
    meaning: 'the websites whose browsers may call start-contact (CORS); any other origin is answered 403',
  },
  {
    name: 'FLOWGUARD_EDGE_ALLOW_NO_ORIGIN',
    values: 'boolean',
    default: '`false`',
    meaning: 'accept a request without an `Origin` header (a backend rather than a browser)',
  },
  {
    name: 'FLOWGUARD_EDGE_CORS_MAX_AGE',
    values: 'integer 0..86400 (seconds)',
    default: '`600`',
    meaning: "how long a browser may keep a preflight's answer (`Access-Control-Max-Age`)",
  },
  {
    name: 'FLOWGUARD_EDGE_ATTRIBUTES',
    values:
      'comma-separated attribute keys (letters, digits, `_`, `-`; not `flowguard...`, nor the identity attributes `FLOWGUARD_IP_ATTRIBUTE` and `FLOWGUARD_CUSTOMER_ID_ATTRIBUTE` name)',
    default: 'none',
    meaning: 'the contact attributes a request may set',
  },
  {
    name: 'FLOWGUARD_TRUSTED_PROXIES',
    values: 'comma-separated CIDRs, IPv4 and IPv6 (`130.176.0.0/17`, `2600:9000::/28`)',
    default: 'none',
    meaning:
      'proxies whose `X-Forwarded-For` is believed (walked from the right); with none, `X-Forwarded-For` is never read',
  },
  {
    name: 'FLOWGUARD_EDGE_KEY_BY',
    values: '`ip`, `customer`',
    default: '`ip`',
    meaning: 'which identity is counted: the client IP, or the verified customer id when there is one',
  },
  {
    name: 'FLOWGUARD_EDGE_FAIL_MODE',
    values: '`open`, `closed`, or per kind: `chat=closed,webrtc=open,task=open`',
    default: '`open`',
    meaning:
      'when the store cannot answer: `open` follows the in-memory limits, `closed` answers 503 with `Retry-After`',
  },
  {
    name: EDGE_SIGNING_SECRET_VARIABLE,
    values:
      'Secrets Manager secret id or ARN; SecretString base64 of 32+ bytes (`openssl rand -base64 32`) or SecretBinary',
    default: '(required)',
    meaning: "the HMAC key that signs the screened identity for the flow's screen-caller (AWSCURRENT)",
  },
  {
    name: 'FLOWGUARD_EDGE_JWKS_URL',
    values: 'https URL of a JSON Web Key Set (http only for localhost)',
    default: 'none',
    meaning: 'verify `Authorization: Bearer` tokens against these public keys',
  },
  {
    name: 'FLOWGUARD_EDGE_JWT_SECRET_ID',
    values:
      'Secrets Manager secret id or ARN (the HMAC secret: its string as UTF-8, or its binary; 32+ bytes)',
    default: 'none',
    meaning: 'verify tokens with this shared HMAC secret instead (AWSCURRENT); not with a JWKS URL',
  },
  {
    name: 'FLOWGUARD_EDGE_JWT_ISSUER',
    values: 'the `iss` tokens must carry',
    default: '(required with a JWKS URL or secret)',
    meaning: 'the token issuer',
  },
  {
    name: 'FLOWGUARD_EDGE_JWT_AUDIENCE',
    values: 'comma-separated `aud` values, one of which tokens must carry',
    default: '(required with a JWKS URL or secret)',
    meaning: 'the token audience',
  },
  {
    name: 'FLOWGUARD_EDGE_JWT_ALGORITHMS',
    values: 'comma-separated JWS algorithms (`RS256`, `ES256`, `EdDSA`, `HS256`, ...; never `none`)',
    default: '`RS256,ES256` (JWKS), `HS256` (secret)',
    meaning: 'the algorithms a token may be signed with',
  },
  {
    name: 'FLOWGUARD_EDGE_JWT_CLAIM',
    values: 'a claim name',
    default: '`sub`',
    meaning: 'the claim holding the customer id',
  },
  {
    name: 'FLOWGUARD_EDGE_JWT_CLOCK_TOLERANCE',
    values: 'integer 0..300 (seconds)',
    default: '`30`',
    meaning: 'leeway for `exp` and `nbf`',
  },
  {
    name: 'FLOWGUARD_EDGE_TOKEN_REQUIRED',
    values: 'boolean',
    default: '`false`',
    meaning: 'answer 401 to a request without a token (a bad token is answered 401 either way)',
  },
];

/**
 * The outcomes start-contact answers with a 5xx status (502: Connect refused, a defect; 503: the
 * rest), each counted as a `ServerError` as well as a `Requests`: what the 5xx alarm and a canary
 * watch (docs/screening.md, "Logs and metrics").
 */
export const SERVER_ERROR_OUTCOMES = [
  'internal',
  'connect_error',
  'connect_throttled',
  'store_unavailable',
  'signing_unavailable',
  'token_keys_unavailable',
  'timeout',
] as const;

/** The outcomes of a refused request: 429 (rate-limited) and 403 (a blocked caller, an origin not allowed). */
export const REFUSED_OUTCOMES = ['throttled', 'blocked', 'origin_refused'] as const;
