/**
 * The key under which a client address is counted for limits. One IPv6 host can use a whole
 * /64 (privacy addresses), so IPv6 clients are counted per /64; IPv4 (also IPv4-mapped IPv6)
 * per address. Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';

function expandIPv6(ip: string): string[] | undefined {
  const [head, tail, ...rest] = ip.split('::');
  if (rest.length) return undefined;
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  if (tail === undefined) return left.length === 8 ? left : undefined;
  const missing = 8 - left.length - right.length;
  if (missing < 1) return undefined;
  return [...left, ...Array<string>(missing).fill('0'), ...right];
}

export function clientKey(address: string | undefined): string {
  const ip = (address ?? '').trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return mapped[1] as string;
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip)) {
    const groups = expandIPv6(ip);
    if (groups) return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
  }
  // Not an IP (tests, unix sockets): counted as given, length-bounded.
  return ip.slice(0, 64) || 'unknown';
}
