// Which URLs klingflow will fetch or call on a caller's behalf. A user-supplied URL must name a public host:
// no loopback, private, link-local (cloud metadata) or unique-local address, no credentials in it.
// This checks the URL as written; code that fetches it re-checks the resolved address (issue: DNS rebinding).
import { isIP } from 'node:net';

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const PRIVATE_V4: [number, number][] = [
  // [network as 32-bit int, prefix length]
  [ipv4ToInt('0.0.0.0'), 8],
  [ipv4ToInt('10.0.0.0'), 8],
  [ipv4ToInt('100.64.0.0'), 10],
  [ipv4ToInt('127.0.0.0'), 8],
  [ipv4ToInt('169.254.0.0'), 16],
  [ipv4ToInt('172.16.0.0'), 12],
  [ipv4ToInt('192.0.0.0'), 24],
  [ipv4ToInt('192.168.0.0'), 16],
  [ipv4ToInt('198.18.0.0'), 15],
  [ipv4ToInt('224.0.0.0'), 4],
  [ipv4ToInt('240.0.0.0'), 4],
];

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded dotted IPv4 tail), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4?.[1]) {
    const n = ipv4ToInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const groups = halves.length === 2 ? [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail] : head;
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

const isPrivateV4 = (value: number): boolean => PRIVATE_V4.some(([net, bits]) => value >>> (32 - bits) === net >>> (32 - bits));

export function isPrivateAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '');
  if (isIP(host) === 4) return isPrivateV4(ipv4ToInt(host));
  if (isIP(host) !== 6) return false;
  const g = ipv6Groups(host);
  if (!g) return true; // unparseable: refuse rather than guess
  const [g0 = 0, g1 = 0, , , , g5 = 0, g6 = 0, g7 = 0] = g;
  const embeddedV4 = ((g6 << 16) | g7) >>> 0;
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroPrefix(8)) return true; // ::
  if (zeroPrefix(7) && g7 === 1) return true; // ::1
  if (zeroPrefix(5) && g5 === 0xffff) return isPrivateV4(embeddedV4); // ::ffff:a.b.c.d (mapped)
  if (zeroPrefix(6)) return isPrivateV4(embeddedV4); // ::a.b.c.d (compatible, deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return isPrivateV4(embeddedV4); // NAT64
  if ((g0 & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return true; // fe80::/10 link local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/** 127.0.0.0/8, ::1, or an IPv4-mapped loopback. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '');
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) !== 6) return false;
  const g = ipv6Groups(host);
  if (!g) return false;
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true;
  return g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff && (g[6] ?? 0) >> 8 === 127;
}

export function checkPublicUrl(raw: string, options: { httpsOnly?: boolean } = {}): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  const schemes = options.httpsOnly ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) {
    return { ok: false, reason: `must use ${options.httpsOnly ? 'https' : 'http or https'}` };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  // `localhost.` is `localhost`: drop the root dot before comparing names.
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || isPrivateAddress(host)) {
    return { ok: false, reason: `must name a public host, not '${url.hostname}'` };
  }
  return { ok: true, url };
}
