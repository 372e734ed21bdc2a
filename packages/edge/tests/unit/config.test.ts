import { describe, expect, it } from 'vitest';
import { readEdgeConfig } from '../../src/config.js';

const FLOW = '11111111-2222-4333-8444-555555555555';
const base = {
  FLOWGUARD_CONNECT_INSTANCE_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  FLOWGUARD_EDGE_FLOWS: `support=${FLOW}`,
  FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'https://www.example.com',
  FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'edge/signing',
};

describe('readEdgeConfig', () => {
  it('reads the defaults: fail open, key by IP, no proxies, no tokens', () => {
    const config = readEdgeConfig(base);
    expect(config.flows.get('support')).toBe(FLOW);
    expect([...config.origins]).toEqual(['https://www.example.com']);
    expect(config.failMode).toEqual({ chat: 'open', webrtc: 'open', task: 'open' });
    expect(config.keyBy).toBe('ip');
    expect(config.trustedProxies.ranges).toEqual([]);
    expect(config.token).toBeNull();
  });

  it('reads a fail mode per kind', () => {
    expect(
      readEdgeConfig({ ...base, FLOWGUARD_EDGE_FAIL_MODE: 'chat=closed, task=closed' }).failMode,
    ).toEqual({
      chat: 'closed',
      webrtc: 'open',
      task: 'closed',
    });
    expect(readEdgeConfig({ ...base, FLOWGUARD_EDGE_FAIL_MODE: 'closed' }).failMode.webrtc).toBe('closed');
  });

  it.each([
    [{ FLOWGUARD_CONNECT_INSTANCE_ID: '' }, /FLOWGUARD_CONNECT_INSTANCE_ID: is required/],
    [{ FLOWGUARD_EDGE_FLOWS: 'support' }, /FLOWGUARD_EDGE_FLOWS: entry 1/],
    [{ FLOWGUARD_EDGE_FLOWS: `a=${FLOW},a=${FLOW}` }, /entry 2: the name is given twice/],
    [{ FLOWGUARD_EDGE_ALLOWED_ORIGINS: '*' }, /FLOWGUARD_EDGE_ALLOWED_ORIGINS: entry 1/],
    [{ FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'http://www.example.com' }, /FLOWGUARD_EDGE_ALLOWED_ORIGINS/],
    [{ FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'https://www.example.com/app' }, /FLOWGUARD_EDGE_ALLOWED_ORIGINS/],
    [{ FLOWGUARD_EDGE_ATTRIBUTES: 'flowguardCaller' }, /start-contact's own/],
    [{ FLOWGUARD_EDGE_ATTRIBUTES: 'plan,customerIp' }, /entry 2: screen-caller reads the caller's identity/],
    [{ FLOWGUARD_EDGE_ATTRIBUTES: 'customerId' }, /entry 1: screen-caller reads the caller's identity/],
    [
      { FLOWGUARD_EDGE_ATTRIBUTES: 'clientAddress', FLOWGUARD_IP_ATTRIBUTE: 'clientAddress' },
      /entry 1: screen-caller reads the caller's identity/,
    ],
    [{ FLOWGUARD_TRUSTED_PROXIES: '10.0.0.0/8,bad' }, /FLOWGUARD_TRUSTED_PROXIES: entry 2/],
    [{ FLOWGUARD_EDGE_FAIL_MODE: 'chat=shut' }, /FLOWGUARD_EDGE_FAIL_MODE/],
    [
      { FLOWGUARD_EDGE_JWKS_URL: 'http://login.example.com/jwks' },
      /FLOWGUARD_EDGE_JWKS_URL: must be an https URL/,
    ],
    [{ FLOWGUARD_EDGE_JWKS_URL: 'https://login.example.com/jwks' }, /FLOWGUARD_EDGE_JWT_ISSUER: is required/],
    [
      {
        FLOWGUARD_EDGE_JWKS_URL: 'https://l.example/jwks',
        FLOWGUARD_EDGE_JWT_ISSUER: 'i',
        FLOWGUARD_EDGE_JWT_AUDIENCE: 'a',
        FLOWGUARD_EDGE_JWT_ALGORITHMS: 'HS256',
      },
      /FLOWGUARD_EDGE_JWT_ALGORITHMS: entry 1/,
    ],
    [
      {
        FLOWGUARD_EDGE_JWT_SECRET_ID: 's',
        FLOWGUARD_EDGE_JWT_ISSUER: 'i',
        FLOWGUARD_EDGE_JWT_AUDIENCE: 'a',
        FLOWGUARD_EDGE_JWT_ALGORITHMS: 'none',
      },
      /FLOWGUARD_EDGE_JWT_ALGORITHMS: entry 1/,
    ],
    [{ FLOWGUARD_EDGE_TOKEN_REQUIRED: 'true' }, /FLOWGUARD_EDGE_TOKEN_REQUIRED: needs/],
  ])('refuses %j naming the variable, never the value', (env, message) => {
    expect(() => readEdgeConfig({ ...base, ...env })).toThrow(message);
  });
});
