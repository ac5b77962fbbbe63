// The handlers' S3 client (lambdas/aws/clients/s3.ts) over real sockets: every operation against the S3 emulator
// (s3rver), checked with the AWS SDK's client; error names; keys S3 encodes; the multipart uploader; and the
// signatures. s3rver does not check SigV4 signatures, so each one is recomputed here with the AWS SDK's own signer
// (@smithy/signature-v4) from the request as it arrived (or the URL as presigned) and must match.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type S3, S3Error, s3Client } from '../../../lambdas/aws/clients/s3.ts';
import { encodeKey } from '../../../lambdas/aws/clients/s3-request.ts';
import { uploadMultipart } from '../../../lambdas/aws/s3-multipart.ts';
import { loopbackServer, type LoopbackServer, testS3, type TestS3 } from './loopback.ts';
import { Sha256 } from '../../../local/sigv4.ts';

let s3: TestS3;
const sha256 = (bytes: Buffer | undefined) => bytes && createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  s3 = await testS3('objects');
});

afterAll(async () => {
  await s3?.close();
});

/** Keys S3 encodes segment by segment: spaces, unicode, `+`, `%`, reserved characters, an empty segment. */
const HARD_KEYS = ['plain.json', 'a b/c d.png', 'uploads/ünï cödé/猫.png', 'x+y/1+1=2.txt', '100%/50% off.txt', "it's (1)!*~.txt"];
/** An empty segment too: S3 keeps `a//b` as written, s3rver does not route it, so only its signature is checked. */
const SIGNED_KEYS = [...HARD_KEYS, 'a//b'];

describe('objects', () => {
  it.each(HARD_KEYS)('puts, heads and gets %j, as the SDK reads it back', async (key) => {
    await s3.client.put(s3.bucket, key, `body of ${key}`, { contentType: 'text/plain' });
    const read = await s3.sdk.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(await read.Body?.transformToString()).toBe(`body of ${key}`);
    expect(read.ContentType).toBe('text/plain');
    const head = await s3.client.head(s3.bucket, key);
    expect(head).toMatchObject({ contentLength: Buffer.byteLength(`body of ${key}`), contentType: 'text/plain' });
    const got = await s3.client.get(s3.bucket, key);
    expect(got.contentLength).toBe(Buffer.byteLength(`body of ${key}`));
    expect(Buffer.concat(await got.body.toArray()).toString()).toBe(`body of ${key}`);
  });

  it("answers an object's user metadata", async () => {
    await s3.sdk.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'meta.png', Body: 'x', Metadata: { 'klingflow-prompt': 'a cat' } }));
    expect((await s3.client.head(s3.bucket, 'meta.png')).metadata).toEqual({ 'klingflow-prompt': 'a cat' });
  });

  it('puts a stream of a declared length, once, as it comes', async () => {
    const bytes = Buffer.alloc(300_000, 7);
    await s3.client.put(s3.bucket, 'streamed.bin', Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), {
      contentLength: bytes.length,
    });
    expect(await s3.read('streamed.bin')).toEqual(bytes);
    await expect(s3.client.put(s3.bucket, 'no-length.bin', Readable.from([bytes]))).rejects.toThrow(/contentLength/);
  });

  it('aborts a streamed put with its signal, storing nothing', async () => {
    const stop = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1000));
    const put = s3.client.put(s3.bucket, 'aborted.bin', body, { contentLength: 5000, signal: stop.signal });
    setTimeout(() => stop.abort(new Error('stop')), 50);
    await expect(put).rejects.toThrow();
    expect(await s3.exists('aborted.bin')).toBe(false);
  });
});

describe('errors', () => {
  it('names a missing key NoSuchKey (GET) and NotFound (HEAD, no body), with the status', async () => {
    const got = await s3.client.get(s3.bucket, 'missing.json').catch((e: unknown) => e);
    expect(got).toBeInstanceOf(S3Error);
    expect(got).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(await s3.client.head(s3.bucket, 'missing.json').catch((e: unknown) => e)).toMatchObject({ name: 'NotFound', status: 404 });
  });

  it('names a missing bucket NoSuchBucket', async () => {
    expect(await s3.client.put('no-such-bucket', 'x', 'x').catch((e: unknown) => e)).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('retries a 503 SlowDown twice (3 attempts), then throws it; a 403 is not retried', async () => {
    let calls = 0;
    const status = { code: 503, name: 'SlowDown' };
    const server = await loopbackServer((req, res) => {
      calls += 1;
      req.resume();
      res
        .writeHead(status.code, { 'content-type': 'application/xml', 'x-amz-request-id': 'R1' })
        .end(`<?xml version="1.0"?><Error><Code>${status.name}</Code><Message>Reduce &amp; retry</Message></Error>`);
    });
    const client = clientAt(server);
    try {
      expect(await client.put('b', 'k', 'x').catch((e: unknown) => e)).toMatchObject({
        name: 'SlowDown',
        status: 503,
        message: 'Reduce & retry',
        requestId: 'R1',
      });
      expect(calls).toBe(3);
      Object.assign(status, { code: 403, name: 'AccessDenied' });
      calls = 0;
      expect(await client.get('b', 'k').catch((e: unknown) => e)).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(calls).toBe(1);
    } finally {
      client.destroy();
      await server.close();
    }
  });

  it('retries a dropped connection for a whole body, not for a stream (its error keeps its code, no status)', async () => {
    let calls = 0;
    const server = await loopbackServer((req) => {
      calls += 1;
      req.socket.destroy();
    });
    const client = clientAt(server);
    try {
      const whole = await client.put('b', 'k', 'x').catch((e: unknown) => e);
      expect(whole).toMatchObject({ code: 'ECONNRESET' });
      expect((whole as { status?: number }).status).toBeUndefined();
      expect(calls).toBe(3);
      calls = 0;
      await expect(client.put('b', 'k', Readable.from([Buffer.alloc(10)]), { contentLength: 10 })).rejects.toMatchObject({
        code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/),
      });
      expect(calls).toBe(1);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});

describe('multipart', () => {
  const MiB = 1024 * 1024;

  it('uploads a stream of unknown length in parts (the last one short), as the SDK reads it back', async () => {
    const bytes = randomBytes(11 * MiB + 123);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, i) => bytes.subarray(i * 65_536, (i + 1) * 65_536));
    await uploadMultipart(s3.client, Readable.from(chunks), {
      bucket: s3.bucket,
      key: 'parts/video 1.mp4',
      partSize: 5 * MiB,
      inFlight: 2,
    });
    // Compared by hash: a deep equality of 11 MiB takes seconds.
    expect(sha256(await s3.read('parts/video 1.mp4'))).toBe(sha256(bytes));
  });

  it('uploads an empty stream as one empty part', async () => {
    await uploadMultipart(s3.client, Readable.from([]), { bucket: s3.bucket, key: 'parts/empty', partSize: 5 * MiB, inFlight: 2 });
    expect(await s3.read('parts/empty')).toEqual(Buffer.alloc(0));
  });

  it('aborts the upload when a part fails, and throws that failure', async () => {
    const aborted = vi.fn(s3.client.abortMultipart);
    const failing: S3 = {
      ...s3.client,
      uploadPart: (...args) =>
        args[3] === 2 ? Promise.reject(new S3Error('InternalError', 'boom', 500, undefined)) : s3.client.uploadPart(...args),
      abortMultipart: aborted,
    };
    const body = Readable.from(Array.from({ length: 4 }, () => Buffer.alloc(5 * MiB)));
    await expect(
      uploadMultipart(failing, body, { bucket: s3.bucket, key: 'parts/failed', partSize: 5 * MiB, inFlight: 2 }),
    ).rejects.toMatchObject({
      name: 'InternalError',
    });
    expect(aborted).toHaveBeenCalledTimes(1);
    expect(await s3.exists('parts/failed')).toBe(false);
  });

  it('aborts the upload when the body fails, and throws its error', async () => {
    const aborted = vi.fn(s3.client.abortMultipart);
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(6 * MiB));
    setTimeout(() => body.destroy(new Error('download cut')), 50);
    await expect(
      uploadMultipart({ ...s3.client, abortMultipart: aborted }, body, {
        bucket: s3.bucket,
        key: 'parts/cut',
        partSize: 5 * MiB,
        inFlight: 2,
      }),
    ).rejects.toThrow('download cut');
    expect(aborted).toHaveBeenCalledTimes(1);
    expect(await s3.exists('parts/cut')).toBe(false);
  });

  it('a body that fails while the upload is being created is no uncaught exception: the upload is aborted, its error thrown', async () => {
    const aborted = vi.fn(s3.client.abortMultipart);
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(MiB));
    // The body fails, and its 'error' is emitted, before createMultipart answers and anything reads the body.
    const createMultipart: typeof s3.client.createMultipart = async (...args) => {
      body.destroy(new Error('download cut early'));
      await new Promise((resolve) => setImmediate(resolve));
      return s3.client.createMultipart(...args);
    };
    const uncaught = vi.fn();
    process.on('uncaughtException', uncaught);
    try {
      await expect(
        uploadMultipart({ ...s3.client, createMultipart, abortMultipart: aborted }, body, {
          bucket: s3.bucket,
          key: 'parts/cut-early',
          partSize: 5 * MiB,
          inFlight: 2,
        }),
      ).rejects.toThrow('download cut early');
    } finally {
      process.off('uncaughtException', uncaught);
    }
    expect(uncaught).not.toHaveBeenCalled();
    expect(aborted).toHaveBeenCalledTimes(1);
    expect(await s3.exists('parts/cut-early')).toBe(false);
  });
});

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+=',
};
/** The presigner's settings for the payload's hash header (see sdkPresignature). */
const UNSIGNED = { unsignableHeaders: new Set(['x-amz-content-sha256']), unhoistableHeaders: new Set(['x-amz-content-sha256']) };
const sdkSigner = new SignatureV4({
  service: 's3',
  region: 'eu-west-1',
  credentials: CREDENTIALS,
  sha256: Sha256,
  uriEscapePath: false,
  applyChecksum: false,
});

/** The date of an `x-amz-date` value (`20261201T045600Z`). */
const dateOf = (amzDate: string): Date =>
  new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );

const clientAt = (server: LoopbackServer, credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }): S3 =>
  s3Client({ endpoint: server.url, region: 'eu-west-1', forcePathStyle: true, credentials });

describe('signatures, recomputed with the AWS SDK signer', () => {
  it.each(SIGNED_KEYS)('signs a request for %j as the SDK would, the key encoded segment by segment', async (key) => {
    let arrived: { method: string; path: string; headers: Record<string, string> } | undefined;
    const server = await loopbackServer((req, res) => {
      arrived = { method: req.method ?? '', path: req.url ?? '', headers: req.headers as Record<string, string> };
      req.resume();
      res.writeHead(200).end();
    });
    const client = clientAt(server, CREDENTIALS);
    try {
      await client.put('inputs', key, '{"a":1}', { contentType: 'application/json' });
    } finally {
      client.destroy();
      await server.close();
    }
    const got = arrived!;
    expect(got.path).toBe(`/inputs/${encodeKey(key)}`);
    expect(got.path).not.toMatch(/[+ ]|%(?![0-9A-F]{2})/);
    expect(got.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(got.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('{"a":1}').digest('hex'));
    const signedNames = /SignedHeaders=([^,]+)/.exec(got.headers.authorization ?? '')![1]!.split(';');
    expect(signedNames).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']));
    const expected = await sdkSigner.sign(
      {
        method: got.method,
        protocol: 'http:',
        hostname: server.host.split(':')[0]!,
        port: server.port,
        path: got.path,
        query: {},
        headers: Object.fromEntries(signedNames.map((name) => [name, got.headers[name]!])),
        body: '{"a":1}',
      },
      { signingDate: dateOf(got.headers['x-amz-date']!) },
    );
    expect(got.headers.authorization).toBe(expected.headers.authorization);
  });

  it('signs a streamed body UNSIGNED-PAYLOAD', async () => {
    let headers: Record<string, string> = {};
    const server = await loopbackServer((req, res) => {
      headers = req.headers as Record<string, string>;
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    const client = clientAt(server);
    try {
      await client.put('b', 'k', Readable.from([Buffer.alloc(10)]), { contentLength: 10 });
    } finally {
      client.destroy();
      await server.close();
    }
    expect(headers).toMatchObject({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '10' });
    expect(headers['transfer-encoding']).toBeUndefined();
  });

  /**
   * The signature the SDK's signer gives the URL's request, its own X-Amz-* parameters left for it to add, as the
   * SDK's presigner asks for it: the payload `UNSIGNED-PAYLOAD`, that header neither signed nor put in the query.
   */
  const sdkPresignature = async (url: URL, headers: Record<string, string>, method = 'GET'): Promise<string> => {
    const signed = await sdkSigner.presign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: {},
        headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
      },
      { signingDate: dateOf(url.searchParams.get('X-Amz-Date')!), expiresIn: Number(url.searchParams.get('X-Amz-Expires')), ...UNSIGNED },
    );
    return String(signed.query?.['X-Amz-Signature']);
  };

  it.each(SIGNED_KEYS)('presigns a GET of %j as the SDK would, with the session token', async (key) => {
    const client = s3Client({ endpoint: 'http://127.0.0.1:9', region: 'eu-west-1', forcePathStyle: true, credentials: CREDENTIALS });
    const url = new URL(client.presign('GET', 'inputs', key, 3600));
    expect(url.pathname).toBe(`/inputs/${encodeKey(key)}`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Expires': '3600',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Security-Token': CREDENTIALS.sessionToken,
      'X-Amz-Credential': expect.stringMatching(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/),
    });
    expect(url.searchParams.get('X-Amz-Signature')).toBe(await sdkPresignature(url, {}));
  });

  it('presigns a PUT with its Content-Type and Content-Length signed', async () => {
    const client = s3Client({ endpoint: 'http://127.0.0.1:9', region: 'eu-west-1', forcePathStyle: true, credentials: CREDENTIALS });
    const url = new URL(client.presign('PUT', 'inputs', 'uploads/a b.png', 900, { contentType: 'image/png', contentLength: 1234 }));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      await sdkPresignature(url, { 'content-type': 'image/png', 'content-length': '1234' }, 'PUT'),
    );
    // Another length or type makes another signature: S3 refuses the PUT (s3rver does not check, so this is the check).
    for (const headers of [
      { 'content-type': 'image/png', 'content-length': '1235' },
      { 'content-type': 'image/jpeg', 'content-length': '1234' },
    ]) {
      const other = await sdkPresignature(url, headers, 'PUT');
      expect(other).not.toBe(url.searchParams.get('X-Amz-Signature'));
    }
  });

  it('presigned URLs work against the emulator: a PUT with the signed headers, then a GET', async () => {
    const png = Buffer.from('not really a png');
    const put = await fetch(
      s3.client.presign('PUT', s3.bucket, 'presigned/ü b.png', 60, { contentType: 'image/png', contentLength: png.length }),
      {
        method: 'PUT',
        headers: { 'content-type': 'image/png' },
        body: png,
      },
    );
    expect(put.status).toBe(200);
    const head = await s3.sdk.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'presigned/ü b.png' }));
    expect(head).toMatchObject({ ContentType: 'image/png', ContentLength: png.length });
    const got = await fetch(s3.client.presign('GET', s3.bucket, 'presigned/ü b.png', 60));
    expect(Buffer.from(await got.arrayBuffer())).toEqual(png);
  });

  it('addresses buckets virtual-hosted on AWS unless path style is asked for', () => {
    const virtual = s3Client({ region: 'eu-west-1', forcePathStyle: false, credentials: CREDENTIALS }).presign(
      'GET',
      'my-bucket',
      'a b.mp4',
      60,
    );
    expect(virtual).toMatch(/^https:\/\/my-bucket\.s3\.eu-west-1\.amazonaws\.com\/a%20b\.mp4\?/);
    const pathStyle = s3Client({ region: 'eu-west-1', forcePathStyle: true, credentials: CREDENTIALS }).presign(
      'GET',
      'my-bucket',
      'a b.mp4',
      60,
    );
    expect(pathStyle).toMatch(/^https:\/\/s3\.eu-west-1\.amazonaws\.com\/my-bucket\/a%20b\.mp4\?/);
  });
});
