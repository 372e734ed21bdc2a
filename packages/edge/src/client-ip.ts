// The client's IP address from an HTTP request: the TCP peer API Gateway or the Function URL saw
// (`sourceIp`), or, behind proxies the operator trusts, the address the outermost trusted proxy
// put in `X-Forwarded-For`.
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** A parsed list of trusted proxy ranges. */
export interface TrustedProxies {
  readonly ranges: readonly Range[];
}

/** Most `X-Forwarded-For` entries walked: a longer chain stops at the last trusted hop reached. */
export const MAX_FORWARDED_HOPS = 32;

/**
 * A bare IPv4 (four decimal parts, no leading zeros) or IPv6 address, as an address; null for
 * anything else (ports, brackets, zone ids, `unknown`, obfuscated identifiers, hex or octal
 * IPv4 forms). IPv4-mapped IPv6 is its IPv4 address, so one CIDR list serves both.
 */
export function parseAddress(text: string): Address | null {
  const value = text.trim();
  if (value === '' || value.length > 45) return null;
  if (!value.includes(':')) {
    return ipaddr.IPv4.isValidFourPartDecimal(value) && !/(^|\.)0\d/.test(value)
      ? ipaddr.IPv4.parse(value)
      : null;
  }
  if (!/^[0-9A-Fa-f:.]+$/.test(value) || !ipaddr.IPv6.isValid(value)) return null;
  const v6 = ipaddr.IPv6.parse(value);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** Parses CIDRs (`10.0.0.0/8`, `2600:9000::/28`, or a bare address for one host); throws naming the bad one's position. */
export function parseTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const ranges: Range[] = [];
  cidrs.forEach((text, i) => {
    const [base = '', bits, ...rest] = text.split('/');
    const address = parseAddress(base);
    if (address === null || rest.length > 0)
      throw new RangeError(`entry ${i + 1} is not an IP address or CIDR`);
    const max = address.kind() === 'ipv4' ? 32 : 128;
    const length = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    if (!(length >= 0 && length <= max)) throw new RangeError(`entry ${i + 1} has a bad prefix length`);
    ranges.push([address, length]);
  });
  return { ranges };
}

function trusted(address: Address, proxies: TrustedProxies): boolean {
  return proxies.ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
}

export interface ClientIpInput {
  /** The TCP peer (`requestContext.http.sourceIp` / `requestContext.identity.sourceIp`). */
  readonly sourceIp: string | undefined;
  /** Every `X-Forwarded-For` value, in order (several headers are one list). */
  readonly forwardedFor: readonly string[];
}

/**
 * The client's address. Without trusted proxies: the source IP, and `X-Forwarded-For` is never
 * read (anyone can send one). With them: starting at the source IP, while the current hop is a
 * trusted proxy, step to the address that proxy appended (the rightmost `X-Forwarded-For` entry
 * not yet used); the first address that is not a trusted proxy is the client. When the entry a
 * trusted proxy should have written is missing or malformed, the walk stops at that proxy: the
 * client is the last trusted hop, whose peer cannot be known. So a client can only ever add
 * entries to the left of the ones trusted proxies wrote, which the walk never reaches.
 *
 * Returns the address as text (IPv4-mapped IPv6 as IPv4), or null when the source IP itself is
 * missing or malformed.
 */
export function clientIp(input: ClientIpInput, proxies: TrustedProxies): string | null {
  const source = input.sourceIp === undefined ? null : parseAddress(input.sourceIp);
  if (source === null) return null;
  if (proxies.ranges.length === 0) return source.toString();
  let current = source;
  if (!trusted(current, proxies)) return current.toString();
  const hops = input.forwardedFor.flatMap((value) => value.split(','));
  const last = Math.max(0, hops.length - MAX_FORWARDED_HOPS);
  for (let i = hops.length - 1; i >= last; i--) {
    const next = parseAddress(hops[i] ?? '');
    if (next === null) return current.toString();
    current = next;
    if (!trusted(current, proxies)) return current.toString();
  }
  return current.toString();
}
