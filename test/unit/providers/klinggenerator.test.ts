// Adapter tests for `klinggenerator` (klinggenerator.com, "Kling API Documentation", API Version 3.0; "the page"
// below) against a fake fetch.
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../../lambdas/domain/errors.ts';
import type { CreateJobRequest, ResolvedRequest } from '../../../lambdas/domain/job.ts';
import type { ProviderAdapter, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { KLINGGENERATOR_DEFAULT_BASE_URL, KlingGeneratorAdapter, reasonOf } from '../../../lambdas/providers/klinggenerator/adapter.ts';
import { parseRateLimitReset } from '../../../lambdas/providers/http.ts';
import { resolveRequest } from '../../../lambdas/domain/validation.ts';
import { estimateCostOf, parseCallbackOf } from '../../../lambdas/providers/scaffold.ts';
import { FIXED_NOW, NEVER_ANSWERS, adapterSetup, jsonResponse, rejectionOf, submissionBuilders } from './fake-fetch.ts';
import { validationProblems } from './pipeline.ts';

const JOB_ID = 'job_01hz8k3m0000abcdefghjkmnpq';
const PROVIDER_JOB_ID = 'job_abc123xyz789';
const BASE_URL = 'https://api.klinggenerator.test';
const RETRYABLE: ErrorKind[] = ['rate_limited', 'concurrency_limited', 'overloaded', 'server', 'network'];

// The create answer of the page's "Generate Video" example.
const created = () =>
  jsonResponse({
    job_id: PROVIDER_JOB_ID,
    status: 'processing',
    created_at: '2025-02-14T10:30:00Z',
    estimated_completion: '2025-02-14T10:32:00Z',
  });

// The status answer of the page's "Check Status" example, overridable.
const jobAnswer = (overrides: Record<string, unknown> = {}) =>
  jsonResponse({
    job_id: PROVIDER_JOB_ID,
    status: 'completed',
    progress: 100,
    video_url: 'https://cdn.klinggenerator.test/videos/abc123.mp4',
    thumbnail_url: 'https://cdn.klinggenerator.test/thumbs/abc123.jpg',
    duration: 10,
    resolution: '1080p',
    created_at: '2025-02-14T10:30:00Z',
    completed_at: '2025-02-14T10:31:45Z',
    ...overrides,
  });

const { resolved, submission } = submissionBuilders(
  {
    provider: 'klinggenerator',
    model: 'kling-3',
    prompt: 'A cinematic shot of waves crashing on a beach',
    durationSeconds: 10,
    aspectRatio: '16:9',
    quality: 'std',
  },
  { jobId: JOB_ID },
);

const setup = adapterSetup(() => new KlingGeneratorAdapter(), { baseUrl: BASE_URL, credentials: { apiKey: 'kg-test-key' } });

describe('capabilities', () => {
  const adapter = new KlingGeneratorAdapter();
  const model = (id: string) => adapter.capabilities.models.find((m) => m.id === id);

  it('lists kling-3 (the default) and kling-2, polling only, no cancel', () => {
    expect(adapter.id).toBe('klinggenerator');
    expect(adapter.capabilities.models.map((m) => m.id)).toEqual(['kling-3', 'kling-2']);
    expect(adapter.capabilities.defaultModel).toBe('kling-3');
    expect(adapter.capabilities.callbacks).toBe(false);
    expect(adapter.capabilities.cancel).toBe(false);
    expect((adapter as ProviderAdapter).cancel).toBeUndefined();
    expect(KLINGGENERATOR_DEFAULT_BASE_URL).toBe('https://api.klinggenerator.com');
  });

  it('follows "Available Models" and "Request Body": 5–120 s and 4K on kling-3, 5–60 s and 1080p on kling-2', () => {
    const three = model('kling-3');
    const two = model('kling-2');
    expect(three?.durationsSeconds[0]).toBe(5);
    expect(three?.durationsSeconds.at(-1)).toBe(120);
    expect(three?.durationsSeconds).toHaveLength(116);
    expect(two?.durationsSeconds.at(-1)).toBe(60);
    expect(two?.durationsSeconds).toHaveLength(56);
    expect(three?.resolutions).toEqual(['720p', '1080p', '4k']);
    expect(two?.resolutions).toEqual(['720p', '1080p']);
    for (const m of [three, two]) {
      expect(m?.modes).toEqual(['text-to-video']);
      expect(m?.fps).toEqual([24, 30, 60]);
      expect(m?.defaultDurationSeconds).toBe(5);
      expect(m?.aspectRatios).toEqual(['16:9']);
      expect(m?.qualities).toEqual(['std']);
      expect(m).toMatchObject({
        cfgScale: false,
        audio: false,
        voice: false,
        cameraControl: false,
        endImage: false,
        negativePrompt: false,
        keepOriginalSound: false,
      });
      expect(m?.maxReferenceImages).toBeUndefined();
    }
  });

  const lookup = {
    enabledProviders: ['klinggenerator'],
    defaultProvider: 'klinggenerator',
    capabilitiesOf: (id: string) => (id === 'klinggenerator' ? adapter.capabilities : undefined),
  };

  it('resolves a prompt-only request to kling-3, 5 s, 16:9, std', () => {
    const resolution = resolveRequest({ prompt: 'waves' }, lookup);
    expect(resolution).toEqual({
      ok: true,
      mode: 'text-to-video',
      request: { prompt: 'waves', provider: 'klinggenerator', model: 'kling-3', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
    });
    expect(resolveRequest({ prompt: 'waves', durationSeconds: 120, resolution: '4k', fps: 60 }, lookup).ok).toBe(true);
    expect(resolveRequest({ prompt: 'waves', model: 'kling-2', durationSeconds: 60, resolution: '1080p', fps: 24 }, lookup).ok).toBe(true);
  });

  const image = { url: 'https://cdn.example.com/a.png' };
  it.each<[string, CreateJobRequest, string]>([
    ['an image (image-to-video)', { prompt: 'p', image }, 'image'],
    ['an end image', { prompt: 'p', endImage: image }, 'endImage'],
    ['reference images', { prompt: 'p', referenceImages: [image] }, 'referenceImages'],
    ['a video edit', { prompt: 'p', video: { url: 'https://cdn.example.com/v.mp4' }, keepOriginalSound: true }, 'video'],
    ['multi-shot', { shots: [{ prompt: 'a', durationSeconds: 5 }] }, 'shots'],
    ['4K on kling-2', { prompt: 'p', model: 'kling-2', resolution: '4k' }, 'resolution'],
    ['61 s on kling-2', { prompt: 'p', model: 'kling-2', durationSeconds: 61 }, 'durationSeconds'],
    ['121 s on kling-3', { prompt: 'p', durationSeconds: 121 }, 'durationSeconds'],
    ['4 s', { prompt: 'p', durationSeconds: 4 }, 'durationSeconds'],
    ['25 fps', { prompt: 'p', fps: 25 }, 'fps'],
    ['audio', { prompt: 'p', audio: true }, 'audio'],
    ['a voice', { prompt: 'p', voice: { description: 'warm' } }, 'voice'],
    ['camera control', { prompt: 'p', cameraControl: { type: 'down_back' } }, 'cameraControl'],
    ['a negative prompt', { prompt: 'p', negativePrompt: 'blur' }, 'negativePrompt'],
    ['cfgScale', { prompt: 'p', cfgScale: 0.5 }, 'cfgScale'],
    ['9:16', { prompt: 'p', aspectRatio: '9:16' }, 'aspectRatio'],
    ['quality pro', { prompt: 'p', quality: 'pro' }, 'quality'],
    ['an unknown model', { prompt: 'p', model: 'kling-1' }, 'model'],
  ])('refuses %s with a 422 detail on %s', (_what, body, path) => {
    const resolution = resolveRequest(body, lookup);
    expect(resolution.ok).toBe(false);
    if (!resolution.ok) expect(resolution.details.map((d) => d.path)).toContain(path);
  });
});

describe('submit', () => {
  it('POSTs the documented body to /v1/generate with the Bearer key and returns job_id', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const result = await adapter.submit(submission('text-to-video', { resolution: '1080p', fps: 30 }), ctx);
    expect(result).toEqual({ providerTaskId: PROVIDER_JOB_ID });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.url.href).toBe(`${BASE_URL}/v1/generate`);
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer kg-test-key');
    expect(requests[0]?.headers.get('content-type')).toBe('application/json');
    // Exactly the page's curl example.
    expect(requests[0]?.json).toEqual({
      prompt: 'A cinematic shot of waves crashing on a beach',
      model: 'kling-3',
      duration: 10,
      resolution: '1080p',
      fps: 30,
    });
  });

  it('sends 4K and 60 fps on kling-3, and leaves resolution and fps out when not asked for', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { durationSeconds: 120, resolution: '4k', fps: 60 }), ctx);
    expect(requests[0]?.json).toEqual({
      prompt: 'A cinematic shot of waves crashing on a beach',
      model: 'kling-3',
      duration: 120,
      resolution: '4k',
      fps: 60,
    });
    await adapter.submit(submission('text-to-video', { model: 'kling-2', durationSeconds: 5 }), ctx);
    expect(requests[1]?.json).toEqual({ prompt: 'A cinematic shot of waves crashing on a beach', model: 'kling-2', duration: 5 });
  });

  it('ignores audio: false (nothing to turn off) and never sends a callback URL', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { audio: false }, { callbackUrl: 'https://hooks.example.test/cb' }), ctx);
    expect(requests[0]?.json).toEqual({ prompt: 'A cinematic shot of waves crashing on a beach', model: 'kling-3', duration: 10 });
  });

  it.each<[string, SubmitRequest]>([
    ['prepared media the request does not name', submission('image-to-video', {}, { media: { image: 'iVBORw0KGgo=' } })],
    ['an S3 input without media', submission('image-to-video', { image: { s3Key: 'inputs/a.png' } })],
    ['an unknown model', submission('text-to-video', { model: 'kling-v3' })],
    ['no prompt', submission('text-to-video', { prompt: undefined })],
  ])('refuses %s as invalid before sending anything', async (_what, input) => {
    const { adapter, ctx, requests } = setup(() => created());
    const error = await rejectionOf(adapter.submit(input, ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(error.retryable).toBe(false);
    expect(requests).toHaveLength(0);
  });

  // What the capability map expresses is refused by validation, before Submit ever calls the adapter.
  it.each<[string, SubmitRequest, string]>([
    ['an image-to-video request', submission('image-to-video', { image: { url: 'https://cdn.example.test/a.png' } }), 'image'],
    [
      'reference-to-video',
      submission('reference-to-video', { referenceImages: [{ url: 'https://cdn.example.test/a.png' }] }),
      'referenceImages',
    ],
    ['a video edit', submission('video-edit', { video: { url: 'https://cdn.example.test/v.mp4' }, keepOriginalSound: true }), 'video'],
    ['multi-shot', submission('multi-shot', { shots: [{ prompt: 'a', durationSeconds: 10 }] }), 'shots'],
    ['shots in a text request', submission('text-to-video', { shots: [{ prompt: 'a', durationSeconds: 10 }] }), 'shots'],
    ['an end image on text-to-video', submission('text-to-video', { endImage: { url: 'https://cdn.example.test/b.png' } }), 'endImage'],
    ['121 s', submission('text-to-video', { durationSeconds: 121 }), 'durationSeconds'],
    ['61 s on kling-2', submission('text-to-video', { model: 'kling-2', durationSeconds: 61 }), 'durationSeconds'],
    ['4K on kling-2', submission('text-to-video', { model: 'kling-2', resolution: '4k' }), 'resolution'],
    ['25 fps', submission('text-to-video', { fps: 25 }), 'fps'],
    ['9:16', submission('text-to-video', { aspectRatio: '9:16' }), 'aspectRatio'],
    ['quality pro', submission('text-to-video', { quality: 'pro' }), 'quality'],
    ['audio', submission('text-to-video', { audio: true }), 'audio'],
    ['a voice', submission('text-to-video', { voice: { ids: ['v1'] } }), 'voice'],
    ['camera control', submission('text-to-video', { cameraControl: { type: 'down_back' } }), 'cameraControl'],
    ['a negative prompt', submission('text-to-video', { negativePrompt: 'blur' }), 'negativePrompt'],
    ['cfgScale', submission('text-to-video', { cfgScale: 0.5 }), 'cfgScale'],
  ])('has validation refuse %s before Submit', (_what, input, path) => {
    expect(validationProblems(input).map((problem) => problem.path)).toContain(path);
  });

  it('fails with auth before any request when there is no API key', async () => {
    const { adapter, ctx, requests } = setup(() => created(), { credentials: { accessKey: 'ak', secretKey: 'sk' } });
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('auth');
    expect(requests).toHaveLength(0);
  });

  it('treats a 200 without job_id as a server error', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ status: 'processing' }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/job_id/);
  });
});

describe('status', () => {
  it('GETs /v1/jobs/{job_id} and maps processing with its progress', async () => {
    const { adapter, ctx, requests } = setup(() =>
      jobAnswer({ status: 'processing', progress: 42, video_url: null, thumbnail_url: null, completed_at: null }),
    );
    const status = await adapter.status(PROVIDER_JOB_ID, ctx);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.href).toBe(`${BASE_URL}/v1/jobs/${PROVIDER_JOB_ID}`);
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer kg-test-key');
    expect(status).toEqual({ providerTaskId: PROVIDER_JOB_ID, status: 'processing', progress: 42 });
  });

  it('maps completed to succeeded with the video and the thumbnail', async () => {
    const { adapter, ctx } = setup(() => jobAnswer());
    expect(await adapter.status(PROVIDER_JOB_ID, ctx)).toEqual({
      providerTaskId: PROVIDER_JOB_ID,
      status: 'succeeded',
      progress: 100,
      videoUrl: 'https://cdn.klinggenerator.test/videos/abc123.mp4',
      thumbnailUrl: 'https://cdn.klinggenerator.test/thumbs/abc123.jpg',
    });
  });

  it('leaves thumbnailUrl out when completed has none', async () => {
    const { adapter, ctx } = setup(() => jobAnswer({ thumbnail_url: null }));
    const status = await adapter.status(PROVIDER_JOB_ID, ctx);
    expect(status.status).toBe('succeeded');
    expect(status).not.toHaveProperty('thumbnailUrl');
  });

  it('treats completed without video_url as a server error', async () => {
    const { adapter, ctx } = setup(() => jobAnswer({ video_url: null }));
    const error = await rejectionOf(adapter.status(PROVIDER_JOB_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/video_url/);
  });

  it.each([
    ['queued', 'pending'],
    ['pending', 'pending'],
    ['processing', 'processing'],
    ['PROCESSING', 'processing'],
  ])('maps %s to %s', async (word, canonical) => {
    const { adapter, ctx } = setup(() => jobAnswer({ status: word, progress: 0, video_url: null }));
    expect((await adapter.status(PROVIDER_JOB_ID, ctx)).status).toBe(canonical);
  });

  it.each<[Record<string, unknown>, string, string]>([
    [
      { error: { code: 'content_policy_violation', message: 'refused by moderation' } },
      'CONTENT_POLICY',
      'content_policy_violation: refused by moderation',
    ],
    [{ error: 'The prompt violates our content policy' }, 'CONTENT_POLICY', 'The prompt violates our content policy'],
    [{ error_message: 'NSFW content detected' }, 'CONTENT_POLICY', 'NSFW content detected'],
    [{ error: { code: 'generation_failed', message: 'renderer crashed' } }, 'PROVIDER_FAILED', 'generation_failed: renderer crashed'],
    [{ message: 'GPU out of memory' }, 'PROVIDER_FAILED', 'GPU out of memory'],
  ])('maps failed %j to %s, not retryable', async (reason, code, message) => {
    const { adapter, ctx } = setup(() => jobAnswer({ status: 'failed', progress: 30, video_url: null, thumbnail_url: null, ...reason }));
    expect(await adapter.status(PROVIDER_JOB_ID, ctx)).toEqual({
      providerTaskId: PROVIDER_JOB_ID,
      status: 'failed',
      progress: 30,
      error: { code, message, retryable: false },
    });
  });

  it('maps "error" as a failure word and explains a failure without a reason', async () => {
    const { adapter, ctx } = setup(() => jobAnswer({ status: 'error', video_url: null, error: null }));
    const status = await adapter.status(PROVIDER_JOB_ID, ctx);
    expect(status.status).toBe('failed');
    expect(status.error).toEqual({ code: 'PROVIDER_FAILED', message: expect.stringMatching(/without a reason/), retryable: false });
  });

  it('maps cancelled to cancelled with a clear code', async () => {
    const { adapter, ctx } = setup(() => jobAnswer({ status: 'cancelled', video_url: null }));
    const status = await adapter.status(PROVIDER_JOB_ID, ctx);
    expect(status.status).toBe('cancelled');
    expect(status.error?.code).toBe('PROVIDER_CANCELLED');
  });

  it('treats an unknown status word as a server error (the contract changed)', async () => {
    const { adapter, ctx } = setup(() => jobAnswer({ status: 'rendering' }));
    const error = await rejectionOf(adapter.status(PROVIDER_JOB_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/rendering/);
  });

  it('treats an answer about another job as a server error', async () => {
    const { adapter, ctx } = setup(() => jobAnswer({ job_id: 'job_someone_else' }));
    const error = await rejectionOf(adapter.status(PROVIDER_JOB_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
  });

  it('clamps progress into 0–100 and encodes the job id in the path', async () => {
    const { adapter, ctx, requests } = setup(() => jobAnswer({ job_id: 'job/odd id', status: 'processing', progress: 140 }));
    const status = await adapter.status('job/odd id', ctx);
    expect(status.progress).toBe(100);
    expect(requests[0]?.url.pathname).toBe('/v1/jobs/job%2Fodd%20id');
  });

  it('refuses an empty job id without a request', async () => {
    const { adapter, ctx, requests } = setup(() => jobAnswer());
    const error = await rejectionOf(adapter.status(' ', ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(requests).toHaveLength(0);
  });
});

describe('errors', () => {
  // "Error Codes": the four documented statuses first, then what any HTTP API may also answer.
  const table: [number, unknown, ErrorKind][] = [
    [401, { error: { code: 'unauthorized', message: 'Invalid API key' } }, 'auth'],
    [402, { error: { code: 'insufficient_credits', message: 'Insufficient credits' } }, 'insufficient_credits'],
    [429, { error: 'Rate Limit Exceeded' }, 'rate_limited'],
    [500, { message: 'Internal Server Error' }, 'server'],
    [400, { error: { code: 'invalid_request', message: 'duration must be 5-120' } }, 'invalid'],
    [403, { error: 'Forbidden' }, 'auth'],
    [404, { error: 'Job not found' }, 'invalid'],
    [422, { error: { code: 'CONTENT_POLICY_VIOLATION', message: 'prompt refused' } }, 'content_policy'],
    [400, { error: 'The prompt violates the content policy' }, 'content_policy'],
    [503, { error: 'Model overloaded' }, 'overloaded'],
    [502, '<html>Bad Gateway</html>', 'server'],
  ];

  it.each(table)('HTTP %i %j is %s', async (httpStatus, body, kind) => {
    const { adapter, ctx } = setup(() =>
      typeof body === 'string' ? new Response(body, { status: httpStatus }) : jsonResponse(body, httpStatus),
    );
    for (const call of [adapter.submit(submission('text-to-video'), ctx), adapter.status(PROVIDER_JOB_ID, ctx)]) {
      const error = await rejectionOf(call, ProviderError);
      expect(error.kind).toBe(kind);
      expect(error.retryable).toBe(RETRYABLE.includes(kind));
      expect(error.httpStatus).toBe(httpStatus);
      expect(error.providerCode).toBe(httpStatus);
      expect(error.message).toContain(`HTTP ${httpStatus}`);
    }
  });

  it('quotes the provider’s reason and the documented meaning', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ error: { code: 'insufficient_credits', message: 'balance is 0' } }, 402));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.message).toContain('insufficient_credits: balance is 0');
    expect(error.message).toMatch(/insufficient credits/i);
    expect(error.message).toContain('POST /v1/generate');
  });

  it.each<[string, Record<string, string>, number | undefined, RegExp | undefined]>([
    [
      'Retry-After',
      { 'retry-after': '3', 'x-ratelimit-remaining': '0' },
      3,
      /X-RateLimit-Remaining: 0; the daily request quota is used up/,
    ],
    ['a delta X-RateLimit-Reset', { 'x-ratelimit-reset': '90', 'x-ratelimit-remaining': '0' }, 90, /quota is used up/],
    ['a Unix-seconds X-RateLimit-Reset', { 'x-ratelimit-reset': String(FIXED_NOW.getTime() / 1000 + 3600) }, 3600, undefined],
    ['a Unix-milliseconds X-RateLimit-Reset', { 'x-ratelimit-reset': String(FIXED_NOW.getTime() + 30_000) }, 30, undefined],
    ['Retry-After over X-RateLimit-Reset', { 'retry-after': '7', 'x-ratelimit-reset': '90' }, 7, undefined],
    ['only X-RateLimit-Remaining', { 'x-ratelimit-remaining': '0' }, undefined, /quota is used up/],
    ['X-RateLimit-Remaining above 0', { 'x-ratelimit-remaining': '12' }, undefined, /X-RateLimit-Remaining: 12\)/],
  ])('a 429 with %s is rate_limited with the right wait', async (_what, headers, seconds, message) => {
    const { adapter, ctx } = setup(() => jsonResponse({ error: 'Too many requests' }, 429, headers));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('rate_limited');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(seconds);
    if (message) expect(error.message).toMatch(message);
  });

  it('reads reset headers as delta seconds or Unix time, and nothing else', () => {
    expect(parseRateLimitReset('15', FIXED_NOW)).toBe(15);
    expect(parseRateLimitReset(String(FIXED_NOW.getTime() / 1000 - 10), FIXED_NOW)).toBe(0);
    expect(parseRateLimitReset('soon', FIXED_NOW)).toBeUndefined();
    expect(parseRateLimitReset('-4', FIXED_NOW)).toBeUndefined();
    expect(parseRateLimitReset(null, FIXED_NOW)).toBeUndefined();
  });

  it('turns a timeout into a network error', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { timeoutMs: 30 });
    const error = await rejectionOf(adapter.status(PROVIDER_JOB_ID, ctx), ProviderError);
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });

  it('finds a reason under each of the reason fields', () => {
    expect(reasonOf({ error: { code: 'x', message: 'y' } })).toEqual({ code: 'x', message: 'y' });
    expect(reasonOf({ code: 'top', error: 'text' })).toEqual({ code: 'top', message: 'text' });
    expect(reasonOf({ failure_reason: 'late' })).toEqual({ message: 'late' });
    expect(reasonOf({ error: null, message: 'fallback' })).toEqual({ message: 'fallback' });
    expect(reasonOf({ code: 42 })).toEqual({ code: '42' });
    expect(reasonOf('plain text')).toEqual({});
  });
});

describe('cost', () => {
  // The page has no price table (only per-tier daily request quotas), so no configuration has an estimate.
  const adapter = new KlingGeneratorAdapter();
  it.each<Partial<ResolvedRequest>>([
    { model: 'kling-3', durationSeconds: 5 },
    { model: 'kling-3', durationSeconds: 120, resolution: '4k', fps: 60 },
    { model: 'kling-2', durationSeconds: 60, resolution: '1080p' },
  ])('estimates nothing for %j', (request) => {
    expect((adapter as ProviderAdapter).estimateCost).toBeUndefined();
    expect(estimateCostOf(adapter, resolved(request), 'text-to-video')).toBeUndefined();
  });

  it('reports no cost on a completed job (the API returns none)', async () => {
    const { adapter: polling, ctx } = setup(() => jobAnswer());
    expect(await polling.status(PROVIDER_JOB_ID, ctx)).not.toHaveProperty('cost');
  });
});

describe('parseCallback', () => {
  it('refuses every callback: the provider has none, so anything arriving is forged', async () => {
    const { adapter, ctx, requests } = setup(() => jobAnswer());
    const body = JSON.stringify({ job_id: PROVIDER_JOB_ID, status: 'completed', video_url: 'https://cdn.example.test/v.mp4' });
    await rejectionOf(parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: body, jobId: JOB_ID }, ctx), CallbackRejected);
    await rejectionOf(parseCallbackOf(adapter, { headers: {}, query: {}, rawBody: body, jobId: 'job_other' }, ctx), CallbackRejected);
    expect(requests).toHaveLength(0);
  });
});
