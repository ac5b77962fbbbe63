// Reading stored input media over real sockets: whole objects from the S3 emulator, the size cap, and an S3 answer
// killed mid-body (a stand-in S3 endpoint on loopback that declares the full Content-Length and hangs up halfway),
// which must be a typed, retryable network error in both stream paths (Validate's check and Submit's base64 inline).
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3 } from '../../../lambdas/aws/clients/s3.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ResolvedRequest } from '../../../lambdas/domain/job.ts';
import { mediaForProvider, readStoredObject } from '../../../lambdas/aws/s3-media.ts';
import { checkStoredImages } from '../../../lambdas/aws/stored-images.ts';
import { loopbackServer, s3ClientAt, testS3, type LoopbackServer, type TestS3 } from './loopback.ts';

const PNG = readFileSync(new URL('../../fixtures/cat-640x360.png', import.meta.url));
let s3: TestS3;
let cutting: LoopbackServer;
let cuttingClient: S3;

beforeAll(async () => {
  s3 = await testS3('inputs');
  await s3.sdk.send(new PutObjectCommand({ Bucket: 'inputs', Key: 'uploads/cat.png', Body: PNG, ContentType: 'image/png' }));
  // An S3 endpoint whose GetObject answers declare the whole object and then hang up after half of it.
  cutting = await loopbackServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.length), etag: '"x"' });
    res.write(PNG.subarray(0, Math.floor(PNG.length / 2)), () => res.destroy());
  });
  cuttingClient = s3ClientAt(cutting.url);
});

afterAll(async () => {
  cuttingClient?.destroy();
  await cutting?.close();
  await s3?.close();
});

const request = (image: ResolvedRequest['image']): ResolvedRequest => ({
  provider: 'kling',
  model: 'kling-v3',
  durationSeconds: 5,
  aspectRatio: '16:9',
  quality: 'std',
  image,
});
const half = Math.floor(PNG.length / 2);

describe('readStoredObject', () => {
  it('reads a whole object', async () => {
    const read = await readStoredObject(s3.client, 'inputs', 'uploads/cat.png', 10 * 1024 * 1024);
    expect(read.size).toBe(PNG.length);
    expect(Buffer.from(read.bytes!)).toEqual(PNG);
  });

  it('reads only the size of an object over the cap', async () => {
    expect(await readStoredObject(s3.client, 'inputs', 'uploads/cat.png', 100)).toEqual({ size: PNG.length });
  });

  it('turns an answer killed mid-body into a retryable network error naming how much arrived', async () => {
    const error = await readStoredObject(cuttingClient, 'inputs', 'uploads/cat.png', 10 * 1024 * 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'network', retryable: true });
    expect((error as Error).message).toBe(
      `the download was truncated (${half} of ${PNG.length} bytes): uploads/cat.png from the inputs bucket`,
    );
  });
});

describe('both stream paths', () => {
  it("Validate's image check: a whole object passes, a cut one is a network error, not an image problem", async () => {
    expect(await checkStoredImages(s3.client, 'inputs', request({ s3Key: 'uploads/cat.png' }), undefined)).toEqual([]);
    await expect(checkStoredImages(cuttingClient, 'inputs', request({ s3Key: 'uploads/cat.png' }), undefined)).rejects.toMatchObject({
      kind: 'network',
      message: expect.stringMatching(/^the download was truncated/),
    });
  });

  it("Submit's base64 inline: a whole object is inlined, a cut one is a network error", async () => {
    const media = await mediaForProvider(s3.client, () => 'inputs', request({ s3Key: 'uploads/cat.png' }), 'base64');
    expect(Buffer.from(media.image!, 'base64')).toEqual(PNG);
    await expect(mediaForProvider(cuttingClient, () => 'inputs', request({ s3Key: 'uploads/cat.png' }), 'base64')).rejects.toMatchObject({
      kind: 'network',
      message: expect.stringMatching(/^the download was truncated/),
    });
  });

  it('reports a missing object as a problem of its field', async () => {
    expect(await checkStoredImages(s3.client, 'inputs', request({ s3Key: 'uploads/none.png' }), undefined)).toEqual([
      { path: 'image.s3Key', message: 'uploads/none.png does not exist in the inputs bucket' },
    ]);
  });
});
