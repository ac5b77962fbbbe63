import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../../lambdas/domain/errors.ts';
import type { AdapterContext, ProviderAdapter, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { KlingLegacyAdapter, parseKlingTaskId } from '../../../lambdas/providers/kling/adapter.ts';
import { formatWebhookSecret, signStandardWebhook } from '../../../lambdas/domain/webhooks.ts';
import { estimateCostOf } from '../../../lambdas/providers/scaffold.ts';
import {
  FIXED_NOW,
  NEVER_ANSWERS,
  adapterSetup,
  contextWith,
  fakeFetch,
  jsonResponse,
  rejectionOf,
  submissionBuilders,
} from './fake-fetch.ts';
import { validationProblems } from './pipeline.ts';

const JOB_ID = 'job_01hz8k3m0000abcdefghjkmnpq';
const TASK_ID = '867283741759111202';
const ACCESS_KEY = 'ak-test';
const SECRET_KEY = 'sk-test-secret-key-for-hs256';
const WEBHOOK_SECRET = formatWebhookSecret(Buffer.from('kling-webhook-secret-for-tests!!'));
const NOW_SECONDS = FIXED_NOW.getTime() / 1000;

const created = (taskId = TASK_ID) =>
  jsonResponse({
    code: 0,
    message: 'SUCCEED',
    request_id: 'c0656403-1e6e-4b7e-b8f8-2cdd2595f2b9',
    data: { task_id: taskId, task_status: 'submitted', task_info: { external_task_id: JOB_ID }, created_at: 1, updated_at: 1 },
  });

function task(overrides: Record<string, unknown> = {}) {
  return {
    task_id: TASK_ID,
    task_status: 'processing',
    task_status_msg: '',
    task_info: { external_task_id: JOB_ID },
    created_at: 1722769557708,
    updated_at: 1722769557708,
    ...overrides,
  };
}

const taskAnswer = (overrides: Record<string, unknown> = {}) =>
  jsonResponse({ code: 0, message: 'SUCCEED', request_id: 'req-1', data: task(overrides) });

const { resolved, submission } = submissionBuilders(
  { provider: 'kling', model: 'kling-v3', prompt: 'a lighthouse at dusk', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
  { jobId: JOB_ID, callbackUrl: `https://hooks.example.test/v1/callbacks/kling/${JOB_ID}` },
);

const setup = adapterSetup(() => new KlingLegacyAdapter(), { baseUrl: 'https://api-singapore.klingai.test' });

describe('capabilities', () => {
  const { adapter } = setup(() => created());
  const model = (id: string) => adapter.capabilities.models.find((m) => m.id === id);

  it('lists the legacy models with the default among them, callbacks and no cancel', () => {
    expect(adapter.id).toBe('kling');
    expect(adapter.capabilities.models.map((m) => m.id)).toEqual([
      'kling-v1',
      'kling-v1-5',
      'kling-v1-6',
      'kling-v2-master',
      'kling-v2-1',
      'kling-v2-1-master',
      'kling-v2-5-turbo',
      'kling-v2-6',
      'kling-v3',
    ]);
    expect(model(adapter.capabilities.defaultModel)).toBeDefined();
    expect(adapter.capabilities.callbacks).toBe(true);
    expect(adapter.capabilities.cancel).toBe(false);
    expect((adapter as ProviderAdapter).cancel).toBeUndefined();
  });

  it('follows the capability map', () => {
    expect(model('kling-v1-5')?.modes).toEqual(['image-to-video']);
    expect(model('kling-v2-1')?.modes).toEqual(['image-to-video']);
    expect(model('kling-v1-6')?.modes).toContain('reference-to-video');
    expect(model('kling-v3')?.modes).toContain('multi-shot');
    expect(model('kling-v3')?.durationsSeconds).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(model('kling-v2-6')?.durationsSeconds).toEqual([5, 10]);
    expect(model('kling-v2-master')?.qualities).toEqual(['std']);
    expect(model('kling-v2-1-master')?.qualities).toEqual(['std']);
    for (const id of ['kling-v2-master', 'kling-v2-1', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6']) {
      expect(model(id)?.cfgScale, id).toBe(false);
    }
    expect(adapter.capabilities.models.filter((m) => m.audio).map((m) => m.id)).toEqual(['kling-v2-6', 'kling-v3']);
    expect(adapter.capabilities.models.filter((m) => m.cameraControl).map((m) => m.id)).toEqual(['kling-v1', 'kling-v1-5']);
    expect(model('kling-v2-master')?.endImage).toBe(false);
    expect(model('kling-v1-6')?.endImage).toBe(true);
  });

  it('gives no cost estimate (the legacy API reference has no price table)', () => {
    expect((adapter as ProviderAdapter).estimateCost).toBeUndefined();
    expect(estimateCostOf(adapter, resolved(), 'text-to-video')).toBeUndefined();
  });
});

describe('auth', () => {
  it('signs an HS256 JWT {iss, exp: now+1800, nbf: now-5} from the access and secret keys', async () => {
    const { adapter, ctx, requests } = setup(() => created(), { credentials: { accessKey: ACCESS_KEY, secretKey: SECRET_KEY } });
    await adapter.submit(submission('text-to-video'), ctx);
    const authorization = requests[0]?.headers.get('authorization') ?? '';
    expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const token = authorization.slice('Bearer '.length);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET_KEY), {
      algorithms: ['HS256'],
      issuer: ACCESS_KEY,
      currentDate: FIXED_NOW,
    });
    expect(payload).toEqual({ iss: ACCESS_KEY, exp: NOW_SECONDS + 1800, nbf: NOW_SECONDS - 5 });
    await expect(jwtVerify(token, new TextEncoder().encode('another secret'), { currentDate: FIXED_NOW })).rejects.toThrow();
  });

  it('reuses the JWT until five minutes before it expires, and per access key and secret', async () => {
    let now = FIXED_NOW;
    const fake = fakeFetch(() => created());
    const adapter = new KlingLegacyAdapter();
    const ctx = contextWith(fake.fetch, { credentials: { accessKey: ACCESS_KEY, secretKey: SECRET_KEY }, now: () => now });
    const tokenOfLastRequest = () => fake.requests.at(-1)?.headers.get('authorization');

    await adapter.submit(submission('text-to-video'), ctx);
    const first = tokenOfLastRequest();
    now = new Date(FIXED_NOW.getTime() + 1_499_000);
    await adapter.submit(submission('text-to-video'), ctx);
    expect(tokenOfLastRequest()).toBe(first);

    now = new Date(FIXED_NOW.getTime() + 1_501_000);
    await adapter.submit(submission('text-to-video'), ctx);
    const renewed = tokenOfLastRequest();
    expect(renewed).not.toBe(first);

    await adapter.submit(submission('text-to-video'), { ...ctx, credentials: { accessKey: 'ak-other', secretKey: SECRET_KEY } });
    expect(tokenOfLastRequest()).not.toBe(renewed);
    await adapter.submit(submission('text-to-video'), { ...ctx, credentials: { accessKey: ACCESS_KEY, secretKey: 'rotated-secret' } });
    const afterRotation = tokenOfLastRequest()?.slice('Bearer '.length) ?? '';
    await expect(jwtVerify(afterRotation, new TextEncoder().encode('rotated-secret'), { currentDate: now })).resolves.toBeDefined();
  });

  it('sends an API key as Bearer when there is no access/secret key pair', async () => {
    const { adapter, ctx, requests } = setup(() => created(), { credentials: { apiKey: 'kling-api-key' } });
    await adapter.submit(submission('text-to-video'), ctx);
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer kling-api-key');
  });

  it('prefers the JWT when both are configured', async () => {
    const { adapter, ctx, requests } = setup(() => created(), {
      credentials: { apiKey: 'kling-api-key', accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
    });
    await adapter.submit(submission('text-to-video'), ctx);
    expect(requests[0]?.headers.get('authorization')).not.toBe('Bearer kling-api-key');
  });

  it('fails with auth before any request when no credentials are configured', async () => {
    for (const credentials of [{}, { accessKey: ACCESS_KEY }, { secretKey: SECRET_KEY }]) {
      const { adapter, ctx, requests } = setup(() => created(), { credentials });
      const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
      expect(error.kind).toBe('auth');
      expect(error.retryable).toBe(false);
      expect(requests).toHaveLength(0);
    }
  });
});

describe('submit', () => {
  it('creates a text-to-video task with the documented body and returns <product>:<task_id>', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const result = await adapter.submit(
      submission('text-to-video', { negativePrompt: 'blur', durationSeconds: 10, aspectRatio: '9:16', quality: 'pro', audio: true }),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: `text2video:${TASK_ID}` });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.url.href).toBe('https://api-singapore.klingai.test/v1/videos/text2video');
    expect(requests[0]?.json).toEqual({
      model_name: 'kling-v3',
      prompt: 'a lighthouse at dusk',
      negative_prompt: 'blur',
      mode: 'pro',
      aspect_ratio: '9:16',
      duration: '10',
      sound: 'on',
      callback_url: `https://hooks.example.test/v1/callbacks/kling/${JOB_ID}`,
      external_task_id: JOB_ID,
    });
  });

  it('sends cfg_scale where the model takes it and leaves callback_url and sound out when not asked for', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { model: 'kling-v1-6', cfgScale: 0.7 }, { callbackUrl: undefined }), ctx);
    expect(requests[0]?.json).toEqual({
      model_name: 'kling-v1-6',
      prompt: 'a lighthouse at dusk',
      cfg_scale: 0.7,
      mode: 'std',
      aspect_ratio: '16:9',
      duration: '5',
      external_task_id: JOB_ID,
    });
  });

  it('never sends cfg_scale to a kling-v2.x model, nor mode to a master model', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { model: 'kling-v2-master' }), ctx);
    await adapter.submit(submission('text-to-video', { model: 'kling-v2-1-master' }), ctx);
    await adapter.submit(submission('text-to-video', { model: 'kling-v2-5-turbo', quality: 'pro' }), ctx);
    for (const sent of requests) {
      expect(sent.json).not.toHaveProperty('cfg_scale');
      expect(typeof (sent.json as { duration: unknown }).duration).toBe('string');
    }
    expect(requests[0]?.json).not.toHaveProperty('mode');
    expect(requests[1]?.json).not.toHaveProperty('mode');
    expect(requests[2]?.json).toHaveProperty('mode', 'pro');

    // cfg_scale on a v2.x model is outside the capability map: validation refuses it before Submit.
    expect(validationProblems(submission('text-to-video', { model: 'kling-v2-6', cfgScale: 0.5 })).map((p) => p.path)).toContain(
      'cfgScale',
    );
    expect(requests).toHaveLength(3);
  });

  it('creates an image-to-video task with image and image_tail, bare base64, and no aspect_ratio', async () => {
    const { adapter, ctx, requests } = setup(() => created('42'));
    const result = await adapter.submit(
      submission(
        'image-to-video',
        {
          model: 'kling-v2-1',
          quality: 'pro',
          image: { url: 'https://cdn.example.test/a.png' },
          endImage: { url: 'https://cdn.example.test/b.png' },
        },
        { media: { image: 'https://cdn.example.test/a.png', endImage: 'data:image/png;base64,iVBORw0KGgo=' } },
      ),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: 'image2video:42' });
    expect(requests[0]?.url.pathname).toBe('/v1/videos/image2video');
    expect(requests[0]?.json).toEqual({
      model_name: 'kling-v2-1',
      prompt: 'a lighthouse at dusk',
      mode: 'pro',
      duration: '5',
      image: 'https://cdn.example.test/a.png',
      image_tail: 'iVBORw0KGgo=',
      callback_url: `https://hooks.example.test/v1/callbacks/kling/${JOB_ID}`,
      external_task_id: JOB_ID,
    });
  });

  it('sends the request’s public image URLs, which Submit passes through as they are', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('image-to-video', { model: 'kling-v2-6', image: { url: 'https://cdn.example.test/a.png' } }), ctx);
    expect(requests[0]?.url.pathname).toBe('/v1/videos/image2video');
    expect(requests[0]?.json).toHaveProperty('image', 'https://cdn.example.test/a.png');
    expect(requests[0]?.json).not.toHaveProperty('image_tail');
    const references = [{ url: 'https://cdn.example.test/1.png' }, { url: 'https://cdn.example.test/2.png' }];
    await adapter.submit(submission('reference-to-video', { model: 'kling-v1-6', referenceImages: references }), ctx);
    expect(requests[1]?.json).toHaveProperty(
      'image_list',
      references.map(({ url }) => ({ image: url })),
    );
  });

  it('sends sound off when audio is false on a model with sound, and refuses v2-6 sound in std', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { model: 'kling-v2-6', audio: false }), ctx);
    expect(requests[0]?.json).toHaveProperty('sound', 'off');
    await adapter.submit(submission('text-to-video', { model: 'kling-v2-5-turbo', audio: false }), ctx);
    expect(requests[1]?.json).not.toHaveProperty('sound');
    const refused = await rejectionOf(
      adapter.submit(submission('text-to-video', { model: 'kling-v2-6', audio: true }), ctx),
      ProviderError,
    );
    expect(refused.kind).toBe('invalid');
    expect(refused.message).toMatch(/pro/);
  });

  it('sends camera_control with the one non-zero axis and zeros elsewhere', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    await adapter.submit(submission('text-to-video', { model: 'kling-v1', cameraControl: { type: 'simple', config: { zoom: 5 } } }), ctx);
    expect((requests[0]!.json as { camera_control: unknown }).camera_control).toEqual({
      type: 'simple',
      config: { horizontal: 0, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: 5 },
    });
    await adapter.submit(submission('text-to-video', { model: 'kling-v1', cameraControl: { type: 'down_back' } }), ctx);
    expect((requests[1]!.json as { camera_control: unknown }).camera_control).toEqual({ type: 'down_back' });
    // Camera control on kling-v3 is outside the capability map: validation refuses it before Submit.
    expect(
      validationProblems(submission('text-to-video', { model: 'kling-v3', cameraControl: { type: 'down_back' } })).map((p) => p.path),
    ).toContain('cameraControl');
    // An axis pair is what the wire format cannot carry: the adapter refuses it.
    const refused = await rejectionOf(
      adapter.submit(
        submission('text-to-video', { model: 'kling-v1', cameraControl: { type: 'simple', config: { pan: 1, tilt: 2 } } }),
        ctx,
      ),
      ProviderError,
    );
    expect(refused.kind).toBe('invalid');
    expect(requests).toHaveLength(2);
  });

  it('sends up to four reference images to multi-image2video on kling-v1-6', async () => {
    const { adapter, ctx, requests } = setup(() => created('7'));
    const images = ['https://cdn.example.test/1.png', 'https://cdn.example.test/2.png'];
    const result = await adapter.submit(
      submission(
        'reference-to-video',
        { model: 'kling-v1-6', referenceImages: images.map((url) => ({ url })) },
        { media: { referenceImages: images } },
      ),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: 'multi-image2video:7' });
    expect(requests[0]?.url.pathname).toBe('/v1/videos/multi-image2video');
    expect(requests[0]?.json).toEqual({
      model_name: 'kling-v1-6',
      image_list: images.map((image) => ({ image })),
      prompt: 'a lighthouse at dusk',
      mode: 'std',
      aspect_ratio: '16:9',
      duration: '5',
      callback_url: `https://hooks.example.test/v1/callbacks/kling/${JOB_ID}`,
      external_task_id: JOB_ID,
    });

    // A fifth image is beyond the capability map's maxReferenceImages: validation refuses it before Submit.
    const five = Array.from({ length: 5 }, (_, i) => ({ url: `https://cdn.example.test/${i}.png` }));
    expect(
      validationProblems(submission('reference-to-video', { model: 'kling-v1-6', referenceImages: five })).map((p) => p.path),
    ).toContain('referenceImages');
    expect(requests).toHaveLength(1);
  });

  it('sends a multi-shot request as multi_shot + customize + multi_prompt on kling-v3', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const shots = [
      { prompt: 'wide shot of the coast', durationSeconds: 4 },
      { prompt: 'close-up of the lamp', durationSeconds: 3 },
    ];
    await adapter.submit(submission('multi-shot', { shots, durationSeconds: 7 }), ctx);
    expect(requests[0]?.url.pathname).toBe('/v1/videos/text2video');
    expect(requests[0]?.json).toMatchObject({
      model_name: 'kling-v3',
      duration: '7',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: 'wide shot of the coast', duration: '4' },
        { index: 2, prompt: 'close-up of the lamp', duration: '3' },
      ],
    });
    const refused = await rejectionOf(adapter.submit(submission('multi-shot', { shots, durationSeconds: 5 }), ctx), ProviderError);
    expect(refused.kind).toBe('invalid');
  });

  it('refuses what the legacy API cannot take before sending anything', async () => {
    const { adapter, ctx, requests } = setup(() => created());
    const cases: SubmitRequest[] = [
      submission('text-to-video', { model: 'kling-v9' }),
      submission('image-to-video', { model: 'kling-v2-6', image: { s3Key: 'inputs/a.png' } }),
      submission('reference-to-video', { model: 'kling-v1-6', referenceImages: [{ s3Key: 'inputs/a.png' }] }),
      submission('reference-to-video', {
        model: 'kling-v1-6',
        prompt: undefined,
        referenceImages: [{ url: 'https://cdn.example.test/1.png' }],
      }),
    ];
    for (const input of cases) {
      const error = await rejectionOf(adapter.submit(input, ctx), ProviderError);
      expect(error.kind, error.message).toBe('invalid');
    }
    expect(requests).toHaveLength(0);
  });

  it('leaves what the capability map expresses to validation, which refuses it before Submit', () => {
    const cases: [SubmitRequest, string][] = [
      [submission('video-edit', { video: { url: 'https://cdn.example.test/v.mp4' } }), 'video'],
      [submission('text-to-video', { model: 'kling-v1-5' }), 'prompt'],
      [submission('multi-shot', { model: 'kling-v2-6', shots: [{ prompt: 'x', durationSeconds: 5 }] }), 'shots'],
      [submission('text-to-video', { model: 'kling-v2-6', durationSeconds: 7 }), 'durationSeconds'],
      [
        submission('image-to-video', {
          model: 'kling-v1',
          endImage: { url: 'https://cdn.example.test/b.png' },
          cameraControl: { type: 'down_back' },
        }),
        'cameraControl',
      ],
    ];
    for (const [input, path] of cases)
      expect(
        validationProblems(input).map((problem) => problem.path),
        path,
      ).toContain(path);
  });

  it('finds the existing task when Kling says the external_task_id is taken (a retried Submit)', async () => {
    const { adapter, ctx, requests } = setup((request) => {
      if (request.method === 'POST') {
        return jsonResponse({ code: 1201, message: 'external_task_id already exists', request_id: 'dup-1' }, 400);
      }
      return taskAnswer({ task_id: '99', task_status: 'processing' });
    });
    const result = await adapter.submit(submission('text-to-video'), ctx);
    expect(result).toEqual({ providerTaskId: 'text2video:99' });
    expect(requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'POST /v1/videos/text2video',
      `GET /v1/videos/text2video/${JOB_ID}`,
    ]);
  });

  it('does not look up anything for any other 1201', async () => {
    const { adapter, ctx, requests } = setup(() => jsonResponse({ code: 1201, message: 'duration is invalid', request_id: 'r' }, 400));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(requests).toHaveLength(1);
  });

  it('refuses a duplicate lookup that returns another job’s task', async () => {
    const { adapter, ctx } = setup((request) =>
      request.method === 'POST'
        ? jsonResponse({ code: 1201, message: 'external_task_id must be unique', request_id: 'r' }, 400)
        : taskAnswer({ task_info: { external_task_id: 'job_someone_else' } }),
    );
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('server');
  });
});

describe('business codes', () => {
  // Kling API reference, 'General information: error codes': HTTP status, code, expected kind. 1102, 1300 and 1301
  // are terminal and keep Kling's reason.
  const table: [number, number, ErrorKind][] = [
    [401, 1000, 'auth'],
    [401, 1001, 'auth'],
    [401, 1002, 'auth'],
    [401, 1003, 'auth'],
    [401, 1004, 'auth'],
    [429, 1100, 'insufficient_credits'],
    [429, 1101, 'insufficient_credits'],
    [429, 1102, 'insufficient_credits'],
    [403, 1103, 'auth'],
    [400, 1200, 'invalid'],
    [400, 1201, 'invalid'],
    [404, 1202, 'invalid'],
    [404, 1203, 'invalid'],
    [400, 1300, 'content_policy'],
    [400, 1301, 'content_policy'],
    [429, 1302, 'rate_limited'],
    [429, 1303, 'concurrency_limited'],
    [429, 1304, 'auth'],
    [500, 5000, 'server'],
    [503, 5001, 'overloaded'],
    [504, 5002, 'server'],
  ];
  const retryableKinds: ErrorKind[] = ['rate_limited', 'concurrency_limited', 'overloaded', 'server', 'network'];

  it.each(table)('HTTP %i code %i is %s', async (httpStatus, code, kind) => {
    const reason = `reason for ${code}`;
    const { adapter, ctx } = setup(() => jsonResponse({ code, message: reason, request_id: `req-${code}` }, httpStatus));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryableKinds.includes(kind));
    expect(error.providerCode).toBe(code);
    expect(error.httpStatus).toBe(httpStatus);
    expect(error.message).toContain(reason);
    expect(error.message).toContain(`req-${code}`);
  });

  it('maps a non-zero code inside an HTTP 200 the same way', async () => {
    const { adapter, ctx } = setup(() =>
      jsonResponse({ code: 1303, message: 'parallel task over resource pack limit', request_id: 'r' }, 200),
    );
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('concurrency_limited');
    expect(error.httpStatus).toBe(200);
  });

  it('carries Retry-After on a throttle', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ code: 1302, message: 'too fast', request_id: 'r' }, 429, { 'retry-after': '3' }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(3);
  });

  it('falls back to the HTTP status for an unknown code, keeping the code', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ code: 9999, message: 'new thing', request_id: 'r' }, 503));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('overloaded');
    expect(error.providerCode).toBe(9999);
    expect(error.message).toContain('new thing');
  });

  it('classifies a non-JSON 5xx by its status', async () => {
    const { adapter, ctx } = setup(() => new Response('<html>502 Bad Gateway</html>', { status: 502 }));
    const error = await rejectionOf(adapter.status(`text2video:${TASK_ID}`, ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.httpStatus).toBe(502);
  });

  it('turns a timeout into a network error', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { timeoutMs: 30 });
    const error = await rejectionOf(adapter.status(`text2video:${TASK_ID}`, ctx), ProviderError);
    expect(error.kind).toBe('network');
  });
});

describe('status', () => {
  it('queries the product path the task was created on', async () => {
    const { adapter, ctx, requests } = setup(() => taskAnswer({ task_status: 'submitted' }));
    const status = await adapter.status(`image2video:${TASK_ID}`, ctx);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.pathname).toBe(`/v1/videos/image2video/${TASK_ID}`);
    expect(status).toEqual({ providerTaskId: `image2video:${TASK_ID}`, status: 'pending' });
  });

  it('maps processing', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ task_status: 'processing' }));
    expect(await adapter.status(`text2video:${TASK_ID}`, ctx)).toEqual({ providerTaskId: `text2video:${TASK_ID}`, status: 'processing' });
  });

  it('maps succeed to succeeded with the first video URL and the credits charged', async () => {
    const { adapter, ctx } = setup(() =>
      taskAnswer({
        task_status: 'succeed',
        task_result: {
          videos: [
            { id: 'v1', url: 'https://cdn.klingai.test/v1.mp4', duration: '5.1' },
            { id: 'v2', url: 'https://cdn.klingai.test/v2.mp4' },
          ],
        },
        final_unit_deduction: '1.5',
      }),
    );
    expect(await adapter.status(`text2video:${TASK_ID}`, ctx)).toEqual({
      providerTaskId: `text2video:${TASK_ID}`,
      status: 'succeeded',
      videoUrl: 'https://cdn.klingai.test/v1.mp4',
      cost: { credits: 1.5 },
    });
  });

  it('leaves cost out when final_unit_deduction is not a number', async () => {
    const { adapter, ctx } = setup(() =>
      taskAnswer({
        task_status: 'succeed',
        task_result: { videos: [{ url: 'https://cdn.klingai.test/v.mp4' }] },
        final_unit_deduction: 'n/a',
      }),
    );
    expect((await adapter.status(`text2video:${TASK_ID}`, ctx)).cost).toBeUndefined();
  });

  it('treats succeed without a video URL as a server error', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ task_status: 'succeed', task_result: { videos: [] } }));
    const error = await rejectionOf(adapter.status(`text2video:${TASK_ID}`, ctx), ProviderError);
    expect(error.kind).toBe('server');
  });

  it.each([
    ['Failure to pass the risk control system', 'CONTENT_POLICY'],
    ['The content security policy was triggered', 'CONTENT_POLICY'],
    ['blocked by moderation', 'CONTENT_POLICY'],
    ['internal render failure', 'PROVIDER_FAILED'],
  ])('maps failed (%s) to %s, not retryable', async (message, code) => {
    const { adapter, ctx } = setup(() => taskAnswer({ task_status: 'failed', task_status_msg: message }));
    expect(await adapter.status(`text2video:${TASK_ID}`, ctx)).toEqual({
      providerTaskId: `text2video:${TASK_ID}`,
      status: 'failed',
      error: { code, message, retryable: false },
    });
  });

  it('explains a failure without a reason', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ task_status: 'failed', task_status_msg: null }));
    const status = await adapter.status(`text2video:${TASK_ID}`, ctx);
    expect(status.error).toEqual({ code: 'PROVIDER_FAILED', message: expect.stringMatching(/without a reason/), retryable: false });
  });

  it('accepts a numeric task_id without losing it', async () => {
    const { adapter, ctx } = setup(
      () => new Response(`{"code":0,"message":"ok","request_id":"r","data":{"task_id":12345,"task_status":"submitted"}}`),
    );
    expect((await adapter.status('text2video:12345', ctx)).providerTaskId).toBe('text2video:12345');
  });

  it('treats an unknown task status as a server error (the contract changed)', async () => {
    const { adapter, ctx } = setup(() => taskAnswer({ task_status: 'queued' }));
    const error = await rejectionOf(adapter.status(`text2video:${TASK_ID}`, ctx), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/task_status/);
  });

  it.each(['867283741759111202', 'video-extend:1', ':1', 'text2video:'])('refuses the task id %s', async (id) => {
    const { adapter, ctx, requests } = setup(() => taskAnswer());
    const error = await rejectionOf(adapter.status(id, ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(requests).toHaveLength(0);
  });

  it('splits task ids on the first colon', () => {
    expect(parseKlingTaskId('multi-image2video:12:3')).toEqual({ product: 'multi-image2video', taskId: '12:3' });
  });
});

describe('parseCallback', () => {
  const callbackContext = (overrides: Partial<AdapterContext> = {}) =>
    setup(() => jsonResponse({}), { credentials: { apiKey: 'k', webhookSecret: WEBHOOK_SECRET }, ...overrides });

  function signedCallback(body: unknown, options: { timestamp?: number; jobId?: string; secret?: string } = {}) {
    const rawBody = JSON.stringify(body);
    const headers = signStandardWebhook(options.secret ?? WEBHOOK_SECRET, {
      id: 'msg_cb_1',
      timestamp: options.timestamp ?? NOW_SECONDS,
      body: rawBody,
    });
    return { headers: { ...headers }, query: {}, rawBody, jobId: options.jobId ?? JOB_ID };
  }

  const succeeded = task({
    task_status: 'succeed',
    task_result: { videos: [{ id: 'v1', url: 'https://cdn.klingai.test/v1.mp4', duration: '5' }] },
    final_unit_deduction: '2',
  });

  it('accepts a correctly signed callback and maps it like status(), with the bare task id', async () => {
    const { adapter, ctx, requests } = callbackContext();
    const status = await adapter.parseCallback(signedCallback(succeeded), ctx);
    expect(status).toEqual({
      providerTaskId: TASK_ID,
      status: 'succeeded',
      videoUrl: 'https://cdn.klingai.test/v1.mp4',
      cost: { credits: 2 },
    });
    expect(requests).toHaveLength(0);
  });

  it('maps a failed callback', async () => {
    const { adapter, ctx } = callbackContext();
    const status = await adapter.parseCallback(signedCallback(task({ task_status: 'failed', task_status_msg: 'risk control' })), ctx);
    expect(status.status).toBe('failed');
    expect(status.error?.code).toBe('CONTENT_POLICY');
  });

  it('refuses a tampered body', async () => {
    const { adapter, ctx } = callbackContext();
    const callback = signedCallback(succeeded);
    const tampered = { ...callback, rawBody: callback.rawBody.replace('v1.mp4', 'evil.mp4') };
    await rejectionOf(adapter.parseCallback(tampered, ctx), CallbackRejected);
  });

  it('refuses a stale timestamp', async () => {
    const { adapter, ctx } = callbackContext();
    const error = await rejectionOf(
      adapter.parseCallback(signedCallback(succeeded, { timestamp: NOW_SECONDS - 3600 }), ctx),
      CallbackRejected,
    );
    expect(error.message).toMatch(/stale/);
  });

  it('refuses every callback when no webhook secret is configured', async () => {
    const { adapter, ctx } = callbackContext({ credentials: { apiKey: 'k' } });
    const error = await rejectionOf(adapter.parseCallback(signedCallback(succeeded), ctx), CallbackRejected);
    expect(error.message).toMatch(/secret/);
  });

  it('refuses a callback signed with another secret', async () => {
    const { adapter, ctx } = callbackContext();
    const callback = signedCallback(succeeded, { secret: formatWebhookSecret(Buffer.from('someone-elses-secret-32-bytes!!!')) });
    await rejectionOf(adapter.parseCallback(callback, ctx), CallbackRejected);
  });

  it('refuses a callback about another job', async () => {
    const { adapter, ctx } = callbackContext();
    const other = task({
      task_status: 'succeed',
      task_info: { external_task_id: 'job_other' },
      task_result: { videos: [{ url: 'https://x.test/v.mp4' }] },
    });
    const error = await rejectionOf(adapter.parseCallback(signedCallback(other), ctx), CallbackRejected);
    expect(error.message).toMatch(/job_other/);
    const without = task({ task_info: undefined });
    await rejectionOf(adapter.parseCallback(signedCallback(without), ctx), CallbackRejected);
  });

  it('refuses a signed body that is not a legacy task (e.g. the new-standard test callback)', async () => {
    const { adapter, ctx } = callbackContext();
    const testCallback = { id: '913827032734642185', status: 'submitted', outputs: [], message: '', create_time: 1, update_time: 1 };
    await rejectionOf(adapter.parseCallback(signedCallback(testCallback), ctx), CallbackRejected);
  });

  it('refuses a callback without signature headers', async () => {
    const { adapter, ctx } = callbackContext();
    const error = await rejectionOf(
      adapter.parseCallback({ query: {}, headers: {}, rawBody: JSON.stringify(succeeded), jobId: JOB_ID }, ctx),
      CallbackRejected,
    );
    expect(error.message).toMatch(/missing/);
  });
});
