// The kling-v3-rest adapter against a fake fetch. Expectations come from the Kling v3 REST tutorial (aiapiplaybook.com,
// "How to Use Kling v3 API: Complete Python Tutorial 2026"): its payloads, parameter table, error table and credit
// table.
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../../lambdas/domain/errors.ts';
import type { CreateJobRequest, ResolvedRequest } from '../../../lambdas/domain/job.ts';
import type { SubmitRequest } from '../../../lambdas/providers/port.ts';
import {
  KLING_V3_REST_DEFAULT_BASE_URL,
  KlingV3RestAdapter,
  readKlingV3RestAccount,
} from '../../../lambdas/providers/kling-v3-rest/adapter.ts';
import { resolveRequest } from '../../../lambdas/domain/validation.ts';
import { parseCallbackOf } from '../../../lambdas/providers/scaffold.ts';
import { NEVER_ANSWERS, adapterSetup, jsonResponse, rejectionOf, submissionBuilders } from './fake-fetch.ts';
import { validationProblems } from './pipeline.ts';

const JOB_ID = 'job_01hz8k3m0000abcdefghjkmnpq';
const TASK_ID = 'task_7f3c2a91';
const API_KEY = 'kv3-test-key';
const IMAGE_URL = 'https://cdn.example.test/frame.png';

const { resolved, submission } = submissionBuilders(
  {
    provider: 'kling-v3-rest',
    model: 'kling-v3',
    prompt: 'A red fox running through a snowy forest at dusk',
    durationSeconds: 5,
    aspectRatio: '16:9',
    quality: 'std',
  },
  { jobId: JOB_ID },
);

const setup = adapterSetup(() => new KlingV3RestAdapter(), { baseUrl: 'https://api.klingai.test', credentials: { apiKey: API_KEY } });

const created = (taskId: unknown = TASK_ID) => jsonResponse({ task_id: taskId });
const taskAnswer = (fields: Record<string, unknown>) => jsonResponse({ task_id: TASK_ID, ...fields });

describe('capabilities', () => {
  const adapter = new KlingV3RestAdapter();
  const model = (id: string) => adapter.capabilities.models.find((m) => m.id === id);
  const lookup = {
    capabilitiesOf: (id: string) => (id === 'kling-v3-rest' ? adapter.capabilities : undefined),
    enabledProviders: ['kling-v3-rest'],
    defaultProvider: 'kling-v3-rest',
  };
  const problemsOf = (body: CreateJobRequest) => {
    const outcome = resolveRequest(body, lookup);
    return outcome.ok ? [] : outcome.details.map((detail) => detail.path);
  };

  it('lists the three documented models, kling-v3 by default, polling only, no cancel', () => {
    expect(adapter.id).toBe('kling-v3-rest');
    expect(adapter.capabilities.models.map((m) => m.id)).toEqual(['kling-v1', 'kling-v1-5', 'kling-v3']);
    expect(adapter.capabilities.defaultModel).toBe('kling-v3');
    expect(adapter.capabilities.callbacks).toBe(false);
    expect(adapter.capabilities.cancel).toBe(false);
    expect('cancel' in adapter).toBe(false);
    expect(KLING_V3_REST_DEFAULT_BASE_URL).toBe('https://api.klingai.com');
  });

  it('follows the parameter table: 5 or 10 s, three aspect ratios, 4K and audio on kling-v3 only', () => {
    for (const m of adapter.capabilities.models) {
      expect(m.durationsSeconds, m.id).toEqual([5, 10]);
      expect(m.defaultDurationSeconds, m.id).toBe(5);
      expect(m.aspectRatios, m.id).toEqual(['16:9', '9:16', '1:1']);
      expect(m.modes, m.id).toEqual(['text-to-video', 'image-to-video']);
      expect(m.cfgScale && m.negativePrompt && m.cameraControl, m.id).toBe(true);
      expect(m.endImage || Boolean(m.voice) || Boolean(m.keepOriginalSound) || m.fps !== undefined, m.id).toBe(false);
    }
    expect(model('kling-v3')?.resolutions).toEqual(['720p', '1080p', '4k']);
    expect(model('kling-v1')?.resolutions).toEqual(['720p', '1080p']);
    expect(model('kling-v1-5')?.resolutions).toEqual(['720p', '1080p']);
    expect(adapter.capabilities.models.filter((m) => m.audio).map((m) => m.id)).toEqual(['kling-v3']);
  });

  it('lets validation accept a documented request and fill the defaults', () => {
    const outcome = resolveRequest({ prompt: 'a fox', resolution: '4k', audio: true }, lookup);
    expect(outcome).toMatchObject({
      ok: true,
      mode: 'text-to-video',
      request: { model: 'kling-v3', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
    });
  });

  it.each<[string, CreateJobRequest, string]>([
    ['4K on kling-v1', { model: 'kling-v1', prompt: 'x', resolution: '4k' }, 'resolution'],
    ['4K on kling-v1-5', { model: 'kling-v1-5', prompt: 'x', resolution: '4k' }, 'resolution'],
    ['audio on kling-v1', { model: 'kling-v1', prompt: 'x', audio: true }, 'audio'],
    ['a 7 s video', { prompt: 'x', durationSeconds: 7 }, 'durationSeconds'],
    ['quality pro', { prompt: 'x', quality: 'pro' }, 'quality'],
    ['an end frame', { prompt: 'x', image: { url: IMAGE_URL }, endImage: { url: IMAGE_URL } }, 'endImage'],
    ['reference images', { prompt: 'x', referenceImages: [{ url: IMAGE_URL }] }, 'referenceImages'],
    ['a video edit', { prompt: 'x', video: { url: 'https://cdn.example.test/v.mp4' } }, 'video'],
    ['multi-shot', { shots: [{ prompt: 'x', durationSeconds: 5 }] }, 'shots'],
    ['a voice', { prompt: 'x', audio: true, voice: { description: 'calm narrator' } }, 'voice'],
    ['a frame rate', { prompt: 'x', fps: 30 }, 'fps'],
    ['a model that is not listed', { model: 'kling-v2-6', prompt: 'x' }, 'model'],
  ])('refuses %s before anything is sent', (_what, body, path) => {
    expect(problemsOf(body)).toContain(path);
  });
});

describe('estimateCost (the "Performance and Cost Reference" table, $0.01 per credit)', () => {
  const adapter = new KlingV3RestAdapter();
  it.each<[string, Partial<ResolvedRequest>, { credits: number; usd: number }]>([
    // row "kling-v3, 720p, 5s | 10 credits | ~$0.10"; 720p is the documented default resolution
    ['720p 5 s (default resolution)', {}, { credits: 10, usd: 0.1 }],
    // row "kling-v3, 1080p, 5s | 15 credits | ~$0.15"
    ['1080p 5 s', { resolution: '1080p' }, { credits: 15, usd: 0.15 }],
    // row "kling-v3, 4K, 10s | 50 credits | ~$0.50"
    ['4K 10 s', { resolution: '4k', durationSeconds: 10 }, { credits: 50, usd: 0.5 }],
    // rows "kling-v3, 1080p, 10s | 30 credits" + "+ audio_enabled | +3 credits"
    ['1080p 10 s with audio', { resolution: '1080p', durationSeconds: 10, audio: true }, { credits: 33, usd: 0.33 }],
    // rows "kling-v3, 720p, 10s | 20 credits" + audio
    ['720p 10 s with audio', { resolution: '720p', durationSeconds: 10, audio: true }, { credits: 23, usd: 0.23 }],
  ])('kling-v3 %s', (_what, overrides, expected) => {
    expect(adapter.estimateCost(resolved(overrides), 'text-to-video')).toEqual(expected);
  });

  it('prices image-to-video like text-to-video (the table does not tell them apart)', () => {
    expect(adapter.estimateCost(resolved({ resolution: '4k' }), 'image-to-video')).toEqual({ credits: 25, usd: 0.25 });
  });

  it('has no estimate for the models the table does not list', () => {
    expect(adapter.estimateCost(resolved({ model: 'kling-v1' }), 'text-to-video')).toBeUndefined();
    expect(adapter.estimateCost(resolved({ model: 'kling-v1-5', resolution: '1080p' }), 'text-to-video')).toBeUndefined();
  });
});

describe('submit', () => {
  it('posts a text-to-video body with the documented field names and an int duration', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const result = await adapter.submit(
      submission('text-to-video', {
        negativePrompt: 'blurry',
        durationSeconds: 10,
        aspectRatio: '9:16',
        resolution: '1080p',
        cfgScale: 0.5,
        audio: true,
      }),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: TASK_ID });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.url.href).toBe('https://api.klingai.test/v1/videos/text2video');
    expect(requests[0]?.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
    expect(requests[0]?.headers.get('content-type')).toBe('application/json');
    expect(requests[0]?.json).toEqual({
      model: 'kling-v3',
      prompt: 'A red fox running through a snowy forest at dusk',
      negative_prompt: 'blurry',
      duration: 10,
      aspect_ratio: '9:16',
      resolution: '1080p',
      cfg_scale: 0.5,
      audio_enabled: true,
    });
  });

  it('sends the default resolution 720p and audio_enabled false on kling-v3 when not asked', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video'), ctx);
    expect(requests[0]?.json).toEqual({
      model: 'kling-v3',
      prompt: 'A red fox running through a snowy forest at dusk',
      duration: 5,
      aspect_ratio: '16:9',
      resolution: '720p',
      audio_enabled: false,
    });
  });

  it('never sends audio_enabled to the older models', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { model: 'kling-v1-5', audio: false, resolution: '1080p' }), ctx);
    expect(requests[0]?.json).not.toHaveProperty('audio_enabled');
    expect(requests[0]?.json).toMatchObject({ model: 'kling-v1-5', resolution: '1080p' });
  });

  it('posts image-to-video to /v1/videos/image2video with image_url, 4K and audio on kling-v3', async () => {
    const { adapter, ctx, requests } = setup(() => created('i2v-1'));
    const result = await adapter.submit(
      submission(
        'image-to-video',
        { image: { url: IMAGE_URL }, resolution: '4k', audio: true },
        { media: { image: 'https://media.example.test/prepared.png' } },
      ),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: 'i2v-1' });
    expect(requests[0]?.url.pathname).toBe('/v1/videos/image2video');
    expect(requests[0]?.json).toEqual({
      model: 'kling-v3',
      prompt: 'A red fox running through a snowy forest at dusk',
      duration: 5,
      aspect_ratio: '16:9',
      resolution: '4k',
      audio_enabled: true,
      image_url: 'https://media.example.test/prepared.png',
    });
  });

  it('sends the request’s own image URL, which Submit passes through as it is', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('image-to-video', { image: { url: IMAGE_URL } }), ctx);
    expect(requests[0]?.url.pathname).toBe('/v1/videos/image2video');
    expect(requests[0]?.json).toHaveProperty('image_url', IMAGE_URL);
  });

  it('sends camera_control as {type, config}', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { model: 'kling-v1', cameraControl: { type: 'simple', config: { zoom: 5 } } }), ctx);
    await adapter.submit(submission('text-to-video', { cameraControl: { type: 'down_back' } }), ctx);
    expect(requests[0]?.json).toHaveProperty('camera_control', { type: 'simple', config: { zoom: 5 } });
    expect(requests[1]?.json).toHaveProperty('camera_control', { type: 'down_back' });
  });

  it('accepts a numeric task_id without losing digits', async () => {
    const { adapter, ctx } = setup(() => new Response('{"task_id": 86728374175911}'));
    expect(await adapter.submit(submission('text-to-video'), ctx)).toEqual({ providerTaskId: '86728374175911' });
  });

  it('treats a 2xx answer without task_id as a server error', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ id: 'x' }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('server');
  });

  it.each<[string, SubmitRequest]>([
    ['an unknown model', submission('text-to-video', { model: 'kling-v2-6' })],
    ['no prompt', submission('image-to-video', { prompt: undefined, image: { url: IMAGE_URL } })],
    ['a negative prompt over 1000 characters', submission('text-to-video', { negativePrompt: 'n'.repeat(1001) })],
    ['an S3 image without media', submission('image-to-video', { image: { s3Key: 'inputs/a.png' } })],
    ['a base64 image', submission('image-to-video', { image: { url: IMAGE_URL } }, { media: { image: 'iVBORw0KGgo=' } })],
    ['a plain http image', submission('image-to-video', { image: { url: 'http://cdn.example.test/a.png' } })],
  ])('refuses %s as invalid without sending anything', async (_what, input) => {
    const { adapter, ctx, requests } = setup(() => created());
    const error = await rejectionOf(adapter.submit(input, ctx), ProviderError);
    expect(error.kind, error.message).toBe('invalid');
    expect(error.retryable).toBe(false);
    expect(requests).toHaveLength(0);
  });

  // What the capability map expresses is refused by validation, before Submit ever calls the adapter.
  it.each<[string, SubmitRequest, string]>([
    ['4K on kling-v1', submission('text-to-video', { model: 'kling-v1', resolution: '4k' }), 'resolution'],
    ['audio on kling-v1-5', submission('text-to-video', { model: 'kling-v1-5', audio: true }), 'audio'],
    ['a 7 s video', submission('text-to-video', { durationSeconds: 7 }), 'durationSeconds'],
    ['quality pro', submission('text-to-video', { quality: 'pro' }), 'quality'],
    ['an end frame', submission('image-to-video', { image: { url: IMAGE_URL }, endImage: { url: IMAGE_URL } }), 'endImage'],
    ['reference-to-video', submission('reference-to-video', { referenceImages: [{ url: IMAGE_URL }] }), 'referenceImages'],
    ['video edit', submission('video-edit', { video: { url: 'https://cdn.example.test/v.mp4' } }), 'video'],
    ['multi-shot', submission('multi-shot', { shots: [{ prompt: 'x', durationSeconds: 5 }] }), 'shots'],
    ['a voice', submission('text-to-video', { audio: true, voice: { ids: ['v1'] } }), 'voice'],
    ['a frame rate', submission('text-to-video', { fps: 24 }), 'fps'],
  ])('has validation refuse %s before Submit', (_what, input, path) => {
    expect(validationProblems(input).map((problem) => problem.path)).toContain(path);
  });

  it('fails with auth before any request when no API key is configured', async () => {
    const { adapter, ctx, requests } = setup(() => created(), { credentials: { accessKey: 'ak', secretKey: 'sk' } });
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('auth');
    expect(requests).toHaveLength(0);
  });
});

describe('errors (the "Error Handling" table)', () => {
  const table: [number, string, ErrorKind, boolean][] = [
    [400, 'INVALID_PARAMETER', 'invalid', false],
    [401, 'UNAUTHORIZED', 'auth', false],
    [402, 'INSUFFICIENT_CREDITS', 'insufficient_credits', false],
    [422, 'CONTENT_POLICY_VIOLATION', 'content_policy', false],
    [429, 'RATE_LIMIT_EXCEEDED', 'rate_limited', true],
    [500, 'INTERNAL_ERROR', 'server', true],
    [503, 'MODEL_OVERLOADED', 'overloaded', true],
  ];

  it.each(table)('HTTP %i %s is %s (retryable %s) on create and on status', async (httpStatus, code, kind, retryable) => {
    const reason = `reason for ${code}`;
    const { adapter, ctx } = setup(() => jsonResponse({ error: { code, message: reason } }, httpStatus));
    for (const attempt of [adapter.submit(submission('text-to-video'), ctx), adapter.status(TASK_ID, ctx)]) {
      const error = await rejectionOf(attempt, ProviderError);
      expect(error.kind).toBe(kind);
      expect(error.retryable).toBe(retryable);
      expect(error.providerCode).toBe(code);
      expect(error.httpStatus).toBe(httpStatus);
      expect(error.message).toContain(reason);
    }
  });

  it('lets the body code decide when it disagrees with the status', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ error: { code: 'CONTENT_POLICY_VIOLATION', message: 'filtered' } }, 400));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('content_policy');
  });

  it('carries Retry-After on a rate limit', async () => {
    const { adapter, ctx } = setup(() =>
      jsonResponse({ error: { code: 'RATE_LIMIT_EXCEEDED', message: 'slow down' } }, 429, { 'retry-after': '20' }),
    );
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(20);
  });

  it('falls back to the HTTP status for an unknown code or a body that is not the error shape', async () => {
    const unknown = setup(() => jsonResponse({ error: { code: 'SOMETHING_NEW', message: 'new' } }, 503));
    const first = await rejectionOf(unknown.adapter.submit(submission('text-to-video'), unknown.ctx), ProviderError);
    expect(first.kind).toBe('overloaded');
    expect(first.providerCode).toBe('SOMETHING_NEW');
    const html = setup(() => new Response('<html>502 Bad Gateway</html>', { status: 502 }));
    const second = await rejectionOf(html.adapter.status(TASK_ID, html.ctx), ProviderError);
    expect(second.kind).toBe('server');
    expect(second.providerCode).toBe(502);
    const notFound = setup(() => jsonResponse({ error: { code: 'NOT_FOUND', message: 'no task' } }, 404));
    expect((await rejectionOf(notFound.adapter.status(TASK_ID, notFound.ctx), ProviderError)).kind).toBe('invalid');
  });

  it('turns a timeout into a network error', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { timeoutMs: 30 });
    const error = await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError);
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });
});

describe('status', () => {
  it('GETs /v1/videos/{task_id} with the API key', async () => {
    const { adapter, ctx, requests } = setup(() => taskAnswer({ status: 'pending' }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: 'pending' });
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.href).toBe(`https://api.klingai.test/v1/videos/${TASK_ID}`);
    expect(requests[0]?.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
  });

  it('maps processing', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ status: 'processing' }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: 'processing' });
  });

  it('maps completed to succeeded with video.url', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ status: 'completed', video: { url: 'https://cdn.klingai.test/v.mp4' } }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({
      providerTaskId: TASK_ID,
      status: 'succeeded',
      videoUrl: 'https://cdn.klingai.test/v.mp4',
    });
  });

  it('reads a top-level video_url when there is no video object', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ status: 'completed', video_url: 'https://cdn.klingai.test/flat.mp4' }));
    expect((await adapter.status(TASK_ID, ctx)).videoUrl).toBe('https://cdn.klingai.test/flat.mp4');
  });

  it('treats completed without a video URL as a server error', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ status: 'completed', video: {} }));
    expect((await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError)).kind).toBe('server');
  });

  it.each<[Record<string, unknown> | undefined, { code: string; retryable: boolean; message: RegExp }]>([
    [
      { code: 'CONTENT_POLICY_VIOLATION', message: 'blocked' },
      { code: 'CONTENT_POLICY', retryable: false, message: /CONTENT_POLICY_VIOLATION: blocked/ },
    ],
    [{ message: 'Prompt triggered content filter' }, { code: 'CONTENT_POLICY', retryable: false, message: /content filter/ }],
    [
      { code: 'INTERNAL_ERROR', message: 'render crashed' },
      { code: 'SERVER', retryable: true, message: /render crashed/ },
    ],
    [
      { code: 'MODEL_OVERLOADED', message: 'busy' },
      { code: 'OVERLOADED', retryable: true, message: /busy/ },
    ],
    [
      { code: 'INSUFFICIENT_CREDITS', message: 'balance' },
      { code: 'INSUFFICIENT_CREDITS', retryable: false, message: /balance/ },
    ],
    [
      { code: 'RENDER_FAILED', message: 'failed at 80%' },
      { code: 'PROVIDER_FAILED', retryable: false, message: /failed at 80%/ },
    ],
    [undefined, { code: 'PROVIDER_FAILED', retryable: false, message: /without a reason/ }],
  ])('maps failed with error %j', async (error, expected) => {
    const { adapter, ctx } = setup(() => taskAnswer({ status: 'failed', ...(error && { error }) }));
    const status = await adapter.status(TASK_ID, ctx);
    expect(status.status).toBe('failed');
    expect(status.error).toEqual({ code: expected.code, retryable: expected.retryable, message: expect.stringMatching(expected.message) });
  });

  it('treats an undocumented status as a server error', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ status: 'queued' }));
    const error = await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/status/);
  });

  it.each(['', '..'])('refuses the task id %j without a request', async (id) => {
    const { adapter, ctx, requests } = setup(() => taskAnswer({ status: 'pending' }));
    expect((await rejectionOf(adapter.status(id, ctx), ProviderError)).kind).toBe('invalid');
    expect(requests).toHaveLength(0);
  });

  it('encodes the task id as one path segment', async () => {
    const { adapter, ctx, requests } = setup(() => taskAnswer({ status: 'pending' }));
    await adapter.status('a/b?c', ctx);
    expect(requests[0]?.url.pathname).toBe('/v1/videos/a%2Fb%3Fc');
  });
});

describe('parseCallback', () => {
  it('refuses anything, since the API has no callbacks (the workflow polls)', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    const body = JSON.stringify({ task_id: TASK_ID, status: 'completed', video: { url: 'https://evil.test/v.mp4' } });
    const error = await rejectionOf(
      parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: body, jobId: JOB_ID }, ctx),
      CallbackRejected,
    );
    expect(error.message).toMatch(/kling-v3-rest sends no callbacks \(its tasks are polled\)/);
  });
});

describe('account info', () => {
  it('reads the credit balance from GET /v1/account/info', async () => {
    const { ctx, requests } = setup(() => jsonResponse({ credits: 420 }));
    expect(await readKlingV3RestAccount(ctx)).toEqual({ credits: 420 });
    expect(requests[0]?.url.pathname).toBe('/v1/account/info');
    expect(requests[0]?.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
  });

  it('maps a 401 to auth', async () => {
    const { ctx } = setup(() => jsonResponse({ error: { code: 'UNAUTHORIZED', message: 'bad key' } }, 401));
    expect((await rejectionOf(readKlingV3RestAccount(ctx), ProviderError)).kind).toBe('auth');
  });
});
