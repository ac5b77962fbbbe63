// One answer to "does this request fit": a property test over every provider and model. fast-check generates create
// bodies (every field of the create schema, biased towards each model's own modes and values so that many pass);
// each body goes through create's check (`resolveRequest` with every provider enabled, as the API does) and, when it
// passes, through Submit: the media prepared as Submit prepares them (`{url}` as given; `{s3Key}` as a signed https
// URL, or bare base64 for a provider whose images travel as base64), then the real adapter, over real HTTP, to the
// simulator's implementation of that provider. No request that passes create may then be refused at Submit, whether
// by the adapter itself or by the provider (as the simulator plays it): the property is that Submit succeeds.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProviderError } from '../../lambdas/domain/errors.ts';
import type { CreateJobRequest, MediaRef, Mode, ResolvedRequest } from '../../lambdas/domain/job.ts';
import { resolveRequest, type ProviderLookup } from '../../lambdas/domain/validation.ts';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import type { ModelCapabilities, SubmitMedia } from '../../lambdas/providers/port.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { simulatorContext, startCallbackReceiver, type CallbackReceiver } from './helpers.ts';

const getAdapter = await loadAdapters();

const CREDENTIALS = { apiKey: 'fit-key', accessKey: 'fit-access', secretKey: 'fit-secret-key-32-characters-long' };
/** A 1×1 PNG: what a stored image is when it travels as base64. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

let sim: Simulator;
let receiver: CallbackReceiver;

beforeAll(async () => {
  // Long latency: tasks stay queued, nothing is delivered while the property runs (each run resets the simulator).
  sim = await startSimulator({ latencyMs: 600_000 });
  receiver = await startCallbackReceiver('/v1/callbacks');
});

afterAll(async () => {
  await sim?.close();
  await receiver?.close();
});

const providers: ProviderLookup = {
  capabilitiesOf: (id) => (PROVIDER_IDS.includes(id as (typeof PROVIDER_IDS)[number]) ? getAdapter(id).capabilities : undefined),
  enabledProviders: PROVIDER_IDS,
  defaultProvider: 'kling',
};

const MODELS = PROVIDER_IDS.flatMap((provider) => getAdapter(provider).capabilities.models.map((model) => ({ provider, model })));

const word = fc.constantFrom('fox', 'snow', 'harbour', 'lamp', 'wave', 'dusk', 'a', 'the', 'runs', 'slowly');
const text = (max: number) => fc.array(word, { minLength: 1, maxLength: max }).map((words) => words.join(' '));
const media = (extension: string) =>
  fc.oneof(
    fc.nat(99).map((n): MediaRef => ({ url: `https://cdn.example.test/${n}.${extension}` })),
    fc.nat(99).map((n): MediaRef => ({ url: `http://cdn.example.test/${n}.${extension}` })),
    fc.nat(99).map((n): MediaRef => ({ s3Key: `uploads/${n}.${extension}` })),
  );
/**
 * Sometimes a value, sometimes nothing: often (2 in 5) where the model takes the field, rarely (1 in 25) where it
 * does not, so that most bodies pass create and the rest still probe the refusals.
 */
const maybe = <T>(arbitrary: fc.Arbitrary<T>, taken = true): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: taken ? 3 : 24 }, { arbitrary, weight: taken ? 2 : 1 });
const oneOf = <T>(preferred: readonly T[], others: readonly T[]): fc.Arbitrary<T> =>
  preferred.length
    ? fc.oneof({ arbitrary: fc.constantFrom(...preferred), weight: 9 }, { arbitrary: fc.constantFrom(...others), weight: 1 })
    : fc.constantFrom(...others);

/** Shots that fill `total` seconds, each of a length from `lengths` (or any whole second), 1–6 of them. */
function shotsFilling(total: number, lengths: readonly number[] | undefined) {
  return fc.integer({ min: 1, max: 6 }).chain((count) =>
    fc.array(fc.constantFrom(...(lengths ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), { minLength: count, maxLength: count }).chain((lengths) => {
      const sum = lengths.reduce((a, b) => a + b, 0);
      const durations =
        sum === total || lengths.length === 0 ? lengths : [...lengths.slice(0, -1), Math.max(1, total - sum + (lengths.at(-1) ?? 0))];
      return fc.tuple(...durations.map((seconds) => text(4).map((prompt) => ({ prompt, durationSeconds: seconds }))));
    }),
  );
}

/** A create body for a model, around one of its modes, with every optional field sometimes present. */
function bodyFor(provider: string, model: ModelCapabilities): fc.Arbitrary<CreateJobRequest> {
  return fc
    .record({
      mode: fc.constantFrom<Mode>(...model.modes, 'text-to-video', 'image-to-video'),
      namesModel: fc.boolean(),
      prompt: fc.oneof({ arbitrary: text(12), weight: 5 }, { arbitrary: fc.constant(undefined), weight: 1 }),
      negativePrompt: maybe(text(4), model.negativePrompt),
      durationSeconds: maybe(oneOf(model.durationsSeconds, [1, 4, 7, 20])),
      resolution: maybe(oneOf(model.resolutions ?? [], ['720p', '1080p', '4k'] as const), model.resolutions !== undefined),
      aspectRatio: maybe(oneOf(model.aspectRatios, ['16:9', '9:16', '1:1'] as const)),
      quality: maybe(oneOf(model.qualities, ['std', 'pro'] as const)),
      cfgScale: maybe(fc.double({ min: 0, max: 1, noNaN: true }), model.cfgScale),
      audio: maybe(fc.boolean(), model.audio),
      voice: maybe(
        fc.oneof(
          text(5).map((description) => ({ description })),
          fc.array(fc.constantFrom('voice-a', 'voice-b', 'voice-c'), { minLength: 1, maxLength: 2 }).map((ids) => ({ ids })),
        ),
        model.voice === true,
      ),
      fps: maybe(oneOf(model.fps ?? [], [24, 25, 30, 60]), model.fps !== undefined),
      image: maybe(media('png')),
      endImage: maybe(media('jpg'), model.endImage),
      referenceImages: maybe(fc.array(media('png'), { minLength: 1, maxLength: 7 }), model.maxReferenceImages !== undefined),
      video: maybe(media('mp4'), model.modes.includes('video-edit')),
      keepOriginalSound: maybe(fc.boolean(), model.keepOriginalSound === true),
      cameraControl: maybe(
        fc.oneof(
          fc.constantFrom('down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward').map((type) => ({ type }) as const),
          fc
            .record({
              axis: fc.constantFrom('horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'),
              value: fc.integer({ min: -10, max: 10 }),
            })
            .map(({ axis, value }) => ({ type: 'simple' as const, config: { [axis]: value } })),
        ),
        model.cameraControl,
      ),
      callback: fc.boolean(),
    })
    .chain((fields) => {
      const duration = fields.durationSeconds ?? model.defaultDurationSeconds;
      const shots =
        fields.mode === 'multi-shot' ? shotsFilling(duration, model.shotDurationsSeconds).map((s) => [...s]) : fc.constant(undefined);
      return shots.map((generated) => {
        const { mode, namesModel, callback, ...rest } = fields;
        const body: CreateJobRequest = {
          provider,
          ...(namesModel || model.id !== getAdapter(provider).capabilities.defaultModel ? { model: model.id } : {}),
        };
        for (const [field, value] of Object.entries(rest)) if (value !== undefined) (body as Record<string, unknown>)[field] = value;
        // The inputs of the mode drawn; other inputs stay only sometimes (they may make another mode).
        if (mode === 'text-to-video') delete body.image;
        if (mode !== 'reference-to-video') delete body.referenceImages;
        if (mode !== 'video-edit') delete body.video;
        if (mode === 'image-to-video' && !body.image) body.image = { url: 'https://cdn.example.test/start.png' };
        if (mode === 'reference-to-video' && !body.referenceImages) body.referenceImages = [{ url: 'https://cdn.example.test/r.png' }];
        if (mode === 'video-edit' && !body.video) body.video = { url: 'https://cdn.example.test/in.mp4' };
        if (generated) body.shots = generated;
        if (callback) body.callbackUrl = 'https://hooks.example.test/ignored'; // create checks it; Submit gets its own
        return body;
      });
    });
}

/** The media Submit prepares for a request (lambdas/aws/s3-media.ts, mediaForProvider). */
function preparedMedia(request: ResolvedRequest, transport: 'url' | 'base64'): SubmitMedia {
  const image = (ref: MediaRef) =>
    'url' in ref
      ? ref.url
      : transport === 'base64'
        ? PNG_BASE64
        : `https://klingflow-inputs.s3.amazonaws.com/${ref.s3Key}?X-Amz-Signature=abc`;
  const video = (ref: MediaRef) => ('url' in ref ? ref.url : `https://klingflow-inputs.s3.amazonaws.com/${ref.s3Key}?X-Amz-Signature=abc`);
  return {
    ...(request.image && { image: image(request.image) }),
    ...(request.endImage && { endImage: image(request.endImage) }),
    ...(request.referenceImages?.length && { referenceImages: request.referenceImages.map(image) }),
    ...(request.video && { video: video(request.video) }),
  };
}

const accepted: Record<string, number> = {};

it('no request that passes create is refused at Submit, for every provider and model', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...MODELS).chain(({ provider, model }) => bodyFor(provider, model)),
      async (body) => {
        const resolution = resolveRequest(body, providers);
        if (!resolution.ok) return;
        const { request, mode } = resolution;
        const adapter = getAdapter(request.provider);
        sim.reset();
        run += 1;
        const jobId = `job_fit${run}`;
        const input = {
          jobId,
          mode,
          request,
          media: preparedMedia(request, adapter.capabilities.imageInput?.transport ?? 'url'),
          ...(adapter.capabilities.callbacks && { callbackUrl: `${receiver.url}/${request.provider}/${jobId}` }),
        };
        const outcome = await adapter.submit(input, simulatorContext(sim, request.provider, CREDENTIALS)).then(
          (result) => ({ ok: true as const, result }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (!outcome.ok) {
          const error = outcome.error;
          const what = error instanceof ProviderError ? `${error.kind}: ${error.message}` : String(error);
          throw new Error(`create accepted ${JSON.stringify(body)} (${mode}) but Submit failed: ${what}`);
        }
        accepted[`${request.provider} ${request.model}`] = (accepted[`${request.provider} ${request.model}`] ?? 0) + 1;
      },
    ),
    { numRuns: 1500 },
  );
  // The property is only as good as what passes create: every model had requests that did, and went to Submit.
  for (const { provider, model } of MODELS) expect(accepted[`${provider} ${model.id}`] ?? 0, `${provider} ${model.id}`).toBeGreaterThan(0);
}, 240_000);
