// The adapter scaffold (lambdas/providers/scaffold.ts): the work every adapter shares, tested once here rather than
// in each adapter's tests.
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ProviderError } from '../../../lambdas/domain/errors.ts';
import type { ResolvedRequest } from '../../../lambdas/domain/job.ts';
import type { ProviderAdapter, ProviderCapabilities, SubmitRequest } from '../../../lambdas/providers/port.ts';
import {
  POLLED_ONLY,
  bareBase64,
  errorKindsOf,
  estimateCostOf,
  fitSubmission,
  mediaTypeOfBase64,
  modelFactory,
  modelFor,
  parseCallbackOf,
  preparedMedia,
  refusalFor,
  requireUrl,
  statusFrom,
} from '../../../lambdas/providers/scaffold.ts';
import { contextWith, fakeFetch, rejectionOf } from './fake-fetch.ts';

const acmeModel = modelFactory({
  modes: ['text-to-video'],
  durationsSeconds: [5, 10],
  defaultDurationSeconds: 5,
  aspectRatios: ['16:9'],
  qualities: ['std'],
  cfgScale: false,
  audio: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: true,
});

const ACME: ProviderCapabilities = {
  defaultModel: 'acme-1',
  models: [
    acmeModel('acme-1'),
    acmeModel('acme-2', { modes: ['text-to-video', 'image-to-video'], endImage: true }),
    acmeModel('acme-refs', { modes: ['reference-to-video'], maxReferenceImages: 4 }),
  ],
  ...POLLED_ONLY,
};

const request = (overrides: Partial<ResolvedRequest> = {}): ResolvedRequest => ({
  provider: 'acme',
  model: 'acme-2',
  prompt: 'a fox',
  durationSeconds: 5,
  aspectRatio: '16:9',
  quality: 'std',
  ...overrides,
});

const submission = (
  overrides: Partial<ResolvedRequest>,
  media: SubmitRequest['media'],
  mode: SubmitRequest['mode'] = 'image-to-video',
): SubmitRequest => ({
  jobId: 'job_1',
  mode,
  request: request(overrides),
  media,
});

const IMAGE = { url: 'https://cdn.example.test/a.png' };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');

describe('modelFactory', () => {
  it('makes a model from the defaults with the overrides on top', () => {
    expect(acmeModel('acme-3', { durationsSeconds: [3], defaultDurationSeconds: 3, audio: true })).toEqual({
      id: 'acme-3',
      modes: ['text-to-video'],
      durationsSeconds: [3],
      defaultDurationSeconds: 3,
      aspectRatios: ['16:9'],
      qualities: ['std'],
      cfgScale: false,
      audio: true,
      cameraControl: false,
      endImage: false,
      negativePrompt: true,
    });
  });

  it('gives every model its own lists, so changing one changes no other', () => {
    const one = acmeModel('one');
    const two = acmeModel('two');
    one.durationsSeconds.push(15);
    expect(two.durationsSeconds).toEqual([5, 10]);
    expect(acmeModel('three').durationsSeconds).toEqual([5, 10]);
  });
});

describe('fitting a submission', () => {
  it('finds the model the request names', () => {
    expect(modelFor('acme', ACME, 'acme-2').id).toBe('acme-2');
  });

  it('refuses an unknown model as invalid, naming it and the allowed ones', () => {
    const error = (() => {
      try {
        modelFor('acme', ACME, 'acme-9');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'invalid', retryable: false });
    expect((error as Error).message).toBe("acme: 'acme-9' is not a acme model; allowed: acme-1, acme-2, acme-refs");
  });

  it('builds refusals that name provider and model', () => {
    const refusal = refusalFor(request())('no such thing');
    expect(refusal).toBeInstanceOf(ProviderError);
    expect(refusal).toMatchObject({ kind: 'invalid', message: 'acme acme-2: no such thing' });
  });

  it('returns the model, the prepared media and the refusal builder', () => {
    const fitted = fitSubmission(submission({ image: IMAGE }, { image: IMAGE.url }), ACME);
    expect(fitted.model.id).toBe('acme-2');
    expect(fitted.media).toEqual({ image: IMAGE.url });
    expect(fitted.refuse('x').message).toBe('acme acme-2: x');
  });

  it('refuses a request that does not fit its model with the problems create answers with, before the media are read', () => {
    // An end frame on acme-1 (which takes none), asked for in a mode it lacks: the 422's words, each with its path.
    const attempt = () => fitSubmission(submission({ model: 'acme-1', image: IMAGE, endImage: IMAGE }, {}), ACME);
    expect(attempt).toThrow(ProviderError);
    expect(attempt).toThrow(
      'acme acme-1: image: image-to-video is not supported by acme model acme-1; allowed modes: text-to-video; ' +
        'endImage: an end frame is not supported by acme model acme-1',
    );
  });

  it("asks the provider's own fit rules with the resolved request, mode and model, and refuses what they refuse", () => {
    const seen: unknown[] = [];
    const picky: ProviderCapabilities = {
      ...ACME,
      fit: (resolved, mode, model) => {
        seen.push([resolved.prompt, mode, model.id]);
        return resolved.prompt === 'a fox' ? [{ path: 'prompt', message: 'no foxes here' }] : [];
      },
    };
    expect(() => fitSubmission(submission({ image: IMAGE }, { image: IMAGE.url }), picky)).toThrow('acme acme-2: prompt: no foxes here');
    expect(fitSubmission(submission({ image: IMAGE, prompt: 'a hare' }, { image: IMAGE.url }), picky).model.id).toBe('acme-2');
    expect(seen).toEqual([
      ['a fox', 'image-to-video', 'acme-2'],
      ['a hare', 'image-to-video', 'acme-2'],
    ]);
  });

  it.each<[string, Partial<ResolvedRequest>, SubmitRequest['media'], RegExp]>([
    ['an input that was not prepared', { image: { s3Key: 'uploads/a.png' } }, {}, /image was not prepared/],
    ['an end frame that was not prepared', { image: IMAGE, endImage: IMAGE }, { image: IMAGE.url }, /endImage was not prepared/],
    ['a video that was not prepared', { video: { url: 'https://cdn.example.test/v.mp4' } }, {}, /video was not prepared/],
    ['prepared media for an input the request does not name', {}, { image: PNG }, /media\.image was given, but the request has no image/],
    [
      'fewer prepared reference images than named',
      { model: 'acme-refs', referenceImages: [IMAGE, IMAGE] },
      { referenceImages: [IMAGE.url] },
      /1 prepared reference images for the 2/,
    ],
    ['prepared reference images the request does not name', {}, { referenceImages: [IMAGE.url] }, /1 prepared reference images for the 0/],
  ])('refuses %s before anything is sent', (_what, overrides, media, message) => {
    const mode = overrides.referenceImages ? 'reference-to-video' : 'image-to-video';
    const attempt = () => fitSubmission(submission(overrides, media, mode), ACME);
    expect(attempt).toThrow(ProviderError);
    expect(attempt).toThrow(message);
  });

  it('passes media that match the request one for one, as Submit prepared them', () => {
    const media = { image: PNG, referenceImages: [IMAGE.url, IMAGE.url], video: 'https://bucket.test/v.mp4?X-Amz-Signature=s' };
    const input = submission(
      { image: { s3Key: 'uploads/a.png' }, referenceImages: [IMAGE, IMAGE], video: { s3Key: 'uploads/v.mp4' } },
      media,
    );
    expect(preparedMedia(input, refusalFor(input.request))).toBe(media);
  });
});

describe('media forms', () => {
  const refuse = refusalFor(request());

  it('takes http(s) URLs, and only https when asked', () => {
    expect(requireUrl('https://a.test/x.png', 'image', refuse)).toBe('https://a.test/x.png');
    expect(requireUrl('http://a.test/x.png', 'image', refuse)).toBe('http://a.test/x.png');
    expect(requireUrl('https://a.test/x.png', 'image_url', refuse, { httpsOnly: true })).toBe('https://a.test/x.png');
  });

  it.each<[string, string, boolean, RegExp]>([
    ['bare base64', PNG, false, /image must be an http\(s\) URL; this API takes no base64$/],
    ['a data URL', `data:image/png;base64,${PNG}`, false, /takes no base64/],
    ['a file URL', 'file:///etc/passwd', false, /must be an http\(s\) URL/],
    ['plain http where https is required', 'http://a.test/x.png', true, /must be an https URL; this API takes no base64 and no plain http/],
  ])('refuses %s as invalid, naming the field', (_what, value, httpsOnly, message) => {
    const attempt = () => requireUrl(value, 'image', refuse, { httpsOnly });
    expect(attempt).toThrow(ProviderError);
    expect(attempt).toThrow(message);
  });

  it('strips a data URL prefix to bare base64 and leaves anything else alone', () => {
    expect(bareBase64(`data:image/png;base64,${PNG}`)).toBe(PNG);
    expect(bareBase64(`DATA:image/jpeg;BASE64,${PNG}`)).toBe(PNG);
    expect(bareBase64(PNG)).toBe(PNG);
    expect(bareBase64('https://a.test/x.png')).toBe('https://a.test/x.png');
  });

  it.each<[string, number[], string | undefined]>([
    ['PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
    ['JPEG', [0xff, 0xd8, 0xff, 0xe0], 'image/jpeg'],
    ['GIF', [...Buffer.from('GIF89a')], 'image/gif'],
    ['WebP', [...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBP')], 'image/webp'],
    ['RIFF that is not WebP', [...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WAVE')], undefined],
    ['MP4', [0, 0, 0, 0x18, ...Buffer.from('ftypisom')], 'video/mp4'],
    ['QuickTime', [0, 0, 0, 0x14, ...Buffer.from('ftypqt  ')], 'video/quicktime'],
    ['WebM', [0x1a, 0x45, 0xdf, 0xa3], 'video/webm'],
    ['zeros', [0, 0, 0, 0, 0, 0], undefined],
  ])('tells %s from its first bytes', (_what, bytes, type) => {
    expect(mediaTypeOfBase64(Buffer.from(bytes).toString('base64'))).toBe(type);
  });
});

describe('optional callbacks and cost', () => {
  const polled: ProviderAdapter = {
    id: 'acme',
    capabilities: ACME,
    submit: async () => ({ providerTaskId: 't' }),
    status: async () => ({ providerTaskId: 't', status: 'pending' }),
  };
  const callback = { headers: {}, query: {}, rawBody: '{"status":"succeeded"}', jobId: 'job_1' };

  it('declares a polled provider: no callbacks, no cancel, url-token', () => {
    expect(POLLED_ONLY).toEqual({ callbacks: false, callbackAuth: 'url-token', cancel: false });
  });

  it('refuses a callback for a provider without parseCallback, naming it, and sends nothing', async () => {
    const fake = fakeFetch(() => new Response('{}'));
    const error = await rejectionOf(parseCallbackOf(polled, callback, contextWith(fake.fetch)), CallbackRejected);
    expect(error.message).toBe('acme sends no callbacks (its tasks are polled), so this request did not come from it');
    expect(fake.requests).toHaveLength(0);
  });

  it('hands a callback to the adapter’s parseCallback, with what it returns or throws', async () => {
    const ctx = contextWith(fakeFetch(() => new Response('{}')).fetch);
    const seen: unknown[] = [];
    const signed: ProviderAdapter = {
      ...polled,
      parseCallback: async (received, context) => {
        seen.push(received, context);
        if (received.jobId === 'job_forged') throw new CallbackRejected('bad signature');
        return { providerTaskId: 't', status: 'succeeded', videoUrl: 'https://cdn.test/v.mp4' };
      },
    };
    expect(await parseCallbackOf(signed, callback, ctx)).toEqual({
      providerTaskId: 't',
      status: 'succeeded',
      videoUrl: 'https://cdn.test/v.mp4',
    });
    expect(seen).toEqual([callback, ctx]);
    await rejectionOf(parseCallbackOf(signed, { ...callback, jobId: 'job_forged' }, ctx), CallbackRejected);
  });

  it('estimates nothing for a provider without a price table, and asks the adapter otherwise', () => {
    expect(estimateCostOf(polled, request(), 'text-to-video')).toBeUndefined();
    const priced: ProviderAdapter = {
      ...polled,
      estimateCost: (resolved, mode) => (mode === 'text-to-video' ? { credits: resolved.durationSeconds * 2 } : undefined),
    };
    expect(estimateCostOf(priced, request({ durationSeconds: 10 }), 'text-to-video')).toEqual({ credits: 20 });
    expect(estimateCostOf(priced, request(), 'image-to-video')).toBeUndefined();
  });
});

describe('vocabulary helpers', () => {
  it('turns a table of codes with kinds into code → kind', () => {
    expect(errorKindsOf({ 1000: { kind: 'auth', meaning: 'x' }, RATE: { kind: 'rate_limited' } })).toEqual({
      1000: 'auth',
      RATE: 'rate_limited',
    });
  });

  it('reads a status word from its table, and calls an unknown word a server error naming the known ones', () => {
    const table = { queued: 'pending', done: 'succeeded' } as const;
    expect(statusFrom(table, 'done', 'acme task 1')).toBe('succeeded');
    const attempt = () => statusFrom(table, 'melting', 'acme task 1');
    expect(attempt).toThrow(ProviderError);
    expect(attempt).toThrow("acme task 1 has status 'melting', which is not one of queued, done");
    expect(() => statusFrom(table, 'toString', 'acme task 1')).toThrow(ProviderError);
  });
});
