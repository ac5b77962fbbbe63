import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../lambdas/domain/errors.ts';
import type { Mode, ResolvedRequest } from '../../lambdas/domain/job.ts';
import type { AdapterContext } from '../../lambdas/providers/port.ts';
import { Kling3apiAdapter } from '../../lambdas/providers/kling3api/adapter.ts';
import { parseCallbackOf } from '../../lambdas/providers/scaffold.ts';
import { kling3apiDialect } from '../../simulator/dialects/kling3api.ts';
import type { Simulator } from '../../simulator/server.ts';
import { pollAdapterUntilTerminal, rejectionOf, requestBuilder, simulatorContext, submittedMedia, useSimulator } from './helpers.ts';

const API_KEY = 'sim-kling3api-key';

describe('kling3api adapter against the simulator', () => {
  let sim: Simulator;
  const adapter = new Kling3apiAdapter();

  useSimulator(
    {
      dialects: [kling3apiDialect],
      latencyMs: 200,
      dialectSettings: { kling3api: { credentials: { apiKey: API_KEY } } },
    },
    (started) => (sim = started),
  );

  const context = (overrides: Partial<AdapterContext> = {}) => simulatorContext(sim, 'kling3api', { apiKey: API_KEY }, overrides);

  const request = requestBuilder({
    provider: 'kling3api',
    model: 'kling-v3',
    prompt: 'a lighthouse at dusk',
    durationSeconds: 5,
    aspectRatio: '16:9',
    quality: 'std',
  });

  async function submit(mode: Mode, overrides: Partial<ResolvedRequest> = {}): Promise<string> {
    const full = request(overrides);
    const { providerTaskId } = await adapter.submit(
      { jobId: `job_${mode}_${Date.now()}`, mode, request: full, media: submittedMedia(full) },
      context(),
    );
    return providerTaskId;
  }

  const pollUntilTerminal = (taskId: string) => pollAdapterUntilTerminal(adapter, taskId, context());

  it('takes a Kling 3.0 text-to-video to succeeded with a downloadable MP4 and the table’s credits', async () => {
    const taskId = await submit('text-to-video', { quality: 'pro', durationSeconds: 5 });
    expect(taskId).toMatch(/^n75\d+$/);
    const { seen, last } = await pollUntilTerminal(taskId);
    expect(seen).toEqual(['processing', 'succeeded']);
    // pro-text-to-video with the default sound: 80 credits/s × 5 s.
    expect(last).toMatchObject({ providerTaskId: taskId, status: 'succeeded', cost: { credits: 400 } });
    const download = await fetch(last.videoUrl ?? '');
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(sim.tasks()[0]?.request).toMatchObject({ type: 'pro-text-to-video', duration: 5, aspect_ratio: '16:9' });
  });

  it('runs every O3 mode and Kling 3.0 image-to-video with an end frame', async () => {
    const image = { url: 'https://cdn.example.test/start.jpg' };
    const cases: [Mode, Partial<ResolvedRequest>, RegExp, number][] = [
      ['image-to-video', { image, endImage: { url: 'https://cdn.example.test/end.jpg' }, audio: false, durationSeconds: 10 }, /^n75/, 400],
      ['text-to-video', { model: 'kling-o3', durationSeconds: 4 }, /^n71/, 144],
      [
        'reference-to-video',
        {
          model: 'kling-o3',
          quality: 'pro',
          referenceImages: Array.from({ length: 7 }, (_, i) => ({ url: `https://cdn.example.test/r${i}.jpg` })),
        },
        /^n71/,
        360,
      ],
      ['video-edit', { model: 'kling-o3', video: { url: 'https://cdn.example.test/in.mp4' }, keepOriginalSound: true }, /^n71/, 360],
    ];
    const taskIds = await Promise.all(cases.map(([mode, overrides]) => submit(mode, { ...overrides, prompt: `${mode} ${Math.random()}` })));
    const outcomes = await Promise.all(taskIds.map((taskId) => pollUntilTerminal(taskId)));
    cases.forEach(([, , prefix, credits], i) => {
      expect(taskIds[i]).toMatch(prefix);
      expect(outcomes[i]?.last).toMatchObject({ status: 'succeeded', cost: { credits } });
      expect(outcomes[i]?.last.videoUrl).toMatch(/\.mp4$/);
    });
    const types = sim.tasks().map((task) => (task.request as { type: string }).type);
    expect(types.sort()).toEqual(['o3-pro-reference-to-video', 'o3-std-text-to-video', 'o3-std-video-edit', 'std-image-to-video']);
  });

  it('maps a content-policy failure to CONTENT_POLICY and another failure to PROVIDER_FAILED', async () => {
    const blocked = await submit('text-to-video', { prompt: 'forbidden thing [sim:content-policy]' });
    const broken = await submit('text-to-video', { prompt: 'render dies [sim:fail=render node crashed]' });
    const [policy, failure] = await Promise.all([pollUntilTerminal(blocked), pollUntilTerminal(broken)]);
    expect(policy.last.status).toBe('failed');
    expect(policy.last.error).toMatchObject({ code: 'CONTENT_POLICY', retryable: false });
    expect(failure.last.error).toEqual({ code: 'PROVIDER_FAILED', message: 'render node crashed', retryable: false });
  });

  it('maps the documented create-time errors the simulator raises', async () => {
    const credits = await rejectionOf(submit('text-to-video', { prompt: 'broke [sim:INSUFFICIENT_CREDITS]' }), ProviderError);
    expect(credits).toMatchObject({
      kind: 'insufficient_credits',
      retryable: false,
      providerCode: 'INSUFFICIENT_CREDITS',
      httpStatus: 402,
    });

    const throttled = await rejectionOf(submit('text-to-video', { prompt: 'busy [sim:RATE_LIMITED]' }), ProviderError);
    expect(throttled).toMatchObject({
      kind: 'rate_limited',
      retryable: true,
      providerCode: 'RATE_LIMITED',
      httpStatus: 429,
      retryAfterSeconds: 2,
    });

    const internal = await rejectionOf(submit('text-to-video', { prompt: 'oops [sim:INTERNAL_ERROR]' }), ProviderError);
    expect(internal).toMatchObject({ kind: 'server', retryable: true, providerCode: 'INTERNAL_ERROR', httpStatus: 500 });

    const gateway = await rejectionOf(submit('text-to-video', { prompt: 'maintenance [sim:http503]' }), ProviderError);
    expect(gateway).toMatchObject({ kind: 'overloaded', httpStatus: 503 });

    const badKey = await rejectionOf(
      adapter.submit(
        { jobId: 'job_x', mode: 'text-to-video', request: request(), media: {} },
        context({ credentials: { apiKey: 'wrong' } }),
      ),
      ProviderError,
    );
    expect(badKey).toMatchObject({ kind: 'auth', providerCode: 'INVALID_API_KEY', httpStatus: 401 });
    expect(sim.tasks()).toHaveLength(0);
  });

  it('succeeds on the retry after a rejected first attempt', async () => {
    const prompt = 'second time lucky [sim:RATE_LIMITED]';
    await rejectionOf(submit('text-to-video', { prompt }), ProviderError);
    const taskId = await submit('text-to-video', { prompt });
    expect((await pollUntilTerminal(taskId)).last.status).toBe('succeeded');
  });

  it('answers an unknown task, or a task under the other backend’s prefix, as not found (invalid)', async () => {
    const missing = await rejectionOf(adapter.status('n75999', context()), ProviderError);
    expect(missing).toMatchObject({ kind: 'invalid', httpStatus: 404 });
    const taskId = await submit('text-to-video');
    const wrongBackend = await rejectionOf(adapter.status(taskId.replace(/^n75/, 'n71'), context()), ProviderError);
    expect(wrongBackend.kind).toBe('invalid');
  });

  it('refuses a callback, and the simulator never sends one', async () => {
    const taskId = await submit('text-to-video');
    await pollUntilTerminal(taskId);
    expect(sim.tasks()[0]?.callbacksSent).toBe(0);
    await expect(parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: '{}', jobId: 'job_1' }, context())).rejects.toBeInstanceOf(
      CallbackRejected,
    );
  });
});

describe('kling3api simulator: documented request errors', () => {
  let sim: Simulator;
  let baseUrl: string;

  useSimulator(
    { dialects: [kling3apiDialect], latencyMs: 200, dialectSettings: { kling3api: { credentials: { apiKey: API_KEY } } } },
    (started) => {
      sim = started;
      baseUrl = sim.endpoints().kling3api?.baseUrl ?? '';
    },
    { reset: false },
  );

  async function generate(body: unknown, apiKey = API_KEY): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${baseUrl}/api/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it.each<[string, Record<string, unknown>, number, string]>([
    ['an empty prompt', { type: 'pro-text-to-video', prompt: '  ' }, 400, 'INVALID_PROMPT'],
    ['a prompt over 2000 characters', { type: 'pro-text-to-video', prompt: 'x'.repeat(2001) }, 400, 'INVALID_PROMPT'],
    ['a 16 s duration', { type: 'std-text-to-video', prompt: 'p', duration: 16 }, 400, 'INVALID_DURATION'],
    ['an unknown type', { type: 'pro-video-edit', prompt: 'p' }, 400, 'INVALID_TYPE'],
    ['image-to-video without an image', { type: 'std-image-to-video', prompt: 'p' }, 400, 'MISSING_IMAGE'],
    ['a video edit without a video', { type: 'o3-pro-video-edit', prompt: 'p' }, 400, 'MISSING_VIDEO'],
    [
      'eight reference images',
      { type: 'o3-pro-reference-to-video', prompt: 'p', images: Array.from({ length: 8 }, (_, i) => `https://c.example.test/${i}.png`) },
      400,
      'INVALID_REQUEST',
    ],
    ['cfg_scale on O3', { type: 'o3-std-text-to-video', prompt: 'p', cfg_scale: 0.5 }, 400, 'INVALID_REQUEST'],
    ['an undocumented directive code', { type: 'std-text-to-video', prompt: 'p [sim:1102]' }, 400, 'INVALID_PROMPT'],
  ])('answers %s with HTTP %i %s in the envelope', async (_what, body, status, code) => {
    const answer = await generate(body);
    expect(answer.status).toBe(status);
    expect(answer.json).toMatchObject({ code, data: null });
    expect(answer.json.message).toEqual(expect.any(String));
  });

  it('answers a wrong key with 401 INVALID_API_KEY and a good request with code 200', async () => {
    const refused = await generate({ type: 'std-text-to-video', prompt: 'p' }, 'nope');
    expect(refused).toMatchObject({ status: 401, json: { code: 'INVALID_API_KEY' } });
    const accepted = await generate({ type: 'std-text-to-video', prompt: 'p', duration: 3, sound: false });
    expect(accepted).toMatchObject({
      status: 200,
      json: { code: 200, message: 'success', data: { status: 'IN_PROGRESS', consumed_credits: 120 } },
    });
  });
});
