// The real Replicate adapter against the simulator's `replicate` dialect, over HTTP on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../lambdas/domain/errors.ts';
import type { Mode, ResolvedRequest } from '../../lambdas/domain/job.ts';
import type { AdapterContext, SubmitRequest } from '../../lambdas/providers/port.ts';
import { ReplicateAdapter } from '../../lambdas/providers/replicate/adapter.ts';
import { signStandardWebhook } from '../../lambdas/domain/webhooks.ts';
import { replicateDialect } from '../../simulator/dialects/replicate.ts';
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

const API_TOKEN = 'r8_simulator_token';
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const IMAGE = 'https://cdn.example.com/start.png';
const END_IMAGE = 'https://cdn.example.com/end.png';

describe('replicate adapter ⇄ simulator', () => {
  let sim: Simulator;
  let ctx: AdapterContext;
  const adapter = new ReplicateAdapter();
  let jobNumber = 0;

  useSimulator(
    {
      dialects: [replicateDialect],
      latencyMs: 200,
      callbackRetry: { initialBackoffMs: 20 },
      dialectSettings: { replicate: { credentials: { apiKey: API_TOKEN }, webhookSecret: WEBHOOK_SECRET } },
    },
    (started) => {
      sim = started;
      ctx = simulatorContext(sim, 'replicate', { apiKey: API_TOKEN, webhookSecret: WEBHOOK_SECRET });
    },
  );

  function submission(mode: Mode, request: Partial<ResolvedRequest>, callbackUrl?: string): SubmitRequest {
    jobNumber += 1;
    const full: ResolvedRequest = {
      provider: 'replicate',
      model: 'kwaivgi/kling-v2.5-turbo-pro',
      prompt: 'a lighthouse at dusk',
      durationSeconds: 5,
      aspectRatio: '16:9',
      quality: 'pro',
      ...request,
    };
    return { jobId: `job_sim_${jobNumber}`, mode, callbackUrl, request: full, media: submittedMedia(full) };
  }

  const pollUntilTerminal = (providerTaskId: string) => pollAdapterUntilTerminal(adapter, providerTaskId, ctx);

  async function expectMp4(videoUrl: string | undefined): Promise<void> {
    expect(videoUrl).toBeDefined();
    const response = await fetch(videoUrl!);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  }

  it('runs a text-to-video prediction to succeeded with a downloadable MP4', async () => {
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { negativePrompt: 'blur', durationSeconds: 10 }), ctx);
    expect(providerTaskId).toMatch(/^[a-z2-7]{26}$/);
    const { seen, last } = await pollUntilTerminal(providerTaskId);
    expect(seen[0]).toMatch(/pending|processing/);
    expect(seen.at(-1)).toBe('succeeded');
    expect(last.cost).toBeUndefined();
    await expectMp4(last.videoUrl);
    const task = sim.tasks()[0]!;
    expect(task.request).toEqual({
      model: 'kwaivgi/kling-v2.5-turbo-pro',
      input: { prompt: 'a lighthouse at dusk', negative_prompt: 'blur', duration: 10, aspect_ratio: '16:9' },
    });
  });

  it('runs kling-v2.1 pro image-to-video with start and end frames', async () => {
    const { providerTaskId } = await adapter.submit(
      submission('image-to-video', { model: 'kwaivgi/kling-v2.1', image: { url: IMAGE }, endImage: { url: END_IMAGE } }),
      ctx,
    );
    const { last } = await pollUntilTerminal(providerTaskId);
    expect(last.status).toBe('succeeded');
    await expectMp4(last.videoUrl);
    expect((sim.tasks()[0]!.request as { input: unknown }).input).toEqual({
      prompt: 'a lighthouse at dusk',
      duration: 5,
      mode: 'pro',
      start_image: IMAGE,
      end_image: END_IMAGE,
    });
  });

  it('maps a content-policy failure to CONTENT_POLICY', async () => {
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt: 'forbidden [sim:content-policy]' }), ctx);
    const { last } = await pollUntilTerminal(providerTaskId);
    expect(last).toMatchObject({ status: 'failed', error: { code: 'CONTENT_POLICY', retryable: false } });
  });

  it('maps any other failure to PROVIDER_FAILED with the reason', async () => {
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt: 'breaks [sim:fail=the GPU fell over]' }), ctx);
    const { last } = await pollUntilTerminal(providerTaskId);
    expect(last.error).toEqual({ code: 'PROVIDER_FAILED', message: 'the GPU fell over', retryable: false });
  });

  it.each([
    ['[sim:RATE_LIMITED]', 'rate_limited', 429],
    ['[sim:http429]', 'rate_limited', 429],
    ['[sim:INSUFFICIENT_CREDIT]', 'insufficient_credits', 402],
    ['[sim:UNAUTHENTICATED]', 'auth', 401],
    ['[sim:FLAGGED_INPUT]', 'content_policy', 422],
    ['[sim:http500]', 'server', 500],
    ['[sim:http503]', 'overloaded', 503],
  ])('maps the create rejection %s to %s', async (directive, kind, status) => {
    const error = await rejectionOf(adapter.submit(submission('text-to-video', { prompt: `refused ${directive}` }), ctx), ProviderError);
    expect(error).toMatchObject({ kind, httpStatus: status });
    if (kind === 'rate_limited') expect(error.retryAfterSeconds).toBe(30);
    expect(sim.tasks()).toHaveLength(0);
  });

  it('succeeds on the attempt after a transient rejection', async () => {
    const input = submission('text-to-video', { prompt: 'second time lucky [sim:http503]' });
    await expect(adapter.submit(input, ctx)).rejects.toMatchObject({ kind: 'overloaded' });
    const { providerTaskId } = await adapter.submit(input, ctx);
    expect((await pollUntilTerminal(providerTaskId)).last.status).toBe('succeeded');
  });

  it('refuses a wrong token with auth', async () => {
    const error = await adapter.submit(submission('text-to-video', {}), { ...ctx, credentials: { apiKey: 'r8_wrong' } }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401 });
  });

  it('answers an unknown prediction with 404 (invalid)', async () => {
    await expect(adapter.status('doesnotexist234567abcdefghi', ctx)).rejects.toMatchObject({ kind: 'invalid', httpStatus: 404 });
  });

  it('cancels a running prediction', async () => {
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt: 'never ends [sim:stuck]' }), ctx);
    await adapter.cancel(providerTaskId, ctx);
    expect(await adapter.status(providerTaskId, ctx)).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
  });

  it('validates inputs like the model schema (422 names the field)', async () => {
    const response = await fetch(`${ctx.baseUrl}/v1/models/kwaivgi/kling-v2.1/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { prompt: 'x', start_image: IMAGE, end_image: END_IMAGE, mode: 'standard' } }),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/input\.end_image/);
  });

  describe('webhooks', () => {
    let receiver: CallbackReceiver;
    beforeAll(async () => {
      receiver = await startCallbackReceiver('');
    });
    afterAll(async () => {
      await receiver.close();
    });

    it('delivers signed webhooks that parseCallback accepts, ending in succeeded', async () => {
      const input = submission('text-to-video', {}, `${receiver.url}/v1/callbacks/replicate/job_hooked`);
      input.jobId = 'job_hooked';
      const { providerTaskId } = await adapter.submit(input, ctx);
      const terminal = await waitFor(() => receiver.received.find((webhook) => JSON.parse(webhook.body).status === 'succeeded'));
      expect(terminal.url.pathname).toBe('/v1/callbacks/replicate/job_hooked');
      expect(terminal.url.searchParams.get('job_id')).toBe('job_hooked');

      const status = await adapter.parseCallback(callbackRequestOf(terminal, 'job_hooked'), ctx);
      expect(status).toMatchObject({ providerTaskId, status: 'succeeded' });
      await expectMp4(status.videoUrl);
      const started = receiver.received.find((webhook) => JSON.parse(webhook.body).status === 'processing');
      expect(started && (await adapter.parseCallback(callbackRequestOf(started, 'job_hooked'), ctx)).status).toBe('processing');
    });

    it('refuses a forged or tampered webhook, and one delivered to another job', async () => {
      receiver.received.length = 0;
      const input = submission('text-to-video', {}, `${receiver.url}/v1/callbacks/replicate/job_forged`);
      input.jobId = 'job_forged';
      await adapter.submit(input, ctx);
      const terminal = await waitFor(() => receiver.received.find((webhook) => JSON.parse(webhook.body).status === 'succeeded'));
      const genuine = callbackRequestOf(terminal, 'job_forged');

      const tampered = { ...genuine, rawBody: genuine.rawBody.replace('"succeeded"', '"failed"') };
      await expect(adapter.parseCallback(tampered, ctx)).rejects.toBeInstanceOf(CallbackRejected);

      const forgedSecret = `whsec_${randomBytes(24).toString('base64')}`;
      const forgedHeaders = signStandardWebhook(forgedSecret, { id: 'msg_forged', timestamp: new Date(), body: genuine.rawBody });
      await expect(adapter.parseCallback({ ...genuine, headers: { ...forgedHeaders } }, ctx)).rejects.toBeInstanceOf(CallbackRejected);

      await expect(adapter.parseCallback({ ...genuine, jobId: 'job_someone_else' }, ctx)).rejects.toBeInstanceOf(CallbackRejected);
      await expect(adapter.parseCallback(genuine, ctx)).resolves.toMatchObject({ status: 'succeeded' });
    });
  });
});
