import { describe, expect, it } from 'vitest';
import { checkPublicUrl, isLoopbackAddress, isPrivateAddress } from '../../../lambdas/domain/url-policy.ts';

describe('isPrivateAddress', () => {
  it.each([
    ['0.0.0.0', 'this network'],
    ['10.0.0.1', 'RFC1918 10/8'],
    ['10.255.255.255', 'RFC1918 10/8 top'],
    ['172.16.0.1', 'RFC1918 172.16/12 bottom'],
    ['172.31.255.254', 'RFC1918 172.16/12 top'],
    ['192.168.1.1', 'RFC1918 192.168/16'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback /8'],
    ['169.254.169.254', 'link-local: cloud metadata'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'CGNAT bottom'],
    ['100.127.255.254', 'CGNAT top'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast (reserved 240/4)'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['[::1]', 'bracketed IPv6 loopback (as URL.hostname gives it)'],
    ['fc00::1', 'unique local fc00::/7 (fc)'],
    ['fd12:3456:789a::1', 'unique local fc00::/7 (fd)'],
    ['FD00::1', 'unique local, upper case'],
    ['fe80::1', 'link-local fe80::/10'],
    ['febf::1', 'link-local fe80::/10 top'],
    ['fec0::1', 'site-local fec0::/10 (deprecated, never public)'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ])('%s is private (%s)', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['9.255.255.255'], // just below 10/8
    ['11.0.0.0'], // just above 10/8
    ['172.15.255.255'], // just below 172.16/12
    ['172.32.0.0'], // just above 172.16/12
    ['100.63.255.255'], // just below CGNAT
    ['100.128.0.0'], // just above CGNAT
    ['169.253.255.255'],
    ['192.167.255.255'],
    ['192.169.0.0'],
    ['223.255.255.255'], // just below multicast
    ['2001:4860:4860::8888'],
    ['2606:4700:4700::1111'],
    ['::ffff:8.8.8.8'], // IPv4-mapped public
    ['example.com'], // not an address at all
    [''],
  ])('%s is not private', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  // The WHATWG URL parser (and so every URL.hostname checkPublicUrl sees) writes an IPv4-mapped address in hex:
  // new URL('http://[::ffff:10.0.0.1]/').hostname === '[::ffff:a00:1]'. These are the same addresses as above.
  it.each([
    ['::ffff:a00:1', '::ffff:10.0.0.1'],
    ['::ffff:7f00:1', '::ffff:127.0.0.1'],
    ['::ffff:a9fe:a9fe', '::ffff:169.254.169.254'],
    ['0:0:0:0:0:ffff:c0a8:101', '::ffff:192.168.1.1'],
  ])('IPv4-mapped %s (= %s) in hex notation is private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });
});

describe('checkPublicUrl', () => {
  it.each([
    ['https://example.com/video.mp4'],
    ['http://example.com/image.png'],
    ['https://cdn.example.com:8443/a?b=c'],
    ['https://8.8.8.8/x'],
    ['https://[2001:4860:4860::8888]/x'],
  ])('accepts the public URL %s and returns it parsed', (raw) => {
    const verdict = checkPublicUrl(raw);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.url.href).toBe(new URL(raw).href);
  });

  it.each([
    ['http://localhost/x', 'localhost'],
    ['http://LOCALHOST:3000/x', 'localhost'],
    ['http://api.localhost/x', 'api.localhost'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal'],
    ['http://127.0.0.1/x', '127.0.0.1'],
    ['http://127.1/x', '127.0.0.1'], // short form, normalised by the URL parser
    ['http://2130706433/x', '127.0.0.1'], // decimal form
    ['http://0x7f000001/x', '127.0.0.1'], // hex form
    ['http://0/x', '0.0.0.0'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://10.1.2.3/x', '10.1.2.3'],
    ['http://172.20.0.5:8080/x', '172.20.0.5'],
    ['http://192.168.0.10/x', '192.168.0.10'],
    ['http://100.100.100.200/x', '100.100.100.200'],
    ['http://[::1]/x', '[::1]'],
    ['http://[fd00::1]/x', '[fd00::1]'],
    ['http://[fe80::1]/x', '[fe80::1]'],
  ])('refuses %s as not public, naming the host', (raw, host) => {
    expect(checkPublicUrl(raw)).toEqual({ ok: false, reason: `must name a public host, not '${host}'` });
  });

  it.each([
    ['http://[::ffff:10.0.0.1]/x'],
    ['http://[::ffff:127.0.0.1]/x'],
    ['http://[::ffff:169.254.169.254]/latest/meta-data/'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/x'],
  ])('refuses the IPv4-mapped private address %s', (raw) => {
    const verdict = checkPublicUrl(raw);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(/^must name a public host/);
  });

  it.each([['http://localhost./x'], ['http://api.localhost./x'], ['http://metadata.google.internal./x']])(
    'refuses %s: a trailing dot names the same host',
    (raw) => {
      const verdict = checkPublicUrl(raw);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.reason).toMatch(/^must name a public host/);
    },
  );

  it.each([['https://user:secret@example.com/x'], ['https://user@example.com/x'], ['https://:secret@example.com/x']])(
    'refuses credentials in %s',
    (raw) => {
      expect(checkPublicUrl(raw)).toEqual({ ok: false, reason: 'must not carry credentials' });
    },
  );

  it.each([['ftp://example.com/x'], ['file:///etc/passwd'], ['data:text/plain,hi'], ['javascript:alert(1)'], ['gopher://example.com/']])(
    'refuses the scheme of %s',
    (raw) => {
      expect(checkPublicUrl(raw)).toEqual({ ok: false, reason: 'must use http or https' });
    },
  );

  it.each([['not a url'], [''], ['example.com/x'], ['//example.com/x'], ['http://']])('refuses %j as not a URL', (raw) => {
    expect(checkPublicUrl(raw)).toEqual({ ok: false, reason: 'is not a valid URL' });
  });

  describe('httpsOnly', () => {
    it('refuses http with a reason that names https only', () => {
      expect(checkPublicUrl('http://example.com/cb', { httpsOnly: true })).toEqual({ ok: false, reason: 'must use https' });
    });

    it('accepts https, in any letter case', () => {
      expect(checkPublicUrl('https://example.com/cb', { httpsOnly: true }).ok).toBe(true);
      expect(checkPublicUrl('HTTPS://example.com/cb', { httpsOnly: true }).ok).toBe(true);
    });

    it('still refuses private hosts and credentials over https', () => {
      expect(checkPublicUrl('https://127.0.0.1/cb', { httpsOnly: true })).toEqual({
        ok: false,
        reason: "must name a public host, not '127.0.0.1'",
      });
      expect(checkPublicUrl('https://u:p@example.com/cb', { httpsOnly: true })).toEqual({
        ok: false,
        reason: 'must not carry credentials',
      });
    });
  });

  it('checks the scheme before the host', () => {
    // A private host on a refused scheme is reported for its scheme.
    expect(checkPublicUrl('ftp://127.0.0.1/x')).toEqual({ ok: false, reason: 'must use http or https' });
  });
});

describe('IPv6 forms that embed or resemble other addresses', () => {
  it.each([
    ['64:ff9b::a9fe:a9fe', true], // NAT64 of 169.254.169.254
    ['64:ff9b::808:808', false], // NAT64 of 8.8.8.8
    ['::7f00:1', true], // IPv4-compatible 127.0.0.1
    ['::ffff:808:808', false], // mapped 8.8.8.8
    ['ff02::1', true], // multicast
    ['fc::1', true], // 00fc::1 is outside fc00::/7, but also outside global unicast 2000::/3: reserved
    ['2001:4860:4860::8888', false],
  ])('%s private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['169.254.169.254', false],
    ['::', false],
    ['localhost', false], // a name, not an address
  ])('%s: %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
