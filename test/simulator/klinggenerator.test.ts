// The klinggenerator adapter against the klinggenerator simulator dialect, over real HTTP on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../lambdas/domain/errors.ts';
import type { ResolvedRequest } from '../../lambdas/domain/job.ts';
import type { AdapterContext } from '../../lambdas/providers/port.ts';
import { KlingGeneratorAdapter } from '../../lambdas/providers/klinggenerator/adapter.ts';
import { parseCallbackOf } from '../../lambdas/providers/scaffold.ts';
import { klinggeneratorDialect } from '../../simulator/dialects/klinggenerator.ts';
import { DailyQuota } from '../../simulator/dialects/klinggenerator-quota.ts';
import type { Simulator } from '../../simulator/server.ts';
import { pollAdapterUntilTerminal, rejectionOf, requestBuilder, simulatorContext, useSimulator } from './helpers.ts';

const API_KEY = 'kg-sim-key';
const adapter = new KlingGeneratorAdapter();

describe('klinggenerator adapter ⇄ simulator', () => {
  let sim: Simulator;
  let ctx: AdapterContext;
  let baseUrl: string;

  useSimulator(
    {
      dialects: [klinggeneratorDialect],
      latencyMs: 1000,
      progressSteps: 2,
      dialectSettings: { klinggenerator: { credentials: { apiKey: API_KEY } } },
    },
    (started) => {
      sim = started;
      ctx = simulatorContext(sim, 'klinggenerator', { apiKey: API_KEY });
      baseUrl = ctx.baseUrl;
    },
  );

  const request = requestBuilder({
    provider: 'klinggenerator',
    model: 'kling-3',
    prompt: 'waves crashing on a beach at golden hour',
    durationSeconds: 10,
    aspectRatio: '16:9',
    quality: 'std',
  });

  const submit = (overrides: Partial<ResolvedRequest> = {}) =>
    adapter.submit({ jobId: 'job_01hzsimulated0000000000000', mode: 'text-to-video', request: request(overrides), media: {} }, ctx);

  const pollToEnd = (providerTaskId: string) => pollAdapterUntilTerminal(adapter, providerTaskId, ctx);

  const submitError = (overrides: Partial<ResolvedRequest>, context = ctx) =>
    rejectionOf(
      adapter.submit({ jobId: 'job_01hzsimulated0000000000000', mode: 'text-to-video', request: request(overrides), media: {} }, context),
      ProviderError,
    );

  it('serves the adapter under /klinggenerator and needs no extra settings', () => {
    expect(baseUrl).toBe(`${sim.url}/klinggenerator`);
    expect(ctx.settings).toEqual({});
  });

  it('runs a 4K, 60 fps job to succeeded with a downloadable MP4 and thumbnail', async () => {
    const { providerTaskId } = await submit({ resolution: '4k', fps: 60 });
    expect(providerTaskId).toMatch(/^job_\d+$/);
    const [task] = sim.tasks();
    expect(task?.request).toEqual({
      prompt: 'waves crashing on a beach at golden hour',
      model: 'kling-3',
      duration: 10,
      resolution: '4k',
      fps: 60,
    });

    const { answers, last } = await pollToEnd(providerTaskId);
    expect(answers.some((status) => status.status === 'processing' && (status.progress ?? 0) > 0 && (status.progress ?? 0) < 100)).toBe(
      true,
    );
    expect(last).toMatchObject({ providerTaskId, status: 'succeeded', progress: 100 });

    const video = await fetch(last.videoUrl ?? '');
    expect(video.status).toBe(200);
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const thumbnail = await fetch(last.thumbnailUrl ?? '');
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect([...Buffer.from(await thumbnail.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
  });

  it('runs a kling-2 job with the provider defaults (no resolution, no fps)', async () => {
    const { providerTaskId } = await submit({ model: 'kling-2', durationSeconds: 60 });
    expect(sim.tasks()[0]?.request).toEqual({ prompt: 'waves crashing on a beach at golden hour', model: 'kling-2', duration: 60 });
    expect((await pollToEnd(providerTaskId)).last.status).toBe('succeeded');
  });

  it.each([
    ['[sim:content-policy]', 'CONTENT_POLICY', /content moderation/],
    ['[sim:fail=the renderer crashed]', 'PROVIDER_FAILED', /the renderer crashed/],
  ])('maps a job failed by %s to %s', async (directive, code, message) => {
    const { providerTaskId } = await submit({ prompt: `a storm ${directive}` });
    const { last } = await pollToEnd(providerTaskId);
    expect(last.status).toBe('failed');
    expect(last.error?.code).toBe(code);
    expect(last.error?.message).toMatch(message);
    expect(last.error?.retryable).toBe(false);
    expect(last.videoUrl).toBeUndefined();
  });

  it.each<[string, string, number, boolean]>([
    ['[sim:402]', 'insufficient_credits', 402, false],
    ['[sim:INSUFFICIENT_CREDITS]', 'insufficient_credits', 402, false],
    ['[sim:429]', 'rate_limited', 429, true],
    ['[sim:500]', 'server', 500, true],
    ['[sim:http500]', 'server', 500, true],
    ['[sim:http503]', 'overloaded', 503, true],
    ['[sim:401]', 'auth', 401, false],
  ])('maps the create refusal %s to %s', async (directive, kind, httpStatus, retryable) => {
    const error = await submitError({ prompt: `a storm ${directive}` });
    expect(error.kind).toBe(kind);
    expect(error.httpStatus).toBe(httpStatus);
    expect(error.retryable).toBe(retryable);
    expect(sim.tasks()).toHaveLength(0);
  });

  it('reports an exhausted quota on a 429 and lets the retry through', async () => {
    const error = await submitError({ prompt: 'a storm [sim:429]' });
    expect(error.message).toMatch(/X-RateLimit-Remaining: 0; the daily request quota is used up/);
    const { providerTaskId } = await submit({ prompt: 'a storm [sim:429]' });
    expect((await pollToEnd(providerTaskId)).last.status).toBe('succeeded');
  });

  it('refuses a wrong API key with 401 → auth', async () => {
    const error = await submitError({}, { ...ctx, credentials: { apiKey: 'not-the-key' } });
    expect(error.kind).toBe('auth');
    expect(error.httpStatus).toBe(401);
  });

  it('answers an unknown job with 404 → invalid', async () => {
    const error = await rejectionOf(adapter.status('job_404', ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(error.httpStatus).toBe(404);
  });

  it('sends no callbacks, and the adapter refuses a forged one', async () => {
    const { providerTaskId } = await submit();
    await pollToEnd(providerTaskId);
    expect(sim.tasks()[0]).toMatchObject({ callbackUrl: null, callbacksSent: 0 });
    const forged = JSON.stringify({ job_id: providerTaskId, status: 'completed', video_url: 'https://evil.example/v.mp4' });
    await rejectionOf(
      parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: forged, jobId: 'job_01hzsimulated0000000000000' }, ctx),
      CallbackRejected,
    );
  });

  describe('the wire, as the page documents it', () => {
    const post = (body: unknown, key = API_KEY) =>
      fetch(`${baseUrl}/v1/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('answers the create with job_id, processing and estimated_completion, and counts down X-RateLimit-Remaining', async () => {
      const first = await post({ prompt: 'a quiet harbour' });
      expect(first.status).toBe(200);
      const remaining = Number(first.headers.get('x-ratelimit-remaining'));
      const answer = (await first.json()) as Record<string, string>;
      expect(answer).toMatchObject({ status: 'processing', job_id: expect.stringMatching(/^job_/) });
      expect(Date.parse(answer.estimated_completion ?? '')).toBeGreaterThan(Date.parse(answer.created_at ?? ''));
      const second = await post({ prompt: 'another harbour' });
      expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);
    });

    it.each([
      ['an unknown field', { prompt: 'p', aspect_ratio: '16:9' }, /aspect_ratio/],
      ['no prompt', { model: 'kling-3' }, /prompt/],
      ['a string duration', { prompt: 'p', duration: '10' }, /duration/],
      ['121 s', { prompt: 'p', duration: 121 }, /duration/],
      ['61 s on kling-2', { prompt: 'p', model: 'kling-2', duration: 61 }, /duration/],
      ['4K on kling-2', { prompt: 'p', model: 'kling-2', resolution: '4k' }, /resolution/],
      ['25 fps', { prompt: 'p', fps: 25 }, /fps/],
      ['an unknown directive', { prompt: 'p [sim:403]' }, /directive/],
    ])('refuses %s with 400 and an error body', async (_what, body, mentions) => {
      const response = await post(body);
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(answer.error.code).toBe('invalid_request');
      expect(answer.error.message).toMatch(mentions);
    });

    it('needs the Bearer key', async () => {
      const response = await post({ prompt: 'p' }, 'wrong');
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    });
  });
});

describe('the simulator’s daily quota', () => {
  it('refuses once the day’s requests are used and starts again at 00:00 UTC', () => {
    let now = new Date('2026-03-01T23:59:00Z');
    const quota = new DailyQuota(2, () => now);
    expect(quota.remaining()).toBe(2);
    expect(quota.take()).toBe(true);
    expect(quota.take()).toBe(true);
    expect(quota.take()).toBe(false);
    expect(quota.remaining()).toBe(0);
    now = new Date('2026-03-02T00:00:01Z');
    expect(quota.remaining()).toBe(2);
    expect(quota.take()).toBe(true);
  });
});
