import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../../lambdas/domain/errors.ts';
import type { CreateJobRequest, Mode, ResolvedRequest } from '../../../lambdas/domain/job.ts';
import type { ProviderAdapter, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { Kling3apiAdapter } from '../../../lambdas/providers/kling3api/adapter.ts';
import { resolveRequest } from '../../../lambdas/domain/validation.ts';
import type { ProviderLookup } from '../../../lambdas/domain/validation.ts';
import { parseCallbackOf } from '../../../lambdas/providers/scaffold.ts';
import { FIXED_NOW, NEVER_ANSWERS, adapterSetup, jsonResponse, rejectionOf, submissionBuilders } from './fake-fetch.ts';
import { validationProblems } from './pipeline.ts';

const JOB_ID = 'job_01hz8k3m0000abcdefghjkmnpq';
const TASK_ID = 'n75abc123kling3';
const O3_TASK_ID = 'n71def456o3';
const API_KEY = 'k3-test-key';
const NOW_SECONDS = FIXED_NOW.getTime() / 1000;

const created = (taskId = TASK_ID, credits = 400) =>
  jsonResponse({ code: 200, message: 'success', data: { task_id: taskId, status: 'IN_PROGRESS', consumed_credits: credits } });

function taskState(overrides: Record<string, unknown> = {}) {
  return {
    task_id: TASK_ID,
    status: 'IN_PROGRESS',
    consumed_credits: 400,
    created_at: '2026-02-05T10:30:00Z',
    request: { type: 'pro-text-to-video', prompt: 'an eagle', duration: 5, aspect_ratio: '16:9' },
    response: [],
    error_message: null,
    type: 'pro-text-to-video',
    ...overrides,
  };
}

const statusAnswer = (overrides: Record<string, unknown> = {}) =>
  jsonResponse({ code: 200, message: 'success', data: taskState(overrides) });

const { resolved, submission } = submissionBuilders(
  { provider: 'kling3api', model: 'kling-v3', prompt: 'a lighthouse at dusk', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
  { jobId: JOB_ID },
);

const setup = adapterSetup(() => new Kling3apiAdapter(), { baseUrl: 'https://kling3api.example.test', credentials: { apiKey: API_KEY } });

const RETRYABLE_KINDS: ErrorKind[] = ['rate_limited', 'concurrency_limited', 'overloaded', 'server', 'network'];

describe('capabilities', () => {
  const adapter = new Kling3apiAdapter();
  const model = (id: string) => adapter.capabilities.models.find((m) => m.id === id);

  it('offers Kling 3.0 and O3, polling only, no cancel', () => {
    expect(adapter.id).toBe('kling3api');
    expect(adapter.capabilities.models.map((m) => m.id)).toEqual(['kling-v3', 'kling-o3']);
    expect(adapter.capabilities.defaultModel).toBe('kling-v3');
    expect(adapter.capabilities.callbacks).toBe(false);
    expect(adapter.capabilities.cancel).toBe(false);
    expect((adapter as ProviderAdapter).cancel).toBeUndefined();
  });

  it('follows the document: modes, 3–15 s, 7 reference images, prompt adherence on Kling 3.0 only', () => {
    const v3 = model('kling-v3');
    const o3 = model('kling-o3');
    expect(v3?.modes).toEqual(['text-to-video', 'image-to-video']);
    expect(o3?.modes).toEqual(['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit']);
    for (const m of [v3, o3]) {
      expect(m?.durationsSeconds).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      expect(m?.defaultDurationSeconds).toBe(5);
      expect(m?.aspectRatios[0]).toBe('16:9');
      expect(m?.qualities).toEqual(['std', 'pro']);
      expect(m?.audio).toBe(true);
      expect(m?.endImage).toBe(true);
      expect(m?.negativePrompt).toBe(true);
      expect(m?.resolutions).toBeUndefined();
      expect(m?.fps).toBeUndefined();
      expect(m?.cameraControl).toBe(false);
      expect(m?.voice).toBe(false);
    }
    expect(v3?.cfgScale).toBe(true);
    expect(o3?.cfgScale).toBe(false);
    expect(v3?.maxReferenceImages).toBeUndefined();
    expect(o3?.maxReferenceImages).toBe(7);
    expect(v3?.keepOriginalSound).toBeUndefined();
    expect(o3?.keepOriginalSound).toBe(true);
  });

  describe('validation refuses what the API cannot do', () => {
    const lookup: ProviderLookup = {
      capabilitiesOf: (id) => (id === 'kling3api' ? adapter.capabilities : undefined),
      enabledProviders: ['kling3api'],
      defaultProvider: 'kling3api',
    };
    const refs = (count: number) => Array.from({ length: count }, (_, i) => ({ url: `https://cdn.example.com/ref-${i}.png` }));
    const video = { url: 'https://cdn.example.com/in.mp4' };

    it.each<[string, CreateJobRequest, string]>([
      ['reference images on Kling 3.0', { prompt: 'p', referenceImages: refs(2) }, 'referenceImages'],
      ['a video edit on Kling 3.0', { prompt: 'p', video }, 'video'],
      ['multi-shot', { model: 'kling-o3', durationSeconds: 5, shots: [{ prompt: 'a', durationSeconds: 5 }] }, 'shots'],
      ['a 2 s video', { prompt: 'p', durationSeconds: 2 }, 'durationSeconds'],
      ['a 16 s video', { prompt: 'p', durationSeconds: 16 }, 'durationSeconds'],
      ['a resolution (4k is not a parameter)', { prompt: 'p', resolution: '4k' }, 'resolution'],
      ['a frame rate', { prompt: 'p', fps: 30 }, 'fps'],
      ['camera control', { prompt: 'p', cameraControl: { type: 'down_back' } }, 'cameraControl'],
      ['a voice', { prompt: 'p', voice: { description: 'calm' } }, 'voice'],
      ['prompt adherence on O3', { model: 'kling-o3', prompt: 'p', cfgScale: 0.5 }, 'cfgScale'],
      ['keepOriginalSound outside a video edit', { model: 'kling-o3', prompt: 'p', keepOriginalSound: true }, 'keepOriginalSound'],
    ])('refuses %s', (_what, body, path) => {
      const resolution = resolveRequest({ provider: 'kling3api', ...body }, lookup);
      expect(resolution.ok).toBe(false);
      if (!resolution.ok) expect(resolution.details.map((d) => d.path)).toContain(path);
    });

    it('accepts seven reference images and a kept-sound edit on O3, filling defaults', () => {
      const references = resolveRequest({ provider: 'kling3api', model: 'kling-o3', prompt: 'p', referenceImages: refs(7) }, lookup);
      expect(references.ok && references.mode).toBe('reference-to-video');
      const edit = resolveRequest({ provider: 'kling3api', model: 'kling-o3', prompt: 'p', video, keepOriginalSound: true }, lookup);
      expect(edit.ok && edit.mode).toBe('video-edit');
      const plain = resolveRequest({ provider: 'kling3api', prompt: 'p' }, lookup);
      expect(plain.ok && plain.request).toMatchObject({ model: 'kling-v3', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' });
    });
  });
});

describe('estimateCost (the document’s credit table)', () => {
  const adapter = new Kling3apiAdapter();
  it.each<[string, Partial<ResolvedRequest>, Mode, number]>([
    // Row pro-text-to-video: 80/s with audio; audio unset means the provider default, sound on. 5 s = 400,
    // the consumed_credits of the document's own example.
    ['pro-text-to-video, sound default, 5 s', { quality: 'pro' }, 'text-to-video', 400],
    // Row pro-text-to-video: 54/s without audio.
    ['pro-text-to-video, no audio, 10 s', { quality: 'pro', audio: false, durationSeconds: 10 }, 'text-to-video', 540],
    // Row std-image-to-video: 40/s without audio, 60/s with.
    ['std-image-to-video, no audio, 10 s', { audio: false, durationSeconds: 10 }, 'image-to-video', 400],
    ['std-image-to-video, audio, 3 s', { audio: true, durationSeconds: 3 }, 'image-to-video', 180],
    // Row o3-pro-reference-to-video: 72/s.
    ['o3-pro-reference-to-video, 8 s', { model: 'kling-o3', quality: 'pro', durationSeconds: 8 }, 'reference-to-video', 576],
    // Row o3-std-reference-to-video: 20/s.
    ['o3-std-reference-to-video, 5 s', { model: 'kling-o3' }, 'reference-to-video', 100],
    // Rows o3-std-text-to-video 36/s and o3-pro-image-to-video 48/s (no audio surcharge listed).
    ['o3-std-text-to-video, 15 s, audio', { model: 'kling-o3', durationSeconds: 15, audio: true }, 'text-to-video', 540],
    ['o3-pro-image-to-video, 5 s', { model: 'kling-o3', quality: 'pro' }, 'image-to-video', 240],
    // Rows o3-pro-video-edit 435 fixed, o3-std-video-edit 360 fixed, whatever the duration.
    ['o3-pro-video-edit', { model: 'kling-o3', quality: 'pro', durationSeconds: 12 }, 'video-edit', 435],
    ['o3-std-video-edit', { model: 'kling-o3' }, 'video-edit', 360],
  ])('%s costs %i credits', (_row, request, mode, credits) => {
    expect(adapter.estimateCost(resolved(request), mode)).toEqual({ credits });
  });

  it('has no estimate where the table has no row', () => {
    expect(adapter.estimateCost(resolved(), 'multi-shot')).toBeUndefined();
    expect(adapter.estimateCost(resolved(), 'video-edit')).toBeUndefined();
    expect(adapter.estimateCost(resolved({ model: 'kling-v9' }), 'text-to-video')).toBeUndefined();
  });
});

describe('submit', () => {
  it('posts a Kling 3.0 text-to-video with the documented fields and a Bearer key, returning the task id as is', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const result = await adapter.submit(
      submission('text-to-video', {
        quality: 'pro',
        durationSeconds: 10,
        aspectRatio: '9:16',
        audio: true,
        negativePrompt: 'blur',
        cfgScale: 0.7,
      }),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: TASK_ID });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.url.href).toBe('https://kling3api.example.test/api/generate');
    expect(requests[0]?.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
    expect(requests[0]?.headers.get('content-type')).toBe('application/json');
    expect(requests[0]?.json).toEqual({
      type: 'pro-text-to-video',
      prompt: 'a lighthouse at dusk',
      negative_prompt: 'blur',
      cfg_scale: 0.7,
      sound: true,
      duration: 10,
      aspect_ratio: '9:16',
    });
  });

  it('leaves sound to the provider default when audio is unset, and sends sound false when asked', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video'), ctx);
    expect(requests[0]?.json).toEqual({ type: 'std-text-to-video', prompt: 'a lighthouse at dusk', duration: 5, aspect_ratio: '16:9' });
    await adapter.submit(submission('text-to-video', { audio: false }), ctx);
    expect(requests[1]?.json).toHaveProperty('sound', false);
  });

  it('posts an image-to-video with start and end frame from the request’s URLs, without aspect_ratio', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(
      submission('image-to-video', {
        prompt: 'the character turns and smiles',
        image: { url: 'https://cdn.example.test/start.jpg' },
        endImage: { url: 'https://cdn.example.test/end.jpg' },
        durationSeconds: 7,
      }),
      ctx,
    );
    expect(requests[0]?.json).toEqual({
      type: 'std-image-to-video',
      prompt: 'the character turns and smiles',
      image: 'https://cdn.example.test/start.jpg',
      end_image: 'https://cdn.example.test/end.jpg',
      duration: 7,
    });
  });

  it('prefers prepared media over the request’s refs, and names the O3 type', async () => {
    const { adapter, ctx, requests } = setup(() => created(O3_TASK_ID));
    const result = await adapter.submit(
      submission(
        'image-to-video',
        { model: 'kling-o3', quality: 'pro', image: { s3Key: 'uploads/a.png' } },
        { media: { image: 'https://bucket.example.test/a.png?X-Amz-Signature=abc' } },
      ),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: O3_TASK_ID });
    expect(requests[0]?.json).toEqual({
      type: 'o3-pro-image-to-video',
      prompt: 'a lighthouse at dusk',
      image: 'https://bucket.example.test/a.png?X-Amz-Signature=abc',
      duration: 5,
    });
  });

  it('posts an O3 reference-to-video with up to seven images', async () => {
    const { adapter, ctx, requests } = setup(() => created(O3_TASK_ID));
    const references = Array.from({ length: 7 }, (_, i) => ({ url: `https://cdn.example.test/ref-${i}.jpg` }));
    await adapter.submit(
      submission('reference-to-video', {
        model: 'kling-o3',
        quality: 'pro',
        prompt: 'walks through a city',
        referenceImages: references,
        durationSeconds: 8,
      }),
      ctx,
    );
    expect(requests[0]?.json).toEqual({
      type: 'o3-pro-reference-to-video',
      prompt: 'walks through a city',
      images: references.map((ref) => ref.url),
      duration: 8,
      aspect_ratio: '16:9',
    });
  });

  it('posts an O3 video edit keeping the original sound, without duration or aspect ratio', async () => {
    const { adapter, ctx, requests } = setup(() => created(O3_TASK_ID));
    await adapter.submit(
      submission('video-edit', {
        model: 'kling-o3',
        prompt: 'snowy mountains behind',
        video: { url: 'https://cdn.example.test/original.mp4' },
        keepOriginalSound: true,
        durationSeconds: 5,
      }),
      ctx,
    );
    expect(requests[0]?.json).toEqual({
      type: 'o3-std-video-edit',
      prompt: 'snowy mountains behind',
      video: 'https://cdn.example.test/original.mp4',
      keep_original_sound: true,
    });
    await adapter.submit(submission('video-edit', { model: 'kling-o3', video: { url: 'https://cdn.example.test/o.mp4' } }), ctx);
    expect(requests[1]?.json).not.toHaveProperty('keep_original_sound');
  });

  it.each<[string, Mode, Partial<ResolvedRequest>, Partial<SubmitRequest>]>([
    ['no prompt', 'image-to-video', { prompt: undefined, image: { url: 'https://cdn.example.test/a.png' } }, {}],
    ['a prompt over 2000 characters', 'text-to-video', { prompt: 'x'.repeat(2001) }, {}],
    ['an S3 input without prepared media', 'image-to-video', { image: { s3Key: 'uploads/a.png' } }, {}],
    ['base64 media (the API takes URLs)', 'image-to-video', { image: { s3Key: 'k' } }, { media: { image: 'iVBORw0KGgo=' } }],
    ['an end frame without a start frame', 'image-to-video', { endImage: { url: 'https://cdn.example.test/b.png' } }, {}],
    ['multi-shot', 'multi-shot', { model: 'kling-o3', shots: [{ prompt: 'a', durationSeconds: 5 }] }, {}],
    ['an unknown model', 'text-to-video', { model: 'kling-v2' }, {}],
  ])('refuses %s as invalid before sending anything', async (_what, mode, request, extra) => {
    const { adapter, ctx, requests } = setup(() => created());
    const error = await rejectionOf(adapter.submit(submission(mode, request, extra), ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(error.retryable).toBe(false);
    expect(requests).toHaveLength(0);
  });

  // What the capability map expresses is refused by validation, before Submit ever calls the adapter.
  it.each<[string, Mode, Partial<ResolvedRequest>, string]>([
    ['prompt adherence on O3', 'text-to-video', { model: 'kling-o3', cfgScale: 0.4 }, 'cfgScale'],
    ['a resolution', 'text-to-video', { resolution: '4k' }, 'resolution'],
    ['a frame rate', 'text-to-video', { fps: 30 }, 'fps'],
    ['camera control', 'text-to-video', { cameraControl: { type: 'down_back' } }, 'cameraControl'],
    ['a voice', 'text-to-video', { voice: { description: 'calm' } }, 'voice'],
    ['a video edit on Kling 3.0', 'video-edit', { video: { url: 'https://cdn.example.test/v.mp4' } }, 'video'],
    ['a 20 s video', 'text-to-video', { durationSeconds: 20 }, 'durationSeconds'],
    [
      'eight reference images',
      'reference-to-video',
      { model: 'kling-o3', referenceImages: Array.from({ length: 8 }, () => ({ url: 'https://c.example.test/r.png' })) },
      'referenceImages',
    ],
  ])('has validation refuse %s before Submit', (_what, mode, request, path) => {
    expect(validationProblems(submission(mode, request)).map((problem) => problem.path)).toContain(path);
  });

  it('fails with auth before any request when no API key is configured', async () => {
    const { adapter, ctx, requests } = setup(() => created(), { credentials: {} });
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('auth');
    expect(requests).toHaveLength(0);
  });

  it('refuses a success envelope without a task id as a server error', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ code: 200, message: 'success', data: { status: 'IN_PROGRESS' } }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('server');
  });
});

describe('error mapping', () => {
  // The document's error table: HTTP status, code, and the kind each must become.
  const table: [number, string, ErrorKind][] = [
    [400, 'INVALID_PROMPT', 'invalid'],
    [400, 'INVALID_DURATION', 'invalid'],
    [400, 'INVALID_TYPE', 'invalid'],
    [400, 'MISSING_IMAGE', 'invalid'],
    [400, 'MISSING_VIDEO', 'invalid'],
    [401, 'INVALID_API_KEY', 'auth'],
    [402, 'INSUFFICIENT_CREDITS', 'insufficient_credits'],
    [429, 'RATE_LIMITED', 'rate_limited'],
    [500, 'INTERNAL_ERROR', 'server'],
  ];

  it.each(table)('HTTP %i %s is %s', async (httpStatus, code, kind) => {
    const { adapter, ctx } = setup(() => jsonResponse({ code, message: `reason for ${code}`, data: null }, httpStatus));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(RETRYABLE_KINDS.includes(kind));
    expect(error.providerCode).toBe(code);
    expect(error.httpStatus).toBe(httpStatus);
    expect(error.message).toContain(`reason for ${code}`);
  });

  it.each<[string, unknown, number, ErrorKind, string]>([
    [
      'code in `error`',
      { code: 402, message: 'Not enough credits', error: 'INSUFFICIENT_CREDITS' },
      402,
      'insufficient_credits',
      'INSUFFICIENT_CREDITS',
    ],
    ['code in `error.code`', { error: { code: 'RATE_LIMITED', message: 'slow down' } }, 429, 'rate_limited', 'RATE_LIMITED'],
    ['code in `error_code`', { code: 400, error_code: 'MISSING_VIDEO', message: 'no video' }, 400, 'invalid', 'MISSING_VIDEO'],
    ['code named in the message', { code: 401, message: 'INVALID_API_KEY: API key is missing or invalid' }, 401, 'auth', 'INVALID_API_KEY'],
    // Documented codes decide over a surprising HTTP status.
    [
      'a documented code under an odd status',
      { code: 'INSUFFICIENT_CREDITS', message: 'x' },
      403,
      'insufficient_credits',
      'INSUFFICIENT_CREDITS',
    ],
  ])('finds the %s', async (_where, body, httpStatus, kind, code) => {
    const { adapter, ctx } = setup(() => jsonResponse(body, httpStatus));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe(kind);
    expect(error.providerCode).toBe(code);
  });

  it('reads an error envelope inside an HTTP 200 by its code', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ code: 402, message: 'Not enough credits for this operation', data: null }, 200));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('insufficient_credits');
    expect(error.httpStatus).toBe(200);
    const named = setup(() => jsonResponse({ code: 'RATE_LIMITED', message: 'slow down', data: null }, 200));
    const throttled = await rejectionOf(named.adapter.submit(submission('text-to-video'), named.ctx), ProviderError);
    expect(throttled.kind).toBe('rate_limited');
  });

  it('carries Retry-After, or else X-RateLimit-Reset, on a throttle', async () => {
    const withRetryAfter = setup(() => jsonResponse({ code: 'RATE_LIMITED', message: 'slow' }, 429, { 'retry-after': '7' }));
    const first = await rejectionOf(withRetryAfter.adapter.submit(submission('text-to-video'), withRetryAfter.ctx), ProviderError);
    expect(first.retryAfterSeconds).toBe(7);
    const resetAt = String(NOW_SECONDS + 42);
    const withReset = setup(() =>
      jsonResponse({ code: 'RATE_LIMITED', message: 'slow' }, 429, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetAt }),
    );
    const second = await rejectionOf(withReset.adapter.submit(submission('text-to-video'), withReset.ctx), ProviderError);
    expect(second.kind).toBe('rate_limited');
    expect(second.retryAfterSeconds).toBe(42);
    const withDelay = setup(() => jsonResponse({ code: 'RATE_LIMITED', message: 'slow' }, 429, { 'x-ratelimit-reset': '15' }));
    const third = await rejectionOf(withDelay.adapter.submit(submission('text-to-video'), withDelay.ctx), ProviderError);
    expect(third.retryAfterSeconds).toBe(15);
  });

  it('falls back to the HTTP status for an unknown code or a body that is not JSON', async () => {
    const unknown = setup(() => jsonResponse({ code: 'TASK_NOT_FOUND', message: 'Task not found' }, 404));
    const notFound = await rejectionOf(unknown.adapter.status(TASK_ID, unknown.ctx), ProviderError);
    expect(notFound.kind).toBe('invalid');
    expect(notFound.providerCode).toBe('TASK_NOT_FOUND');

    const gateway = setup(() => new Response('<html>502 Bad Gateway</html>', { status: 502 }));
    const badGateway = await rejectionOf(gateway.adapter.status(TASK_ID, gateway.ctx), ProviderError);
    expect(badGateway.kind).toBe('server');
    expect(badGateway.httpStatus).toBe(502);
    expect(badGateway.retryable).toBe(true);

    const maintenance = setup(() => new Response('<html>503</html>', { status: 503 }));
    expect((await rejectionOf(maintenance.adapter.status(TASK_ID, maintenance.ctx), ProviderError)).kind).toBe('overloaded');
  });

  it('turns a timeout into a network error', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { timeoutMs: 30 });
    const error = await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError);
    expect(error.kind).toBe('network');
  });
});

describe('status', () => {
  it('queries /api/status?task_id= with the Bearer key and maps IN_PROGRESS with the credits consumed', async () => {
    const { adapter, ctx, requests } = setup(() => statusAnswer());
    const status = await adapter.status(TASK_ID, ctx);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.pathname).toBe('/api/status');
    expect(requests[0]?.url.searchParams.get('task_id')).toBe(TASK_ID);
    expect(requests[0]?.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
    expect(status).toEqual({ providerTaskId: TASK_ID, status: 'processing', cost: { credits: 400 } });
  });

  it('maps SUCCESS to succeeded with data.response[0]', async () => {
    const { adapter, ctx } = setup(() =>
      statusAnswer({
        status: 'SUCCESS',
        response: ['https://cdn.example.test/videos/abc123.mp4', 'https://cdn.example.test/videos/second.mp4'],
      }),
    );
    expect(await adapter.status(TASK_ID, ctx)).toEqual({
      providerTaskId: TASK_ID,
      status: 'succeeded',
      videoUrl: 'https://cdn.example.test/videos/abc123.mp4',
      cost: { credits: 400 },
    });
  });

  it.each([
    ['FAILED', 'Generation failed: the content violates the content policy', 'CONTENT_POLICY'],
    ['FAILED', 'blocked by risk control', 'CONTENT_POLICY'],
    ['FAILURE', 'NSFW content detected', 'CONTENT_POLICY'],
    ['ERROR', 'render node crashed', 'PROVIDER_FAILED'],
    ['failed', 'upstream timeout', 'PROVIDER_FAILED'],
  ])('maps %s (%s) to failed %s, not retryable', async (word, message, code) => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: word, error_message: message, consumed_credits: 0 }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({
      providerTaskId: TASK_ID,
      status: 'failed',
      error: { code, message, retryable: false },
      cost: { credits: 0 },
    });
  });

  it('explains a failure without an error_message', async () => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'FAILED', error_message: null }));
    expect((await adapter.status(TASK_ID, ctx)).error).toEqual({
      code: 'PROVIDER_FAILED',
      message: expect.stringMatching(/without an error_message/),
      retryable: false,
    });
  });

  it('reads PENDING as pending and a numeric-string consumed_credits as credits', async () => {
    const { adapter, ctx } = setup(() => statusAnswer({ status: 'PENDING', consumed_credits: '180' }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: 'pending', cost: { credits: 180 } });
  });

  it('leaves cost out when consumed_credits is absent or not a number', async () => {
    const absent = setup(() => statusAnswer({ consumed_credits: undefined }));
    expect((await absent.adapter.status(TASK_ID, absent.ctx)).cost).toBeUndefined();
    const garbage = setup(() => statusAnswer({ consumed_credits: 'n/a' }));
    expect((await garbage.adapter.status(TASK_ID, garbage.ctx)).cost).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['SUCCESS without a video URL', { status: 'SUCCESS', response: [] }],
    ['SUCCESS with response null', { status: 'SUCCESS', response: null }],
    ['an unknown status', { status: 'MELTING' }],
    ['another task’s status', { task_id: 'n75someoneelse' }],
  ])('treats %s as a server error', async (_what, overrides) => {
    const { adapter, ctx } = setup(() => statusAnswer(overrides));
    const error = await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
  });

  it('refuses an empty task id without a request', async () => {
    const { adapter, ctx, requests } = setup(() => statusAnswer());
    expect((await rejectionOf(adapter.status(' ', ctx), ProviderError)).kind).toBe('invalid');
    expect(requests).toHaveLength(0);
  });
});

describe('parseCallback', () => {
  it('refuses every callback: the API has none, so nothing arriving as one is trusted', async () => {
    const { adapter, ctx, requests } = setup(() => statusAnswer());
    const lookalike = JSON.stringify({
      code: 200,
      message: 'success',
      data: taskState({ status: 'SUCCESS', response: ['https://evil.example.test/v.mp4'] }),
    });
    const error = await rejectionOf(
      parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: lookalike, jobId: JOB_ID }, ctx),
      CallbackRejected,
    );
    expect(error.message).toMatch(/kling3api sends no callbacks/);
    expect(requests).toHaveLength(0);
  });
});
