// Archive's download, over real sockets into the S3 emulator: a whole copy, a download killed mid-body (a typed,
// retryable network error, never an unhandled 'error' event), hosts that resolve to loopback on AWS settings
// (refused before a byte is fetched), redirects re-checked, and the size cap.
import { createHash, randomBytes } from 'node:crypto';
import type { S3 } from '../../../lambdas/aws/clients/s3.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../lambdas/domain/errors.ts';
import { S3Error } from '../../../lambdas/aws/clients/s3.ts';
import { ArchiveSourceGone, ArchiveStoreFailed, archiveObject, type ArchiveDeps } from '../../../lambdas/aws/s3-archive.ts';
import type { Resolve } from '../../../lambdas/aws/outbound.ts';
import { loopbackServer, testS3, type LoopbackServer, type TestS3 } from './loopback.ts';

const VIDEO = randomBytes(256 * 1024);
let s3: TestS3;
let origin: LoopbackServer;
let requests: string[];

beforeAll(async () => {
  s3 = await testS3();
  requests = [];
  origin = await loopbackServer((req, res) => {
    requests.push(req.url ?? '');
    switch (req.url) {
      case '/video.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(VIDEO.length) }).end(VIDEO);
        return;
      case '/cut.mp4':
        // Declares the whole length, sends 40%, then the connection dies.
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(VIDEO.length) });
        res.write(VIDEO.subarray(0, Math.floor(VIDEO.length * 0.4)), () => res.destroy());
        return;
      case '/chunked.mp4':
        // No Content-Length: the archive cannot stream one PutObject and goes up as a multipart upload.
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write(VIDEO.subarray(0, 1000), () => res.end(VIDEO.subarray(1000)));
        return;
      case '/cut-chunked.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write(VIDEO.subarray(0, 1000), () => res.destroy());
        return;
      case '/endless.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write(VIDEO, () => res.end(VIDEO));
        return;
      case '/expired.mp4':
        res.writeHead(403).end('expired');
        return;
      case '/to-loopback':
        res.writeHead(302, { location: `${elsewhere.url}/video.mp4` }).end();
        return;
      default:
        res.writeHead(404).end();
    }
  });
  elsewhere = await loopbackServer((_req, res) => res.writeHead(200, { 'content-length': '2' }).end('ok'));
});

let elsewhere: LoopbackServer;

afterAll(async () => {
  await origin?.close();
  await elsewhere?.close();
  await s3?.close();
});

/** The handler's settings on AWS: no trusted host but the provider's, no loopback. */
const deps = (outbound: ArchiveDeps['outbound'] = { trustedHosts: [origin.host] }): ArchiveDeps => ({
  s3: s3.client,
  outbound,
  timeoutMs: 10_000,
});
const target = (key: string, maxBytes = 10 * 1024 * 1024) => ({ bucket: s3.bucket, key, defaultContentType: 'video/mp4', maxBytes });

describe('archiveObject', () => {
  it('copies a whole download, hashing it on the way', async () => {
    const stored = await archiveObject(deps(), `${origin.url}/video.mp4`, target('whole.mp4'));
    expect(stored).toEqual({
      bucket: s3.bucket,
      key: 'whole.mp4',
      bytes: VIDEO.length,
      sha256: createHash('sha256').update(VIDEO).digest('hex'),
      contentType: 'video/mp4',
    });
    expect(await s3.read('whole.mp4')).toEqual(VIDEO);
  });

  it('turns a download killed mid-body into a retryable network error naming how much arrived, and stores nothing', async () => {
    const error = await archiveObject(deps(), `${origin.url}/cut.mp4`, target('cut.mp4')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'network', retryable: true, name: 'ProviderNetworkError' });
    const cut = Math.floor(VIDEO.length * 0.4);
    expect((error as Error).message).toBe(`the download was truncated (${cut} of ${VIDEO.length} bytes)`);
    expect(await s3.exists('cut.mp4')).toBe(false);
  });

  it('ends the streamed PUT as soon as the download is cut, not at the archive timeout', async () => {
    // The PUT declared the whole length; without an abort it would wait for the rest until the 10-minute timeout,
    // far past this test's own.
    const error = await archiveObject({ ...deps(), timeoutMs: 10 * 60_000 }, `${origin.url}/cut.mp4`, target('cut-early.mp4')).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/^the download was truncated/);
    expect(await s3.exists('cut-early.mp4')).toBe(false);
  }, 5_000);

  it('copies a download without a Content-Length too, through a multipart upload', async () => {
    const stored = await archiveObject(deps(), `${origin.url}/chunked.mp4`, target('chunked.mp4'));
    expect(stored).toMatchObject({ bytes: VIDEO.length, sha256: createHash('sha256').update(VIDEO).digest('hex') });
    expect(await s3.read('chunked.mp4')).toEqual(VIDEO);
  });

  it('leaves the object already stored under the key in place when a later copy is cut short (a PUT is atomic)', async () => {
    await archiveObject(deps(), `${origin.url}/video.mp4`, target('kept.mp4'));
    await expect(archiveObject(deps(), `${origin.url}/cut.mp4`, target('kept.mp4'))).rejects.toThrow(/truncated/);
    expect(await s3.read('kept.mp4')).toEqual(VIDEO);
  });

  it('copies again, once, from a fresh download, when S3 drops the connection of a streamed PUT before answering', async () => {
    // What a kept-alive socket closed by the other end under the request looks like to the client, which cannot
    // send a streamed body again by itself.
    const dropping = (drops: number): S3 => ({
      ...s3.client,
      put: (...args) => {
        if (drops-- > 0) return Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
        return s3.client.put(...args);
      },
    });
    const before = requests.filter((url) => url === '/video.mp4').length;
    const stored = await archiveObject({ ...deps(), s3: dropping(1) }, `${origin.url}/video.mp4`, target('dropped-once.mp4'));
    expect(stored).toMatchObject({ bytes: VIDEO.length, sha256: createHash('sha256').update(VIDEO).digest('hex') });
    expect(await s3.read('dropped-once.mp4')).toEqual(VIDEO);
    expect(requests.filter((url) => url === '/video.mp4').length - before).toBe(2);

    const error = await archiveObject({ ...deps(), s3: dropping(2) }, `${origin.url}/video.mp4`, target('dropped-twice.mp4')).catch(
      (e: unknown) => e,
    );
    // Still dropped: S3's side may clear, so the workflow retries (ArchiveStoreUnavailable), and it is not the provider's.
    expect(error).toBeInstanceOf(ArchiveStoreFailed);
    expect(error).toMatchObject({ name: 'ArchiveStoreUnavailable', message: expect.stringContaining('read ECONNRESET') });
    expect(await s3.exists('dropped-twice.mp4')).toBe(false);
  });

  it.each([
    [503, 'SlowDown', 'ArchiveStoreUnavailable'],
    [500, 'InternalError', 'ArchiveStoreUnavailable'],
    [403, 'AccessDenied', 'ArchiveStoreFailed'],
    [404, 'NoSuchBucket', 'ArchiveStoreFailed'],
  ])('S3 refusing the copy with %i %s is %s (its own storage, not a provider network error)', async (status, code, name) => {
    const refusing: S3 = {
      ...s3.client,
      put: () => Promise.reject(new S3Error(code, `${code}: arn:aws:iam::123456789012:role/x`, status, undefined)),
    };
    const error = await archiveObject({ ...deps(), s3: refusing }, `${origin.url}/video.mp4`, target(`refused-${status}.mp4`)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArchiveStoreFailed);
    expect(error).not.toBeInstanceOf(ProviderError);
    // The name is what the workflow matches and the job's owner reads; the S3 error's text is for the logs only.
    expect(error).toMatchObject({
      name,
      message: expect.stringMatching(new RegExp(`^storing the result in S3 failed after \\d+ bytes: ${code}: `)),
    });
  });

  it('turns a chunked download cut short into a network error too', async () => {
    const error = await archiveObject(deps(), `${origin.url}/cut-chunked.mp4`, target('cut-chunked.mp4')).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network' });
    expect((error as Error).message).toMatch(/^archiving failed while downloading the result from 127\.0\.0\.1:\d+, after 1000 bytes/);
    expect(await s3.exists('cut-chunked.mp4')).toBe(false);
  });

  it('treats an expired URL as gone, not retryable', async () => {
    await expect(archiveObject(deps(), `${origin.url}/expired.mp4`, target('expired.mp4'))).rejects.toThrow(ArchiveSourceGone);
  });

  it('refuses a result larger than the cap: by its Content-Length before the body, and by its bytes while streaming', async () => {
    await expect(archiveObject(deps(), `${origin.url}/video.mp4`, target('big.mp4', 1000))).rejects.toThrow(
      `the result is ${VIDEO.length} bytes; at most 1000 are archived`,
    );
    await expect(archiveObject(deps(), `${origin.url}/endless.mp4`, target('endless.mp4', VIDEO.length + 10))).rejects.toThrow(
      ArchiveSourceGone,
    );
    expect(await s3.exists('endless.mp4')).toBe(false);
  });
});

describe('where a download may connect', () => {
  /** DNS as a table: the name resolves where the test says, whatever the machine's resolver knows. */
  const table =
    (answers: Record<string, string[]>): Resolve =>
    async (hostname) =>
      (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('refuses a host that resolves to 127.0.0.1 on AWS settings before any byte is fetched', async () => {
    const before = origin.connections();
    const url = `http://cdn.example.com:${origin.port}/video.mp4`;
    const error = await archiveObject(deps({ resolve: table({ 'cdn.example.com': ['127.0.0.1'] }) }), url, target('dns.mp4')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArchiveSourceGone);
    expect((error as Error).message).toBe(
      'refusing to download the result: cdn.example.com resolves to 127.0.0.1, a loopback address; only public addresses are allowed',
    );
    expect(origin.connections()).toBe(before);
  });

  it('connects to the address it checked: the same name, trusted, reaches the server behind 127.0.0.1', async () => {
    const before = origin.connections();
    const host = `cdn.example.com:${origin.port}`;
    const stored = await archiveObject(
      deps({ trustedHosts: [host], resolve: table({ 'cdn.example.com': ['127.0.0.1'] }) }),
      `http://${host}/video.mp4`,
      target('trusted.mp4'),
    );
    expect(stored.bytes).toBe(VIDEO.length);
    expect(origin.connections()).toBe(before + 1);
  });

  it.each([
    ['a mix of public and loopback answers (DNS rebinding)', ['93.184.215.14', '127.0.0.1']],
    ['the metadata address', ['169.254.169.254']],
    ['an IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['a unique-local IPv6 address', ['fd00:ec2::254']],
  ])('refuses %s without connecting', async (_name, addresses) => {
    const before = origin.connections();
    const resolve = table({ 'cdn.example.com': addresses });
    await expect(archiveObject(deps({ resolve }), `http://cdn.example.com:${origin.port}/video.mp4`, target('x.mp4'))).rejects.toThrow(
      /^refusing to download the result: cdn\.example\.com resolves to /,
    );
    expect(origin.connections()).toBe(before);
  });

  it('checks every redirect again: the trusted provider cannot send the download to another loopback port', async () => {
    await expect(archiveObject(deps(), `${origin.url}/to-loopback`, target('redirected.mp4'))).rejects.toThrow(
      "refusing to download the result: the URL must name a public host, not '127.0.0.1'",
    );
    expect(elsewhere.connections()).toBe(0);
  });

  it('refuses loopback URLs as written on AWS settings', async () => {
    await expect(archiveObject(deps({}), `${origin.url}/video.mp4`, target('as-written.mp4'))).rejects.toThrow(ArchiveSourceGone);
  });
});
