// The API surface around jobs, through the real local stack: the OpenAPI document (public, valid, served by the
// stack), the provider catalog (from the capability maps and price tables) and uploads through the API (a presigned
// PUT to the local S3 that becomes a job exactly as a direct upload does). Every answer through `client` is also
// checked against the stack's OpenAPI document (test/e2e/contract.ts).
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import { KEEP_ALIVE_SECONDS } from '../../local/front-door.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, countJobs, startTestStack } from './local-stack.ts';

const getAdapter = await loadAdapters();

const CAT = readFileSync('test/fixtures/cat-640x360.png');

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack();
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('GET /v1/openapi.json', () => {
  it('is public, valid OpenAPI 3.1 and names the stack as its server', async () => {
    const response = await fetch(`${stack.url}/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as any;
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: stack.url }]);
  });
});

describe('connections', () => {
  it('keeps an idle keep-alive connection longer than its clients do, so none sends on one the stack is closing', async () => {
    const response = await fetch(`${stack.url}/v1/openapi.json`);
    await response.arrayBuffer();
    // undici keeps an idle connection for the server's hint less 2 s: 63 s here, not 3 s.
    expect(response.headers.get('keep-alive')).toBe(`timeout=${KEEP_ALIVE_SECONDS}`);
  });
});

describe('a body over 10 MB', () => {
  it('is a 413 naming the body, on a connection closed after it, so the next request opens a fresh one', async () => {
    for (let round = 0; round < 3; round++) {
      const response = await fetch(`${stack.url}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x'.repeat(11 * 1024 * 1024) }),
      });
      expect(response.status).toBe(413);
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toEqual({
        error: {
          code: 'PAYLOAD_TOO_LARGE',
          message: 'the body is larger than 10 MB',
          details: [{ path: 'body', message: 'the body is larger than 10 MB' }],
        },
      });
      // Sent at once, through the same pool of connections: it must not meet the one the 413 ended.
      expect((await client.request('GET', '/v1/jobs?limit=1')).status).toBe(200);
    }
  });
});

describe('GET /v1/providers', () => {
  it('needs credentials', async () => {
    const response = await fetch(`${stack.url}/v1/providers`);
    expect(response.status).toBe(401);
  });

  it('lists every enabled provider with the models, defaults and limits of its capability map', async () => {
    const { status, body } = await client.request('GET', '/v1/providers');
    expect(status).toBe(200);
    expect(body.defaultProvider).toBe('kling');
    expect(body.providers.map((p: { id: string }) => p.id)).toEqual([...PROVIDER_IDS]);
    for (const provider of body.providers) {
      const capabilities = getAdapter(provider.id).capabilities;
      expect(provider.isDefault).toBe(provider.id === 'kling');
      expect(provider.defaultModel).toBe(capabilities.defaultModel);
      expect(provider.models.map((m: { id: string }) => m.id)).toEqual(capabilities.models.map((m) => m.id));
      for (const model of provider.models) {
        const map = capabilities.models.find((m) => m.id === model.id)!;
        expect(model.durationsSeconds).toEqual(map.durationsSeconds);
        expect(model.defaultDurationSeconds).toBe(map.defaultDurationSeconds);
        expect(model.modes).toEqual(map.modes);
        expect(model.defaultQuality).toBe(map.qualities[0]);
      }
    }
    const kling = body.providers.find((p: { id: string }) => p.id === 'kling');
    expect(kling.imageInput).toMatchObject({ types: ['jpg', 'png'], maxBytes: 10 * 1024 * 1024, minSide: 300 });
  });

  it('prices each model from its provider’s table, and agrees with the estimate a job records', async () => {
    const { body } = await client.request('GET', '/v1/providers');
    const kling = body.providers.find((p: { id: string }) => p.id === 'kling');
    expect(kling.priced).toBe(false);
    expect(kling.models.every((m: { prices: unknown[] }) => m.prices.length === 0)).toBe(true);

    const klingAi = body.providers.find((p: { id: string }) => p.id === 'kling-ai');
    const v3 = klingAi.models.find((m: { id: string }) => m.id === 'kling-v3');
    const row = v3.prices.find((r: any) => r.resolution === '720p' && r.modes.includes('text-to-video') && !r.audio);
    expect(row.perSecond).toEqual({ credits: 6, usd: 0.024 });

    // The catalog's price is the price a job is charged as its estimate.
    const jobId = await client.createJob({
      provider: 'kling-ai',
      model: 'kling-v3',
      prompt: 'a fox [sim:no-callback]',
      resolution: '720p',
      durationSeconds: 10,
    });
    const { body: job } = await client.request('GET', `/v1/jobs/${jobId}`);
    expect(job.cost).toEqual({ credits: 60, usd: 0.24, estimated: true });
    await client.request('DELETE', `/v1/jobs/${jobId}`);
  });
});

describe('POST /v1/uploads', () => {
  const ticketFor = (body: unknown) => client.request('POST', '/v1/uploads', body);

  it('hands out a presigned PUT that becomes exactly the job it named, with non-ASCII options intact', async () => {
    const prompt = '一只小猫在雪地里奔跑';
    const { status, body: ticket } = await ticketFor({
      fileName: 'my cat 猫 (1).png',
      contentType: 'image/png',
      bytes: CAT.length,
      options: { prompt, durationSeconds: 5, metadata: { customer: 'acme' } },
    });
    expect(status, JSON.stringify(ticket)).toBe(201);
    expect(ticket.key).toBe(`uploads/${ticket.uploadId}/my cat 猫 (1).png`);
    expect(ticket.links.job).toBe(`/v1/jobs/${ticket.jobId}`);
    expect(Date.parse(ticket.expiresAt)).toBeGreaterThan(Date.now());
    expect(ticket.upload.headers).toEqual({ 'content-type': 'image/png', 'content-length': String(CAT.length) });
    // No AWS credentials: only the URL and the headers it was signed with.
    expect(new URL(ticket.upload.url).searchParams.get('X-Amz-Signature')).toBeTruthy();
    expect(new URL(ticket.upload.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    // The job does not exist before the image does.
    expect((await client.request('GET', ticket.links.job)).status).toBe(404);

    const put = await fetch(ticket.upload.url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: CAT });
    expect(put.status).toBe(200);

    const job = await waitUntilExists(ticket.jobId).then(() => client.waitForJob(ticket.jobId));
    expect(job.status).toBe('SUCCEEDED');
    expect(job.mode).toBe('image-to-video');
    expect(job.request.prompt).toBe(prompt);
    expect(job.request.metadata).toEqual({ customer: 'acme' });
    expect(job.source.key).toBe(ticket.key);

    // A retried PUT (a new version of the same key) is still that one job.
    const again = await fetch(ticket.upload.url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: CAT });
    expect(again.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const { body: list } = await client.request('GET', '/v1/jobs?limit=100');
    expect(list.items.filter((j: { source?: { key: string } }) => j.source?.key === ticket.key)).toHaveLength(1);
  });

  it('refuses what would never become a job before anything is written, naming each field', async () => {
    const before = await countJobs();
    const refused = await ticketFor({
      fileName: 'cat.gif',
      contentType: 'image/gif',
      bytes: 0,
      options: { image: { url: 'https://example.com/a.png' }, durationSeconds: 20, colour: 'red' },
    });
    expect(refused.status).toBe(422);
    const paths = refused.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['fileName', 'contentType', 'bytes']));

    const options = await ticketFor({
      fileName: 'cat.png',
      contentType: 'image/jpeg',
      bytes: 20 * 1024 * 1024,
      options: { image: { url: 'https://example.com/a.png' }, durationSeconds: 20, colour: 'red' },
    });
    expect(options.status).toBe(422);
    const messages = Object.fromEntries(options.body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]));
    expect(messages['options.image']).toMatch(/uploaded image is the input/);
    expect(messages['options.colour']).toBe('unknown field');
    expect(messages['options.durationSeconds']).toMatch(/allowed: 3, 4, 5/);
    expect(messages.contentType).toMatch(/image\/png/);
    expect(messages.bytes).toMatch(/at most 10485760 bytes/);

    const unknown = await ticketFor({ fileName: 'a.png', contentType: 'image/png', bytes: 10, prompt: 'x' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details).toEqual([{ path: 'prompt', message: expect.stringMatching(/unknown field; allowed: fileName/) }]);
    expect(await countJobs()).toBe(before);
  });
});

describe('POST /v1/uploads with what no client should send', () => {
  const raw = async (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    client.request('POST', '/v1/uploads', body, headers);

  it('answers a 4xx naming the field, never a 5xx, and writes nothing', async () => {
    const before = await countJobs();
    expect((await raw('{"fileName":"a.png"}', { 'content-type': 'text/plain' })).body.error.details[0].path).toBe('content-type');
    expect((await raw('{"fileName":')).body.error.details[0].path).toBe('body');
    expect((await raw('')).status).toBe(400);
    const surrogate = await raw('{"fileName":"a\\ud800.png","contentType":"image/png","bytes":1}');
    expect(surrogate.status).toBe(422);
    expect(surrogate.body.error.details[0].path).toBe('fileName');
    const deep = await raw(
      `{"fileName":"a.png","contentType":"image/png","bytes":1,"options":{"metadata":${'['.repeat(20)}${']'.repeat(20)}}}`,
    );
    expect(deep.status).toBe(422);
    expect((await raw('[]')).status).toBe(422);
    expect(await countJobs()).toBe(before);
  });
});

async function waitUntilExists(jobId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await client.request('GET', `/v1/jobs/${jobId}`)).status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no job ${jobId}`);
}
