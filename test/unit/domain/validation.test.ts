import { describe, expect, it } from 'vitest';
import type { CreateJobRequest } from '../../../lambdas/domain/job.ts';
import type { ModelCapabilities, ProviderCapabilities } from '../../../lambdas/providers/port.ts';
import { KLING_CAPABILITIES, KlingLegacyAdapter } from '../../../lambdas/providers/kling/adapter.ts';
import { fitProblems, resolveRequest, type ProviderLookup } from '../../../lambdas/domain/validation.ts';

const kling = new KlingLegacyAdapter();

/** A tiny provider for edges Kling's map does not have: resolutions, no negative prompt, empty lists, video edits. */
const toyModel = (id: string, overrides: Partial<ModelCapabilities> = {}): ModelCapabilities => ({
  id,
  modes: ['text-to-video', 'video-edit'],
  durationsSeconds: [4, 8],
  defaultDurationSeconds: 8,
  aspectRatios: ['9:16', '1:1'],
  qualities: ['pro'],
  resolutions: ['720p', '1080p'],
  cfgScale: false,
  audio: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: false,
  ...overrides,
});
const TOY_CAPABILITIES: ProviderCapabilities = {
  defaultModel: 'toy-1',
  models: [toyModel('toy-1'), toyModel('toy-bare', { aspectRatios: [], qualities: [], resolutions: undefined })],
  callbacks: false,
  callbackAuth: 'url-token',
  cancel: true,
};

function lookup(defaultProvider = 'kling'): ProviderLookup {
  const enabled: Record<string, ProviderCapabilities> = { [kling.id]: kling.capabilities, toy: TOY_CAPABILITIES };
  return {
    capabilitiesOf: (id) => (Object.hasOwn(enabled, id) ? enabled[id] : undefined),
    enabledProviders: Object.keys(enabled),
    defaultProvider,
  };
}

const PUBLIC_IMAGE = { url: 'https://cdn.example.com/a.png' };

function problemsOf(body: CreateJobRequest, providers = lookup()) {
  const resolution = resolveRequest(body, providers);
  expect(resolution.ok, `expected ${JSON.stringify(body)} to be refused`).toBe(false);
  return resolution.ok ? [] : resolution.details;
}

function resolved(body: CreateJobRequest, providers = lookup()) {
  const resolution = resolveRequest(body, providers);
  if (!resolution.ok) throw new Error(`expected ${JSON.stringify(body)} to resolve, got ${JSON.stringify(resolution.details)}`);
  return resolution;
}

describe('resolveRequest: provider and model', () => {
  it('the adapter exposes the capability map the lookup uses', () => {
    expect(kling.capabilities).toBe(KLING_CAPABILITIES);
  });

  it('fills every default from the default provider and its default model', () => {
    const { request, mode } = resolved({ prompt: 'a red fox' });
    expect(mode).toBe('text-to-video');
    expect(request).toEqual({
      prompt: 'a red fox',
      provider: 'kling',
      model: KLING_CAPABILITIES.defaultModel,
      durationSeconds: 5,
      aspectRatio: '16:9',
      quality: 'std',
    });
  });

  it('uses the lookup default provider', () => {
    const { request } = resolved({ prompt: 'x' }, lookup('toy'));
    expect(request).toMatchObject({ provider: 'toy', model: 'toy-1', durationSeconds: 8, aspectRatio: '9:16', quality: 'pro' });
  });

  it('keeps what the caller chose, and every other field of the body', () => {
    const body: CreateJobRequest = {
      provider: 'kling',
      model: 'kling-v1',
      prompt: 'x',
      negativePrompt: 'blur',
      durationSeconds: 10,
      aspectRatio: '1:1',
      quality: 'pro',
      cfgScale: 0.4,
      metadata: { order: '42' },
      callbackUrl: 'https://hooks.example.com/cb',
    };
    const before = structuredClone(body);
    const { request } = resolved(body);
    expect(request).toEqual(body);
    expect(body).toEqual(before);
  });

  it('falls back to 16:9 and std when a model lists no aspect ratios or qualities', () => {
    const { request } = resolved({ provider: 'toy', model: 'toy-bare', prompt: 'x' });
    expect(request.aspectRatio).toBe('16:9');
    expect(request.quality).toBe('std');
  });

  it('refuses a provider that is not enabled, naming the enabled ones, and nothing else', () => {
    expect(problemsOf({ provider: 'runway', prompt: 'x', durationSeconds: 999 })).toEqual([
      { path: 'provider', message: "'runway' is not an enabled provider; allowed: kling, toy" },
    ]);
  });

  it('refuses a default provider that is not enabled', () => {
    expect(problemsOf({ prompt: 'x' }, lookup('gone'))).toEqual([
      { path: 'provider', message: "'gone' is not an enabled provider; allowed: kling, toy" },
    ]);
  });

  it('refuses an unknown model, naming the provider models', () => {
    const details = problemsOf({ model: 'kling-v9', prompt: 'x' });
    expect(details).toHaveLength(1);
    expect(details[0]?.path).toBe('model');
    expect(details[0]?.message).toBe(`'kling-v9' is not a kling model; allowed: ${KLING_CAPABILITIES.models.map((m) => m.id).join(', ')}`);
  });

  it('refuses a model of another provider', () => {
    expect(problemsOf({ provider: 'toy', model: 'kling-v3', prompt: 'x' })).toEqual([
      { path: 'model', message: "'kling-v3' is not a toy model; allowed: toy-1, toy-bare" },
    ]);
  });
});

describe('resolveRequest: modes', () => {
  it.each<[string, CreateJobRequest, string]>([
    ['image-to-video on kling-v3 needs no prompt', { image: PUBLIC_IMAGE }, 'image-to-video'],
    ['an end image alone is image-to-video', { model: 'kling-v1', endImage: PUBLIC_IMAGE }, 'image-to-video'],
    [
      'reference images on kling-v1-6',
      { model: 'kling-v1-6', prompt: 'x', referenceImages: [PUBLIC_IMAGE, PUBLIC_IMAGE] },
      'reference-to-video',
    ],
    [
      'shots on kling-v3',
      {
        shots: [
          { prompt: 'a', durationSeconds: 2 },
          { prompt: 'b', durationSeconds: 3 },
        ],
      },
      'multi-shot',
    ],
    ['a video edit on toy', { provider: 'toy', video: { url: 'https://cdn.example.com/v.mp4' } }, 'video-edit'],
  ])('%s', (_name, body, mode) => {
    expect(resolved(body).mode).toBe(mode);
  });

  it.each<[string, CreateJobRequest, string, string]>([
    [
      'text-to-video on image-only kling-v1-5',
      { model: 'kling-v1-5', prompt: 'x' },
      'prompt',
      'text-to-video is not supported by kling model kling-v1-5; allowed modes: image-to-video',
    ],
    [
      'image-to-video on toy',
      { provider: 'toy', image: PUBLIC_IMAGE },
      'image',
      'image-to-video is not supported by toy model toy-1; allowed modes: text-to-video, video-edit',
    ],
    [
      'reference images on kling-v3',
      { prompt: 'x', referenceImages: [PUBLIC_IMAGE] },
      'referenceImages',
      'reference-to-video is not supported by kling model kling-v3; allowed modes: text-to-video, image-to-video, multi-shot',
    ],
    [
      'a video edit on kling',
      { video: { url: 'https://cdn.example.com/v.mp4' } },
      'video',
      'video-edit is not supported by kling model kling-v3; allowed modes: text-to-video, image-to-video, multi-shot',
    ],
    [
      'shots on kling-v2-6',
      { model: 'kling-v2-6', shots: [{ prompt: 'a', durationSeconds: 5 }] },
      'shots',
      'multi-shot is not supported by kling model kling-v2-6; allowed modes: text-to-video, image-to-video',
    ],
    [
      // Shots adding up to a length the model lacks: the mode's refusal alone, no advice about the lengths.
      'shots of 100 s on kling-v2-6',
      {
        model: 'kling-v2-6',
        shots: [
          { prompt: 'a', durationSeconds: 50 },
          { prompt: 'b', durationSeconds: 50 },
        ],
      },
      'shots',
      'multi-shot is not supported by kling model kling-v2-6; allowed modes: text-to-video, image-to-video',
    ],
  ])('refuses %s on the field that chose the mode', (_name, body, path, message) => {
    expect(problemsOf(body)).toEqual([{ path, message }]);
  });

  it('needs a prompt for text-to-video', () => {
    expect(problemsOf({})).toEqual([
      { path: 'prompt', message: 'a prompt is required for text-to-video (or give image, referenceImages, video or shots)' },
    ]);
  });
});

describe('resolveRequest: values against the model', () => {
  it.each<[CreateJobRequest, string, string]>([
    [{ model: 'kling-v2-6', durationSeconds: 7 }, 'durationSeconds', '7 is not allowed for kling model kling-v2-6; allowed: 5, 10'],
    [
      { durationSeconds: 16 },
      'durationSeconds',
      '16 is not allowed for kling model kling-v3; allowed: 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15',
    ],
    [{ provider: 'toy', aspectRatio: '16:9' }, 'aspectRatio', "'16:9' is not allowed for toy model toy-1; allowed: 9:16, 1:1"],
    [{ model: 'kling-v2-master', quality: 'pro' }, 'quality', "'pro' is not allowed for kling model kling-v2-master; allowed: std"],
    [{ resolution: '1080p' }, 'resolution', 'kling model kling-v3 does not take a resolution (it follows quality)'],
    [{ provider: 'toy', resolution: '4k' }, 'resolution', "'4k' is not allowed for toy model toy-1; allowed: 720p, 1080p"],
    [
      { provider: 'toy', model: 'toy-bare', resolution: '720p' },
      'resolution',
      'toy model toy-bare does not take a resolution (it follows quality)',
    ],
    [
      { cfgScale: 0.5 },
      'cfgScale',
      'cfgScale is not supported by kling model kling-v3; kling models that take it: kling-v1, kling-v1-5, kling-v1-6',
    ],
    [
      { model: 'kling-v1', audio: true },
      'audio',
      'native audio is not supported by kling model kling-v1; kling models that take it: kling-v2-6, kling-v3',
    ],
    [
      { cameraControl: { type: 'down_back' } },
      'cameraControl',
      'camera control is not supported by kling model kling-v3; kling models that take it: kling-v1, kling-v1-5',
    ],
    [
      { model: 'kling-v2-master', endImage: PUBLIC_IMAGE },
      'endImage',
      'an end frame is not supported by kling model kling-v2-master; kling models that take it: kling-v1, kling-v1-5, kling-v1-6, kling-v2-1, kling-v2-5-turbo, kling-v2-6, kling-v3',
    ],
    [
      { provider: 'toy', negativePrompt: '' },
      'negativePrompt',
      'a negative prompt is not supported by toy model toy-1; no toy model takes it',
    ],
  ])('%j → %s', (fields, path, message) => {
    const base = fields.endImage ? {} : { prompt: 'x' };
    expect(problemsOf({ ...base, ...fields })).toEqual([{ path, message }]);
  });

  it.each<[CreateJobRequest]>([
    [{ model: 'kling-v2-6', durationSeconds: 10 }],
    [{ durationSeconds: 3 }],
    [{ durationSeconds: 15 }],
    [{ provider: 'toy', aspectRatio: '1:1', resolution: '1080p' }],
    [{ model: 'kling-v1', cfgScale: 0.5 }],
    [{ model: 'kling-v1', audio: false }],
    [{ model: 'kling-v2-6', audio: true, quality: 'pro' }],
    [{ model: 'kling-v1', cameraControl: { type: 'simple', config: { zoom: 2 } } }],
    [{ model: 'kling-v2-master', quality: 'std' }],
    [{ negativePrompt: 'blur' }],
  ])('accepts %j', (fields) => {
    expect(resolveRequest({ prompt: 'x', ...fields }, lookup()).ok).toBe(true);
  });

  it('refuses camera control with an end frame, even on a model that has both', () => {
    expect(
      problemsOf({ model: 'kling-v1', prompt: 'x', image: PUBLIC_IMAGE, endImage: PUBLIC_IMAGE, cameraControl: { type: 'down_back' } }),
    ).toEqual([{ path: 'cameraControl', message: 'camera control cannot be combined with an end frame (endImage)' }]);
  });

  describe('shots', () => {
    const shots = (...durations: number[]) => durations.map((durationSeconds, i) => ({ prompt: `shot ${i}`, durationSeconds }));

    it.each<[CreateJobRequest, number]>([
      [{ shots: shots(2, 3) }, 5],
      [{ shots: shots(5, 5, 5), durationSeconds: 15 }, 15],
      [{ shots: shots(3), durationSeconds: 3 }, 3],
      // No durationSeconds: the video is as long as the shots add up to.
      [{ shots: shots(2, 2) }, 4],
      [{ shots: shots(5, 5) }, 10],
    ])('accepts shots that add up to the video: %j', (body, duration) => {
      const { request, mode } = resolved(body);
      expect(mode).toBe('multi-shot');
      expect(request.durationSeconds).toBe(duration);
    });

    it.each<[CreateJobRequest, string]>([
      [{ shots: shots(2, 2), durationSeconds: 5 }, 'shot durations add up to 4 s but the video is 5 s; they must be equal'],
      [{ shots: shots(5, 5), durationSeconds: 12 }, 'shot durations add up to 10 s but the video is 12 s; they must be equal'],
      [
        { shots: shots(1, 1) },
        'shot durations add up to 2 s, which is not a length kling model kling-v3 makes; allowed: 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15',
      ],
    ])('refuses shots that do not add up: %j', (body, message) => {
      expect(problemsOf(body)).toEqual([{ path: 'shots', message }]);
    });
  });
});

describe('resolveRequest: inputs and callback URL', () => {
  it.each<[string, CreateJobRequest, string, string]>([
    ['a loopback image', { image: { url: 'http://127.0.0.1/a.png' } }, 'image.url', "must name a public host, not '127.0.0.1'"],
    [
      'a metadata-service end image',
      { model: 'kling-v1', endImage: { url: 'http://169.254.169.254/latest/meta-data/' } },
      'endImage.url',
      "must name a public host, not '169.254.169.254'",
    ],
    ['an image with credentials', { image: { url: 'https://u:p@cdn.example.com/a.png' } }, 'image.url', 'must not carry credentials'],
    [
      'a private video',
      { provider: 'toy', video: { url: 'http://10.0.0.5/v.mp4' } },
      'video.url',
      "must name a public host, not '10.0.0.5'",
    ],
    [
      'an S3 image outside uploads/',
      { image: { s3Key: 'private/a.png' } },
      'image.s3Key',
      "must be a key under uploads/ in the inputs bucket, with no empty, '.' or '..' segment",
    ],
    [
      'an S3 image key of more than 1,024 bytes of UTF-8 (1,008 characters)',
      { image: { s3Key: `uploads/${'é'.repeat(1000)}` } },
      'image.s3Key',
      'is 2008 bytes in UTF-8; an S3 key is at most 1024',
    ],
    [
      'an S3 image key with a NUL',
      { image: { s3Key: 'uploads/a\u0000.png' } },
      'image.s3Key',
      'must not contain control characters (U+0000 to U+001F, U+007F to U+009F)',
    ],
    [
      'an S3 image key with a C1 control (U+0085)',
      { image: { s3Key: 'uploads/a\u0085.png' } },
      'image.s3Key',
      'must not contain control characters (U+0000 to U+001F, U+007F to U+009F)',
    ],
    [
      'an S3 image key with a line break',
      { image: { s3Key: 'uploads/a\r\nb.png' } },
      'image.s3Key',
      'must not contain control characters (U+0000 to U+001F, U+007F to U+009F)',
    ],
    [
      'an S3 image key climbing out of uploads/',
      { image: { s3Key: 'uploads/../private/a.png' } },
      'image.s3Key',
      "must be a key under uploads/ in the inputs bucket, with no empty, '.' or '..' segment",
    ],
    [
      'an S3 image key with an empty segment',
      { image: { s3Key: 'uploads//x.png' } },
      'image.s3Key',
      "must be a key under uploads/ in the inputs bucket, with no empty, '.' or '..' segment",
    ],
    [
      'an S3 key that is only the prefix',
      { image: { s3Key: 'uploads/' } },
      'image.s3Key',
      "must be a key under uploads/ in the inputs bucket, with no empty, '.' or '..' segment",
    ],
    ['an http callback', { prompt: 'x', callbackUrl: 'http://hooks.example.com/cb' }, 'callbackUrl', 'must use https'],
    [
      'a localhost callback',
      { prompt: 'x', callbackUrl: 'https://localhost:8443/cb' },
      'callbackUrl',
      "must name a public host, not 'localhost'",
    ],
    [
      'an IPv6 unique-local callback',
      { prompt: 'x', callbackUrl: 'https://[fd00::1]/cb' },
      'callbackUrl',
      "must name a public host, not '[fd00::1]'",
    ],
  ])('refuses %s', (_name, body, path, message) => {
    expect(problemsOf(body)).toEqual([{ path, message }]);
  });

  it('names the reference image by its index', () => {
    expect(
      problemsOf({
        model: 'kling-v1-6',
        prompt: 'x',
        referenceImages: [PUBLIC_IMAGE, { url: 'http://192.168.1.20/b.png' }, { s3Key: 'uploads/c.png' }],
      }),
    ).toEqual([{ path: 'referenceImages.1.url', message: "must name a public host, not '192.168.1.20'" }]);
  });

  it('accepts an uploaded image by its key', () => {
    expect(resolved({ image: { s3Key: 'uploads/my cat (1).png' } }).request.image).toEqual({ s3Key: 'uploads/my cat (1).png' });
  });

  it('accepts a loopback http callback only where the local stack allows it, and no other private host', () => {
    const body = { prompt: 'x', callbackUrl: 'http://127.0.0.1:8123/hook' };
    expect(problemsOf(body).map((p) => p.path)).toEqual(['callbackUrl']);
    const local = { ...lookup(), allowLoopbackCallbackUrls: true };
    expect(resolveRequest(body, local).ok).toBe(true);
    expect(resolveRequest({ prompt: 'x', callbackUrl: 'http://localhost:8123/hook' }, local).ok).toBe(true);
    expect(problemsOf({ prompt: 'x', callbackUrl: 'http://10.0.0.8/hook' }, local).map((p) => p.path)).toEqual(['callbackUrl']);
    expect(problemsOf({ prompt: 'x', callbackUrl: 'https://169.254.169.254/hook' }, local).map((p) => p.path)).toEqual(['callbackUrl']);
  });

  it('accepts public http and https inputs and an https callback', () => {
    const { request } = resolved({
      image: { url: 'http://cdn.example.com/a.png' },
      prompt: 'x',
      callbackUrl: 'https://hooks.example.com/cb',
    });
    expect(request.image).toEqual({ url: 'http://cdn.example.com/a.png' });
    expect(request.callbackUrl).toBe('https://hooks.example.com/cb');
  });
});

describe('resolveRequest: every problem at once', () => {
  it('reports each problem with its field, in one answer', () => {
    const details = problemsOf({
      model: 'kling-v2-master',
      durationSeconds: 7,
      quality: 'pro',
      resolution: '4k',
      cfgScale: 0.5,
      audio: true,
      image: { url: 'http://10.0.0.1/a.png' },
      callbackUrl: 'http://hooks.example.com/cb',
    });
    expect(details.map((d) => d.path)).toEqual([
      'durationSeconds',
      'quality',
      'resolution',
      'cfgScale',
      'audio',
      'image.url',
      'callbackUrl',
    ]);
    for (const detail of details) expect(detail.message.length).toBeGreaterThan(0);
  });
});

describe('capability fields added for the other dialects', () => {
  const model = {
    id: 'wide',
    modes: ['text-to-video', 'reference-to-video', 'video-edit'] as ('text-to-video' | 'reference-to-video' | 'video-edit')[],
    durationsSeconds: [5],
    defaultDurationSeconds: 5,
    aspectRatios: ['16:9' as const],
    qualities: ['std' as const],
    cfgScale: false,
    audio: true,
    cameraControl: false,
    endImage: false,
    negativePrompt: false,
    fps: [24, 30],
    maxReferenceImages: 2,
    voice: true,
    keepOriginalSound: true,
  };
  const lookup = {
    enabledProviders: ['wide'],
    defaultProvider: 'wide',
    capabilitiesOf: (id: string) =>
      id === 'wide'
        ? { defaultModel: 'wide', models: [model], callbacks: false, callbackAuth: 'url-token' as const, cancel: false }
        : undefined,
  };
  const ref = { url: 'https://img.example.com/a.png' };
  const problems = (body: Record<string, unknown>) => {
    const result = resolveRequest(body as never, lookup);
    return result.ok ? [] : result.details.map((d) => d.path);
  };

  it('checks fps, reference image count, voice and keepOriginalSound against the model', () => {
    expect(problems({ prompt: 'x', fps: 30 })).toEqual([]);
    expect(problems({ prompt: 'x', fps: 60 })).toEqual(['fps']);
    expect(problems({ prompt: 'x', referenceImages: [ref, ref] })).toEqual([]);
    expect(problems({ prompt: 'x', referenceImages: [ref, ref, ref] })).toEqual(['referenceImages']);
    expect(problems({ prompt: 'x', voice: { description: 'calm' } })).toEqual([]);
    expect(problems({ prompt: 'x', voice: { description: 'calm' }, audio: false })).toEqual(['voice']);
    expect(problems({ prompt: 'x', video: { url: 'https://v.example.com/a.mp4' }, keepOriginalSound: true })).toEqual([]);
    expect(problems({ prompt: 'x', keepOriginalSound: true })).toEqual(['keepOriginalSound']);
  });

  it('refuses what a model without these fields cannot do', () => {
    const bare = { ...model, fps: undefined, maxReferenceImages: undefined, voice: undefined, keepOriginalSound: undefined };
    const bareLookup = {
      ...lookup,
      capabilitiesOf: () => ({ defaultModel: 'wide', models: [bare], callbacks: false, callbackAuth: 'url-token' as const, cancel: false }),
    };
    const result = resolveRequest(
      {
        prompt: 'x',
        fps: 24,
        referenceImages: [ref],
        voice: { ids: ['v1'] },
        video: { url: 'https://v.example.com/a.mp4' },
        keepOriginalSound: true,
      } as never,
      bareLookup,
    );
    expect(result.ok ? [] : result.details.map((d) => d.path).sort()).toEqual(['fps', 'keepOriginalSound', 'referenceImages', 'voice']);
  });
});

describe('the fit rules create, the Validate step and Submit share', () => {
  const base: ModelCapabilities = toyModel('rules', {
    modes: ['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit', 'multi-shot'],
    durationsSeconds: [5, 10],
    defaultDurationSeconds: 5,
    aspectRatios: ['16:9'],
    qualities: ['std', 'pro'],
    resolutions: undefined,
    cfgScale: true,
    audio: true,
    cameraControl: true,
    endImage: true,
    negativePrompt: true,
    voice: true,
    maxReferenceImages: 3,
  });
  const providerWith = (overrides: Partial<ModelCapabilities>, extra: Partial<ProviderCapabilities> = {}): ProviderLookup => {
    const capabilities: ProviderCapabilities = {
      ...TOY_CAPABILITIES,
      defaultModel: 'rules',
      models: [{ ...base, ...overrides }],
      ...extra,
    };
    return { capabilitiesOf: (id) => (id === 'rules' ? capabilities : undefined), enabledProviders: ['rules'], defaultProvider: 'rules' };
  };
  const details = (body: CreateJobRequest, providers: ProviderLookup) => {
    const outcome = resolveRequest(body, providers);
    return outcome.ok ? [] : outcome.details;
  };
  const IMAGE = PUBLIC_IMAGE;
  const VIDEO = { url: 'https://cdn.example.com/in.mp4' };
  const shots = (...durations: number[]) => durations.map((durationSeconds, i) => ({ prompt: `shot ${i}`, durationSeconds }));

  it('needs a prompt in the modes the model says, and only there', () => {
    const providers = providerWith({ promptRequiredIn: ['image-to-video'] });
    expect(details({ image: IMAGE }, providers)).toEqual([
      { path: 'prompt', message: 'rules model rules needs a prompt for image-to-video' },
    ]);
    expect(details({ video: VIDEO }, providers)).toEqual([]);
    expect(details({ image: IMAGE }, providerWith({}))).toEqual([]);
  });

  it('caps the prompt and negative prompt at the model’s lengths, naming both numbers', () => {
    const providers = providerWith({ maxPromptChars: 10, maxNegativePromptChars: 3 });
    expect(details({ prompt: 'x'.repeat(11), negativePrompt: 'blur' }, providers)).toEqual([
      { path: 'prompt', message: '11 characters is too long for rules model rules; allowed: at most 10' },
      { path: 'negativePrompt', message: '4 characters is too long for rules model rules; allowed: at most 3' },
    ]);
    expect(details({ prompt: 'x'.repeat(10), negativePrompt: 'abc' }, providers)).toEqual([]);
  });

  it('refuses an end frame alone where the model needs a start frame', () => {
    const message = 'rules model rules needs a start frame (image) for image-to-video; an end frame alone is not enough';
    expect(details({ prompt: 'x', endImage: IMAGE }, providerWith({ startImageRequired: true }))).toEqual([{ path: 'image', message }]);
    expect(details({ prompt: 'x', endImage: IMAGE }, providerWith({}))).toEqual([]);
  });

  it('takes a voice only in the forms the model names', () => {
    const idsOnly = providerWith({ voiceForms: ['ids'] });
    expect(details({ prompt: 'x', voice: { description: 'calm' } }, idsOnly)).toEqual([
      { path: 'voice.description', message: 'rules model rules takes a voice as ids only, not as a description' },
    ]);
    expect(details({ prompt: 'x', voice: { ids: ['v1'] } }, idsOnly)).toEqual([]);
    expect(details({ prompt: 'x', voice: { ids: ['v1'] } }, providerWith({ voiceForms: ['description'] }))).toEqual([
      { path: 'voice.ids', message: 'rules model rules takes a voice as description only, not as voice ids' },
    ]);
  });

  it('checks each shot’s length and a prompt beside shots against the model', () => {
    const providers = providerWith({ shotDurationsSeconds: [2, 3, 4, 5], promptWithShots: false });
    expect(details({ shots: shots(2, 3) }, providers)).toEqual([]);
    expect(details({ shots: shots(1, 4), prompt: 'both' }, providers)).toEqual([
      { path: 'shots.0.durationSeconds', message: 'a shot of 1 s is not allowed for rules model rules; allowed: 2, 3, 4, 5' },
      {
        path: 'prompt',
        message: 'rules model rules takes a multi-shot video as shots alone; leave prompt out (each shot has its own)',
      },
    ]);
    expect(details({ shots: shots(1, 4), prompt: 'both' }, providerWith({}))).toEqual([]);
  });

  it('refuses shots and reference images where the mode the inputs make has no room for them', () => {
    expect(details({ prompt: 'x', video: VIDEO, shots: shots(5) }, providerWith({}))).toEqual([
      { path: 'shots', message: 'shots make a multi-shot video and cannot be combined with video-edit (video)' },
    ]);
    expect(details({ shots: shots(5), referenceImages: [IMAGE] }, providerWith({}))).toEqual([
      { path: 'referenceImages', message: 'reference images cannot be combined with shots' },
    ]);
    expect(details({ prompt: 'x', video: VIDEO, referenceImages: [IMAGE] }, providerWith({}))).toEqual([
      { path: 'referenceImages', message: 'rules model rules takes no reference images beside a video edit' },
    ]);
    const twoBesideEdits = providerWith({ maxEditReferenceImages: 2 });
    expect(details({ prompt: 'x', video: VIDEO, referenceImages: [IMAGE, IMAGE] }, twoBesideEdits)).toEqual([]);
    expect(details({ prompt: 'x', video: VIDEO, referenceImages: [IMAGE, IMAGE, IMAGE] }, twoBesideEdits)).toEqual([
      { path: 'referenceImages', message: 'rules model rules takes at most 2 reference images beside a video edit, got 3' },
    ]);
  });

  it('holds camera control to Kling’s rules: simple moves along one axis, the named movements take no config', () => {
    const providers = providerWith({});
    expect(details({ prompt: 'x', cameraControl: { type: 'simple', config: { zoom: 5, pan: 0 } } }, providers)).toEqual([]);
    expect(details({ prompt: 'x', cameraControl: { type: 'down_back' } }, providers)).toEqual([]);
    expect(details({ prompt: 'x', cameraControl: { type: 'simple', config: { zoom: 5, pan: 1 } } }, providers)).toEqual([
      {
        path: 'cameraControl.config',
        message:
          'camera control simple moves along exactly one axis (one non-zero value of horizontal, vertical, pan, tilt, roll, zoom), got 2',
      },
    ]);
    expect(details({ prompt: 'x', cameraControl: { type: 'simple' } }, providers).map((d) => d.path)).toEqual(['cameraControl.config']);
    expect(details({ prompt: 'x', cameraControl: { type: 'forward_up', config: { zoom: 1 } } }, providers)).toEqual([
      { path: 'cameraControl.config', message: 'camera control forward_up takes no config; give it for type simple only' },
    ]);
  });

  it('takes a feature away where a limit says, with the reason, and leaves it elsewhere', () => {
    const providers = providerWith({
      limits: [
        { when: { qualities: ['std'] }, without: ['audio', 'endImage'], because: 'pro only' },
        { when: { modes: ['reference-to-video'] }, without: ['cfgScale'], because: 'the endpoint has no cfg_scale' },
      ],
    });
    expect(details({ prompt: 'x', audio: true }, providers)).toEqual([
      { path: 'audio', message: 'native audio is not supported by rules model rules with quality std: pro only' },
    ]);
    expect(details({ prompt: 'x', audio: true, quality: 'pro' }, providers)).toEqual([]);
    expect(details({ prompt: 'x', audio: false }, providers)).toEqual([]);
    expect(details({ prompt: 'x', referenceImages: [IMAGE], cfgScale: 0.5, quality: 'pro' }, providers)).toEqual([
      {
        path: 'cfgScale',
        message: 'cfgScale is not supported by rules model rules for reference-to-video: the endpoint has no cfg_scale',
      },
    ]);
    expect(details({ prompt: 'x', cfgScale: 0.5 }, providers)).toEqual([]);
  });

  it('refuses plain http inputs for a provider that fetches over https only', () => {
    const providers = providerWith({}, { httpsInputs: true });
    expect(details({ prompt: 'x', image: { url: 'http://cdn.example.com/a.png' } }, providers)).toEqual([
      { path: 'image.url', message: 'must be an https URL: this provider fetches its inputs over https only' },
    ]);
    expect(details({ prompt: 'x', image: IMAGE }, providers)).toEqual([]);
    expect(details({ prompt: 'x', image: { s3Key: 'uploads/a.png' } }, providers)).toEqual([]);
  });

  it('asks the provider’s own rules with the resolved request once the map is satisfied, and reports what they find', () => {
    const calls: [string | undefined, number, string][] = [];
    const providers = providerWith(
      {},
      {
        fit: (request, mode) => {
          calls.push([request.quality, request.durationSeconds, mode]);
          return request.aspectRatio === '16:9' && mode === 'image-to-video' ? [{ path: 'image', message: 'not today' }] : [];
        },
      },
    );
    expect(details({ prompt: 'x', image: IMAGE }, providers)).toEqual([{ path: 'image', message: 'not today' }]);
    expect(details({ prompt: 'x' }, providers)).toEqual([]);
    // The map refuses first: the provider's rules are not asked about a request that does not fit it.
    expect(details({ prompt: 'x', durationSeconds: 7 }, providers).map((d) => d.path)).toEqual(['durationSeconds']);
    expect(calls).toEqual([
      ['std', 5, 'image-to-video'],
      ['std', 5, 'text-to-video'],
    ]);
  });

  it('gives Submit the same answer as create (fitProblems on the resolved request)', () => {
    const providers = providerWith({
      promptRequiredIn: ['image-to-video'],
      limits: [{ when: { qualities: ['std'] }, without: ['audio'], because: 'pro only' }],
    });
    const capabilities = providers.capabilitiesOf('rules')!;
    const model = capabilities.models[0]!;
    const body: CreateJobRequest = { image: IMAGE, audio: true };
    const request = {
      ...body,
      provider: 'rules',
      model: 'rules',
      durationSeconds: 5,
      aspectRatio: '16:9' as const,
      quality: 'std' as const,
    };
    expect(fitProblems(capabilities, model, request, 'image-to-video')).toEqual(details(body, providers));
    expect(fitProblems(capabilities, model, request, 'image-to-video')).toHaveLength(2);
  });
});
