import { describe, expect, it } from 'vitest';
import { clientIp, MAX_FORWARDED_HOPS, parseAddress, parseTrustedProxies } from '../../src/client-ip.js';

const none = parseTrustedProxies([]);
// CloudFront-like ranges (documentation prefixes stand in for them).
const cdn = parseTrustedProxies(['198.51.100.0/24', '2001:db8:cd0::/48']);

describe('clientIp without trusted proxies', () => {
  it('is the source IP, and a spoofed X-Forwarded-For is never read', () => {
    expect(clientIp({ sourceIp: '203.0.113.7', forwardedFor: ['192.0.2.1'] }, none)).toBe('203.0.113.7');
    expect(clientIp({ sourceIp: '203.0.113.7', forwardedFor: ['192.0.2.1, 192.0.2.2'] }, none)).toBe(
      '203.0.113.7',
    );
  });

  it('reads IPv6 source addresses and IPv4-mapped ones as IPv4', () => {
    expect(clientIp({ sourceIp: '2001:db8:1:2::77', forwardedFor: [] }, none)).toBe('2001:db8:1:2::77');
    expect(clientIp({ sourceIp: '::ffff:203.0.113.9', forwardedFor: [] }, none)).toBe('203.0.113.9');
  });

  it('is null for a missing or malformed source IP', () => {
    expect(clientIp({ sourceIp: undefined, forwardedFor: ['192.0.2.1'] }, none)).toBeNull();
    expect(clientIp({ sourceIp: 'not-an-ip', forwardedFor: [] }, none)).toBeNull();
    expect(clientIp({ sourceIp: '010.0.0.1', forwardedFor: [] }, none)).toBeNull();
  });
});

describe('clientIp behind trusted proxies', () => {
  it('ignores X-Forwarded-For when the source itself is not a trusted proxy', () => {
    expect(clientIp({ sourceIp: '203.0.113.7', forwardedFor: ['192.0.2.1'] }, cdn)).toBe('203.0.113.7');
  });

  it('takes the address the trusted proxy appended, not what the client wrote to its left', () => {
    // The client sent "X-Forwarded-For: 192.0.2.66"; the CDN appended the viewer's address.
    expect(clientIp({ sourceIp: '198.51.100.10', forwardedFor: ['192.0.2.66, 203.0.113.7'] }, cdn)).toBe(
      '203.0.113.7',
    );
  });

  it('walks a chain of trusted hops from the right, IPv6 included, across several headers', () => {
    expect(
      clientIp(
        { sourceIp: '2001:db8:cd0::1', forwardedFor: ['192.0.2.66', '2001:db8:77::5, 198.51.100.20'] },
        cdn,
      ),
    ).toBe('2001:db8:77::5');
  });

  it('stops at the last trusted hop when the entry it should have written is malformed or missing', () => {
    expect(clientIp({ sourceIp: '198.51.100.10', forwardedFor: ['203.0.113.7, garbage'] }, cdn)).toBe(
      '198.51.100.10',
    );
    expect(clientIp({ sourceIp: '198.51.100.10', forwardedFor: ['203.0.113.7, 203.0.113.8:443'] }, cdn)).toBe(
      '198.51.100.10',
    );
    expect(clientIp({ sourceIp: '198.51.100.10', forwardedFor: [] }, cdn)).toBe('198.51.100.10');
    expect(clientIp({ sourceIp: '198.51.100.10', forwardedFor: ['203.0.113.7, 198.51.100.11, '] }, cdn)).toBe(
      '198.51.100.10',
    );
  });

  it('walks at most MAX_FORWARDED_HOPS entries', () => {
    const chain = Array.from({ length: MAX_FORWARDED_HOPS + 5 }, () => '198.51.100.9');
    expect(
      clientIp({ sourceIp: '198.51.100.10', forwardedFor: [`203.0.113.7, ${chain.join(', ')}`] }, cdn),
    ).toBe('198.51.100.9');
  });
});

describe('parseAddress and parseTrustedProxies', () => {
  it('accepts bare addresses only', () => {
    for (const bad of [
      '',
      'unknown',
      '[2001:db8::1]',
      '203.0.113.7:80',
      '0x7f.0.0.1',
      '127.1',
      'fe80::1%eth0',
    ])
      expect(parseAddress(bad), bad).toBeNull();
    expect(parseAddress(' 203.0.113.7 ')?.toString()).toBe('203.0.113.7');
  });

  it('refuses bad CIDRs, naming the entry by position', () => {
    expect(() => parseTrustedProxies(['10.0.0.0/8', '10.0.0.0/33'])).toThrow(
      'entry 2 has a bad prefix length',
    );
    expect(() => parseTrustedProxies(['nope/8'])).toThrow('entry 1 is not an IP address or CIDR');
    expect(parseTrustedProxies(['203.0.113.7']).ranges).toHaveLength(1);
  });
});
