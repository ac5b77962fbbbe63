// The real `kling-ai` adapter against the simulator's `kling-ai` dialect, over HTTP on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../lambdas/domain/errors.ts';
import type { Mode, ResolvedRequest } from '../../lambdas/domain/job.ts';
import type { AdapterContext, SubmitRequest } from '../../lambdas/providers/port.ts';
import { KlingAiAdapter } from '../../lambdas/providers/kling-ai/adapter.ts';
import { parseCallbackOf } from '../../lambdas/providers/scaffold.ts';
import { klingAiDialect } from '../../simulator/dialects/kling-ai.ts';
import type { Simulator } from '../../simulator/server.ts';
import { pollAdapterUntilTerminal, rejectionOf, simulatorContext, submittedMedia, useSimulator } from './helpers.ts';

const API_KEY = 'kling-ai-sim-key';
const IMAGE = 'https://cdn.example.test/frame.png';
const END_IMAGE = 'https://cdn.example.test/end.png';
const VIDEO = 'https://cdn.example.test/source.mp4';

describe('kling-ai adapter ⇄ simulator', () => {
  let sim: Simulator;
  const adapter = new KlingAiAdapter();

  useSimulator(
    {
      dialects: [klingAiDialect],
      latencyMs: 200,
      progressSteps: 2,
      dialectSettings: { 'kling-ai': { credentials: { apiKey: API_KEY } } },
    },
    (started) => (sim = started),
  );

  const context = (overrides: Partial<AdapterContext> = {}) => simulatorContext(sim, 'kling-ai', { apiKey: API_KEY }, overrides);

  function submission(mode: Mode, request: Partial<ResolvedRequest>): SubmitRequest {
    const full: ResolvedRequest = {
      provider: 'kling-ai',
      model: 'kling-v3',
      durationSeconds: 5,
      aspectRatio: '16:9',
      quality: 'std',
      ...request,
    };
    return { jobId: `job_${mode}_${Math.random().toString(36).slice(2)}`, mode, request: full, media: submittedMedia(full) };
  }

  const untilTerminal = (providerTaskId: string, ctx = context()) => pollAdapterUntilTerminal(adapter, providerTaskId, ctx);

  const submitError = (prompt: string, ctx = context()) =>
    rejectionOf(adapter.submit(submission('text-to-video', { prompt }), ctx), ProviderError);

  it('runs a text-to-video job to succeeded and the video downloads as an MP4', async () => {
    // Long enough that the first poll sees it queued, however busy the machine.
    const prompt = 'a red fox in the snow [sim:latency=1200]';
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt }), context());
    expect(providerTaskId).toMatch(/^\d+$/);
    const { last, seen } = await untilTerminal(providerTaskId);
    expect(seen).toEqual(['pending', 'processing', 'succeeded']);
    expect(last.videoUrl).toBe(`${sim.url}/media/${providerTaskId}.mp4`);

    const download = await fetch(last.videoUrl!);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const thumbnail = await fetch(last.thumbnailUrl!);
    expect([...Buffer.from(await thumbnail.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect(sim.tasks()[0]?.request).toEqual({ model: 'kling-v3', prompt, duration: 5, resolution: '1080p' });
  });

  it('has the simulator accept the body of every mode the adapter offers', async () => {
    const fast = ' [sim:latency=20]';
    const cases: [string, SubmitRequest][] = [
      [
        'image-to-video',
        submission('image-to-video', { prompt: `waves${fast}`, image: { url: IMAGE }, resolution: '720p', durationSeconds: 10 }),
      ],
      [
        'omni audio',
        submission('text-to-video', {
          model: 'kling-o3',
          prompt: `a chef${fast}`,
          audio: true,
          voice: { description: 'friendly' },
          durationSeconds: 10,
        }),
      ],
      [
        'motion control',
        submission('image-to-video', {
          model: 'kling-motion-control',
          prompt: `turn${fast}`,
          image: { url: IMAGE },
          endImage: { url: END_IMAGE },
        }),
      ],
      ['omni edit', submission('video-edit', { model: 'kling-o3', prompt: `make it snow${fast}`, video: { url: VIDEO } })],
      [
        'multi-shot',
        submission('multi-shot', {
          model: 'kling-o3',
          durationSeconds: 15,
          shots: [
            { prompt: `wide${fast}`, durationSeconds: 7 },
            { prompt: 'close', durationSeconds: 8 },
          ],
        }),
      ],
    ];
    for (const [name, input] of cases) {
      const { providerTaskId } = await adapter.submit(input, context());
      const { last } = await untilTerminal(providerTaskId);
      expect(last.status, name).toBe('succeeded');
    }
    expect(sim.tasks().map((task) => task.product)).toEqual(['kling-v3', 'kling-o3', 'kling-motion-control', 'kling-o3', 'kling-o3']);
  });

  it('works with the document’s BASE_URL form (base URL ending in /v1)', async () => {
    const ctx = context({ baseUrl: `${context().baseUrl}/v1` });
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt: 'versioned [sim:latency=20]' }), ctx);
    expect((await untilTerminal(providerTaskId, ctx)).last.status).toBe('succeeded');
  });

  it.each([
    ['[sim:content-policy]', 'CONTENT_POLICY'],
    ['[sim:fail=the renderer crashed]', 'PROVIDER_FAILED'],
  ])('maps a task failed by %s to %s', async (directive, code) => {
    const { providerTaskId } = await adapter.submit(
      submission('text-to-video', { prompt: `doomed ${directive} [sim:latency=30]` }),
      context(),
    );
    const { last } = await untilTerminal(providerTaskId);
    expect(last.status).toBe('failed');
    expect(last.error?.code).toBe(code);
    expect(last.error?.retryable).toBe(false);
    if (code === 'PROVIDER_FAILED') expect(last.error?.message).toContain('the renderer crashed');
  });

  it.each<[string, ErrorKind, number]>([
    ['[sim:INSUFFICIENT_CREDITS]', 'insufficient_credits', 403],
    ['[sim:MODEL_NOT_IN_PLAN]', 'auth', 403],
    ['[sim:http403]', 'insufficient_credits', 403],
    ['[sim:UNAUTHORIZED]', 'auth', 401],
    ['[sim:RATE_LIMIT_EXCEEDED]', 'rate_limited', 429],
    ['[sim:http500]', 'server', 500],
    ['[sim:http503]', 'overloaded', 503],
  ])('maps the create rejection %s to %s', async (directive, kind, httpStatus) => {
    const error = await submitError(`refused ${directive}`);
    expect(error.kind).toBe(kind);
    expect(error.httpStatus).toBe(httpStatus);
  });

  it('carries the wait of a 429 and succeeds on the retry', async () => {
    const prompt = 'throttled [sim:http429] [sim:latency=20]';
    const error = await submitError(prompt);
    expect(error.kind).toBe('rate_limited');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(1);
    const { providerTaskId } = await adapter.submit(submission('text-to-video', { prompt }), context());
    expect((await untilTerminal(providerTaskId)).last.status).toBe('succeeded');
  });

  it('refuses a wrong API key with auth', async () => {
    const error = await submitError('no entry', context({ credentials: { apiKey: 'wrong' } }));
    expect(error.kind).toBe('auth');
    expect(error.httpStatus).toBe(401);
  });

  it('maps an unknown task to invalid', async () => {
    const error = await rejectionOf(adapter.status('404404', context()), ProviderError);
    expect(error.kind).toBe('invalid');
  });

  it('has no callbacks: the simulator refuses a callback field, and the adapter refuses any callback', async () => {
    const answer = await fetch(`${context().baseUrl}/v1/video/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'kling-v3', prompt: 'call me', callback_url: 'https://hooks.example.test/cb' }),
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });

    const forged = {
      headers: {},
      query: {},
      rawBody: JSON.stringify({ status: 'completed', output: 'https://evil.test/v.mp4' }),
      jobId: 'job_x',
    };
    await expect(parseCallbackOf(adapter, forged, context())).rejects.toBeInstanceOf(CallbackRejected);
  });
});
