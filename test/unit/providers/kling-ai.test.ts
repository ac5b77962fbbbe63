// The `kling-ai` adapter against a fake fetch. Facts under test come from "Kling AI API Guide: Pricing, Setup, and
// Integration (2026)" (kling3.pro blog; "the document" below).
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError, isRetryableKind } from '../../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../../lambdas/domain/errors.ts';
import type { CreateJobRequest, Mode, ResolvedRequest } from '../../../lambdas/domain/job.ts';
import type { ProviderAdapter, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { KlingAiAdapter, canonicalStatusOf } from '../../../lambdas/providers/kling-ai/adapter.ts';
import { parseCallbackOf } from '../../../lambdas/providers/scaffold.ts';
import { resolveRequest, type ProviderLookup } from '../../../lambdas/domain/validation.ts';
import { FIXED_NOW, NEVER_ANSWERS, adapterSetup, jsonResponse, rejectionOf, submissionBuilders } from './fake-fetch.ts';
import { validationProblems } from './pipeline.ts';

const JOB_ID = 'job_01hz8k3m0000abcdefghjkmnpq';
const TASK_ID = 'task_7f3c2a';
const BASE_URL = 'https://api.kling.test';
const IMAGE = 'https://cdn.example.test/frame.png';
const END_IMAGE = 'https://cdn.example.test/end.png';
const VIDEO = 'https://cdn.example.test/source.mp4';

const created = (taskId: unknown = TASK_ID) => jsonResponse({ task_id: taskId });
const statusAnswer = (body: Record<string, unknown>) => jsonResponse(body);

const { resolved, submission } = submissionBuilders(
  { provider: 'kling-ai', model: 'kling-v3', prompt: 'a lighthouse at dusk', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
  { jobId: JOB_ID },
);

const setup = adapterSetup(() => new KlingAiAdapter(), { baseUrl: BASE_URL, credentials: { apiKey: 'kling-ai-key' } });

describe('capabilities', () => {
  const adapter = new KlingAiAdapter();
  const model = (id: string) => adapter.capabilities.models.find((m) => m.id === id);

  it('offers the three video models, not the image model; no callbacks, no cancel', () => {
    expect(adapter.id).toBe('kling-ai');
    expect(adapter.capabilities.models.map((m) => m.id)).toEqual(['kling-v3', 'kling-o3', 'kling-motion-control']);
    expect(adapter.capabilities.defaultModel).toBe('kling-v3');
    expect(adapter.capabilities.callbacks).toBe(false);
    expect(adapter.capabilities.cancel).toBe(false);
    expect((adapter as ProviderAdapter).cancel).toBeUndefined();
  });

  it('follows the document: O3 has audio, voice and multi-shot; Motion Control has end frames; 720p/1080p only', () => {
    expect(model('kling-v3')?.modes).toEqual(['text-to-video', 'image-to-video']);
    expect(model('kling-o3')?.modes).toEqual(['text-to-video', 'image-to-video', 'video-edit', 'multi-shot']);
    expect(model('kling-motion-control')?.modes).toEqual(['image-to-video']);
    expect(model('kling-v3')?.durationsSeconds).toEqual([5, 10]);
    expect(model('kling-o3')?.durationsSeconds).toEqual([5, 10, 15]);
    expect(adapter.capabilities.models.filter((m) => m.audio).map((m) => m.id)).toEqual(['kling-o3']);
    expect(adapter.capabilities.models.filter((m) => m.voice).map((m) => m.id)).toEqual(['kling-o3']);
    expect(adapter.capabilities.models.filter((m) => m.endImage).map((m) => m.id)).toEqual(['kling-motion-control']);
    for (const m of adapter.capabilities.models) {
      expect(m.resolutions, m.id).toEqual(['720p', '1080p']);
      expect(m.qualities, m.id).toEqual(['std']);
      expect(m.aspectRatios, m.id).toEqual(['16:9']);
      expect([m.cameraControl, m.negativePrompt, m.cfgScale, m.keepOriginalSound ?? false], m.id).toEqual([false, false, false, false]);
      expect(m.fps, m.id).toBeUndefined();
      expect(m.maxReferenceImages, m.id).toBeUndefined();
    }
  });
});

describe('validation against the capabilities', () => {
  const adapter = new KlingAiAdapter();
  const providers: ProviderLookup = {
    capabilitiesOf: (id) => (id === adapter.id ? adapter.capabilities : undefined),
    enabledProviders: [adapter.id],
    defaultProvider: adapter.id,
  };
  const check = (body: CreateJobRequest) => resolveRequest({ provider: 'kling-ai', prompt: 'a fox', ...body }, providers);
  const refusedPaths = (body: CreateJobRequest) => {
    const outcome = check(body);
    return outcome.ok ? [] : outcome.details.map((d) => d.path);
  };

  it('fills the defaults: kling-v3, 5 s, 16:9, std', () => {
    const outcome = check({});
    expect(outcome.ok && outcome.request).toMatchObject({ model: 'kling-v3', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' });
  });

  it.each<[string, CreateJobRequest, string]>([
    ['the image model', { model: 'kling-image' }, 'model'],
    ['4K', { resolution: '4k' }, 'resolution'],
    ['audio on V3', { audio: true }, 'audio'],
    ['a voice on V3', { voice: { description: 'warm' } }, 'voice'],
    ['an end frame on V3', { image: { url: IMAGE }, endImage: { url: END_IMAGE } }, 'endImage'],
    ['camera control', { cameraControl: { type: 'down_back' } }, 'cameraControl'],
    ['a frame rate', { fps: 30 }, 'fps'],
    ['a negative prompt', { negativePrompt: 'blur' }, 'negativePrompt'],
    ['pro quality', { quality: 'pro' }, 'quality'],
    ['a 9:16 aspect ratio', { aspectRatio: '9:16' }, 'aspectRatio'],
    ['15 s on V3', { durationSeconds: 15 }, 'durationSeconds'],
    ['multi-shot on V3', { shots: [{ prompt: 'one', durationSeconds: 5 }] }, 'shots'],
    ['reference images', { model: 'kling-o3', referenceImages: [{ url: IMAGE }] }, 'referenceImages'],
    [
      'keeping the original sound of an Omni Edit',
      { model: 'kling-o3', video: { url: VIDEO }, keepOriginalSound: true },
      'keepOriginalSound',
    ],
    ['text-to-video on Motion Control', { model: 'kling-motion-control' }, 'prompt'],
  ])('refuses %s', (_what, body, path) => {
    expect(refusedPaths(body)).toContain(path);
  });

  it('accepts what the document describes', () => {
    expect(
      check({
        model: 'kling-o3',
        durationSeconds: 15,
        shots: [
          { prompt: 'a', durationSeconds: 7 },
          { prompt: 'b', durationSeconds: 8 },
        ],
      }).ok,
    ).toBe(true);
    expect(check({ model: 'kling-o3', audio: true, voice: { description: 'friendly' }, durationSeconds: 10, resolution: '720p' }).ok).toBe(
      true,
    );
    expect(check({ model: 'kling-motion-control', image: { url: IMAGE }, endImage: { url: END_IMAGE } }).ok).toBe(true);
    expect(check({ model: 'kling-o3', video: { url: VIDEO } }).ok).toBe(true);
  });
});

describe('submit', () => {
  it('posts text-to-video to /v1/video/generate with a Bearer key and the documented fields', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const result = await adapter.submit(submission('text-to-video'), ctx);
    expect(result).toEqual({ providerTaskId: TASK_ID });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.url.href).toBe(`${BASE_URL}/v1/video/generate`);
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer kling-ai-key');
    expect(requests[0]?.headers.get('content-type')).toBe('application/json');
    // 1080p when none is asked for: every example in the document sends it.
    expect(requests[0]?.json).toEqual({ model: 'kling-v3', prompt: 'a lighthouse at dusk', duration: 5, resolution: '1080p' });
  });

  it('sends the resolution and duration asked for, duration as an integer', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { resolution: '720p', durationSeconds: 10 }), ctx);
    expect(requests[0]?.json).toEqual({ model: 'kling-v3', prompt: 'a lighthouse at dusk', duration: 10, resolution: '720p' });
  });

  it('sends O3 audio and voice_description as in the Omni example', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const voice = { description: 'Friendly male voice, American accent, moderate pace' };
    await adapter.submit(submission('text-to-video', { model: 'kling-o3', durationSeconds: 10, audio: true, voice }), ctx);
    expect(requests[0]?.json).toEqual({
      model: 'kling-o3',
      prompt: 'a lighthouse at dusk',
      duration: 10,
      resolution: '1080p',
      audio: true,
      voice_description: voice.description,
    });
  });

  it('turns audio on for a voice, and sends audio false on O3 when not asked for', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { model: 'kling-o3', voice: { description: 'calm' } }), ctx);
    await adapter.submit(submission('text-to-video', { model: 'kling-o3' }), ctx);
    await adapter.submit(submission('text-to-video', { model: 'kling-v3', audio: false }), ctx);
    expect(requests[0]?.json).toMatchObject({ audio: true, voice_description: 'calm' });
    expect(requests[1]?.json).toMatchObject({ audio: false });
    expect(requests[1]?.json).not.toHaveProperty('voice_description');
    expect(requests[2]?.json).not.toHaveProperty('audio');
  });

  it('sends image-to-video as image_url, from the prepared media (a signed URL, or the request’s own URL passed through)', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(
      submission('image-to-video', { image: { url: IMAGE } }, { media: { image: 'https://prepared.example.test/a.png' } }),
      ctx,
    );
    await adapter.submit(submission('image-to-video', { image: { url: IMAGE } }), ctx);
    expect(requests[0]?.json).toEqual({
      model: 'kling-v3',
      prompt: 'a lighthouse at dusk',
      duration: 5,
      resolution: '1080p',
      image_url: 'https://prepared.example.test/a.png',
    });
    expect(requests[1]?.json).toHaveProperty('image_url', IMAGE);
  });

  it('sends Motion Control’s start and end frames', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(
      submission('image-to-video', {
        model: 'kling-motion-control',
        image: { url: IMAGE },
        endImage: { url: END_IMAGE },
        durationSeconds: 10,
      }),
      ctx,
    );
    expect(requests[0]?.json).toEqual({
      model: 'kling-motion-control',
      prompt: 'a lighthouse at dusk',
      duration: 10,
      resolution: '1080p',
      image_url: IMAGE,
      end_image_url: END_IMAGE,
    });
  });

  it('sends an Omni Edit with the source video', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(
      submission('video-edit', { model: 'kling-o3', prompt: 'make it snow', video: { url: VIDEO } }, { media: { video: VIDEO } }),
      ctx,
    );
    expect(requests[0]?.json).toEqual({
      model: 'kling-o3',
      prompt: 'make it snow',
      duration: 5,
      resolution: '1080p',
      audio: false,
      video_url: VIDEO,
    });
  });

  it('sends O3 multi-shot as shots [{prompt, duration}] adding up to duration', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const shots = [
      { prompt: 'wide shot of the coast', durationSeconds: 7 },
      { prompt: 'close-up of the lamp', durationSeconds: 8 },
    ];
    await adapter.submit(submission('multi-shot', { model: 'kling-o3', prompt: undefined, shots, durationSeconds: 15, audio: true }), ctx);
    expect(requests[0]?.json).toEqual({
      model: 'kling-o3',
      duration: 15,
      resolution: '1080p',
      audio: true,
      shots: [
        { prompt: 'wide shot of the coast', duration: 7 },
        { prompt: 'close-up of the lamp', duration: 8 },
      ],
    });
  });

  it('does not add /v1 twice when the base URL is the document’s BASE_URL, and keeps a mount prefix', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video'), { ...ctx, baseUrl: 'https://api.kling.test/v1' });
    await adapter.submit(submission('text-to-video'), { ...ctx, baseUrl: 'http://127.0.0.1:4010/kling-ai/' });
    expect(requests[0]?.url.href).toBe('https://api.kling.test/v1/video/generate');
    expect(requests[1]?.url.href).toBe('http://127.0.0.1:4010/kling-ai/v1/video/generate');
  });

  it('keeps a numeric task_id as a string', async () => {
    const { adapter, ctx } = setup(() => new Response('{"task_id": 12345}'));
    expect((await adapter.submit(submission('text-to-video'), ctx)).providerTaskId).toBe('12345');
  });

  it('treats a create answer without task_id as a server error', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ status: 'pending' }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('server');
  });

  it('fails with auth before any request when no API key is configured', async () => {
    const { adapter, ctx, requests } = setup(() => created(), { credentials: {} });
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('auth');
    expect(requests).toHaveLength(0);
  });

  it.each<[string, SubmitRequest]>([
    ['the image model', submission('text-to-video', { model: 'kling-image' })],
    ['an unknown model', submission('text-to-video', { model: 'kling-v9' })],
    ['voice ids (no documented field)', submission('text-to-video', { model: 'kling-o3', voice: { ids: ['voice-1'] } })],
    [
      'base64 media (the API takes public URLs)',
      submission('image-to-video', { image: { url: IMAGE } }, { media: { image: 'iVBORw0KGgo=' } }),
    ],
    ['an S3 input that was not prepared', submission('image-to-video', { image: { s3Key: 'inputs/a.png' } })],
    ['an end frame without a start frame', submission('image-to-video', { model: 'kling-motion-control', endImage: { url: END_IMAGE } })],
    ['an Omni Edit without a prompt', submission('video-edit', { model: 'kling-o3', prompt: undefined, video: { url: VIDEO } })],
    ['shots that do not add up', submission('multi-shot', { model: 'kling-o3', shots: [{ prompt: 'a', durationSeconds: 4 }] })],
    ['reference-to-video', submission('reference-to-video', { model: 'kling-o3', referenceImages: [{ url: IMAGE }] })],
  ])('refuses %s before sending anything', async (_what, input) => {
    const { adapter, ctx, requests } = setup(() => created());
    const error = await rejectionOf(adapter.submit(input, ctx), ProviderError);
    expect(error.kind, error.message).toBe('invalid');
    expect(error.retryable).toBe(false);
    expect(requests).toHaveLength(0);
  });

  // What the capability map expresses is refused by validation, before Submit ever calls the adapter.
  it.each<[string, SubmitRequest, string]>([
    ['4K', submission('text-to-video', { resolution: '4k' }), 'resolution'],
    ['audio on V3', submission('text-to-video', { audio: true }), 'audio'],
    ['a voice with audio off', submission('text-to-video', { model: 'kling-o3', audio: false, voice: { description: 'calm' } }), 'voice'],
    ['camera control', submission('text-to-video', { cameraControl: { type: 'down_back' } }), 'cameraControl'],
    ['a frame rate', submission('text-to-video', { fps: 24 }), 'fps'],
    ['a negative prompt', submission('text-to-video', { negativePrompt: 'blur' }), 'negativePrompt'],
    ['pro quality', submission('text-to-video', { quality: 'pro' }), 'quality'],
    [
      'keepOriginalSound',
      submission('video-edit', { model: 'kling-o3', video: { url: VIDEO }, keepOriginalSound: true }),
      'keepOriginalSound',
    ],
    ['15 s on V3', submission('text-to-video', { durationSeconds: 15 }), 'durationSeconds'],
  ])('has validation refuse %s before Submit', (_what, input, path) => {
    expect(validationProblems(input).map((problem) => problem.path)).toContain(path);
  });
});

describe('errors', () => {
  // The document's table: 401 (key missing/invalid/expired), 403 (insufficient credits or model not on the
  // plan), 429 (rate limit), 500 (transient). Bodies are not documented: the common shapes are read.
  const table: [string, number, unknown, Record<string, string>, ErrorKind, string | number][] = [
    ['401 with a code', 401, { error: { code: 'UNAUTHORIZED', message: 'invalid key' } }, {}, 'auth', 'UNAUTHORIZED'],
    ['401 as text', 401, 'Unauthorized', {}, 'auth', 401],
    [
      '403 INSUFFICIENT_CREDITS',
      403,
      { error: { code: 'INSUFFICIENT_CREDITS', message: 'top up' } },
      {},
      'insufficient_credits',
      'INSUFFICIENT_CREDITS',
    ],
    ['403 saying credits', 403, { error: 'Insufficient credits' }, {}, 'insufficient_credits', 403],
    ['403 saying plan', 403, { message: 'Model kling-o3 is not available on your API plan' }, {}, 'auth', 403],
    ['403 with a plan code', 403, { error: { code: 'MODEL_NOT_IN_PLAN' } }, {}, 'auth', 'MODEL_NOT_IN_PLAN'],
    [
      '403 with the document’s wording',
      403,
      { error: { code: 'FORBIDDEN', message: 'Insufficient credits or model not on your plan' } },
      {},
      'insufficient_credits',
      'FORBIDDEN',
    ],
    ['403 without a body', 403, '', {}, 'insufficient_credits', 403],
    ['403 with X-RateLimit-Remaining 0', 403, '', { 'x-ratelimit-remaining': '0' }, 'rate_limited', 403],
    ['429', 429, { error: 'Too Many Requests' }, {}, 'rate_limited', 429],
    ['429 RATE_LIMITED', 429, { error: { code: 'RATE_LIMITED' } }, {}, 'rate_limited', 'RATE_LIMITED'],
    [
      '429 about concurrency',
      429,
      { error: { code: 'CONCURRENCY_LIMIT_EXCEEDED' } },
      {},
      'concurrency_limited',
      'CONCURRENCY_LIMIT_EXCEEDED',
    ],
    ['500', 500, 'Internal Server Error', {}, 'server', 500],
    ['500 MODEL_OVERLOADED', 500, { error: { code: 'MODEL_OVERLOADED' } }, {}, 'overloaded', 'MODEL_OVERLOADED'],
    ['503', 503, '<html>503</html>', {}, 'overloaded', 503],
    [
      '400 CONTENT_POLICY_VIOLATION',
      400,
      { error: { code: 'CONTENT_POLICY_VIOLATION', message: 'blocked' } },
      {},
      'content_policy',
      'CONTENT_POLICY_VIOLATION',
    ],
    ['400 invalid', 400, { detail: 'duration must be 5 or 10' }, {}, 'invalid', 400],
    ['402', 402, {}, {}, 'insufficient_credits', 402],
  ];

  it.each(table)('%s', async (_name, httpStatus, body, headers, kind, providerCode) => {
    const { adapter, ctx } = setup(() =>
      typeof body === 'string' ? new Response(body, { status: httpStatus, headers }) : jsonResponse(body, httpStatus, headers),
    );
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(isRetryableKind(kind));
    expect(error.httpStatus).toBe(httpStatus);
    expect(error.providerCode).toBe(providerCode);
  });

  it('carries Retry-After on a 429', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ error: 'slow down' }, 429, { 'retry-after': '7', 'x-ratelimit-reset': '99' }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.retryAfterSeconds).toBe(7);
  });

  it('reads X-RateLimit-Reset as a Unix time or as seconds from now when there is no Retry-After', async () => {
    const resetAt = String(FIXED_NOW.getTime() / 1000 + 42);
    const epoch = setup(() => jsonResponse({}, 429, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetAt }));
    expect((await rejectionOf(epoch.adapter.submit(submission('text-to-video'), epoch.ctx), ProviderError)).retryAfterSeconds).toBe(42);
    const delta = setup(() => jsonResponse({}, 429, { 'x-ratelimit-reset': '12' }));
    expect((await rejectionOf(delta.adapter.submit(submission('text-to-video'), delta.ctx), ProviderError)).retryAfterSeconds).toBe(12);
    const none = setup(() => jsonResponse({}, 429));
    expect(
      (await rejectionOf(none.adapter.submit(submission('text-to-video'), none.ctx), ProviderError)).retryAfterSeconds,
    ).toBeUndefined();
  });

  it('keeps the provider’s message', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ error: { code: 'INSUFFICIENT_CREDITS', message: 'balance is 3 credits' } }, 403));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.message).toContain('balance is 3 credits');
    expect(error.message).toContain('POST /v1/video/generate');
  });

  it('turns a timeout into a network error', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { timeoutMs: 30 });
    const error = await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError);
    expect(error.kind).toBe('network');
  });

  it('maps an unknown task (404) to invalid', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ error: { code: 'TASK_NOT_FOUND' } }, 404));
    expect((await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError)).kind).toBe('invalid');
  });
});

describe('status', () => {
  it('gets /v1/video/status/{task_id} with the key', async () => {
    const { adapter, ctx, requests } = setup(() => statusAnswer({ status: 'processing' }));
    await adapter.status('task/with space', ctx);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.pathname).toBe('/v1/video/status/task%2Fwith%20space');
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer kling-ai-key');
  });

  it.each([
    ['pending', 'pending'],
    ['queued', 'pending'],
    ['processing', 'processing'],
    ['in_progress', 'processing'],
    ['Running', 'processing'],
    ['rendering-something-new', 'processing'],
  ])('maps %s to %s (the document: anything but completed/failed is in progress)', async (word, canonical) => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: word, progress: 40 }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: canonical, progress: 40 });
  });

  it('leaves out a progress that is not a percentage', async () => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'processing', progress: 'half' }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: 'processing' });
  });

  it('maps completed to succeeded with the video and thumbnail from output', async () => {
    const { adapter, ctx } = setup(() =>
      statusAnswer({
        status: 'completed',
        output: { video_url: 'https://cdn.kling.test/v.mp4', thumbnail_url: 'https://cdn.kling.test/v.jpg' },
      }),
    );
    expect(await adapter.status(TASK_ID, ctx)).toEqual({
      providerTaskId: TASK_ID,
      status: 'succeeded',
      videoUrl: 'https://cdn.kling.test/v.mp4',
      thumbnailUrl: 'https://cdn.kling.test/v.jpg',
    });
  });

  it.each<[string, unknown]>([
    ['a URL', 'https://cdn.kling.test/v.mp4'],
    ['a list of URLs', ['https://cdn.kling.test/v.mp4', 'https://cdn.kling.test/other.mp4']],
    ['{url}', { url: 'https://cdn.kling.test/v.mp4' }],
    ['{video: {url}}', { video: { url: 'https://cdn.kling.test/v.mp4' } }],
    ['{videos: [{url}]}', { videos: [{ url: 'https://cdn.kling.test/v.mp4' }] }],
    ['[{video_url}]', [{ video_url: 'https://cdn.kling.test/v.mp4' }]],
  ])('reads output given as %s', async (_form, output) => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'completed', output }));
    const status = await adapter.status(TASK_ID, ctx);
    expect(status.status).toBe('succeeded');
    expect(status.videoUrl).toBe('https://cdn.kling.test/v.mp4');
  });

  it.each<[string, unknown]>([
    ['no output', undefined],
    ['an empty object', {}],
    ['an empty list', []],
  ])('treats completed with %s as a server error', async (_what, output) => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'completed', output }));
    const error = await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
  });

  it.each<[unknown, string, string]>([
    [{ code: 'CONTENT_POLICY_VIOLATION', message: 'blocked' }, 'CONTENT_POLICY', 'CONTENT_POLICY_VIOLATION: blocked'],
    ['Prompt rejected: content policy violation', 'CONTENT_POLICY', 'Prompt rejected: content policy violation'],
    ['NSFW content detected', 'CONTENT_POLICY', 'NSFW content detected'],
    [{ code: 'INVALID_PROMPT', message: 'prompt too long' }, 'PROVIDER_FAILED', 'INVALID_PROMPT: prompt too long'],
    ['unsupported parameters', 'PROVIDER_FAILED', 'unsupported parameters'],
  ])('maps failed with error %j to %s', async (error, code, message) => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'failed', error }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({
      providerTaskId: TASK_ID,
      status: 'failed',
      error: { code, message, retryable: false },
    });
  });

  it('explains a failure without an error', async () => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'failed' }));
    const status = await adapter.status(TASK_ID, ctx);
    expect(status.error).toEqual({ code: 'PROVIDER_FAILED', message: expect.stringMatching(/without an error/), retryable: false });
  });

  it('treats an undocumented cancelled as terminal', async () => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'cancelled' }));
    const status = await adapter.status(TASK_ID, ctx);
    expect(status.status).toBe('cancelled');
    expect(status.error?.retryable).toBe(false);
  });

  it('treats an answer without status as a server error', async () => {
    const { adapter, ctx } = setup(() => statusAnswer({ output: 'https://cdn.kling.test/v.mp4' }));
    expect((await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError)).kind).toBe('server');
  });

  it('maps the documented words case-insensitively', () => {
    expect(canonicalStatusOf('COMPLETED')).toBe('succeeded');
    expect(canonicalStatusOf(' failed ')).toBe('failed');
  });
});

describe('estimateCost (the document’s "Official API Pricing" table, $0.004 a credit from its 10-second table)', () => {
  const adapter = new KlingAiAdapter();

  it.each<[string, Partial<ResolvedRequest>, Mode, { credits: number; usd: number }]>([
    // "Kling V3 | 80 credits | ~$0.32" (10 s 1080p) = row "Kling V3 1080p 8 credits/sec".
    ['V3 1080p 10 s', { durationSeconds: 10, resolution: '1080p' }, 'text-to-video', { credits: 80, usd: 0.32 }],
    // Row "Kling V3 720p 6 credits/sec"; 1080p is what a request without a resolution gets.
    ['V3 720p 5 s', { resolution: '720p' }, 'image-to-video', { credits: 30, usd: 0.12 }],
    ['V3 default resolution 5 s', {}, 'text-to-video', { credits: 40, usd: 0.16 }],
    // Row "Kling O3 (no audio) 720p 12 credits/sec".
    ['O3 no audio 720p 10 s', { model: 'kling-o3', resolution: '720p', durationSeconds: 10 }, 'text-to-video', { credits: 120, usd: 0.48 }],
    // Row "Kling O3 (no audio) 1080p 16 credits/sec".
    ['O3 no audio 1080p 5 s', { model: 'kling-o3', audio: false }, 'text-to-video', { credits: 80, usd: 0.32 }],
    // "Kling O3 (with audio) | 200 credits | ~$0.80" = row "O3 (with audio) 1080p 20 credits/sec".
    ['O3 with audio 1080p 10 s', { model: 'kling-o3', audio: true, durationSeconds: 10 }, 'text-to-video', { credits: 200, usd: 0.8 }],
    // Row "O3 (with audio) 720p 15 credits/sec": a voice turns audio on.
    [
      'O3 with a voice 720p 5 s',
      { model: 'kling-o3', voice: { description: 'calm' }, resolution: '720p' },
      'text-to-video',
      { credits: 75, usd: 0.3 },
    ],
    // "Kling O3 multi-shot (15s) | 360 credits | ~$1.44" = row "O3 multi-shot 1080p 24 credits/sec".
    [
      'O3 multi-shot 1080p 15 s',
      { model: 'kling-o3', durationSeconds: 15, shots: [{ prompt: 'a', durationSeconds: 15 }] },
      'multi-shot',
      { credits: 360, usd: 1.44 },
    ],
  ])('%s', (_name, request, mode, expected) => {
    expect(adapter.estimateCost(resolved(request), mode)).toEqual(expected);
  });

  it.each<[string, Partial<ResolvedRequest>, Mode]>([
    ['Motion Control ("Premium", no figure)', { model: 'kling-motion-control', image: { url: IMAGE } }, 'image-to-video'],
    ['an Omni Edit (no row)', { model: 'kling-o3', video: { url: VIDEO } }, 'video-edit'],
    ['multi-shot at 720p (the row is 1080p only)', { model: 'kling-o3', resolution: '720p' }, 'multi-shot'],
    ['4K (not in the table)', { resolution: '4k' }, 'text-to-video'],
  ])('has no estimate for %s', (_name, request, mode) => {
    expect(adapter.estimateCost(resolved(request), mode)).toBeUndefined();
  });
});

describe('parseCallback', () => {
  it('refuses every callback: the API describes none', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const body = JSON.stringify({ task_id: TASK_ID, status: 'completed', output: 'https://evil.test/v.mp4' });
    const error = await rejectionOf(
      parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: body, jobId: JOB_ID }, ctx),
      CallbackRejected,
    );
    expect(error.message).toMatch(/kling-ai sends no callbacks/);
    expect(requests).toHaveLength(0);
  });
});
