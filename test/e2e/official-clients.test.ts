// The official JavaScript clients of fal (`@fal-ai/client`) and Replicate (`replicate`) against the local stack's
// simulator, as a user of those services would drive them: submit, status with logs, result, subscribe/wait, cancel,
// and webhooks verified with the client's own helper (Replicate's `validateWebhook`; fal's client has none, so fal's
// documented Ed25519 recipe). The clients are pointed at the simulator with their supported options (fal: a request
// middleware that rewrites fal's queue host; Replicate: `baseUrl`), never the internet. If the simulator drifts from
// what the clients expect, these fail. The same stack also runs klingflow's own fal jobs the catalog check fixed.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createFalClient, type FalClient, type WebHookResponse } from '@fal-ai/client';
import Replicate, { parseProgressFromLogs, validateWebhook } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { Client, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;
let receiver: Server;
let receiverUrl: string;
const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`the local stack did not set ${name}`);
  return value;
};

beforeAll(async () => {
  stack = await startTestStack(undefined, { KLINGFLOW_SIMULATOR_LATENCY_MS: 400 });
  client = new Client(stack);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function webhookAt(path: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hook = received.find((entry) => entry.path === path);
    if (hook) return hook;
    if (Date.now() > deadline) throw new Error(`no webhook at ${path} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// fal

const V3 = 'fal-ai/kling-video/v3/pro/text-to-video';

function falClient(): FalClient {
  const base = env('KLINGFLOW_FAL_BASE_URL');
  return createFalClient({
    credentials: env('KLINGFLOW_FAL_API_KEY'),
    // The client builds https://queue.fal.run/<endpoint>...; the simulator's fal mount stands in for that host.
    requestMiddleware: async (request) => ({ ...request, url: request.url.replace(/^https:\/\/queue\.fal\.run/, base) }),
  });
}

/** fal's webhook signature (fal docs, "Webhooks"): Ed25519 over request id, user id, timestamp and the body's SHA-256. */
async function falWebhookVerifies(headers: IncomingHttpHeaders, body: string): Promise<boolean> {
  const jwks = (await (await fetch(env('KLINGFLOW_FAL_JWKS_URL'))).json()) as { keys: { x: string }[] };
  const header = (name: string) => String(headers[name] ?? '');
  const message = [
    header('x-fal-webhook-request-id'),
    header('x-fal-webhook-user-id'),
    header('x-fal-webhook-timestamp'),
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const signature = Buffer.from(header('x-fal-webhook-signature'), 'hex');
  return jwks.keys.some((key) =>
    verify(null, Buffer.from(message), createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.x }, format: 'jwk' }), signature),
  );
}

describe('@fal-ai/client against the simulator', () => {
  it('submits, reads the status with logs, and fetches the result with its request id', async () => {
    const fal = falClient();
    const { request_id: requestId } = await fal.queue.submit(V3, { input: { prompt: 'a red fox in the snow' } });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const seen: string[] = [];
    let logs: unknown[] = [];
    for (;;) {
      const status = await fal.queue.status(V3, { requestId, logs: true });
      if (seen.at(-1) !== status.status) seen.push(status.status);
      if ('logs' in status && status.logs?.length) logs = status.logs;
      if (status.status === 'COMPLETED') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen.at(-1)).toBe('COMPLETED');
    expect(logs[0]).toMatchObject({ message: expect.stringMatching(/^progress \d+%$/), level: 'INFO' });
    const result = await fal.queue.result(V3, { requestId });
    expect(result.requestId).toBe(requestId);
    expect(result.data.video.url).toMatch(/\/media\/\d+\.mp4$/);
    const video = Buffer.from(await (await fetch(result.data.video.url)).arrayBuffer());
    expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it.each([['polling'], ['streaming']] as const)('subscribes (%s) and reports the request id', async (mode) => {
    const fal = falClient();
    const updates: string[] = [];
    let enqueued = '';
    const result = await fal.subscribe(V3, {
      input: { prompt: `a lighthouse at dusk (${mode})` },
      mode,
      logs: true,
      ...(mode === 'polling' ? { pollInterval: 50 } : {}),
      onEnqueue: (id) => {
        enqueued = id;
      },
      onQueueUpdate: (update) => {
        if (updates.at(-1) !== update.status) updates.push(update.status);
      },
    });
    expect(result.requestId).not.toBe('');
    expect(result.requestId).toBe(enqueued);
    expect(result.data.video.url).toMatch(/\.mp4$/);
    expect(updates).toContain('IN_PROGRESS');
    expect(updates.at(-1)).toBe('COMPLETED');
  });

  it('takes a 2 s + 3 s multi-shot request on v3, as its catalog allows', async () => {
    const fal = falClient();
    const result = await fal.subscribe('fal-ai/kling-video/v3/standard/text-to-video', {
      input: {
        multi_prompt: [
          { prompt: 'a fox wakes', duration: '2' },
          { prompt: 'the fox runs', duration: '3' },
        ],
        shot_type: 'customize',
        duration: '5',
      },
      pollInterval: 50,
    });
    expect(result.data.video.url).toMatch(/\.mp4$/);
  });

  it('cancels a request; its result is the client_cancelled request error', async () => {
    const fal = falClient();
    const { request_id: requestId } = await fal.queue.submit(V3, { input: { prompt: 'a long one [sim:latency=20000]' } });
    await fal.queue.cancel(V3, { requestId });
    const status = await fal.queue.status(V3, { requestId });
    expect(status.status).toBe('COMPLETED');
    const error = await fal.queue.result(V3, { requestId }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 499, requestId, body: { error_type: 'client_cancelled' } });
  });

  it('calls the webhook once, with a body of the client’s WebHookResponse type and a signature that verifies', async () => {
    const fal = falClient();
    const { request_id: requestId } = await fal.queue.submit(V3, {
      input: { prompt: 'a kite over a beach' },
      webhookUrl: `${receiverUrl}/fal-hook`,
    });
    const hook = await webhookAt('/fal-hook');
    const body = JSON.parse(hook.body) as WebHookResponse<{ video: { url: string } }>;
    expect(body).toMatchObject({ status: 'OK', request_id: requestId, payload: { video: { url: expect.stringMatching(/\.mp4$/) } } });
    expect(await falWebhookVerifies(hook.headers, hook.body)).toBe(true);
    expect(await falWebhookVerifies(hook.headers, hook.body.replace('"OK"', '"ERROR"'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Replicate

const V25 = 'kwaivgi/kling-v2.5-turbo-pro';
const V21_VERSION = 'daad218feb714b03e2a1ac445986aebb9d05243cd00da2af17be2e4049f48f69';

function replicateClient(): Replicate {
  return new Replicate({ auth: env('KLINGFLOW_REPLICATE_API_KEY'), baseUrl: `${env('KLINGFLOW_REPLICATE_BASE_URL')}/v1` });
}

/** What `run` gives: the client's FileOutput (a ReadableStream with `url()` and `blob()`). */
type FileOutputLike = ReadableStream & { url(): URL; blob(): Promise<Blob> };

describe('replicate (official client) against the simulator', () => {
  it('runs a model and returns a FileOutput whose bytes are the MP4', async () => {
    const output = (await replicateClient().run(V25, { input: { prompt: 'a red fox in the snow' } })) as FileOutputLike;
    expect(output).toBeInstanceOf(ReadableStream);
    expect(output.constructor.name).toBe('FileOutput');
    expect(output.url().protocol).toBe('https:');
    const bytes = Buffer.from(await (await output.blob()).arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('runs a model by version (owner/name:version) through POST /v1/predictions', async () => {
    const output = (await replicateClient().run(`kwaivgi/kling-v2.1:${V21_VERSION}`, {
      input: { prompt: 'the door opens', start_image: 'https://cdn.example.test/door.png', mode: 'pro' },
    })) as FileOutputLike;
    expect(output.url().pathname).toMatch(/^\/media\/\d+\.mp4$/);
  });

  it('creates, waits for and reads a prediction, with progress in its logs', async () => {
    const replicate = replicateClient();
    const created = await replicate.predictions.create({ model: V25, input: { prompt: 'a lighthouse at dusk' } });
    expect(created.status).toBe('starting');
    const done = await replicate.wait(created, { interval: 50 });
    expect(done.status).toBe('succeeded');
    expect(parseProgressFromLogs(done.logs ?? '')).toMatchObject({ percentage: expect.any(Number), total: 100 });
    const read = await replicate.predictions.get(created.id);
    expect(read).toMatchObject({ id: created.id, status: 'succeeded', output: done.output, data_removed: false });
  });

  it('cancels a prediction; it reads canceled and has no output', async () => {
    const replicate = replicateClient();
    const created = await replicate.predictions.create({ model: V25, input: { prompt: 'a long one [sim:latency=20000]' } });
    const canceled = await replicate.predictions.cancel(created.id);
    expect(canceled.status).toBe('canceled');
    expect(await replicate.wait(canceled, {})).toMatchObject({ status: 'canceled', output: null });
  });

  it('reports a prediction whose data was removed', async () => {
    const replicate = replicateClient();
    const created = await replicate.predictions.create({ model: V25, input: { prompt: 'gone soon [sim:data-removed]' } });
    await replicate.wait(created, { interval: 50 });
    const read = await replicate.predictions.get(created.id);
    expect(read).toMatchObject({ status: 'succeeded', output: null, data_removed: true });
  });

  it('sends webhooks for the events asked for, which the client’s validateWebhook verifies', async () => {
    const replicate = replicateClient();
    const created = await replicate.predictions.create({
      model: V25,
      input: { prompt: 'a kite over a beach' },
      webhook: `${receiverUrl}/replicate-hook?job=1`,
      webhook_events_filter: ['completed'],
    });
    const hook = await webhookAt('/replicate-hook?job=1');
    await new Promise((resolve) => setTimeout(resolve, 300)); // a second one (there must be none) would show now
    expect(received.filter((entry) => entry.path === '/replicate-hook?job=1')).toHaveLength(1);
    expect(JSON.parse(hook.body)).toMatchObject({ id: created.id, status: 'succeeded' });
    const secret = env('KLINGFLOW_REPLICATE_WEBHOOK_SECRET');
    const request = (body: string) =>
      new Request(`${receiverUrl}/replicate-hook?job=1`, {
        method: 'POST',
        headers: {
          'webhook-id': String(hook.headers['webhook-id']),
          'webhook-timestamp': String(hook.headers['webhook-timestamp']),
          'webhook-signature': String(hook.headers['webhook-signature']),
        },
        body,
      });
    expect(await validateWebhook(request(hook.body), secret)).toBe(true);
    expect(await validateWebhook(request(hook.body.replace('"succeeded"', '"failed"')), secret)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// klingflow's own fal jobs, through the API, that the catalog check fixed

describe('klingflow jobs on fal, as the catalog allows them', () => {
  it('runs a 2 s + 3 s multi-shot job on kling-v3 to SUCCEEDED', async () => {
    const jobId = await client.createJob({
      provider: 'fal',
      model: 'kling-v3',
      durationSeconds: 5,
      shots: [
        { prompt: 'a fox wakes', durationSeconds: 2 },
        { prompt: 'the fox runs', durationSeconds: 3 },
      ],
    });
    const job = await client.waitForJob(jobId);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const sent = stack.simulator!.tasks().find((task) => JSON.stringify(task.request).includes('a fox wakes'));
    expect(sent?.request).toMatchObject({
      multi_prompt: [
        { prompt: 'a fox wakes', duration: '2' },
        { prompt: 'the fox runs', duration: '3' },
      ],
    });
  });

  it('answers a voice where the endpoint’s catalog input has no voice_ids with a 422 naming the field', async () => {
    for (const body of [
      {
        provider: 'fal',
        model: 'kling-v3',
        prompt: 'a narrator speaks',
        image: { url: 'https://cdn.example.test/a.png' },
        voice: { ids: ['v1'] },
      },
      { provider: 'fal', model: 'kling-v2-6', prompt: 'a narrator speaks', voice: { ids: ['v1'] } },
    ]) {
      const response = await client.request('POST', '/v1/jobs', body);
      expect(response.status).toBe(422);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details).toContainEqual({ path: 'voice', message: expect.stringMatching(/voice/) });
    }
  });
});
