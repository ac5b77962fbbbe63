// Which URLs klingflow will fetch, call, or hand to a provider on a caller's behalf (docs/api.md, "Media references"
// and "Webhooks"). A URL is parsed with the WHATWG parser (the one Node's fetch uses), refused when another parser
// could read it differently, normalised, and checked; only the normalised form is kept and forwarded. A name is
// checked here as written; code that connects re-checks every address the name resolves to (`addressProblem`) on
// the socket it connects with, so DNS cannot be used to slip past this check.
import { isIP } from 'node:net';

/** Longest URL accepted from a caller, in characters, before and after normalisation. */
export const MAX_URL_LENGTH = 2048;

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export interface UrlPolicyOptions {
  /** Only `https:` (callback URLs). Default: `http:` and `https:`. */
  httpsOnly?: boolean;
  /**
   * Accept this machine: loopback addresses and `localhost` names, over http or https (the local stack's webhook
   * receivers). Never set on AWS.
   */
  allowLoopback?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses

/** Why an address is not public, as a short phrase (`loopback`, `private`...), or `undefined` when it is public. */
export type AddressClass =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared (CGNAT)'
  | 'link-local'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'tunnel';

// [network, prefix length, class]: every IPv4 block of the IANA special-purpose registry that is not globally
// reachable, plus multicast and the reserved 240/4 (broadcast included).
const SPECIAL_V4: [string, number, AddressClass][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'tunnel'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

const V4_BLOCKS = SPECIAL_V4.map(([net, bits, kind]) => ({ net: ipv4ToInt(net), bits, kind }));

function classifyV4(value: number): AddressClass | undefined {
  return V4_BLOCKS.find(({ net, bits }) => value >>> (32 - bits) === net >>> (32 - bits))?.kind;
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
  const parse = (part: string) => (part ? part.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN)) : []);
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (halves.length === 2 && head.length + tail.length > 7) return undefined;
  const groups = halves.length === 2 ? [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail] : head;
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function classifyV6(g: number[]): AddressClass | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, , g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const low32 = ((g6 << 16) | g7) >>> 0;
  if (zeros(0, 8)) return 'unspecified'; // ::
  if (zeros(0, 7) && g7 === 1) return 'loopback'; // ::1
  // Forms that carry an IPv4 address: the IPv4 address decides.
  if (zeros(0, 5) && g5 === 0xffff) return classifyV4(low32); // ::ffff:a.b.c.d, mapped
  if (zeros(0, 4) && g4 === 0xffff && g5 === 0) return classifyV4(low32); // ::ffff:0:a.b.c.d, translated (SIIT)
  if (zeros(0, 6)) return classifyV4(low32) ?? 'reserved'; // ::a.b.c.d, IPv4-compatible (deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && zeros(2, 6)) return classifyV4(low32); // 64:ff9b::/96, NAT64
  if (g0 === 0x2002) return classifyV4(((g1 << 16) | g2) >>> 0); // 2002::/16, 6to4 of the IPv4 address in groups 1–2
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local'; // fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return 'site-local'; // fec0::/10 (deprecated)
  if ((g0 & 0xff00) === 0xff00) return 'multicast'; // ff00::/8
  if (g0 === 0x2001 && g1 === 0) return 'tunnel'; // 2001::/32, Teredo (its IPv4 address is obfuscated)
  if (g0 === 0x2001 && g1 < 0x200) return 'reserved'; // 2001::/23, IETF protocol assignments
  if (g0 === 0x2001 && g1 === 0xdb8) return 'documentation'; // 2001:db8::/32
  if (g0 === 0x3fff && g1 < 0x1000) return 'documentation'; // 3fff::/20
  // Everything outside 2000::/3, global unicast: 64:ff9b:1::/48 (local NAT64), 100::/64 (discard), unassigned space.
  if ((g0 & 0xe000) !== 0x2000) return 'reserved';
  return undefined;
}

/**
 * What kind of non-public address `address` is (IPv4 or IPv6, brackets allowed), or `undefined` when it is a public
 * address or not an IP address at all. IPv6 forms that embed an IPv4 address (mapped, translated, compatible, NAT64,
 * 6to4) are judged by the IPv4 address they carry. An IPv6 text that cannot be parsed counts as `reserved`.
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const host = address.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  if (family === 4) return classifyV4(ipv4ToInt(host));
  if (family !== 6) return undefined;
  const groups = ipv6Groups(host);
  return groups ? classifyV6(groups) : 'reserved';
}

/** Whether `address` is an IP address that is not public (loopback, private, link-local, metadata, unique-local…). */
export function isPrivateAddress(address: string): boolean {
  return classifyAddress(address) !== undefined;
}

/** 127.0.0.0/8, ::1, or 127.0.0.0/8 in an IPv6 form that carries it (mapped, translated, compatible, 6to4). */
export function isLoopbackAddress(address: string): boolean {
  return classifyAddress(address) === 'loopback';
}

/**
 * Why an address a host name resolved to must not be connected to, or `undefined` when it may be: a public address,
 * or (with `allowLoopback`) a loopback one. The answer names the address and its kind: `127.0.0.1, a loopback
 * address` (callers write "<host> resolves to 127.0.0.1, a loopback address").
 */
export function addressProblem(address: string, options: Pick<UrlPolicyOptions, 'allowLoopback'> = {}): string | undefined {
  const kind = classifyAddress(address);
  if (kind === undefined || (kind === 'loopback' && options.allowLoopback)) return undefined;
  return `${address}, a ${kind} address`;
}

// ---------------------------------------------------------------------------------------------------------------
// Names

/** Special-use names (RFC 6761, 6762, 8375 and the like) that never name a public host, nor does anything below them. */
const SPECIAL_NAMES = ['localhost', 'local', 'internal', 'localdomain', 'home.arpa', 'invalid', 'onion'];

const isSpecialName = (host: string): boolean => SPECIAL_NAMES.some((name) => host === name || host.endsWith(`.${name}`));

/** A host name label as the URL parser leaves it (lower case, IDNs already in punycode). */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

// ---------------------------------------------------------------------------------------------------------------
// URLs

/** The Unicode spaces and separators some URL parsers strip or split on (besides C0, space, DEL and C1). */
const UNICODE_SPACES = new Set([0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);

/** Whether `text` holds a C0 control, a space, DEL, a C1 control, or a Unicode space, separator or format mark. */
function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x2000 && code <= 0x200f) || UNICODE_SPACES.has(code)) return true;
  }
  return false;
}

/**
 * Parses a URL a caller gave and normalises it, without judging its host: at most {@link MAX_URL_LENGTH}
 * characters, no whitespace, control characters or backslashes (parsers disagree about them:
 * `https://a.com\@127.0.0.1/` is `a.com` to some and `127.0.0.1` to others), `http:` or `https:`, no credentials,
 * and a host name of valid labels. The normal form is the WHATWG serialisation (IPv4 and IPv6 in canonical
 * spelling, IDNs in punycode, default ports dropped) without a trailing dot on the host and without a fragment.
 * Normalising a normal form gives it back unchanged.
 */
export function normalizeUrl(raw: string, options: Pick<UrlPolicyOptions, 'httpsOnly'> = {}): UrlVerdict {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `is ${raw.length} characters long; at most ${MAX_URL_LENGTH} are allowed` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (hasSpaceOrControl(raw)) {
    return { ok: false, reason: 'must not contain spaces or control characters (percent-encode them)' };
  }
  if (raw.includes('\\')) return { ok: false, reason: 'must not contain a backslash (percent-encode it as %5C)' };
  const schemes = options.httpsOnly ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) return { ok: false, reason: `must use ${options.httpsOnly ? 'https' : 'http or https'}` };
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  if (url.port === '0') return { ok: false, reason: 'must not use port 0' };
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0) {
    // A name. One trailing dot (the DNS root) names the same host: drop it. Any other empty label is an error.
    const name = url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
    const labels = name.split('.');
    if (name.length > 253 || !labels.every((label) => LABEL.test(label))) {
      return { ok: false, reason: `must name a valid host, not '${url.hostname}' (labels of letters, digits, '-' and '_')` };
    }
    if (name !== url.hostname) url.hostname = name;
  }
  url.hash = '';
  const href = url.href;
  if (href.length > MAX_URL_LENGTH) {
    return { ok: false, reason: `is ${href.length} characters long once normalised; at most ${MAX_URL_LENGTH} are allowed` };
  }
  return { ok: true, url };
}

/**
 * Checks a URL a caller gave before klingflow keeps or forwards it: {@link normalizeUrl}, then the host must be
 * public. Refused: loopback, private, shared, link-local (cloud metadata), unique-local, multicast, reserved and
 * documentation addresses in every spelling the URL parser reads (`127.1`, `0x7f000001`, `[::ffff:7f00:1]`,
 * `[::ffff:0:7f00:1]`, `[2002:7f00:1::]`…); `localhost` and the other special-use names and everything below them;
 * and single-label names (`metadata`, `instance-data`), which only a local resolver answers. With `allowLoopback`,
 * loopback addresses and `localhost` are accepted. Returns the normalised URL, or the reason, written to follow the
 * field's name ("must name a public host, not '127.0.0.1'").
 */
export function checkPublicUrl(raw: string, options: UrlPolicyOptions = {}): UrlVerdict {
  // Loopback receivers may be plain http even where https is required.
  const normalized = normalizeUrl(raw, { httpsOnly: options.httpsOnly && !options.allowLoopback });
  if (!normalized.ok) return normalized;
  const { url } = normalized;
  const host = url.hostname;
  const address = host.replace(/^\[|\]$/g, '');
  if (isIP(address) !== 0) {
    const kind = classifyAddress(address);
    if (kind === undefined) return httpsCheck(url, options);
    if (kind === 'loopback' && options.allowLoopback) return normalized;
    return { ok: false, reason: `must name a public host, not '${host}'` };
  }
  if (options.allowLoopback && (host === 'localhost' || host.endsWith('.localhost'))) return normalized;
  if (isSpecialName(host)) return { ok: false, reason: `must name a public host, not '${host}'` };
  if (!host.includes('.')) return { ok: false, reason: `must name a public host by its full name, not '${host}'` };
  return httpsCheck(url, options);
}

/** A public host under `allowLoopback` still has to meet `httpsOnly`. */
function httpsCheck(url: URL, options: UrlPolicyOptions): UrlVerdict {
  if (options.httpsOnly && url.protocol !== 'https:') return { ok: false, reason: 'must use https' };
  return { ok: true, url };
}
