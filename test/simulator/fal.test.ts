// The real fal adapter against the simulator's fal dialect, over HTTP on 127.0.0.1.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../lambdas/domain/errors.ts';
import type { Mode, ResolvedRequest } from '../../lambdas/domain/job.ts';
import type { AdapterContext, SubmitRequest } from '../../lambdas/providers/port.ts';
import { FalQueueAdapter } from '../../lambdas/providers/fal/adapter.ts';
import { falDialect } from '../../simulator/dialects/fal.ts';
import type { Simulator } from '../../simulator/server.ts';
import {
  callbackRequestOf,
  pollAdapterUntilTerminal,
  rejectionOf,
  simulatorContext,
  startCallbackReceiver,
  submittedMedia,
  useSimulator,
  waitFor,
  type CallbackReceiver,
} from './helpers.ts';

const API_KEY = 'sim-fal-key-id:sim-fal-key-secret';

describe('fal adapter ⇄ simulator fal dialect', () => {
  let sim: Simulator;
  let ctx: AdapterContext;
  const adapter = new FalQueueAdapter();
  let jobNumber = 0;

  function submission(mode: Mode, request: Partial<ResolvedRequest>, extra: Partial<SubmitRequest> = {}): SubmitRequest {
    jobNumber += 1;
    const full: ResolvedRequest = {
      provider: 'fal',
      model: 'kling-v3',
      prompt: 'a lighthouse at dusk',
      durationSeconds: 5,
      aspectRatio: '16:9',
      quality: 'std',
      ...request,
    };
    return { jobId: `job_fal_${jobNumber}`, mode, request: full, media: submittedMedia(full), ...extra };
  }

  const untilTerminal = (providerTaskId: string) => pollAdapterUntilTerminal(adapter, providerTaskId, ctx);

  useSimulator({ dialects: [falDialect], latencyMs: 1000, dialectSettings: { fal: { credentials: { apiKey: API_KEY } } } }, (started) => {
    sim = started;
    ctx = simulatorContext(sim, 'fal', { apiKey: API_KEY });
  });

  it('mounts under /fal and hands the adapter the JWKS URL', () => {
    expect(ctx.baseUrl).toBe(`${sim.url}/fal`);
    expect(ctx.settings).toEqual({ JWKS_URL: `${sim.url}/fal/.well-known/jwks.json` });
  });

  it('takes a text-to-video job to succeeded with a downloadable MP4', async () => {
    // Long enough that the first poll sees it queued, however busy the machine.
    const slow = 'a lighthouse at dusk [sim:latency=1200]';
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt: slow, durationSeconds: 10, audio: true }), ctx);
    expect(providerTaskId).toMatch(/^fal-ai\/kling-video\/v3\/standard\/text-to-video:[0-9a-f-]{36}$/);
    const { seen, last } = await untilTerminal(providerTaskId);
    expect(seen).toEqual(['pending', 'processing', 'succeeded']);
    expect(last.videoUrl).toMatch(new RegExp(`^${sim.url}/media/\\d+\\.mp4$`));

    const download = await fetch(last.videoUrl!);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(sim.tasks()[0]).toMatchObject({
      dialect: 'fal',
      product: 'fal-ai/kling-video/v3/standard/text-to-video',
      request: { duration: '10', generate_audio: true },
    });
  });

  it('every generation mode sends a body the endpoint accepts, and each job succeeds', async () => {
    const frame = { url: 'https://cdn.example.test/frame.png' };
    const fast = 'a lighthouse at dusk [sim:latency=30]';
    const jobs: [string, SubmitRequest][] = [
      [
        'v3 image-to-video with end frame',
        submission('image-to-video', {
          prompt: fast,
          quality: 'pro',
          image: frame,
          endImage: frame,
          negativePrompt: 'blur',
          cfgScale: 0.3,
        }),
      ],
      ['v3 4K', submission('text-to-video', { prompt: fast, resolution: '4k' })],
      [
        'v3 multi-shot',
        submission('multi-shot', {
          prompt: undefined,
          durationSeconds: 8,
          shots: [
            { prompt: fast, durationSeconds: 5 },
            { prompt: 'close-up', durationSeconds: 3 },
          ],
        }),
      ],
      [
        'v2.6 sound and voices',
        submission('image-to-video', {
          model: 'kling-v2-6',
          quality: 'pro',
          prompt: fast,
          image: frame,
          audio: true,
          voice: { ids: ['voice-1'] },
        }),
      ],
      [
        'v2.1 pro tail frame',
        submission('image-to-video', { model: 'kling-v2-1', quality: 'pro', prompt: fast, image: frame, endImage: frame }),
      ],
      [
        'v1 camera control',
        submission('text-to-video', { model: 'kling-v1', prompt: fast, cameraControl: { type: 'simple', config: { zoom: 5 } } }),
      ],
      ['v1.6 elements', submission('reference-to-video', { model: 'kling-v1-6', prompt: fast, referenceImages: [frame, frame] })],
      [
        'o3 reference-to-video',
        submission('reference-to-video', { model: 'kling-o3', prompt: fast, referenceImages: [frame, frame, frame], image: frame }),
      ],
      [
        'o3 video edit',
        submission('video-edit', {
          model: 'kling-o3',
          quality: 'pro',
          prompt: fast,
          video: { url: 'https://cdn.example.test/in.mp4' },
          keepOriginalSound: true,
        }),
      ],
      [
        'o3 image-to-video (base64 frame)',
        submission(
          'image-to-video',
          { model: 'kling-o3', prompt: fast, image: { s3Key: 'uploads/frame.jpg' } },
          { media: { image: Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString('base64') } },
        ),
      ],
    ];
    const outcomes = await Promise.all(
      jobs.map(async ([what, job]) => {
        const { providerTaskId } = await adapter.submit(job, ctx);
        return [what, (await untilTerminal(providerTaskId)).last.status] as const;
      }),
    );
    expect(outcomes).toEqual(jobs.map(([what]) => [what, 'succeeded']));
  });

  it('maps a content-policy failure to CONTENT_POLICY and another failure to PROVIDER_FAILED', async () => {
    const blocked = await adapter.submit(submission('text-to-video', { prompt: 'forbidden [sim:content-policy] [sim:latency=30]' }), ctx);
    expect((await untilTerminal(blocked.providerTaskId)).last).toMatchObject({
      status: 'failed',
      error: { code: 'CONTENT_POLICY', retryable: false },
    });

    const broken = await adapter.submit(
      submission('text-to-video', { prompt: 'unlucky [sim:fail=the runner ran out of memory] [sim:latency=30]' }),
      ctx,
    );
    const failed = (await untilTerminal(broken.providerTaskId)).last;
    // internal_server_error: fal marks it X-Fal-Retryable: true (resubmitting may work).
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_FAILED', retryable: true } });
    expect(failed.error?.message).toContain('the runner ran out of memory');
  });

  it.each([
    ['[sim:http503]', 'overloaded', true, 503],
    ['[sim:http500]', 'server', true, 500],
    ['[sim:RATE_LIMITED]', 'rate_limited', true, 429],
    ['[sim:EXHAUSTED_BALANCE]', 'insufficient_credits', false, 403],
    ['[sim:UNAUTHORIZED]', 'auth', false, 401],
    ['[sim:CONTENT_POLICY_VIOLATION]', 'content_policy', false, 422],
    ['[sim:DOWNSTREAM_SERVICE_UNAVAILABLE]', 'overloaded', true, 503],
    ['[sim:GENERATION_TIMEOUT]', 'server', true, 504],
  ])('a submit refused with %s is a %s error', async (directive, kind, retryable, status) => {
    const error = await rejectionOf(adapter.submit(submission('text-to-video', { prompt: `refused ${directive}` }), ctx), ProviderError);
    expect(error).toMatchObject({ kind, retryable, httpStatus: status });
    if (kind === 'rate_limited') expect(error.retryAfterSeconds).toBe(7);
    expect(sim.tasks()).toHaveLength(0);
  });

  it('answers a wrong key with 401 (auth), and an input the endpoint does not take with 422 (invalid)', async () => {
    const wrongKey = await rejectionOf(
      adapter.submit(submission('text-to-video', {}), { ...ctx, credentials: { apiKey: 'nope' } }),
      ProviderError,
    );
    expect(wrongKey).toMatchObject({ kind: 'auth', httpStatus: 401 });

    const raw = await fetch(`${ctx.baseUrl}/fal-ai/kling-video/v3/pro/image-to-video`, {
      method: 'POST',
      headers: { authorization: `Key ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ image_url: 'https://cdn.example.test/a.png', prompt: 'p', duration: 5 }),
    });
    expect(raw.status).toBe(422);
    const body = (await raw.json()) as { detail: { loc: string[]; type: string }[] };
    expect(body.detail.map((item) => item.loc.join('.'))).toEqual(
      expect.arrayContaining(['body.start_image_url', 'body.duration', 'body']),
    );
  });

  it('cancels a running request; a second cancel finds it already completed', async () => {
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt: 'slow [sim:latency=5000]' }), ctx);
    await adapter.cancel(providerTaskId, ctx);
    expect(await adapter.status(providerTaskId, ctx)).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    await expect(adapter.cancel(providerTaskId, ctx)).resolves.toBeUndefined();
    const unknown = providerTaskId.replace(/:[^:]+$/, ':00000000-0000-4000-8000-000000000000');
    expect((await rejectionOf(adapter.cancel(unknown, ctx), ProviderError)).kind).toBe('invalid');
  });

  describe('webhooks', () => {
    let receiver: CallbackReceiver;
    beforeEach(async () => {
      receiver = await startCallbackReceiver('');
    });
    afterEach(async () => {
      await receiver.close();
    });

    async function submitWithWebhook(prompt: string) {
      const job = submission('text-to-video', { prompt }, {});
      job.callbackUrl = `${receiver.url}/v1/callbacks/fal/${job.jobId}`;
      const { providerTaskId } = await adapter.submit(job, ctx);
      const received = await waitFor(() => receiver.received[0]);
      return { job, providerTaskId, received };
    }

    it('calls back once when done, signed with Ed25519; parseCallback verifies it and maps it like status()', async () => {
      const { job, providerTaskId, received } = await submitWithWebhook('with a webhook [sim:latency=100]');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(receiver.received).toHaveLength(1);
      expect(received.url.pathname).toBe(`/v1/callbacks/fal/${job.jobId}`);
      expect(received.headers['x-fal-webhook-signature']).toMatch(/^[0-9a-f]{128}$/);

      const fromCallback = await adapter.parseCallback(callbackRequestOf(received, job.jobId), ctx);
      const polled = await adapter.status(providerTaskId, ctx);
      expect(fromCallback).toMatchObject({ status: 'succeeded', videoUrl: polled.videoUrl });
      expect(providerTaskId.endsWith(`:${fromCallback.providerTaskId}`)).toBe(true);
      expect(sim.tasks()[0]).toMatchObject({ callbacksSent: 1, callbacksDelivered: 1 });
    });

    it('calls back a failed generation with an ERROR body that maps to CONTENT_POLICY', async () => {
      const { job, received } = await submitWithWebhook('blocked [sim:content-policy] [sim:latency=30]');
      expect(JSON.parse(received.body)).toMatchObject({ status: 'ERROR', error: 'Invalid status code: 422' });
      expect(await adapter.parseCallback(callbackRequestOf(received, job.jobId), ctx)).toMatchObject({
        status: 'failed',
        error: { code: 'CONTENT_POLICY' },
      });
    });

    it('refuses a forged callback: tampered body, a key not in the JWKS, another job', async () => {
      const { job, received } = await submitWithWebhook('to be forged [sim:latency=30]');
      const genuine = callbackRequestOf(received, job.jobId);

      const tampered = { ...genuine, rawBody: genuine.rawBody.replace('/media/', '/evil/') };
      await expect(adapter.parseCallback(tampered, ctx)).rejects.toBeInstanceOf(CallbackRejected);

      const impostor = generateKeyPairSync('ed25519');
      const timestamp = String(Math.floor(Date.now() / 1000));
      const requestId = String(genuine.headers['x-fal-webhook-request-id']);
      const digest = createHash('sha256').update(genuine.rawBody).digest('hex');
      const forgedSignature = sign(null, Buffer.from(`${requestId}\nmallory\n${timestamp}\n${digest}`), impostor.privateKey).toString(
        'hex',
      );
      const forged = {
        ...genuine,
        headers: {
          ...genuine.headers,
          'x-fal-webhook-user-id': 'mallory',
          'x-fal-webhook-timestamp': timestamp,
          'x-fal-webhook-signature': forgedSignature,
        },
      };
      await expect(adapter.parseCallback(forged, ctx)).rejects.toBeInstanceOf(CallbackRejected);

      await expect(adapter.parseCallback({ ...genuine, jobId: 'job_someone_else' }, ctx)).rejects.toBeInstanceOf(CallbackRejected);
      await expect(adapter.parseCallback(genuine, ctx)).resolves.toMatchObject({ status: 'succeeded' });
    });

    it('[sim:no-callback] never calls back; the job still finishes by polling', async () => {
      const job = submission('text-to-video', { prompt: 'silent [sim:no-callback] [sim:latency=30]' });
      job.callbackUrl = `${receiver.url}/v1/callbacks/fal/${job.jobId}`;
      const { providerTaskId } = await adapter.submit(job, ctx);
      expect((await untilTerminal(providerTaskId)).last.status).toBe('succeeded');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(receiver.received).toHaveLength(0);
    });
  });
});
