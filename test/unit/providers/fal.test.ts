import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ErrorKind } from '../../../lambdas/domain/errors.ts';
import type { CreateJobRequest, Mode, ResolvedRequest } from '../../../lambdas/domain/job.ts';
import type { AdapterContext, CallbackRequest, ProviderAdapter, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { FalQueueAdapter, parseFalTaskId, resultPathBelowBase } from '../../../lambdas/providers/fal/adapter.ts';
import { DEFAULT_FAL_JWKS_URL, FAL_JOB_TAG_PARAM, falJobTag } from '../../../lambdas/providers/fal/webhook.ts';
import { resolveRequest } from '../../../lambdas/domain/validation.ts';
import { estimateCostOf } from '../../../lambdas/providers/scaffold.ts';
import { FIXED_NOW, NEVER_ANSWERS, adapterSetup, jsonResponse, rejectionOf, submissionBuilders } from './fake-fetch.ts';
import type { FakeHandler, RecordedRequest } from './fake-fetch.ts';

const BASE = 'https://queue.fal.test';
const KEY = 'fal-key-id:fal-key-secret';
const JOB_ID = 'job_01hz8k3m0000abcdefghjkmnpq';
const REQUEST_ID = '764cabcf-b745-4b3e-ae38-1200304cf45b';
const CALLBACK_URL = `https://hooks.example.test/v1/callbacks/fal/${JOB_ID}`;
const JWKS_URL = 'https://keys.fal.test/.well-known/jwks.json';
const NOW_SECONDS = Math.floor(FIXED_NOW.getTime() / 1000);
const V3_T2V = 'fal-ai/kling-video/v3/standard/text-to-video';

const submitted = (endpoint = V3_T2V, requestId = REQUEST_ID) => {
  const [owner, app] = endpoint.split('/');
  const response = `${BASE}/${owner}/${app}/requests/${requestId}`;
  return jsonResponse({
    status: 'IN_QUEUE',
    request_id: requestId,
    response_url: response,
    status_url: `${response}/status`,
    cancel_url: `${response}/cancel`,
    queue_position: 0,
  });
};

const { resolved, submission } = submissionBuilders(
  { provider: 'fal', model: 'kling-v3', prompt: 'a lighthouse at dusk', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
  { jobId: JOB_ID, callbackUrl: CALLBACK_URL },
);

const setup = adapterSetup(() => new FalQueueAdapter(), { baseUrl: BASE, credentials: { apiKey: KEY } });

/** Submits and returns what went over the wire. */
async function sent(mode: Mode, request: Partial<ResolvedRequest>, extra: Partial<SubmitRequest> = {}): Promise<RecordedRequest> {
  const { adapter, ctx, requests } = setup((recorded) => submitted(recorded.url.pathname.slice(1)));
  await adapter.submit(submission(mode, request, extra), ctx);
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

describe('capabilities', () => {
  const adapter = new FalQueueAdapter();
  const model = (id: string) => adapter.capabilities.models.find((m) => m.id === id);

  it('offers the fal Kling models, signed callbacks and cancel', () => {
    expect(adapter.id).toBe('fal');
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
      'kling-o3',
    ]);
    expect(model(adapter.capabilities.defaultModel)?.id).toBe('kling-v3');
    expect(adapter.capabilities).toMatchObject({ callbacks: true, callbackAuth: 'signature', cancel: true });
    expect(adapter.cancel).toBeTypeOf('function');
  });

  it('describes what each model can do', () => {
    expect(model('kling-o3')?.modes).toEqual(['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit', 'multi-shot']);
    expect(model('kling-o3')).toMatchObject({ negativePrompt: false, cfgScale: false, keepOriginalSound: true, maxReferenceImages: 7 });
    expect(model('kling-v3')?.modes).toEqual(['text-to-video', 'image-to-video', 'multi-shot']);
    expect(model('kling-v3')?.durationsSeconds).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(model('kling-v3')?.resolutions).toEqual(['720p', '1080p', '4k']);
    expect(model('kling-v2-1')?.modes).toEqual(['image-to-video']);
    expect(model('kling-v1-6')).toMatchObject({ maxReferenceImages: 4 });
    expect(adapter.capabilities.models.filter((m) => m.cameraControl).map((m) => m.id)).toEqual(['kling-v1']);
    expect(adapter.capabilities.models.filter((m) => m.audio).map((m) => m.id)).toEqual(['kling-v2-6', 'kling-v3', 'kling-o3']);
    // Only v2.6 pro image-to-video lists voice_ids in fal's endpoint catalog.
    expect(adapter.capabilities.models.filter((m) => m.voice).map((m) => m.id)).toEqual(['kling-v2-6']);
    expect(model('kling-v3')).toMatchObject({
      shotDurationsSeconds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
      promptWithShots: false,
    });
    expect(adapter.capabilities.models.filter((m) => m.resolutions).map((m) => m.id)).toEqual(['kling-v3', 'kling-o3']);
    expect(adapter.capabilities.models.every((m) => m.fps === undefined)).toBe(true);
  });

  describe('forbid what the models cannot do, before anything is sent (422)', () => {
    const lookup = { capabilitiesOf: () => adapter.capabilities, enabledProviders: ['fal'], defaultProvider: 'fal' };
    const refusedPaths = (body: CreateJobRequest) => {
      const outcome = resolveRequest(body, lookup);
      return outcome.ok ? [] : outcome.details.map((d) => d.path);
    };
    const ref = { url: 'https://cdn.example.test/a.png' };

    it.each([
      [{ model: 'kling-o3', prompt: 'p', negativePrompt: 'blur' }, 'negativePrompt'],
      [{ model: 'kling-o3', prompt: 'p', cfgScale: 0.4 }, 'cfgScale'],
      [{ model: 'kling-v3', prompt: 'p', referenceImages: [ref] }, 'referenceImages'],
      [{ model: 'kling-v3', prompt: 'p', video: { url: 'https://cdn.example.test/v.mp4' } }, 'video'],
      [{ model: 'kling-v2-6', prompt: 'p', resolution: '4k' }, 'resolution'],
      [{ model: 'kling-v3', prompt: 'p', fps: 30 }, 'fps'],
      [{ model: 'kling-v3', prompt: 'p', durationSeconds: 20 }, 'durationSeconds'],
      [{ model: 'kling-v2-5-turbo', prompt: 'p', durationSeconds: 7 }, 'durationSeconds'],
      [{ model: 'kling-v3', prompt: 'p', cameraControl: { type: 'down_back' } }, 'cameraControl'],
      [{ model: 'kling-v2-1', prompt: 'p' }, 'prompt'],
      [{ model: 'kling-v2-master', prompt: 'p', quality: 'pro' }, 'quality'],
      [{ model: 'kling-v2-master', image: ref, endImage: ref }, 'endImage'],
      [{ model: 'kling-o3', prompt: 'p', voice: { ids: ['v1'] } }, 'voice'],
      [{ model: 'kling-v2-5-turbo', prompt: 'p', audio: true }, 'audio'],
      [{ model: 'kling-v1-6', prompt: 'p', referenceImages: [ref, ref, ref, ref, ref] }, 'referenceImages'],
      [{ model: 'kling-v3', prompt: 'p', keepOriginalSound: true }, 'keepOriginalSound'],
      [{ model: 'kling-v3', prompt: 'p', voice: { ids: ['v1'] } }, 'voice'],
      [{ model: 'kling-v2-6', prompt: 'p', voice: { ids: ['v1'] } }, 'voice'],
      [{ model: 'kling-v2-6', prompt: 'p', image: ref, voice: { description: 'calm' } }, 'voice.description'],
      [{ model: 'kling-v2-6', prompt: 'p', image: ref, cfgScale: 0.5 }, 'cfgScale'],
      [{ model: 'kling-v2-5-turbo', prompt: 'p', quality: 'std' }, 'quality'],
      [{ model: 'kling-o3', video: { url: 'https://cdn.example.test/v.mp4' } }, 'prompt'],
      [{ model: 'kling-o3', prompt: 'p', video: { url: 'https://cdn.example.test/v.mp4' }, resolution: '4k' }, 'resolution'],
      [{ model: 'kling-v1-6', prompt: 'p', image: ref, endImage: ref }, 'endImage'],
      [{ model: 'kling-v1', prompt: 'p', image: ref, cameraControl: { type: 'down_back' } }, 'cameraControl'],
      [{ model: 'kling-v2-1', image: ref }, 'prompt'],
      [{ model: 'kling-v3', endImage: ref, prompt: 'p' }, 'image'],
      // "Either prompt or multi_prompt must be provided": without shots, the prompt is needed.
      [{ model: 'kling-v3', image: ref }, 'prompt'],
      [{ model: 'kling-o3', referenceImages: [ref] }, 'prompt'],
      [{ model: 'kling-v3', prompt: 'p', shots: [{ prompt: 'a', durationSeconds: 5 }] }, 'prompt'],
      [
        { model: 'kling-o3', prompt: 'p', video: { url: 'https://cdn.example.test/v.mp4' }, referenceImages: [ref, ref, ref, ref, ref] },
        'referenceImages',
      ],
    ] as [CreateJobRequest, string][])('%j is refused at %s', (body, path) => {
      expect(refusedPaths({ provider: 'fal', ...body })).toContain(path);
    });

    it('names the endpoint that lacks a field, and where fal takes it instead', () => {
      const outcome = resolveRequest({ provider: 'fal', model: 'kling-v3', prompt: 'p', image: ref, voice: { ids: ['v1'] } }, lookup);
      expect(outcome.ok ? [] : outcome.details).toEqual([
        { path: 'voice', message: 'a voice is not supported by fal model kling-v3; fal models that take it: kling-v2-6' },
      ]);
      const v26 = resolveRequest({ provider: 'fal', model: 'kling-v2-6', prompt: 'p', voice: { ids: ['v1'] } }, lookup);
      expect(v26.ok ? [] : v26.details).toEqual([
        {
          path: 'voice',
          message:
            'a voice (voice_ids) is not taken by fal endpoint fal-ai/kling-video/v2.6/pro/text-to-video; on fal it is taken by: kling-v2-6 image-to-video',
        },
      ]);
      const turbo = resolveRequest({ provider: 'fal', model: 'kling-v2-5-turbo', prompt: 'p', quality: 'std' }, lookup);
      expect(turbo.ok ? [] : turbo.details).toEqual([
        {
          path: 'quality',
          message: 'fal kling-v2-5-turbo: fal has no standard endpoint for text-to-video; text-to-video is available with quality pro',
        },
      ]);
    });

    it('accepts what they can do', () => {
      expect(
        refusedPaths({
          provider: 'fal',
          model: 'kling-o3',
          video: { url: 'https://cdn.example.test/v.mp4' },
          prompt: 'snow',
          keepOriginalSound: true,
        }),
      ).toEqual([]);
      expect(refusedPaths({ provider: 'fal', model: 'kling-v3', prompt: 'p', resolution: '4k', audio: true })).toEqual([]);
      expect(
        refusedPaths({
          provider: 'fal',
          model: 'kling-v3',
          durationSeconds: 5,
          shots: [
            { prompt: 'a', durationSeconds: 2 },
            { prompt: 'b', durationSeconds: 3 },
          ],
        }),
      ).toEqual([]);
      expect(
        refusedPaths({ provider: 'fal', model: 'kling-v1', prompt: 'p', cameraControl: { type: 'simple', config: { zoom: 4 } } }),
      ).toEqual([]);
    });
  });
});

describe('submit', () => {
  it('POSTs a text-to-video input to the endpoint with Key auth and the webhook, and returns <endpoint>:<request_id>', async () => {
    const { adapter, ctx, requests } = setup(() => submitted());
    const result = await adapter.submit(
      submission('text-to-video', { negativePrompt: 'blur', cfgScale: 0.4, durationSeconds: 10, aspectRatio: '9:16', audio: false }),
      ctx,
    );
    expect(result).toEqual({ providerTaskId: `${V3_T2V}:${REQUEST_ID}` });
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.origin + request?.url.pathname).toBe(`${BASE}/${V3_T2V}`);
    expect(request?.headers.get('authorization')).toBe(`Key ${KEY}`);
    expect(request?.json).toEqual({
      prompt: 'a lighthouse at dusk',
      aspect_ratio: '9:16',
      duration: '10',
      negative_prompt: 'blur',
      cfg_scale: 0.4,
      generate_audio: false,
    });
    const webhook = new URL(request?.url.searchParams.get('fal_webhook') ?? '');
    expect(webhook.origin + webhook.pathname).toBe(CALLBACK_URL);
    expect(webhook.searchParams.get(FAL_JOB_TAG_PARAM)).toBe(falJobTag(KEY, JOB_ID));
    expect(request?.url.search).toContain(`fal_webhook=${encodeURIComponent(webhook.origin)}`);
  });

  it('leaves the webhook out without a callback URL, and joins a key id and secret with a colon', async () => {
    const { adapter, ctx, requests } = setup(() => submitted(), { credentials: { accessKey: 'kid', secretKey: 'ksecret' } });
    await adapter.submit(submission('text-to-video', {}, { callbackUrl: undefined }), ctx);
    expect(requests[0]?.url.searchParams.has('fal_webhook')).toBe(false);
    expect(requests[0]?.headers.get('authorization')).toBe('Key kid:ksecret');
  });

  it('picks the tier from quality, or from resolution where the model has a 4K tier', async () => {
    expect((await sent('text-to-video', { quality: 'pro' })).url.pathname).toBe('/fal-ai/kling-video/v3/pro/text-to-video');
    expect((await sent('text-to-video', { resolution: '4k' })).url.pathname).toBe('/fal-ai/kling-video/v3/4k/text-to-video');
    expect((await sent('text-to-video', { resolution: '1080p' })).url.pathname).toBe('/fal-ai/kling-video/v3/pro/text-to-video');
    expect((await sent('text-to-video', { resolution: '720p', quality: 'pro' })).url.pathname).toBe(`/${V3_T2V}`);
    expect((await sent('text-to-video', { model: 'kling-v2-master' })).url.pathname).toBe('/fal-ai/kling-video/v2/master/text-to-video');
    expect((await sent('text-to-video', { model: 'kling-v2-5-turbo', quality: 'pro' })).url.pathname).toBe(
      '/fal-ai/kling-video/v2.5-turbo/pro/text-to-video',
    );
  });

  it('image-to-video on v2.1 pro: image_url + tail_image_url, no aspect_ratio', async () => {
    const request = await sent('image-to-video', {
      model: 'kling-v2-1',
      quality: 'pro',
      image: { url: 'https://cdn.example.test/a.png' },
      endImage: { url: 'https://cdn.example.test/b.png' },
    });
    expect(request.url.pathname).toBe('/fal-ai/kling-video/v2.1/pro/image-to-video');
    expect(request.json).toEqual({
      prompt: 'a lighthouse at dusk',
      image_url: 'https://cdn.example.test/a.png',
      tail_image_url: 'https://cdn.example.test/b.png',
      duration: '5',
    });
  });

  it('image-to-video on v3 and v2.6: start_image_url + end_image_url; on O3: image_url + end_image_url', async () => {
    const frames = { image: { url: 'https://cdn.example.test/a.png' }, endImage: { url: 'https://cdn.example.test/b.png' } };
    const v3 = await sent('image-to-video', { ...frames, quality: 'pro' });
    expect(v3.url.pathname).toBe('/fal-ai/kling-video/v3/pro/image-to-video');
    expect(v3.json).toEqual({
      prompt: 'a lighthouse at dusk',
      start_image_url: 'https://cdn.example.test/a.png',
      end_image_url: 'https://cdn.example.test/b.png',
      duration: '5',
    });
    const o3 = await sent('image-to-video', { ...frames, model: 'kling-o3' });
    expect(o3.url.pathname).toBe('/fal-ai/kling-video/o3/standard/image-to-video');
    expect(o3.json).toMatchObject({ image_url: 'https://cdn.example.test/a.png', end_image_url: 'https://cdn.example.test/b.png' });
    expect(o3.json).not.toHaveProperty('start_image_url');
  });

  it('native audio and voice ids on v2.6 image-to-video: generate_audio + voice_ids', async () => {
    const request = await sent('image-to-video', {
      model: 'kling-v2-6',
      quality: 'pro',
      image: { url: 'https://cdn.example.test/a.png' },
      voice: { ids: ['voice-a', 'voice-b'] },
      prompt: '<<<voice_1>>> says hello to <<<voice_2>>>',
    });
    expect(request.url.pathname).toBe('/fal-ai/kling-video/v2.6/pro/image-to-video');
    expect(request.json).toEqual({
      prompt: '<<<voice_1>>> says hello to <<<voice_2>>>',
      start_image_url: 'https://cdn.example.test/a.png',
      duration: '5',
      voice_ids: ['voice-a', 'voice-b'],
      generate_audio: true,
    });
  });

  it('reference-to-video: input_image_urls on v1.6 elements, image_urls (+ start frame) on O3', async () => {
    const refs = ['https://cdn.example.test/1.png', 'https://cdn.example.test/2.png'];
    const v16 = await sent('reference-to-video', { model: 'kling-v1-6', quality: 'pro', referenceImages: refs.map((url) => ({ url })) });
    expect(v16.url.pathname).toBe('/fal-ai/kling-video/v1.6/pro/elements');
    expect(v16.json).toEqual({ prompt: 'a lighthouse at dusk', input_image_urls: refs, aspect_ratio: '16:9', duration: '5' });

    const o3 = await sent('reference-to-video', {
      model: 'kling-o3',
      quality: 'pro',
      referenceImages: refs.map((url) => ({ url })),
      image: { url: 'https://cdn.example.test/start.png' },
      audio: true,
    });
    expect(o3.url.pathname).toBe('/fal-ai/kling-video/o3/pro/reference-to-video');
    expect(o3.json).toEqual({
      prompt: 'a lighthouse at dusk',
      start_image_url: 'https://cdn.example.test/start.png',
      image_urls: refs,
      aspect_ratio: '16:9',
      duration: '5',
      generate_audio: true,
    });
  });

  it('video edit on O3: video_url + keep_audio, no duration or aspect ratio', async () => {
    const request = await sent('video-edit', {
      model: 'kling-o3',
      prompt: 'make it snow',
      video: { url: 'https://cdn.example.test/in.mp4' },
      keepOriginalSound: true,
    });
    expect(request.url.pathname).toBe('/fal-ai/kling-video/o3/standard/video-to-video/edit');
    expect(request.json).toEqual({ prompt: 'make it snow', video_url: 'https://cdn.example.test/in.mp4', keep_audio: true });
  });

  it('multi-shot on v3: multi_prompt with string durations and shot_type customize, no prompt', async () => {
    const shots = [
      { prompt: 'wide shot of the harbour', durationSeconds: 4 },
      { prompt: 'close-up of the keeper', durationSeconds: 3 },
    ];
    const request = await sent('multi-shot', { prompt: undefined, shots, durationSeconds: 7, audio: true });
    expect(request.url.pathname).toBe(`/${V3_T2V}`);
    expect(request.json).toEqual({
      multi_prompt: [
        { prompt: 'wide shot of the harbour', duration: '4' },
        { prompt: 'close-up of the keeper', duration: '3' },
      ],
      shot_type: 'customize',
      aspect_ratio: '16:9',
      duration: '7',
      generate_audio: true,
    });
    const withFrame = await sent('multi-shot', {
      prompt: undefined,
      shots,
      durationSeconds: 7,
      image: { url: 'https://cdn.example.test/a.png' },
    });
    expect(withFrame.url.pathname).toBe('/fal-ai/kling-video/v3/standard/image-to-video');
    expect(withFrame.json).toMatchObject({ start_image_url: 'https://cdn.example.test/a.png', shot_type: 'customize' });
    // Shots of 1–15 s each, as fal's catalog allows (KlingV3MultiPromptElement.duration).
    const short = await sent('multi-shot', {
      prompt: undefined,
      shots: [
        { prompt: 'a', durationSeconds: 2 },
        { prompt: 'b', durationSeconds: 3 },
      ],
      durationSeconds: 5,
    });
    expect(short.json).toMatchObject({
      multi_prompt: [
        { prompt: 'a', duration: '2' },
        { prompt: 'b', duration: '3' },
      ],
      duration: '5',
    });
  });

  it('image-to-video on v1.6 pro: image_url + tail_image_url + aspect_ratio, as its catalog input lists them', async () => {
    const request = await sent('image-to-video', {
      model: 'kling-v1-6',
      quality: 'pro',
      aspectRatio: '9:16',
      image: { url: 'https://cdn.example.test/a.png' },
      endImage: { url: 'https://cdn.example.test/b.png' },
    });
    expect(request.url.pathname).toBe('/fal-ai/kling-video/v1.6/pro/image-to-video');
    expect(request.json).toEqual({
      prompt: 'a lighthouse at dusk',
      image_url: 'https://cdn.example.test/a.png',
      tail_image_url: 'https://cdn.example.test/b.png',
      aspect_ratio: '9:16',
      duration: '5',
    });
  });

  it('camera control on v1: a preset as camera_control, one axis as advanced_camera_control', async () => {
    const preset = await sent('text-to-video', { model: 'kling-v1', cameraControl: { type: 'forward_up' } });
    expect(preset.url.pathname).toBe('/fal-ai/kling-video/v1/standard/text-to-video');
    expect(preset.json).toMatchObject({ camera_control: 'forward_up' });
    const simple = await sent('text-to-video', { model: 'kling-v1', cameraControl: { type: 'simple', config: { pan: -3, zoom: 0 } } });
    expect(simple.json).toMatchObject({ advanced_camera_control: { movement_type: 'pan', movement_value: -3 } });
    expect(simple.json).not.toHaveProperty('camera_control');
  });

  it('sends bare base64 media as a data URI with the sniffed type, and prepared media over the request refs', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString('base64');
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).toString('base64');
    const request = await sent(
      'image-to-video',
      { image: { s3Key: 'uploads/a.png' }, endImage: { url: 'https://cdn.example.test/ignored.png' } },
      { media: { image: png, endImage: jpeg } },
    );
    expect(request.json).toMatchObject({
      start_image_url: `data:image/png;base64,${png}`,
      end_image_url: `data:image/jpeg;base64,${jpeg}`,
    });
  });

  it.each([
    ['an S3 ref without prepared media', submission('image-to-video', { image: { s3Key: 'uploads/a.png' } })],
    ['a voice description', submission('text-to-video', { voice: { description: 'a calm narrator' } })],
    ['voice ids where the endpoint takes none (v3 text-to-video)', submission('text-to-video', { voice: { ids: ['v'] } })],
    ['a prompt next to shots', submission('multi-shot', { shots: [{ prompt: 'a', durationSeconds: 5 }] })],
    [
      'voice ids on v3 image-to-video (its catalog input has no voice_ids)',
      submission('image-to-video', { image: { url: 'https://x.test/a.png' }, voice: { ids: ['v'] } }),
    ],
    ['shots that do not fill the video', submission('multi-shot', { prompt: undefined, shots: [{ prompt: 'a', durationSeconds: 4 }] })],
    [
      'an end frame on v1.6 standard',
      submission('image-to-video', {
        model: 'kling-v1-6',
        image: { url: 'https://x.test/a.png' },
        endImage: { url: 'https://x.test/b.png' },
      }),
    ],
    ['an end frame alone', submission('image-to-video', { endImage: { url: 'https://x.test/b.png' } })],
    [
      'cfg_scale on v2.6 image-to-video',
      submission('image-to-video', { model: 'kling-v2-6', quality: 'pro', cfgScale: 0.5, image: { url: 'https://x.test/a.png' } }),
    ],
    ['text-to-video on v2.5-turbo standard', submission('text-to-video', { model: 'kling-v2-5-turbo', quality: 'std' })],
    ['a 4K video edit', submission('video-edit', { model: 'kling-o3', resolution: '4k', video: { url: 'https://x.test/v.mp4' } })],
    [
      'camera control on image-to-video',
      submission('image-to-video', { model: 'kling-v1', image: { url: 'https://x.test/a.png' }, cameraControl: { type: 'down_back' } }),
    ],
    [
      'a camera axis pair',
      submission('text-to-video', { model: 'kling-v1', cameraControl: { type: 'simple', config: { pan: 1, tilt: 2 } } }),
    ],
    ['an unknown model', submission('text-to-video', { model: 'kling-v9' })],
  ])('refuses %s before sending anything', async (_what, input) => {
    const { adapter, ctx, requests } = setup(() => submitted());
    const error = await rejectionOf(adapter.submit(input, ctx), ProviderError);
    expect(error.kind).toBe('invalid');
    expect(error.retryable).toBe(false);
    expect(requests).toHaveLength(0);
  });

  it('fails with auth before any request when no key is configured', async () => {
    const { adapter, ctx, requests } = setup(() => submitted(), { credentials: {} });
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('auth');
    expect(requests).toHaveLength(0);
  });

  it('treats a 2xx without request_id as a broken contract (server)', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ status: 'IN_QUEUE' }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('server');
  });
});

describe('errors', () => {
  const typed = (type: string, msg = 'something') => ({
    detail: [{ loc: ['body', 'prompt'], msg, type, url: `https://docs.fal.ai/errors#${type}` }],
  });
  // [what, HTTP status, body, kind, provider code]
  const cases: [string, number, unknown, ErrorKind, string | number][] = [
    [
      '422 validation error (detail list)',
      422,
      { detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' }] },
      'invalid',
      'value_error.missing',
    ],
    ['422 detail as a string', 422, { detail: 'prompt is too long' }, 'invalid', 422],
    ['422 content_policy_violation', 422, typed('content_policy_violation'), 'content_policy', 'content_policy_violation'],
    ['400 bad request', 400, { detail: 'Bad Request' }, 'invalid', 400],
    ['401 bad key', 401, { detail: 'Invalid key' }, 'auth', 401],
    ['403 no access', 403, { detail: 'Forbidden' }, 'auth', 403],
    ['403 locked for exhausted balance', 403, { detail: 'User is locked. Reason: Exhausted balance.' }, 'insufficient_credits', 403],
    ['402 payment required', 402, { detail: 'Payment required' }, 'insufficient_credits', 402],
    ['404 unknown application', 404, { detail: 'Application not found' }, 'invalid', 404],
    ['429 too many requests', 429, { detail: 'Too many requests' }, 'rate_limited', 429],
    ['429 over the concurrency limit', 429, { detail: 'Concurrency limit exceeded' }, 'concurrency_limited', 429],
    ['500 internal_server_error', 500, typed('internal_server_error'), 'server', 'internal_server_error'],
    ['500 untyped', 500, 'Internal Server Error', 'server', 500],
    ['502 bad gateway', 502, '<html>bad gateway</html>', 'server', 502],
    ['503 unavailable', 503, { detail: 'Service Unavailable' }, 'overloaded', 503],
    ['503 downstream_service_unavailable', 503, typed('downstream_service_unavailable'), 'overloaded', 'downstream_service_unavailable'],
    ['504 generation_timeout', 504, typed('generation_timeout'), 'server', 'generation_timeout'],
  ];

  it.each(cases)('%s → %s', async (_what, status, body, kind, code) => {
    const { adapter, ctx } = setup(() =>
      typeof body === 'string' ? new Response(body, { status }) : jsonResponse(body, status, { 'retry-after': '12' }),
    );
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(['rate_limited', 'concurrency_limited', 'overloaded', 'server', 'network'].includes(kind));
    expect(error.httpStatus).toBe(status);
    expect(error.providerCode).toBe(code);
    expect(error.message).toContain(`HTTP ${status}`);
  });

  it('carries Retry-After on a throttle', async () => {
    const { adapter, ctx } = setup(() => jsonResponse({ detail: 'Too many requests' }, 429, { 'retry-after': '30' }));
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 30 });
  });

  it('turns a timeout into a network error', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { timeoutMs: 20 });
    const error = await rejectionOf(adapter.submit(submission('text-to-video'), ctx), ProviderError);
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
  });
});

describe('status', () => {
  const TASK_ID = `${V3_T2V}:${REQUEST_ID}`;
  const STATUS_PATH = `/fal-ai/kling-video/requests/${REQUEST_ID}/status`;
  const RESULT_PATH = `/fal-ai/kling-video/requests/${REQUEST_ID}`;
  const queue = (status: string, extra: Record<string, unknown> = {}) =>
    jsonResponse({ status, request_id: REQUEST_ID, response_url: `${BASE}${RESULT_PATH}`, ...extra }, status === 'COMPLETED' ? 200 : 202);
  const video = { video: { url: 'https://v3.fal.media/files/out.mp4', content_type: 'video/mp4', file_name: 'out.mp4', file_size: 1234 } };

  /** Answers the status path with `status`, the result path with `result`. */
  const routes =
    (status: () => Response, result: () => Response): FakeHandler =>
    (request) =>
      request.url.pathname.endsWith('/status') ? status() : result();

  it('asks the status URL of owner/app only (never the subpath), with Key auth', async () => {
    const { adapter, ctx, requests } = setup(() => queue('IN_QUEUE', { queue_position: 3 }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: 'pending' });
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.href).toBe(`${BASE}${STATUS_PATH}`);
    expect(requests[0]?.headers.get('authorization')).toBe(`Key ${KEY}`);
  });

  it('maps IN_PROGRESS to processing', async () => {
    const { adapter, ctx } = setup(() => queue('IN_PROGRESS', { logs: [] }));
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: 'processing' });
  });

  it('maps COMPLETED to succeeded with the video URL from the response URL', async () => {
    const { adapter, ctx, requests } = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse(video),
      ),
    );
    expect(await adapter.status(TASK_ID, ctx)).toEqual({ providerTaskId: TASK_ID, status: 'succeeded', videoUrl: video.video.url });
    expect(requests.map((r) => r.url.pathname)).toEqual([STATUS_PATH, RESULT_PATH]);
    expect(requests[1]?.headers.get('authorization')).toBe(`Key ${KEY}`);
  });

  it('follows the returned response URL below the base URL, and only there', async () => {
    const elsewhere = setup(
      routes(
        () => queue('COMPLETED', { response_url: `https://evil.example.test${RESULT_PATH}` }),
        () => jsonResponse(video),
      ),
    );
    await elsewhere.adapter.status(TASK_ID, elsewhere.ctx);
    expect(elsewhere.requests[1]?.url.href).toBe(`${BASE}${RESULT_PATH}`);

    const prefixed = setup(
      routes(
        () => queue('COMPLETED', { response_url: `${BASE}/fal/fal-ai/kling-video/requests/${REQUEST_ID}?x=1` }),
        () => jsonResponse(video),
      ),
      {
        baseUrl: `${BASE}/fal`,
      },
    );
    await prefixed.adapter.status(TASK_ID, prefixed.ctx);
    expect(prefixed.requests[1]?.url.href).toBe(`${BASE}/fal${RESULT_PATH}?x=1`);

    expect(resultPathBelowBase(BASE, `${BASE}/fal-ai/kling-video/requests/other-id`, REQUEST_ID)).toBeUndefined();
    expect(resultPathBelowBase(BASE, `${BASE}/fal-ai/../kling-video/requests/${REQUEST_ID}`, REQUEST_ID)).toBeUndefined();
  });

  it('maps a content-policy result error to failed with CONTENT_POLICY', async () => {
    const body = { detail: [{ loc: ['body', 'prompt'], msg: 'flagged by the content checker', type: 'content_policy_violation' }] };
    const { adapter, ctx } = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse(body, 422, { 'x-fal-retryable': 'false' }),
      ),
    );
    const status = await adapter.status(TASK_ID, ctx);
    expect(status).toMatchObject({ status: 'failed', error: { code: 'CONTENT_POLICY', retryable: false } });
    expect(status.error?.message).toContain('flagged by the content checker');
  });

  it('maps other generation errors to failed PROVIDER_FAILED, retryable as X-Fal-Retryable says', async () => {
    const internal = { detail: [{ loc: ['body'], msg: 'runner crashed', type: 'internal_server_error' }] };
    const retry = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse(internal, 500),
      ),
    );
    expect(await retry.adapter.status(TASK_ID, retry.ctx)).toMatchObject({
      status: 'failed',
      error: { code: 'PROVIDER_FAILED', retryable: true },
    });
    const noRetry = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse(internal, 500, { 'x-fal-retryable': 'false' }),
      ),
    );
    expect(await noRetry.adapter.status(TASK_ID, noRetry.ctx)).toMatchObject({ status: 'failed', error: { retryable: false } });
    const invalid = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse({ detail: [{ loc: ['body', 'image_url'], msg: 'too small', type: 'image_too_small' }] }, 422),
      ),
    );
    const failed = await invalid.adapter.status(TASK_ID, invalid.ctx);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_FAILED', retryable: false } });
    expect(failed.error?.message).toContain('image_too_small');
  });

  it("maps a cancelled request (fal's request error client_cancelled, in the body or the header) to cancelled", async () => {
    const inBody = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse({ detail: 'The request was cancelled by the client', error_type: 'client_cancelled' }, 499),
      ),
    );
    expect(await inBody.adapter.status(TASK_ID, inBody.ctx)).toMatchObject({
      status: 'cancelled',
      error: { code: 'CANCELLED', retryable: false },
    });
    const inHeader = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse({ detail: 'Gone' }, 499, { 'x-fal-error-type': 'client_cancelled' }),
      ),
    );
    expect(await inHeader.adapter.status(TASK_ID, inHeader.ctx)).toMatchObject({ status: 'cancelled' });
  });

  it('does not take wording for a type: a message about cancelling is a failure, not a cancellation', async () => {
    const { adapter, ctx } = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse({ detail: 'Request was cancelled.' }, 400),
      ),
    );
    expect(await adapter.status(TASK_ID, ctx)).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_FAILED' } });
  });

  it("reads fal's request errors by type: a runner failure at the result is the request's retryable failure", async () => {
    const { adapter, ctx } = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse({ detail: 'Runner disconnected', error_type: 'runner_disconnected' }, 503),
      ),
    );
    expect(await adapter.status(TASK_ID, ctx)).toMatchObject({
      status: 'failed',
      error: { code: 'PROVIDER_FAILED', retryable: true, message: expect.stringContaining('[runner_disconnected]') },
    });
  });

  it('throws (the poll retries) when the result cannot be reached, rather than failing the job', async () => {
    for (const [status, body, kind] of [
      [503, 'Service Unavailable', 'overloaded'],
      [502, { detail: 'Bad Gateway' }, 'server'],
      [429, { detail: 'Too many requests' }, 'rate_limited'],
      [401, { detail: 'Invalid key' }, 'auth'],
    ] as [number, unknown, ErrorKind][]) {
      const { adapter, ctx } = setup(
        routes(
          () => queue('COMPLETED'),
          () => (typeof body === 'string' ? new Response(body, { status }) : jsonResponse(body, status)),
        ),
      );
      const error = await rejectionOf(adapter.status(TASK_ID, ctx), ProviderError);
      expect(error.kind).toBe(kind);
    }
  });

  it('treats a result without a video as a broken contract, and an unknown status too', async () => {
    const noVideo = setup(
      routes(
        () => queue('COMPLETED'),
        () => jsonResponse({ images: [] }),
      ),
    );
    expect((await rejectionOf(noVideo.adapter.status(TASK_ID, noVideo.ctx), ProviderError)).kind).toBe('server');
    const unknown = setup(() => queue('SLEEPING'));
    expect((await rejectionOf(unknown.adapter.status(TASK_ID, unknown.ctx), ProviderError)).kind).toBe('server');
  });

  it('refuses a task id that is not <endpoint>:<request_id>', async () => {
    const { adapter, ctx, requests } = setup(() => queue('IN_QUEUE'));
    for (const bad of ['', REQUEST_ID, `fal-ai:${REQUEST_ID}`, `fal-ai/kling-video:`, `../x/y:${REQUEST_ID}`]) {
      expect((await rejectionOf(adapter.status(bad, ctx), ProviderError)).kind).toBe('invalid');
    }
    expect(requests).toHaveLength(0);
    expect(parseFalTaskId(`fal-ai/kling-video/o3/pro/video-to-video/edit:${REQUEST_ID}`)).toEqual({
      endpointId: 'fal-ai/kling-video/o3/pro/video-to-video/edit',
      requestId: REQUEST_ID,
      owner: 'fal-ai',
      app: 'kling-video',
    });
  });
});

describe('cancel', () => {
  const TASK_ID = `fal-ai/kling-video/o3/pro/text-to-video:${REQUEST_ID}`;

  it('PUTs the cancel URL of owner/app', async () => {
    const { adapter, ctx, requests } = setup(() => jsonResponse({ status: 'CANCELLATION_REQUESTED' }, 202));
    await adapter.cancel(TASK_ID, ctx);
    expect(requests[0]?.method).toBe('PUT');
    expect(requests[0]?.url.href).toBe(`${BASE}/fal-ai/kling-video/requests/${REQUEST_ID}/cancel`);
    expect(requests[0]?.headers.get('authorization')).toBe(`Key ${KEY}`);
  });

  it('accepts ALREADY_COMPLETED whatever the HTTP status, and refuses NOT_FOUND', async () => {
    const done = setup(() => jsonResponse({ status: 'ALREADY_COMPLETED' }, 400));
    await expect(done.adapter.cancel(TASK_ID, done.ctx)).resolves.toBeUndefined();
    const missing = setup(() => jsonResponse({ status: 'NOT_FOUND' }, 404));
    expect((await rejectionOf(missing.adapter.cancel(TASK_ID, missing.ctx), ProviderError)).kind).toBe('invalid');
    const broken = setup(() => new Response('nope', { status: 500 }));
    expect((await rejectionOf(broken.adapter.cancel(TASK_ID, broken.ctx), ProviderError)).kind).toBe('server');
  });
});

describe('estimateCost', () => {
  // fal's queue API docs publish no price table for these endpoints, so the adapter has no estimateCost and no
  // configuration gets an estimate.
  it.each([
    ['v3 std 5 s', resolved(), 'text-to-video'],
    ['v3 4k 10 s with sound', resolved({ resolution: '4k', durationSeconds: 10, audio: true }), 'text-to-video'],
    ['o3 pro video edit', resolved({ model: 'kling-o3', quality: 'pro' }), 'video-edit'],
  ] as [string, ResolvedRequest, Mode][])('%s: none', (_what, request, mode) => {
    const adapter = new FalQueueAdapter();
    expect((adapter as ProviderAdapter).estimateCost).toBeUndefined();
    expect(estimateCostOf(adapter, request, mode)).toBeUndefined();
  });
});

describe('parseCallback', () => {
  const keys = generateKeyPairSync('ed25519');
  const jwks = { keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'k1' }] };
  const output = { video: { url: 'https://v3.fal.media/files/out.mp4', content_type: 'video/mp4' } };

  function signed(
    body: unknown,
    options: { privateKey?: KeyObject; requestId?: string; timestamp?: number; jobId?: string; tag?: string | null } = {},
  ): CallbackRequest {
    const rawBody = JSON.stringify(body);
    const requestId = options.requestId ?? REQUEST_ID;
    const timestamp = String(options.timestamp ?? NOW_SECONDS);
    const digest = createHash('sha256').update(rawBody).digest('hex');
    const signature = sign(null, Buffer.from(`${requestId}\nuser-1\n${timestamp}\n${digest}`), options.privateKey ?? keys.privateKey);
    const tag = options.tag === undefined ? falJobTag(KEY, JOB_ID) : options.tag;
    return {
      headers: {
        'x-fal-webhook-request-id': requestId,
        'x-fal-webhook-user-id': 'user-1',
        'x-fal-webhook-timestamp': timestamp,
        'x-fal-webhook-signature': signature.toString('hex'),
      },
      query: tag === null ? {} : { [FAL_JOB_TAG_PARAM]: tag },
      rawBody,
      jobId: options.jobId ?? JOB_ID,
    };
  }

  const ok = { request_id: REQUEST_ID, gateway_request_id: REQUEST_ID, status: 'OK', payload: output };

  function callbackSetup(overrides: Partial<AdapterContext> = {}) {
    return setup((request) => (request.url.href === JWKS_URL ? jsonResponse(jwks) : jsonResponse({ detail: 'unexpected' }, 500)), {
      settings: { JWKS_URL },
      ...overrides,
    });
  }

  it('verifies the Ed25519 signature against the JWKS and maps OK to succeeded', async () => {
    const { adapter, ctx, requests } = callbackSetup();
    expect(await adapter.parseCallback(signed(ok), ctx)).toEqual({
      providerTaskId: REQUEST_ID,
      status: 'succeeded',
      videoUrl: output.video.url,
    });
    expect(requests.map((r) => r.url.href)).toEqual([JWKS_URL]);
    expect(requests[0]?.headers.get('authorization')).toBeNull();
  });

  it('caches the JWKS (one fetch for many callbacks) for at most 24 h', async () => {
    let now = FIXED_NOW;
    const { adapter, ctx, requests } = callbackSetup({ now: () => now });
    await adapter.parseCallback(signed(ok), ctx);
    now = new Date(FIXED_NOW.getTime() + 23 * 3600_000);
    await adapter.parseCallback(signed(ok, { timestamp: Math.floor(now.getTime() / 1000) }), ctx);
    expect(requests).toHaveLength(1);
    now = new Date(FIXED_NOW.getTime() + 25 * 3600_000);
    await adapter.parseCallback(signed(ok, { timestamp: Math.floor(now.getTime() / 1000) }), ctx);
    expect(requests).toHaveLength(2);
  });

  it('reads the JWKS from the default URL when JWKS_URL is not set', async () => {
    const { adapter, ctx, requests } = setup(() => jsonResponse(jwks), { settings: {} });
    await adapter.parseCallback(signed(ok), ctx);
    expect(requests[0]?.url.href).toBe(DEFAULT_FAL_JWKS_URL);
  });

  it('maps an ERROR webhook with a content-policy payload to failed CONTENT_POLICY', async () => {
    const { adapter, ctx } = callbackSetup();
    const error = {
      request_id: REQUEST_ID,
      status: 'ERROR',
      error: 'Invalid status code: 422',
      payload: { detail: [{ loc: ['body', 'prompt'], msg: 'flagged', type: 'content_policy_violation' }] },
    };
    expect(await adapter.parseCallback(signed(error), ctx)).toMatchObject({
      providerTaskId: REQUEST_ID,
      status: 'failed',
      error: { code: 'CONTENT_POLICY', retryable: false },
    });
    const validation = {
      request_id: REQUEST_ID,
      status: 'ERROR',
      error: 'Invalid status code: 422',
      payload: { detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' }] },
    };
    expect(await adapter.parseCallback(signed(validation), ctx)).toMatchObject({
      status: 'failed',
      error: { code: 'PROVIDER_FAILED', retryable: false },
    });
  });

  it('leaves an OK webhook whose payload could not be serialised to the next poll', async () => {
    const { adapter, ctx } = callbackSetup();
    const body = { request_id: REQUEST_ID, status: 'OK', payload: null, payload_error: 'too large' };
    expect(await adapter.parseCallback(signed(body), ctx)).toEqual({ providerTaskId: REQUEST_ID, status: 'processing' });
  });

  it.each([
    ['a tampered body', (cb: CallbackRequest) => ({ ...cb, rawBody: cb.rawBody.replace('out.mp4', 'evil.mp4') })],
    ['a signature by another key', () => signed(ok, { privateKey: generateKeyPairSync('ed25519').privateKey })],
    ['a stale timestamp', () => signed(ok, { timestamp: NOW_SECONDS - 301 })],
    ['a timestamp from the future', () => signed(ok, { timestamp: NOW_SECONDS + 301 })],
    [
      'a signature header that is not hex',
      (cb: CallbackRequest) => ({ ...cb, headers: { ...cb.headers, 'x-fal-webhook-signature': 'zz' } }),
    ],
    ['missing headers', (cb: CallbackRequest) => ({ ...cb, headers: {} })],
    [
      'another request id in the headers',
      (cb: CallbackRequest) => ({ ...cb, headers: { ...cb.headers, 'x-fal-webhook-request-id': 'other' } }),
    ],
    ['a body about another request than the signature', () => signed({ ...ok, request_id: 'another-request' })],
    ['a callback for another job (its tag)', () => signed(ok, { jobId: 'job_other' })],
    ['a callback URL without the job tag', () => signed(ok, { tag: null })],
    ['a body that is not a fal webhook', () => signed({ hello: 'world' })],
  ] as [string, (cb: CallbackRequest) => CallbackRequest][])('refuses %s', async (_what, make) => {
    const { adapter, ctx } = callbackSetup();
    await expect(adapter.parseCallback(make(signed(ok)), ctx)).rejects.toBeInstanceOf(CallbackRejected);
  });

  it('fetches the JWKS again when a signature matches no cached key (key rotation), at most once a minute', async () => {
    const rotated = generateKeyPairSync('ed25519');
    let served = jwks;
    let now = FIXED_NOW;
    const { adapter, ctx, requests } = setup(() => jsonResponse(served), { settings: { JWKS_URL }, now: () => now });
    await adapter.parseCallback(signed(ok), ctx);
    served = { keys: [{ ...rotated.publicKey.export({ format: 'jwk' }), kid: 'k2' }] };
    await expect(adapter.parseCallback(signed(ok, { privateKey: rotated.privateKey }), ctx)).rejects.toBeInstanceOf(CallbackRejected);
    expect(requests).toHaveLength(1);
    now = new Date(FIXED_NOW.getTime() + 61_000);
    const later = Math.floor(now.getTime() / 1000);
    expect(await adapter.parseCallback(signed(ok, { privateKey: rotated.privateKey, timestamp: later }), ctx)).toMatchObject({
      status: 'succeeded',
    });
    expect(requests).toHaveLength(2);
  });

  it('is a retryable network error, not a rejection, when the JWKS cannot be fetched', async () => {
    const { adapter, ctx } = setup(NEVER_ANSWERS, { settings: { JWKS_URL }, timeoutMs: 20 });
    const error = await rejectionOf(adapter.parseCallback(signed(ok), ctx), ProviderError);
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });
});
