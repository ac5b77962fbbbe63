// The SSRF table: every hostile spelling of issue 13 and the common public lists of them (PayloadsAllTheThings
// "SSRF: bypassing filters", the OWASP SSRF prevention cheat sheet, the cloud metadata endpoints), each with the
// verdict the URL policy gives as written, and, for names, what the connect-time check says about the address
// DNS hands back. A URL that is accepted is forwarded in its normal form only, shown here too.
import { describe, expect, it } from 'vitest';
import { addressProblem, checkPublicUrl, MAX_URL_LENGTH, normalizeUrl } from '../../../lambdas/domain/url-policy.ts';

/** Refused as written; the reason starts with this text. */
type Refused = [url: string, reason: string];

const NOT_PUBLIC = 'must name a public host';

const LOOPBACK_V4: Refused[] = [
  ['http://127.0.0.1/', NOT_PUBLIC],
  ['http://127.0.0.1:80/', NOT_PUBLIC],
  ['http://127.0.0.1:443/', NOT_PUBLIC],
  ['http://127.0.0.1:22/', NOT_PUBLIC],
  ['http://127.0.0.1:6379/', NOT_PUBLIC],
  ['http://127.1/', NOT_PUBLIC],
  ['http://127.0.1/', NOT_PUBLIC],
  ['http://127.000.000.001/', NOT_PUBLIC],
  ['http://127.127.127.127/', NOT_PUBLIC],
  ['http://127.255.255.254/', NOT_PUBLIC],
  ['http://0177.0.0.1/', NOT_PUBLIC],
  ['http://0177.0000.0000.0001/', NOT_PUBLIC],
  ['http://00000177.0.0.1/', NOT_PUBLIC],
  ['http://0x7f.0.0.1/', NOT_PUBLIC],
  ['http://0x7f.1/', NOT_PUBLIC],
  ['http://0x7f.0x0.0x0.0x1/', NOT_PUBLIC],
  ['http://0X7F.0X00.0X00.0X01/', NOT_PUBLIC],
  ['http://0x7f000001/', NOT_PUBLIC],
  ['http://2130706433/', NOT_PUBLIC],
  ['http://017700000001/', NOT_PUBLIC],
  ['http://0x7f.0.0.0x1/', NOT_PUBLIC],
  ['http://127.0.0.1./', NOT_PUBLIC],
  ['http://%31%32%37.0.0.1/', NOT_PUBLIC],
  ['http://127%2E0%2E0%2E1/', NOT_PUBLIC],
  ['http://①②⑦.⓪.⓪.①/', NOT_PUBLIC],
  ['http://１２７.０.０.１/', NOT_PUBLIC],
  ['http://127。0。0。1/', NOT_PUBLIC],
  ['http://127．0．0．1/', NOT_PUBLIC],
  ['HTTP://127.0.0.1/', NOT_PUBLIC],
  ['https://127.0.0.1#@example.com/', NOT_PUBLIC],
  ['http://127.0.0.1?@example.com/', NOT_PUBLIC],
  ['http://0/', NOT_PUBLIC],
  ['http://0.0.0.0/', NOT_PUBLIC],
  ['http://0x0/', NOT_PUBLIC],
  ['http://00/', NOT_PUBLIC],
  ['http://0.0.0.0:8080/', NOT_PUBLIC],
];

const LOOPBACK_V6: Refused[] = [
  ['http://[::1]/', NOT_PUBLIC],
  ['http://[::1]:80/', NOT_PUBLIC],
  ['http://[0:0:0:0:0:0:0:1]/', NOT_PUBLIC],
  ['http://[0000:0000:0000:0000:0000:0000:0000:0001]/', NOT_PUBLIC],
  ['http://[0000::1]/', NOT_PUBLIC],
  ['http://[::]/', NOT_PUBLIC],
  ['http://[0:0:0:0:0:0:0:0]/', NOT_PUBLIC],
  ['http://[::ffff:127.0.0.1]/', NOT_PUBLIC],
  ['http://[::ffff:7f00:1]/', NOT_PUBLIC],
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', NOT_PUBLIC],
  ['http://[::FFFF:7F00:0001]/', NOT_PUBLIC],
  // issue 13: the IPv4-translated form, 6to4, and the IPv4-compatible form
  ['http://[::ffff:0:7f00:1]/', NOT_PUBLIC],
  ['http://[::ffff:0:127.0.0.1]/', NOT_PUBLIC],
  ['http://[2002:7f00:1::]/', NOT_PUBLIC],
  ['http://[2002:7f00:0001::1]/', NOT_PUBLIC],
  ['http://[2002:7f00:1:ffff:ffff:ffff:ffff:ffff]/', NOT_PUBLIC],
  ['http://[::127.0.0.1]/', NOT_PUBLIC],
  ['http://[::7f00:1]/', NOT_PUBLIC],
  ['http://[64:ff9b::127.0.0.1]/', NOT_PUBLIC],
  ['http://[64:ff9b::7f00:1]/', NOT_PUBLIC],
];

const METADATA: Refused[] = [
  ['http://169.254.169.254/latest/meta-data/', NOT_PUBLIC],
  ['http://169.254.169.254/latest/api/token', NOT_PUBLIC],
  ['http://169.254.169.254/computeMetadata/v1/', NOT_PUBLIC],
  ['http://169.254.169.254/metadata/instance?api-version=2021-02-01', NOT_PUBLIC],
  ['http://169.254.169.254/openstack/', NOT_PUBLIC],
  ['http://2852039166/', NOT_PUBLIC],
  ['http://0xa9fea9fe/', NOT_PUBLIC],
  ['http://0xA9.0xFE.0xA9.0xFE/', NOT_PUBLIC],
  ['http://0251.0376.0251.0376/', NOT_PUBLIC],
  ['http://169.254.43518/', NOT_PUBLIC],
  ['http://425.510.425.510/', 'is not a valid URL'],
  ['http://169.254.170.2/v2/credentials/', NOT_PUBLIC], // ECS task credentials
  ['http://169.254.169.123/', NOT_PUBLIC], // Amazon Time Sync
  ['http://100.100.100.200/latest/meta-data/', NOT_PUBLIC], // Alibaba Cloud
  ['http://192.0.0.192/latest/', NOT_PUBLIC], // Oracle Cloud
  ['http://[fd00:ec2::254]/latest/meta-data/', NOT_PUBLIC], // EC2 IMDS over IPv6
  ['http://[fd00:ec2::23]/', NOT_PUBLIC], // EKS pod identity agent
  ['http://[::ffff:169.254.169.254]/', NOT_PUBLIC],
  ['http://[::ffff:a9fe:a9fe]/', NOT_PUBLIC],
  ['http://[::ffff:0:a9fe:a9fe]/', NOT_PUBLIC],
  ['http://[2002:a9fe:a9fe::]/', NOT_PUBLIC],
  ['http://[64:ff9b::a9fe:a9fe]/', NOT_PUBLIC],
  ['http://[64:ff9b::169.254.169.254]/', NOT_PUBLIC],
  ['http://metadata.google.internal/computeMetadata/v1/', NOT_PUBLIC],
  ['http://metadata.google.internal./', NOT_PUBLIC],
  ['http://METADATA.GOOGLE.INTERNAL/', NOT_PUBLIC],
  ['http://metadata/computeMetadata/v1/', `${NOT_PUBLIC} by its full name`],
  ['http://instance-data/latest/meta-data/', `${NOT_PUBLIC} by its full name`],
  ['http://instance-data./latest/', `${NOT_PUBLIC} by its full name`],
];

const PRIVATE_AND_RESERVED: Refused[] = [
  ['http://10.0.0.1/', NOT_PUBLIC],
  ['http://10.255.255.255/', NOT_PUBLIC],
  ['http://012.0.0.1/', NOT_PUBLIC], // octal 10.0.0.1
  ['http://167772161/', NOT_PUBLIC], // decimal 10.0.0.1
  ['http://172.16.0.1/', NOT_PUBLIC],
  ['http://172.31.255.254/', NOT_PUBLIC],
  ['http://192.168.0.1/', NOT_PUBLIC],
  ['http://192.168.1.254:8080/', NOT_PUBLIC],
  ['http://0xc0a80001/', NOT_PUBLIC],
  ['http://100.64.0.1/', NOT_PUBLIC],
  ['http://192.0.0.8/', NOT_PUBLIC],
  ['http://192.0.2.1/', NOT_PUBLIC],
  ['http://192.88.99.1/', NOT_PUBLIC],
  ['http://198.18.0.1/', NOT_PUBLIC],
  ['http://198.51.100.7/', NOT_PUBLIC],
  ['http://203.0.113.9/', NOT_PUBLIC],
  ['http://224.0.0.1/', NOT_PUBLIC],
  ['http://239.255.255.250/', NOT_PUBLIC],
  ['http://240.0.0.1/', NOT_PUBLIC],
  ['http://255.255.255.255/', NOT_PUBLIC],
  ['http://[fc00::1]/', NOT_PUBLIC],
  ['http://[fd12:3456:789a::1]/', NOT_PUBLIC],
  ['http://[fe80::1]/', NOT_PUBLIC],
  ['http://[febf::1]/', NOT_PUBLIC],
  ['http://[fec0::1]/', NOT_PUBLIC],
  ['http://[ff02::1]/', NOT_PUBLIC],
  ['http://[::ffff:10.0.0.1]/', NOT_PUBLIC],
  ['http://[::ffff:192.168.0.1]/', NOT_PUBLIC],
  ['http://[::ffff:0:c0a8:1]/', NOT_PUBLIC],
  ['http://[2002:c0a8:1::]/', NOT_PUBLIC],
  ['http://[2002:a00:1::]/', NOT_PUBLIC],
  ['http://[64:ff9b::10.0.0.1]/', NOT_PUBLIC],
  ['http://[64:ff9b:1::1]/', NOT_PUBLIC], // local-use NAT64
  ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', NOT_PUBLIC], // Teredo
  ['http://[2001:db8::1]/', NOT_PUBLIC], // documentation
  ['http://[3fff::1]/', NOT_PUBLIC], // documentation
  ['http://[100::1]/', NOT_PUBLIC], // discard-only
  ['http://[::a00:1]/', NOT_PUBLIC], // IPv4-compatible 10.0.0.1
  ['http://[4000::1]/', NOT_PUBLIC], // outside global unicast
];

const NAMES: Refused[] = [
  ['http://localhost/', NOT_PUBLIC],
  ['http://LOCALHOST/', NOT_PUBLIC],
  ['http://LocalHost:3000/', NOT_PUBLIC],
  ['http://localhost./', NOT_PUBLIC],
  ['http://localhost../', 'must name a valid host'], // issue 13
  ['http://localhost.../', 'must name a valid host'],
  ['http://%6c%6f%63%61%6c%68%6f%73%74/', NOT_PUBLIC],
  ['http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/', NOT_PUBLIC],
  ['http://ｌｏｃａｌｈｏｓｔ/', NOT_PUBLIC],
  ['http://localhost:+11211aaa/', 'is not a valid URL'],
  ['http://api.localhost/', NOT_PUBLIC],
  ['http://a.b.c.localhost./', NOT_PUBLIC],
  ['http://printer.local/', NOT_PUBLIC],
  ['http://router.home.arpa/', NOT_PUBLIC],
  ['http://db.internal/', NOT_PUBLIC],
  ['http://host.localdomain/', NOT_PUBLIC],
  ['http://anything.invalid/', NOT_PUBLIC],
  ['http://hidden.onion/', NOT_PUBLIC],
  ['http://intranet/', `${NOT_PUBLIC} by its full name`],
  ['http://kubernetes/', `${NOT_PUBLIC} by its full name`],
  ['http://.example.com/', 'must name a valid host'],
  ['http://a..b.example.com/', 'must name a valid host'],
  ['http://example.com../', 'must name a valid host'],
  ['http://ex*mple.com/', 'must name a valid host'],
  ['http://exa$mple.com/', 'must name a valid host'],
  ['http://-leading.example.com/', 'must name a valid host'],
  [`http://${'a'.repeat(64)}.example.com/`, 'must name a valid host'],
];

const PARSER_CONFUSION: Refused[] = [
  // issue 13: WHATWG reads the host as example.com, some parsers as 127.0.0.1
  ['https://example.com\\@127.0.0.1/', 'must not contain a backslash'],
  ['http://127.0.0.1:80\\@example.com/', 'must not contain a backslash'],
  ['http://example.com\\.127.0.0.1.nip.io/', 'must not contain a backslash'],
  ['http://example.com@127.0.0.1/', 'must not carry credentials'],
  ['http://127.0.0.1:80@example.com/', 'must not carry credentials'],
  ['http://example.com:80@169.254.169.254/', 'must not carry credentials'],
  ['http://example.com%2f@127.0.0.1/', 'must not carry credentials'],
  ['http://user:pass@example.com/', 'must not carry credentials'],
  ['http://1.1.1.1 &@2.2.2.2# @3.3.3.3/', 'must not contain spaces'],
  ['http://exa\tmple.com/', 'must not contain spaces'],
  ['http://example.com/\n127.0.0.1', 'must not contain spaces'],
  ['http://example.com/\r\nHost: 127.0.0.1', 'must not contain spaces'],
  ['http://example.com/\u0000', 'must not contain spaces'],
  ['http://example.com/\u2028', 'must not contain spaces'],
  ['http://example.com/\u00a0', 'must not contain spaces'],
  ['http://example.com/\ufeff', 'must not contain spaces'],
  [' http://127.0.0.1/', 'must not contain spaces'],
  ['http://127.0.0.1%00.example.com/', 'is not a valid URL'],
  ['http://[fe80::1%25eth0]/', 'is not a valid URL'],
  ['http://[::1%251]/', 'is not a valid URL'],
  ['http://example.com:0/', 'must not use port 0'],
  ['http://example.com:65536/', 'is not a valid URL'],
  ['http://[::1/', 'is not a valid URL'],
  ['http://127.0.0.1.:80/', NOT_PUBLIC],
];

const SCHEMES: Refused[] = [
  ['file:///etc/passwd', 'must use http or https'],
  ['file://localhost/etc/passwd', 'must use http or https'],
  ['gopher://127.0.0.1:6379/_INFO', 'must use http or https'],
  ['dict://127.0.0.1:11211/stat', 'must use http or https'],
  ['ftp://127.0.0.1/', 'must use http or https'],
  ['sftp://example.com/', 'must use http or https'],
  ['tftp://example.com/x', 'must use http or https'],
  ['ldap://127.0.0.1/', 'must use http or https'],
  ['jar:http://example.com/x.jar!/', 'must use http or https'],
  ['netdoc:///etc/passwd', 'must use http or https'],
  ['data:text/plain;base64,aGk=', 'must use http or https'],
  ['javascript:alert(1)', 'must use http or https'],
  ['ws://example.com/', 'must use http or https'],
  ['blob:https://example.com/x', 'must use http or https'],
  ['//127.0.0.1/', 'is not a valid URL'],
  ['127.0.0.1', 'is not a valid URL'],
  ['', 'is not a valid URL'],
];

const TOO_LONG: Refused[] = [
  [`https://example.com/${'a'.repeat(MAX_URL_LENGTH)}`, 'is 2068 characters long; at most 2048 are allowed'],
  [`https://example.com/${'a'.repeat(100 * 1024)}`, `is ${20 + 100 * 1024} characters long`],
  [`https://example.com/${'a'.repeat(400 * 1024)}`, `is ${20 + 400 * 1024} characters long`],
  // Short as written, too long once percent-encoded.
  [`https://example.com/${'é'.repeat(1000)}`, 'is 6020 characters long once normalised'],
];

const ALL_REFUSED = {
  'loopback, IPv4 spellings': LOOPBACK_V4,
  'loopback and unspecified, IPv6 spellings': LOOPBACK_V6,
  'cloud metadata endpoints': METADATA,
  'private, shared, reserved and documentation ranges': PRIVATE_AND_RESERVED,
  'special-use and malformed names': NAMES,
  'parser confusion': PARSER_CONFUSION,
  schemes: SCHEMES,
  'length caps': TOO_LONG,
};

/** A test title: the URL as JSON, cut short (some are 400 KB). */
const title = (url: string): string => {
  const json = JSON.stringify(url);
  return json.length > 90 ? `${json.slice(0, 80)}…" (${url.length} chars)` : json;
};

describe.each(Object.entries(ALL_REFUSED))('refused as written: %s', (_group, cases) => {
  it.each(cases.map(([url, reason]) => [title(url), url, reason] as const))('%s', (_title, url, reason) => {
    const verdict = checkPublicUrl(url);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason.startsWith(reason), verdict.reason).toBe(true);
  });
});

it('holds every spelling issue 13 names', () => {
  const all = Object.values(ALL_REFUSED)
    .flat()
    .map(([url]) => url);
  for (const url of ['https://example.com\\@127.0.0.1/', 'http://[::ffff:0:7f00:1]/', 'http://[2002:7f00:1::]/', 'http://localhost../']) {
    expect(all).toContain(url);
  }
  expect(all.length).toBeGreaterThan(190);
});

// Names that look harmless as written but resolve to somewhere they must not: the policy cannot know until DNS
// answers, so the URL is accepted here and the connect-time check (`addressProblem`, run on the socket's own
// lookup by lambdas/aws/outbound.ts) refuses the address.
const RESOLVES_PRIVATE: [url: string, address: string][] = [
  ['http://127.0.0.1.nip.io/', '127.0.0.1'],
  ['http://localtest.me/', '127.0.0.1'],
  ['http://customer1.app.localhost.my.company.127.0.0.1.nip.io/', '127.0.0.1'],
  ['http://spoofed.burpcollaborator.net/', '127.0.0.1'],
  ['http://make-127.0.0.1-rr.1u.ms/', '127.0.0.1'],
  ['http://169.254.169.254.nip.io/', '169.254.169.254'],
  ['http://a9fea9fe.nip.io/', '169.254.169.254'],
  ['http://10.0.0.1.sslip.io/', '10.0.0.1'],
  ['http://ipv6-loopback.example.com/', '::1'],
  ['http://mapped.example.com/', '::ffff:127.0.0.1'],
  ['http://translated.example.com/', '::ffff:0:7f00:1'],
  ['http://sixtofour.example.com/', '2002:7f00:1::'],
  ['http://imds6.example.com/', 'fd00:ec2::254'],
  ['http://linklocal6.example.com/', 'fe80::1'],
  ['http://rebind.example.com/', '0.0.0.0'],
];

describe('accepted as written, refused where they resolve', () => {
  it.each(RESOLVES_PRIVATE)('%s → %s', (url, address) => {
    expect(checkPublicUrl(url).ok).toBe(true);
    expect(addressProblem(address)).toMatch(new RegExp(`^${address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, an? [a-z-]+ address$`));
  });

  it('lets loopback through only where the local stack allows it', () => {
    expect(addressProblem('127.0.0.1', { allowLoopback: true })).toBeUndefined();
    expect(addressProblem('::1', { allowLoopback: true })).toBeUndefined();
    expect(addressProblem('169.254.169.254', { allowLoopback: true })).toMatch(/link-local/);
    expect(addressProblem('10.0.0.1', { allowLoopback: true })).toMatch(/private/);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:8.8.8.8', '2002:808:808::1'])(
    'connects to the public address %s',
    (address) => {
      expect(addressProblem(address)).toBeUndefined();
    },
  );
});

// What is accepted goes on in its normal form only: the form that was checked.
describe('accepted, and forwarded normalised', () => {
  it.each([
    ['https://example.com/video.mp4', 'https://example.com/video.mp4'],
    ['HTTPS://EXAMPLE.COM/Video.mp4', 'https://example.com/Video.mp4'],
    ['https://example.com./x', 'https://example.com/x'],
    ['https://example.com:443/x', 'https://example.com/x'],
    ['http://example.com:80/x', 'http://example.com/x'],
    ['https://example.com/a/../b/./c', 'https://example.com/b/c'],
    ['https://example.com/a b'.replace(' ', '%20'), 'https://example.com/a%20b'],
    ['https://example.com/é', 'https://example.com/%C3%A9'],
    ['https://bücher.example/x', 'https://xn--bcher-kva.example/x'],
    ['https://example.com#@127.0.0.1', 'https://example.com/'],
    ['https://example.com/x?y=1#frag', 'https://example.com/x?y=1'],
    ['https://cdn.example.com:8443/a?b=c', 'https://cdn.example.com:8443/a?b=c'],
    ['https://8.8.8.8/x', 'https://8.8.8.8/x'],
    ['https://134744072/x', 'https://8.8.8.8/x'],
    ['https://[2001:4860:4860:0000::8888]/x', 'https://[2001:4860:4860::8888]/x'],
    ['https://[::ffff:8.8.8.8]/x', 'https://[::ffff:808:808]/x'],
    ['https://my_bucket.s3.example.com/x', 'https://my_bucket.s3.example.com/x'],
    ['http://:@example.com/', 'http://example.com/'], // empty userinfo is no userinfo
  ])('%s → %s', (raw, normal) => {
    const verdict = checkPublicUrl(raw);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.url.href).toBe(normal);
    // Normalising the normal form changes nothing.
    const again = normalizeUrl(normal);
    expect(again.ok && again.url.href).toBe(normal);
  });

  it('accepts loopback receivers only with allowLoopback, and then over plain http too', () => {
    expect(checkPublicUrl('http://127.0.0.1:8123/hook', { httpsOnly: true }).ok).toBe(false);
    expect(checkPublicUrl('http://127.0.0.1:8123/hook', { httpsOnly: true, allowLoopback: true }).ok).toBe(true);
    expect(checkPublicUrl('http://localhost:8123/hook', { httpsOnly: true, allowLoopback: true }).ok).toBe(true);
    expect(checkPublicUrl('http://[::1]:8123/hook', { httpsOnly: true, allowLoopback: true }).ok).toBe(true);
    // Not a public host over http, and nothing private besides loopback.
    expect(checkPublicUrl('http://example.com/hook', { httpsOnly: true, allowLoopback: true })).toEqual({
      ok: false,
      reason: 'must use https',
    });
    expect(checkPublicUrl('http://10.0.0.1/hook', { allowLoopback: true }).ok).toBe(false);
    expect(checkPublicUrl('http://169.254.169.254/', { allowLoopback: true }).ok).toBe(false);
  });
});
