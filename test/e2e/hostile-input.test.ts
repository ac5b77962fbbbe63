// Issue 13, case by case, through the real local stack over real sockets: every attack the issue reproduced gets
// the right answer (a 4xx naming its field, or the callback's one 401), and a refused request writes nothing.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerEnv } from '../../lambdas/aws/env.ts';
import { jobIdForUpload } from '../../lambdas/domain/uploads.ts';
import { signStandardWebhook } from '../../lambdas/domain/webhooks.ts';
import type { LocalStack } from '../../local/stack.ts';
import { MAX_ERROR_DETAILS } from '../../lambdas/http/responses.ts';
import { expectDocumented } from './contract.ts';
import { Client, countJobs, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack();
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** A raw request: exact bytes and headers, the bearer token added unless `auth` is false. */
async function raw(
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; auth?: boolean } = {},
) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(options.auth === false ? {} : { authorization: `Bearer ${stack.token}` }), ...options.headers },
    body: options.body,
  });
  const text = await response.text();
  await expectDocumented(stack.url, { method, path }, { status: response.status, headers: response.headers, text });
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body };
}

/** A create that must be refused: its status, its error, and no job written. */
async function refusedCreate(body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const before = await countJobs();
  const response = await raw('POST', '/v1/jobs', { body, headers });
  expect(response.status, JSON.stringify(response.body)).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(await countJobs()).toBe(before);
  return response;
}

const detailPaths = (response: { body: any }) => (response.body.error.details ?? []).map((d: { path: string }) => d.path);

describe('callbacks bound to their job', () => {
  const secret = () => process.env[providerEnv('replicate', 'WEBHOOK_SECRET')]!;
  const signedPrediction = (prediction: object) => {
    const body = JSON.stringify(prediction);
    return {
      body,
      headers: { 'content-type': 'application/json', ...signStandardWebhook(secret(), { id: 'msg_x', timestamp: new Date(), body }) },
    };
  };

  it('a signed Replicate webhook for job A cannot complete job B (401), and B finishes with its own video', async () => {
    const a = await client.createJob({ provider: 'replicate', prompt: 'job A [sim:latency=3000]' });
    const b = await client.createJob({ provider: 'replicate', prompt: 'job B [sim:latency=3000]' });
    const submitted = async (jobId: string) => {
      for (;;) {
        const { body } = await client.request('GET', `/v1/jobs/${jobId}`);
        if (body.providerTaskId) return body.providerTaskId as string;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const predictionA = await submitted(a);
    const predictionB = await submitted(b);

    // Genuinely signed: accepted at A's own URL (a progress report, harmless).
    const progress = signedPrediction({ id: predictionA, status: 'processing' });
    expect((await raw('POST', `/v1/callbacks/replicate/${a}?job_id=${a}`, { ...progress, auth: false })).status).toBe(200);

    // The same signature scheme, A's prediction "succeeded", sent to B's URL with B's job in the query.
    const forged = signedPrediction({ id: predictionA, status: 'succeeded', output: 'https://evil.example.com/a.mp4' });
    const answer = await raw('POST', `/v1/callbacks/replicate/${b}?job_id=${b}`, { ...forged, auth: false });
    expect(answer.status).toBe(401);

    const jobB = await client.waitForJob(b);
    expect(jobB).toMatchObject({ status: 'SUCCEEDED', providerTaskId: predictionB });
    expect(jobB.outputs.video.key).toBe(`jobs/${b}/video.mp4`);
    // B's video came from B's own prediction; A's "output" was never fetched.
    expect(stack.simulator!.tasks().find((t) => t.externalTaskId === predictionB)?.mediaRequests).toBeGreaterThan(0);
  });

  it("a signed failure whose reason is 900 KB: the callback is taken (200) and the job fails with the provider's reason, cut to 1000 characters", async () => {
    const jobId = await client.createJob({ provider: 'replicate', prompt: 'a long reason [sim:stuck]' });
    let prediction: string | undefined;
    while (!prediction) {
      prediction = (await client.request('GET', `/v1/jobs/${jobId}`)).body.providerTaskId as string | undefined;
      if (!prediction) await new Promise((r) => setTimeout(r, 50));
    }
    const failure = signedPrediction({ id: prediction, status: 'failed', error: `the model ran out of ${'e'.repeat(900_000)}` });
    expect((await raw('POST', `/v1/callbacks/replicate/${jobId}?job_id=${jobId}`, { ...failure, auth: false })).status).toBe(200);
    const job = await client.waitForJob(jobId);
    expect(job.status).toBe('FAILED');
    expect(job.error.code).toBe('PROVIDER_FAILED');
    expect(job.error.message).toMatch(/^the model ran out of e+…$/);
    expect(Array.from(job.error.message as string)).toHaveLength(1000);
  });

  it('answers an unknown job exactly as a bad signature', async () => {
    const jobId = await client.createJob({ provider: 'replicate', prompt: 'probe target [sim:latency=2000]' });
    const unsigned = { body: '{"id":"x","status":"succeeded"}', headers: { 'content-type': 'application/json' }, auth: false };
    const existing = await raw('POST', `/v1/callbacks/replicate/${jobId}`, unsigned);
    const unknown = await raw('POST', '/v1/callbacks/replicate/job_doesnotexist0000000000', unsigned);
    const notAnId = await raw('POST', `/v1/callbacks/replicate/${'j'.repeat(3000)}`, unsigned);
    const notAProvider = await raw('POST', `/v1/callbacks/nosuchprovider/${jobId}`, unsigned);
    expect(existing.status).toBe(401);
    for (const other of [unknown, notAnId, notAProvider]) expect(other).toEqual(existing);
    expect(detailPaths(existing)).toEqual(['callback']);
  });

  it('accepts only application/json bodies', async () => {
    const answer = await raw('POST', '/v1/callbacks/kling/job_x', {
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      auth: false,
    });
    expect(answer.status).toBe(415);
    expect(detailPaths(answer)).toEqual(['content-type']);
  });
});

describe('no 5xx for anything a client sent', () => {
  it('metadata {"constructor": "v"} is a 422 naming metadata.constructor', async () => {
    const answer = await refusedCreate('{"prompt": "a fox", "metadata": {"constructor": "v"}}');
    expect(answer.status).toBe(422);
    expect(detailPaths(answer)).toEqual(['metadata.constructor']);
  });

  it('200,000 unknown fields get a small 422 that names the first ones and counts the rest (it was a 9 MB answer)', async () => {
    const fields = Array.from({ length: 200_000 }, (_, i) => `"f${i}": 0`).join(', ');
    const answer = await refusedCreate(`{"prompt": "a fox", ${fields}}`);
    expect(answer.status).toBe(422);
    expect(JSON.stringify(answer.body).length).toBeLessThan(20_000);
    const paths = detailPaths(answer);
    expect(paths.length).toBeLessThanOrEqual(MAX_ERROR_DETAILS + 1);
    expect(answer.body.error.details.at(-1).message).toMatch(/^and \d+ more problems$|f\d+/);
  });

  it.each(['__proto__', 'prototype'])('%s as a key is a 422 naming it', async (key) => {
    const answer = await refusedCreate(`{"prompt": "a fox", "metadata": {"${key}": "v"}, "${key}": {"x": 1}}`);
    expect(answer.status).toBe(422);
    expect(detailPaths(answer).sort()).toEqual([key, `metadata.${key}`].sort());
  });

  it.each([
    ['image.url', 400 * 1024],
    ['callbackUrl', 400 * 1024],
    ['video.url', 100 * 1024],
    ['referenceImages.0.url', 3000],
  ])('a %s of %i characters is a 422 naming it', async (path, length) => {
    const url = `https://example.com/${'a'.repeat(length)}`;
    const body =
      path === 'callbackUrl'
        ? { prompt: 'x', callbackUrl: url }
        : path === 'video.url'
          ? { video: { url } }
          : path === 'image.url'
            ? { image: { url } }
            : { prompt: 'x', referenceImages: [{ url }] };
    const answer = await refusedCreate(JSON.stringify(body));
    expect(answer.status).toBe(422);
    expect(detailPaths(answer)).toContain(path);
    expect(answer.body.error.details.find((d: { path: string }) => d.path === path).message).toMatch(/at most 2048 are allowed/);
  });

  it.each([
    ['GET', ''],
    ['DELETE', ''],
    ['GET', '/video'],
    ['GET', '/thumbnail'],
  ])('a job id over 2,048 bytes on %s /v1/jobs/{jobId}%s is a 400 naming jobId', async (method, suffix) => {
    const answer = await raw(method, `/v1/jobs/${'j'.repeat(2100)}${suffix}`);
    expect(answer.status).toBe(400);
    expect(detailPaths(answer)).toEqual(['jobId']);
  });

  it.each([
    ['forged ({"a":"b"}, issue 13)', 'eyJhIjoiYiJ9'],
    ['of the right index but the wrong shape', 'eyJqb2JJZCI6ImpvYl94Iiwia2luZCI6IkpPQiJ9'],
    ['not base64url', '!!!'],
    ['2,000 characters long', 'x'.repeat(2000)],
  ])('a cursor %s is a 400 naming cursor', async (_name, cursor) => {
    const answer = await raw('GET', `/v1/jobs?cursor=${encodeURIComponent(cursor)}`);
    expect(answer.status).toBe(400);
    expect(detailPaths(answer)).toEqual(['cursor']);
  });

  it("another listing's cursor is a 400 too (a status listing's cursor, used without the status)", async () => {
    for (let i = 0; i < 3; i++) await client.createJob({ prompt: `page filler ${i} [sim:latency=60000]` });
    const page = await client.request('GET', '/v1/jobs?status=QUEUED&limit=1');
    const cursor = page.body.nextCursor ?? (await client.request('GET', '/v1/jobs?status=SUBMITTED&limit=1')).body.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const foreign = await raw('GET', `/v1/jobs?cursor=${cursor}`);
    expect(foreign.status).toBe(400);
    expect(detailPaths(foreign)).toEqual(['cursor']);
  });

  it.each(['%ZZ', '%', 'job_%E0%A4%A'])('%s in a path parameter is a 400 naming it', async (segment) => {
    for (const path of [`/v1/jobs/${segment}`, `/v1/jobs/${segment}/video`]) {
      const answer = await raw('GET', path);
      expect(answer.status).toBe(400);
      expect(detailPaths(answer)).toEqual(['jobId']);
    }
    const callback = await raw('POST', `/v1/callbacks/${segment}/job_x`, {
      body: '{}',
      headers: { 'content-type': 'application/json' },
      auth: false,
    });
    expect(callback.status).toBe(400);
    expect(detailPaths(callback)).toEqual(['provider']);
  });

  it('a lone surrogate in the prompt is a 422 naming prompt (it used to succeed with no notice)', async () => {
    const answer = await refusedCreate('{"prompt": "a fox \\ud800"}');
    expect(answer.status).toBe(422);
    expect(answer.body.error.details).toEqual([
      { path: 'prompt', message: 'is not well-formed Unicode (it holds a lone surrogate); send valid UTF-8 text' },
    ]);
  });

  it('bytes that are not UTF-8 are a 422 naming the body', async () => {
    const answer = await refusedCreate(Buffer.concat([Buffer.from('{"prompt": "a fox '), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]));
    expect(answer.status).toBe(422);
    expect(detailPaths(answer)).toEqual(['body']);
  });

  it.each([
    [{}, 'is missing'],
    [{ 'content-type': 'text/plain' }, "must be 'application/json'"],
    [{ 'content-type': 'application/json; charset=latin1' }, 'must use charset utf-8'],
  ])('a create body sent as %j is a 415 naming content-type', async (headers, message) => {
    // Bytes, so that fetch adds no content type of its own.
    const answer = await refusedCreate(Buffer.from('{"prompt": "a fox"}'), headers as Record<string, string>);
    expect(answer.status).toBe(415);
    expect(answer.body.error.details).toEqual([{ path: 'content-type', message: expect.stringContaining(message) }]);
  });

  it('a gzip-compressed callback is a 415 naming content-encoding too, before anything is read', async () => {
    const answer = await raw('POST', '/v1/callbacks/kling/job_06h2zg5ddcq11zdnnwf3sxhnrc', {
      body: gzipSync('{"task_id": "x"}'),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      auth: false,
    });
    expect(answer.status).toBe(415);
    expect(answer.body.error.details).toEqual([
      { path: 'content-encoding', message: expect.stringContaining("is 'gzip'; send the body uncompressed") },
    ]);
  });

  it('a gzip-compressed create body is a 415 naming content-encoding, not a 422 about its bytes', async () => {
    const answer = await refusedCreate(gzipSync('{"prompt": "a fox"}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(answer.status).toBe(415);
    expect(answer.body.error.details).toEqual([
      { path: 'content-encoding', message: expect.stringContaining("is 'gzip'; send the body uncompressed") },
    ]);
  });

  it('a body with both a wrong content type and a content coding is a 415 naming both', async () => {
    const answer = await refusedCreate(gzipSync('{"prompt": "a fox"}'), { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    expect(answer.status).toBe(415);
    expect(detailPaths(answer)).toEqual(['content-type', 'content-encoding']);
  });

  it('accepts Content-Encoding: identity', async () => {
    const response = await raw('POST', '/v1/jobs', {
      body: '{"prompt": "a fox [sim:latency=100]"}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    });
    expect(response.status).toBe(202);
  });

  it('accepts application/json in any letter case, with charset utf-8', async () => {
    const response = await raw('POST', '/v1/jobs', {
      body: '{"prompt": "a fox [sim:latency=100]"}',
      headers: { 'content-type': 'Application/JSON; charset=UTF-8' },
    });
    expect(response.status).toBe(202);
  });
});

/**
 * POSTs a create body with `headers` as a raw list of [name, value] pairs, so a repeated header goes out as two lines
 * (fetch would join them); raw means no Host unless given, so it is added. Answers the status and the parsed body.
 */
async function createWithRawHeaders(headers: [string, string][]): Promise<{ status: number; body: any }> {
  const flat = [['host', new URL(stack.url).host], ...headers].flat();
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${stack.url}/v1/jobs`, { method: 'POST', headers: flat }, (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    request.on('error', reject);
    request.end('{"prompt": "a fox"}');
  });
}

describe('list parameters', () => {
  it.each([
    ['/v1/jobs?limit=abc', 'limit', /^must be a whole number from 1 to 100, given once/],
    ['/v1/jobs?limit=1e2', 'limit', /^must be a whole number from 1 to 100/],
    ['/v1/jobs?limit=5&limit=6', 'limit', /limit was given more than once$/],
    ['/v1/jobs?status=SUCCEEDED&status=FAILED', 'status', /status was given more than once$/],
    ['/v1/jobs?provider=nope', 'provider', /^must be one of kling, kling-v3-rest, .*replicate$/],
  ])('%s is a 400 naming %s and what is allowed', async (path, field, message) => {
    const answer = await raw('GET', path);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ path: field, message: expect.stringMatching(message) }]);
  });
});

describe('repeated headers', () => {
  it.each([
    ['the right token first', (token: string) => [`Bearer ${token}`, 'Bearer wrong']],
    ['the right token second', (token: string) => ['Bearer wrong', `Bearer ${token}`]],
  ])('two Authorization headers (%s) are refused with a 401, and nothing is written', async (_order, values) => {
    const before = await countJobs();
    const authorization = values(stack.token).map((value): [string, string] => ['authorization', value]);
    const { status } = await createWithRawHeaders([['content-type', 'application/json'], ...authorization]);
    expect(status).toBe(401);
    expect(await countJobs()).toBe(before);
  });

  it.each([
    ['application/json', 'text/plain'],
    ['text/plain', 'application/json'],
  ])(
    'two Content-Type headers (%s, then %s) are a 415 naming content-type whatever their order, as API Gateway joins them',
    async (first, second) => {
      const before = await countJobs();
      const answer = await createWithRawHeaders([
        ['authorization', `Bearer ${stack.token}`],
        ['content-type', first],
        ['content-type', second],
      ]);
      expect(answer.status).toBe(415);
      expect(detailPaths(answer)).toEqual(['content-type']);
      expect(await countJobs()).toBe(before);
    },
  );
});

describe('URLs checked as they will be used', () => {
  it.each([
    ['https://example.com\\@127.0.0.1/a.png', 'must not contain a backslash (percent-encode it as %5C)'],
    ['http://[::ffff:0:7f00:1]/a.png', "must name a public host, not '[::ffff:0:7f00:1]'"],
    ['http://[2002:7f00:1::]/a.png', "must name a public host, not '[2002:7f00:1::]'"],
    ['http://localhost../a.png', "must name a valid host, not 'localhost..' (labels of letters, digits, '-' and '_')"],
  ])('refuses %s', async (url, message) => {
    const answer = await refusedCreate(JSON.stringify({ image: { url } }));
    expect(answer.status).toBe(422);
    expect(answer.body.error.details).toContainEqual({ path: 'image.url', message });
  });

  it('keeps and forwards only the normalised form', async () => {
    const jobId = await client.createJob({ image: { url: 'HTTPS://Img.Example.COM.:443/a/../cat.png#frag' } });
    const { body } = await client.request('GET', `/v1/jobs/${jobId}`);
    expect(body.request.image).toEqual({ url: 'https://img.example.com/cat.png' });
    const task = stack.simulator!.tasks().find((t) => t.externalTaskId === jobId);
    if (task) expect(JSON.stringify(task.request)).not.toContain('Img.Example');
  });

  it('refuses a deployed-style loopback callbackUrl name that is not loopback-literal: localhost..', async () => {
    const answer = await refusedCreate(JSON.stringify({ prompt: 'x', callbackUrl: 'http://localhost../hook' }));
    expect(detailPaths(answer)).toEqual(['callbackUrl']);
  });
});

describe('uploads', () => {
  let s3: S3Client;
  beforeAll(() => {
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: stack.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
  });
  afterAll(() => s3?.destroy());

  it('a manifest with {"metadata": {"constructor": "v"}} no longer drops the upload: the job fails naming the field', async () => {
    const key = 'uploads/constructor-cat.png';
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.inputsBucket,
        Key: `${key}.json`,
        Body: '{"prompt": "a cat", "metadata": {"constructor": "v"}}',
      }),
    );
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: stack.inputsBucket,
        Key: key,
        Body: readFileSync('test/fixtures/cat-640x360.png'),
        ContentType: 'image/png',
      }),
    );
    const jobId = jobIdForUpload({ bucket: stack.inputsBucket, key, versionId: put.VersionId, eTag: put.ETag });
    let job: any;
    for (let i = 0; i < 100 && !job; i++) {
      const response = await client.request('GET', `/v1/jobs/${jobId}`);
      if (response.status === 200) job = await client.waitForJob(jobId);
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'VALIDATION_FAILED' } });
    expect(job.error.message).toContain('metadata.constructor');
  });
});
