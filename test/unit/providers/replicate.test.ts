import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../../lambdas/domain/errors.ts';
import type { CreateJobRequest } from '../../../lambdas/domain/job.ts';
import type { ProviderAdapter, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { REPLICATE_CAPABILITIES, ReplicateAdapter } from '../../../lambdas/providers/replicate/adapter.ts';
import { estimateCostOf } from '../../../lambdas/providers/scaffold.ts';
import { resolveRequest, type ProviderLookup } from '../../../lambdas/domain/validation.ts';
import { formatWebhookSecret, signStandardWebhook } from '../../../lambdas/domain/webhooks.ts';
import { FIXED_NOW, NEVER_ANSWERS, adapterSetup, jsonResponse, rejectionOf, submissionBuilders } from './fake-fetch.ts';
import { validationProblems } from './pipeline.ts';

const JOB_ID = 'job_01hz8k3m0000abcdefghjkmnpq';
const PREDICTION_ID = 'gm3qorzdhgbfurvjtvhg6dckhu';
const TOKEN = 'r8_test_token';
const WEBHOOK_SECRET = formatWebhookSecret(Buffer.from('replicate-webhook-secret-tests!!'));
const NOW_SECONDS = FIXED_NOW.getTime() / 1000;
const CALLBACK_URL = `https://hooks.example.test/v1/callbacks/replicate/${JOB_ID}`;
const V21 = 'kwaivgi/kling-v2.1';
const V25 = 'kwaivgi/kling-v2.5-turbo-pro';
const VIDEO_URL = 'https://replicate.delivery/xezq/abc/tmp123.mp4';
/** The first bytes of a PNG, as bare base64. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function prediction(overrides: Record<string, unknown> = {}) {
  return {
    id: PREDICTION_ID,
    model: V25,
    version: 'hidden',
    input: { prompt: 'a lighthouse at dusk' },
    output: null,
    logs: '',
    error: null,
    status: 'starting',
    data_removed: false,
    source: 'api',
    created_at: '2026-03-01T12:00:00.000Z',
    started_at: null,
    completed_at: null,
    metrics: {},
    urls: {
      get: `https://api.replicate.com/v1/predictions/${PREDICTION_ID}`,
      cancel: `https://api.replicate.com/v1/predictions/${PREDICTION_ID}/cancel`,
    },
    ...overrides,
  };
}

const created = () => jsonResponse(prediction(), 201);

const { resolved, submission } = submissionBuilders(
  { provider: 'replicate', model: V25, prompt: 'a lighthouse at dusk', durationSeconds: 5, aspectRatio: '16:9', quality: 'pro' },
  { jobId: JOB_ID, callbackUrl: CALLBACK_URL },
);

const setup = adapterSetup(() => new ReplicateAdapter(), {
  baseUrl: 'https://api.replicate.test',
  credentials: { apiKey: TOKEN, webhookSecret: WEBHOOK_SECRET },
});

const lookup: ProviderLookup = {
  capabilitiesOf: (id) => (id === 'replicate' ? REPLICATE_CAPABILITIES : undefined),
  enabledProviders: ['replicate'],
  defaultProvider: 'replicate',
};
const IMAGE = { url: 'https://cdn.example.com/a.png' };
const END_IMAGE = { url: 'https://cdn.example.com/b.png' };

describe('capabilities', () => {
  const { adapter } = setup(() => created());
  const model = (id: string) => adapter.capabilities.models.find((m) => m.id === id);

  it('offers the two kwaivgi models whose API pages give their inputs, signed callbacks and cancel', () => {
    expect(adapter.id).toBe('replicate');
    expect(adapter.capabilities.models.map((m) => m.id)).toEqual([V25, V21]);
    expect(adapter.capabilities.defaultModel).toBe(V25);
    expect(adapter.capabilities.callbacks).toBe(true);
    expect(adapter.capabilities.callbackAuth).toBe('signature');
    expect(adapter.capabilities.cancel).toBe(true);
    expect(typeof adapter.cancel).toBe('function');
  });

  it('follows the model schemas: v2.1 is image-to-video only with std/pro, v2.5-turbo-pro is pro only', () => {
    expect(model(V21)?.modes).toEqual(['image-to-video']);
    expect(model(V21)?.qualities).toEqual(['std', 'pro']);
    expect(model(V25)?.modes).toEqual(['text-to-video', 'image-to-video']);
    expect(model(V25)?.qualities).toEqual(['pro']);
    for (const m of adapter.capabilities.models) {
      expect(m.durationsSeconds, m.id).toEqual([5, 10]);
      expect(m.defaultDurationSeconds, m.id).toBe(5);
      expect(m.endImage, m.id).toBe(true);
      expect(m.negativePrompt, m.id).toBe(true);
      expect([m.audio, m.cfgScale, m.cameraControl, m.voice ?? false, m.keepOriginalSound ?? false], m.id).toEqual([
        false,
        false,
        false,
        false,
        false,
      ]);
      expect(m.fps, m.id).toBeUndefined();
      expect(m.resolutions, m.id).toBeUndefined();
      expect(m.maxReferenceImages, m.id).toBeUndefined();
    }
  });

  const refused: [string, CreateJobRequest, string][] = [
    ['native audio', { prompt: 'x', audio: true }, 'audio'],
    ['a voice', { prompt: 'x', voice: { description: 'calm' } }, 'voice'],
    ['camera control', { prompt: 'x', cameraControl: { type: 'down_back' } }, 'cameraControl'],
    ['cfg scale', { prompt: 'x', cfgScale: 0.5 }, 'cfgScale'],
    ['a frame rate', { prompt: 'x', fps: 30 }, 'fps'],
    ['a resolution (4K)', { prompt: 'x', resolution: '4k' }, 'resolution'],
    ['std quality on v2.5-turbo-pro', { prompt: 'x', quality: 'std' }, 'quality'],
    ['a 7 s video', { prompt: 'x', durationSeconds: 7 }, 'durationSeconds'],
    ['multi-shot', { shots: [{ prompt: 'x', durationSeconds: 5 }] }, 'shots'],
    ['reference images', { prompt: 'x', referenceImages: [IMAGE] }, 'referenceImages'],
    ['a video edit', { prompt: 'x', video: { url: 'https://cdn.example.com/v.mp4' }, keepOriginalSound: true }, 'video'],
    ['text-to-video on v2.1', { prompt: 'x', model: V21 }, 'prompt'],
    ['an unknown model', { prompt: 'x', model: 'kwaivgi/kling-v9' }, 'model'],
  ];
  it.each(refused)('validation refuses %s with a 422 before anything is sent', (_what, body, path) => {
    const resolution = resolveRequest({ provider: 'replicate', ...body }, lookup);
    expect(resolution.ok).toBe(false);
    if (!resolution.ok) expect(resolution.details.map((d) => d.path)).toContain(path);
  });

  it('validation accepts what the models take and fills the defaults', () => {
    const t2v = resolveRequest({ prompt: 'x' }, lookup);
    expect(t2v).toMatchObject({
      ok: true,
      mode: 'text-to-video',
      request: { model: V25, durationSeconds: 5, quality: 'pro', aspectRatio: '16:9' },
    });
    const i2v = resolveRequest({ prompt: 'x', model: V21, image: IMAGE, endImage: END_IMAGE, quality: 'pro', durationSeconds: 10 }, lookup);
    expect(i2v).toMatchObject({ ok: true, mode: 'image-to-video', request: { model: V21, quality: 'pro', durationSeconds: 10 } });
    expect(resolveRequest({ prompt: 'x', model: V21, image: IMAGE }, lookup)).toMatchObject({ ok: true, request: { quality: 'std' } });
  });

  it('gives no cost estimate (no price table for these models in Replicate’s API docs)', () => {
    expect((adapter as ProviderAdapter).estimateCost).toBeUndefined();
    expect(estimateCostOf(adapter, resolved(), 'text-to-video')).toBeUndefined();
    expect(estimateCostOf(adapter, resolved({ model: V21, quality: 'std', durationSeconds: 10 }), 'image-to-video')).toBeUndefined();
  });
});

describe('submit', () => {
  it('creates a text-to-video prediction on the official-model route with the documented body', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const result = await adapter.submit(
      submission('text-to-video', { negativePrompt: 'blur', durationSeconds: 10, aspectRatio: '9:16' }),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: PREDICTION_ID });
    expect(requests).toHaveLength(1);
    const sent = requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url.href).toBe('https://api.replicate.test/v1/models/kwaivgi/kling-v2.5-turbo-pro/predictions');
    expect(sent.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(sent.headers.get('prefer')).toBeNull();
    expect(sent.json).toEqual({
      input: { prompt: 'a lighthouse at dusk', negative_prompt: 'blur', duration: 10, aspect_ratio: '9:16' },
      webhook: `${CALLBACK_URL}?job_id=${JOB_ID}`,
      webhook_events_filter: ['start', 'completed'],
    });
  });

  it('sends start_image and end_image on v2.5-turbo-pro, without aspect_ratio (ignored with a start image)', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(
      submission(
        'image-to-video',
        { image: IMAGE, endImage: END_IMAGE },
        { media: { image: 'https://cdn.example.com/prepared-a.png', endImage: PNG_BASE64 } },
      ),
      ctx,
    );
    expect(requests[0]?.json).toEqual({
      input: {
        prompt: 'a lighthouse at dusk',
        duration: 5,
        start_image: 'https://cdn.example.com/prepared-a.png',
        end_image: `data:image/png;base64,${PNG_BASE64}`,
      },
      webhook: `${CALLBACK_URL}?job_id=${JOB_ID}`,
      webhook_events_filter: ['start', 'completed'],
    });
  });

  it('sends v2.1 with mode standard for std, and mode pro with an end image for pro', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('image-to-video', { model: V21, quality: 'std', image: IMAGE }, { callbackUrl: undefined }), ctx);
    expect(requests[0]?.url.pathname).toBe('/v1/models/kwaivgi/kling-v2.1/predictions');
    expect(requests[0]?.json).toEqual({ input: { prompt: 'a lighthouse at dusk', duration: 5, mode: 'standard', start_image: IMAGE.url } });

    await adapter.submit(
      submission('image-to-video', { model: V21, quality: 'pro', image: IMAGE, endImage: END_IMAGE, durationSeconds: 10 }),
      ctx,
    );
    expect(requests[1]?.json).toMatchObject({
      input: { prompt: 'a lighthouse at dusk', duration: 10, mode: 'pro', start_image: IMAGE.url, end_image: END_IMAGE.url },
    });
  });

  it('keeps a data URL, and keeps other query parameters of the callback URL', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const dataUrl = `data:image/jpeg;base64,/9j/4AAQSkZJRg==`;
    await adapter.submit(
      submission('image-to-video', { model: V21, image: IMAGE }, { media: { image: dataUrl }, callbackUrl: `${CALLBACK_URL}?token=abc` }),
      ctx,
    );
    const body = requests[0]?.json as { input: Record<string, unknown>; webhook: string };
    expect(body.input.start_image).toBe(dataUrl);
    const webhook = new URL(body.webhook);
    expect(webhook.searchParams.get('token')).toBe('abc');
    expect(webhook.searchParams.get('job_id')).toBe(JOB_ID);
  });

  it('refuses what cannot be sent, before sending anything', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const big = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300 * 1024)]).toString('base64');
    const cases: SubmitRequest[] = [
      submission('text-to-video', { model: 'kwaivgi/kling-v9' }),
      submission('image-to-video', { model: V21, quality: 'std', image: IMAGE, endImage: END_IMAGE }),
      submission('image-to-video', { model: V21, quality: 'pro', endImage: END_IMAGE }),
      submission('image-to-video', { image: { s3Key: 'inputs/a.png' } }),
      submission('image-to-video', { image: IMAGE }, { media: { image: big } }),
      submission('image-to-video', { image: IMAGE }, { media: { image: 'AAAAAAAA' } }),
      submission('image-to-video', { image: IMAGE }, { media: { image: 'not base64 at all!' } }),
      submission('text-to-video', { prompt: undefined }),
    ];
    for (const input of cases) {
      const error = await rejectionOf(adapter.submit(input, ctx), ProviderError);
      expect(error.kind, error.message).toBe('invalid');
      expect(error.retryable).toBe(false);
    }
    expect(requests).toHaveLength(0);
  });

  it('leaves what the capability map expresses to validation, which refuses it before Submit', () => {
    const cases: [SubmitRequest, string][] = [
      [submission('text-to-video', { model: V21, quality: 'std' }), 'prompt'],
      [submission('text-to-video', { quality: 'std' }), 'quality'],
      [submission('text-to-video', { durationSeconds: 15 }), 'durationSeconds'],
      [submission('text-to-video', { audio: true }), 'audio'],
      [submission('text-to-video', { cameraControl: { type: 'down_back' } }), 'cameraControl'],
      [submission('text-to-video', { resolution: '4k' }), 'resolution'],
      [submission('multi-shot', { shots: [{ prompt: 'x', durationSeconds: 5 }] }), 'shots'],
      [submission('reference-to-video', { referenceImages: [IMAGE] }), 'referenceImages'],
      [submission('video-edit', { video: { url: 'https://cdn.example.com/v.mp4' }, keepOriginalSound: true }), 'video'],
    ];
    for (const [input, path] of cases)
      expect(
        validationProblems(input).map((problem) => problem.path),
        path,
      ).toContain(path);
  });

  it('fails with auth before any request when no token is configured', async () => {
    const { adapter, ctx, requests } = setup(() => created(), { credentials: { webhookSecret: WEBHOOK_SECRET } });
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('auth');
    expect(requests).toHaveLength(0);
  });

  it('treats a create answer without a prediction id as a server error', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ status: 'starting' }, 201));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('server');
  });
});

describe('errors', () => {
  // Replicate has no body codes: the HTTP status decides (Replicate docs, 'Rate limits', document the 429 `{detail}`
  // + Retry-After).
  const table: [number, string, ErrorKind][] = [
    [400, 'Bad request', 'invalid'],
    [401, 'You did not pass a valid authentication token', 'auth'],
    [402, 'You have insufficient credit to run this model', 'insufficient_credits'],
    [403, 'You do not have permission to run this model', 'auth'],
    [404, 'The requested resource could not be found', 'invalid'],
    [422, 'input.duration: must be one of 5, 10', 'invalid'],
    [422, 'The input was flagged as sensitive (E005)', 'content_policy'],
    [429, 'Request was throttled. Your rate limit resets in ~30s.', 'rate_limited'],
    [500, 'Internal server error', 'server'],
    [502, 'Bad gateway', 'server'],
    [503, 'Service unavailable', 'overloaded'],
    [504, 'Gateway timeout', 'server'],
  ];
  const retryableKinds: ErrorKind[] = ['rate_limited', 'concurrency_limited', 'overloaded', 'server', 'network'];

  it.each(table)('HTTP %i (%s) is %s', async (status, detail, kind) => {
    const { adapter, ctx } = setup(() => jsonResponse({ title: 'Problem', detail, status }, status));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryableKinds.includes(kind));
    expect(error.httpStatus).toBe(status);
    expect(error.providerCode).toBe(status);
    expect(error.message).toContain(detail);
  });

  it('takes the wait from Retry-After on a 429', async () => {
    const { adapter, ctx } = setup(() =>
      jsonResponse({ detail: 'Request was throttled. Your rate limit resets in ~30s.' }, 429, { 'retry-after': '12' }),
    );
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(12);
  });

  it('reads the wait from the detail when a 429 has no Retry-After', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ detail: 'Request was throttled. Your rate limit resets in ~30s.' }, 429));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.retryAfterSeconds).toBe(30);
  });

  it('keeps a 422 with a list of field problems in the message', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ detail: [{ loc: ['input', 'duration'], msg: 'bad value' }] }, 422));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain('bad value');
  });

  it('classifies a non-JSON 5xx by its status', async () => {
    const { adapter, ctx } = setup(() => new Response('<html>502 Bad Gateway</html>', { status: 502 }));
    const error = await rejectionOf(adapter.status(PREDICTION_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toContain('502 Bad Gateway');
  });

  it('turns a timeout into a network error', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { timeoutMs: 30 });
    const error = await rejectionOf(adapter.status(PREDICTION_ID, ctx), ProviderError);
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });
});

describe('status', () => {
  const statusOf = async (overrides: Record<string, unknown>) => {
    const { adapter, ctx, requests } = setup(() => jsonResponse(prediction(overrides)));
    const status = await adapter.status(PREDICTION_ID, ctx);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.pathname).toBe(`/v1/predictions/${PREDICTION_ID}`);
    expect(requests[0]?.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    return status;
  };

  it('maps starting to pending and processing to processing', async () => {
    expect(await statusOf({ status: 'starting' })).toEqual({ providerTaskId: PREDICTION_ID, status: 'pending' });
    expect(await statusOf({ status: 'processing', started_at: '2026-03-01T12:00:01Z' })).toEqual({
      providerTaskId: PREDICTION_ID,
      status: 'processing',
    });
  });

  it('maps succeeded to the output URL and reports no cost (predict_time is not a cost)', async () => {
    const status = await statusOf({ status: 'succeeded', output: VIDEO_URL, metrics: { predict_time: 93.2, total_time: 95 } });
    expect(status).toEqual({ providerTaskId: PREDICTION_ID, status: 'succeeded', videoUrl: VIDEO_URL });
  });

  it('takes the first URL if the output is a list', async () => {
    expect((await statusOf({ status: 'succeeded', output: [VIDEO_URL] })).videoUrl).toBe(VIDEO_URL);
  });

  it('reports a succeeded prediction whose output was removed as RESULT_UNAVAILABLE, not retryable', async () => {
    const status = await statusOf({ status: 'succeeded', output: null, data_removed: true });
    expect(status.status).toBe('failed');
    expect(status.error).toMatchObject({ code: 'RESULT_UNAVAILABLE', retryable: false });
  });

  it('treats succeeded without an output (and not removed) as a server error', async () => {
    const { adapter, ctx } = setup(() => jsonResponse(prediction({ status: 'succeeded', output: null })));
    const error = await rejectionOf(adapter.status(PREDICTION_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
  });

  it.each([
    ['The input or output was flagged as sensitive. (E005)', 'CONTENT_POLICY'],
    ['NSFW content detected', 'CONTENT_POLICY'],
    ['Failure to pass the risk control system', 'CONTENT_POLICY'],
    ['CUDA out of memory', 'PROVIDER_FAILED'],
  ])('maps failed (%s) to %s', async (error, code) => {
    expect(await statusOf({ status: 'failed', error })).toEqual({
      providerTaskId: PREDICTION_ID,
      status: 'failed',
      error: { code, message: error, retryable: false },
    });
  });

  it('explains a failure without an error', async () => {
    const status = await statusOf({ status: 'failed', error: null });
    expect(status.error).toEqual({ code: 'PROVIDER_FAILED', message: expect.stringMatching(/without an error/), retryable: false });
  });

  it('maps canceled to cancelled and aborted to a retryable failure', async () => {
    expect(await statusOf({ status: 'canceled' })).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', retryable: false } });
    expect(await statusOf({ status: 'aborted' })).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_ABORTED', retryable: true } });
  });

  it('treats an unknown status as a server error (the contract changed)', async () => {
    const { adapter, ctx } = setup(() => jsonResponse(prediction({ status: 'queued' })));
    const error = await rejectionOf(adapter.status(PREDICTION_ID, ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/status/);
  });

  it.each(['', 'a/b', '../x', 'id?x=1'])('refuses the prediction id %j without a request', async (id) => {
    const { adapter, ctx, requests } = setup(() => jsonResponse(prediction()));
    const error = await rejectionOf(adapter.status(id, ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(requests).toHaveLength(0);
  });
});

describe('cancel', () => {
  it('POSTs to the cancel route', async () => {
    const { adapter, ctx, requests } = setup(() => jsonResponse(prediction({ status: 'canceled' })));
    await adapter.cancel(PREDICTION_ID, ctx);
    expect(requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([`POST /v1/predictions/${PREDICTION_ID}/cancel`]);
    expect(requests[0]?.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
  });

  it('maps an unknown prediction to invalid', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ detail: 'Not found.' }, 404));
    const error = await rejectionOf(adapter.cancel(PREDICTION_ID, ctx), ProviderError);
    expect(error.kind).toBe('invalid');
  });
});

describe('parseCallback', () => {
  function signedCallback(body: unknown, options: { timestamp?: number; jobId?: string; queryJob?: string | null; secret?: string } = {}) {
    const rawBody = JSON.stringify(body);
    const headers = signStandardWebhook(options.secret ?? WEBHOOK_SECRET, {
      id: 'msg_1',
      timestamp: options.timestamp ?? NOW_SECONDS,
      body: rawBody,
    });
    const queryJob = options.queryJob === undefined ? JOB_ID : options.queryJob;
    return { headers: { ...headers }, query: queryJob === null ? {} : { job_id: queryJob }, rawBody, jobId: options.jobId ?? JOB_ID };
  }
  const succeeded = prediction({ status: 'succeeded', output: VIDEO_URL });

  it('accepts a correctly signed callback and maps it like status(), without any request', async () => {
    const { adapter, ctx, requests } = setup(() => jsonResponse({}));
    expect(await adapter.parseCallback(signedCallback(succeeded), ctx)).toEqual({
      providerTaskId: PREDICTION_ID,
      status: 'succeeded',
      videoUrl: VIDEO_URL,
    });
    expect(await adapter.parseCallback(signedCallback(prediction({ status: 'processing' })), ctx)).toMatchObject({ status: 'processing' });
    expect(requests).toHaveLength(0);
  });

  it('maps a failed callback', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    const status = await adapter.parseCallback(signedCallback(prediction({ status: 'failed', error: 'flagged as sensitive (E005)' })), ctx);
    expect(status).toMatchObject({ status: 'failed', error: { code: 'CONTENT_POLICY' } });
  });

  it('refuses a tampered body', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    const callback = signedCallback(succeeded);
    await rejectionOf(adapter.parseCallback({ ...callback, rawBody: callback.rawBody.replace('tmp123', 'evil') }, ctx), CallbackRejected);
  });

  it('refuses a callback signed with another secret (forged)', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    const forged = signedCallback(succeeded, { secret: formatWebhookSecret(Buffer.from('someone-elses-secret-32-bytes!!!')) });
    await rejectionOf(adapter.parseCallback(forged, ctx), CallbackRejected);
  });

  it('refuses a stale timestamp', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    const error = await rejectionOf(
      adapter.parseCallback(signedCallback(succeeded, { timestamp: NOW_SECONDS - 3600 }), ctx),
      CallbackRejected,
    );
    expect(error.message).toMatch(/stale/);
  });

  it('refuses a callback without signature headers', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    const error = await rejectionOf(
      adapter.parseCallback({ headers: {}, query: { job_id: JOB_ID }, rawBody: JSON.stringify(succeeded), jobId: JOB_ID }, ctx),
      CallbackRejected,
    );
    expect(error.message).toMatch(/missing/);
  });

  it('refuses every callback when no webhook secret is configured', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}), { credentials: { apiKey: TOKEN } });
    const error = await rejectionOf(adapter.parseCallback(signedCallback(succeeded), ctx), CallbackRejected);
    expect(error.message).toMatch(/secret/);
  });

  it('refuses a callback whose webhook URL named another job, or none', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    const other = await rejectionOf(adapter.parseCallback(signedCallback(succeeded, { queryJob: 'job_other' }), ctx), CallbackRejected);
    expect(other.message).toMatch(/job_other/);
    await rejectionOf(adapter.parseCallback(signedCallback(succeeded, { queryJob: null }), ctx), CallbackRejected);
    await rejectionOf(adapter.parseCallback(signedCallback(succeeded, { jobId: 'job_other' }), ctx), CallbackRejected);
  });

  it('refuses a signed body that is not a prediction', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({}));
    await rejectionOf(adapter.parseCallback(signedCallback({ task_id: '1', task_status: 'succeed' }), ctx), CallbackRejected);
  });
});
