// The adapter contract: every registered provider (PROVIDER_IDS, through getAdapter) goes through the same cases, so
// a new provider is held to them without editing this file. What each adapter maps is checked from the vocabulary it
// declares (the very tables its status and error mapping read), its capability map, and what it does with a
// callback, a price and a request for each model and mode it advertises.
import { describe, expect, it } from 'vitest';
import { CallbackRejected, ERROR_KINDS, ProviderError } from '../../../lambdas/domain/errors.ts';
import { MODES, type CreateJobRequest, type Mode, type ResolvedRequest } from '../../../lambdas/domain/job.ts';
import { resolveRequest } from '../../../lambdas/domain/validation.ts';
import { formatWebhookSecret } from '../../../lambdas/domain/webhooks.ts';
import { PROVIDER_IDS } from '../../../lambdas/providers/ids.ts';
import { CANONICAL_STATUSES, type ModelCapabilities, type ProviderAdapter } from '../../../lambdas/providers/port.ts';
import { loadAdapters } from '../../../lambdas/providers/registry.ts';
import { estimateCostOf, parseCallbackOf } from '../../../lambdas/providers/scaffold.ts';
import { contextWith, fakeFetch, rejectionOf } from './fake-fetch.ts';
import { submittedMedia } from './pipeline.ts';

const getAdapter = await loadAdapters();

const CREDENTIALS = { apiKey: 'contract-key', webhookSecret: formatWebhookSecret(Buffer.from('contract-webhook-secret-32bytes!')) };
const PROMPT = 'a lighthouse at dusk';
const IMAGE = { url: 'https://cdn.example.test/frame.png' };

/** A context whose every request fails as a network error (and is recorded), so nothing leaves the test. */
function offlineContext() {
  const fake = fakeFetch(() => {
    throw new TypeError('fetch failed (contract test: no network)');
  });
  return { ctx: contextWith(fake.fetch, { credentials: CREDENTIALS }), requests: fake.requests };
}

/** The smallest create body of a mode, for a model (multi-shot: one shot filling the default duration, no prompt). */
function minimalBody(mode: Mode, model: ModelCapabilities): CreateJobRequest {
  switch (mode) {
    case 'text-to-video':
      return { prompt: PROMPT };
    case 'image-to-video':
      return { prompt: PROMPT, image: IMAGE };
    case 'reference-to-video':
      return { prompt: PROMPT, referenceImages: [IMAGE] };
    case 'video-edit':
      return { prompt: PROMPT, video: { url: 'https://cdn.example.test/clip.mp4' } };
    case 'multi-shot':
      return { shots: [{ prompt: PROMPT, durationSeconds: model.defaultDurationSeconds }] };
  }
}

/** Every request a model's capability map describes for the price table: mode × duration × quality × resolution × audio. */
function pricedRequests(providerId: string, model: ModelCapabilities): [ResolvedRequest, Mode][] {
  const requests: [ResolvedRequest, Mode][] = [];
  for (const mode of model.modes) {
    for (const durationSeconds of model.durationsSeconds) {
      for (const quality of model.qualities) {
        for (const resolution of [undefined, ...(model.resolutions ?? [])]) {
          for (const audio of model.audio ? [undefined, true, false] : [undefined]) {
            const request: ResolvedRequest = {
              provider: providerId,
              model: model.id,
              prompt: PROMPT,
              durationSeconds,
              aspectRatio: model.aspectRatios[0] ?? '16:9',
              quality,
              ...(resolution !== undefined && { resolution }),
              ...(audio !== undefined && { audio }),
            };
            requests.push([request, mode]);
          }
        }
      }
    }
  }
  return requests;
}

const isUnique = (values: readonly unknown[]) => new Set(values).size === values.length;

describe.each(PROVIDER_IDS)('provider %s', (providerId) => {
  const adapter: ProviderAdapter = getAdapter(providerId);
  const { capabilities } = adapter;

  it('is registered under its own id', () => {
    expect(adapter.id).toBe(providerId);
  });

  describe('vocabulary', () => {
    it('declares the status words and error codes it documents', () => {
      expect(adapter.vocabulary, 'every registered adapter declares its vocabulary').toBeDefined();
      expect(Object.keys(adapter.vocabulary?.statuses ?? {})).not.toHaveLength(0);
      expect(Object.keys(adapter.vocabulary?.errorCodes ?? {})).not.toHaveLength(0);
    });

    it('maps every documented status word to a canonical status, covering a task’s whole life', () => {
      const statuses = adapter.vocabulary?.statuses ?? {};
      for (const [word, status] of Object.entries(statuses)) {
        expect(word.trim(), `status word ${JSON.stringify(word)}`).toBe(word);
        expect(word, 'a status word is not empty').not.toBe('');
        expect(CANONICAL_STATUSES, `status word ${word}`).toContain(status);
      }
      const reached = new Set(Object.values(statuses));
      expect(reached.has('pending') || reached.has('processing'), 'some word means the task is under way').toBe(true);
      expect(reached.has('succeeded'), 'some word means the task succeeded').toBe(true);
      expect(reached.has('failed'), 'some word means the task failed').toBe(true);
    });

    it('classifies every documented error code into the error taxonomy', () => {
      for (const [code, kind] of Object.entries(adapter.vocabulary?.errorCodes ?? {})) {
        expect(code, 'an error code is not empty').not.toBe('');
        expect(ERROR_KINDS, `error code ${code}`).toContain(kind);
      }
    });
  });

  describe('capabilities', () => {
    it('names a default model it has, each model once', () => {
      const ids = capabilities.models.map((model) => model.id);
      expect(ids).not.toHaveLength(0);
      expect(ids).toContain(capabilities.defaultModel);
      expect(isUnique(ids), `model ids ${ids.join(', ')}`).toBe(true);
    });

    it.each(capabilities.models.map((model) => [model.id, model] as const))('describes %s consistently', (_id, model) => {
      expect(model.modes).not.toHaveLength(0);
      expect(isUnique(model.modes)).toBe(true);
      for (const mode of model.modes) expect(MODES).toContain(mode);
      expect(model.durationsSeconds).not.toHaveLength(0);
      expect(isUnique(model.durationsSeconds)).toBe(true);
      for (const seconds of model.durationsSeconds) expect(Number.isInteger(seconds) && seconds > 0, `${seconds} s`).toBe(true);
      expect(model.durationsSeconds).toContain(model.defaultDurationSeconds);
      expect(model.aspectRatios).not.toHaveLength(0);
      expect(model.qualities).not.toHaveLength(0);
      if (model.resolutions) expect(model.resolutions).not.toHaveLength(0);
      if (model.fps) {
        expect(model.fps).not.toHaveLength(0);
        for (const fps of model.fps) expect(Number.isInteger(fps) && fps > 0, `${fps} fps`).toBe(true);
      }
      // Validation takes reference images only up to maxReferenceImages, so the mode needs a positive one.
      expect(model.modes.includes('reference-to-video'), 'reference-to-video ⇔ maxReferenceImages > 0').toBe(
        (model.maxReferenceImages ?? 0) > 0,
      );
      if (model.keepOriginalSound) expect(model.modes).toContain('video-edit');
      if (model.voice) expect(model.audio, 'a voice needs native audio').toBe(true);
    });

    it('describes its image input policy consistently, when it has one', () => {
      const policy = capabilities.imageInput;
      if (!policy) return;
      expect(policy.types).not.toHaveLength(0);
      expect(policy.maxBytes).toBeGreaterThan(0);
      expect(policy.minSide).toBeGreaterThan(0);
      expect(policy.minAspectRatio).toBeGreaterThan(0);
      expect(policy.minAspectRatio).toBeLessThanOrEqual(1);
      expect(policy.maxAspectRatio).toBeGreaterThanOrEqual(1);
    });

    it('has a cancel call exactly when it declares one', () => {
      expect(typeof adapter.cancel === 'function').toBe(capabilities.cancel);
    });

    it.each(capabilities.models.flatMap((model) => model.modes.map((mode) => [model.id, mode, model] as const)))(
      'sends %s %s, as validation resolves its smallest request, to the provider',
      async (_id, mode, model) => {
        const resolution = resolveRequest(
          { provider: providerId, model: model.id, ...minimalBody(mode, model) },
          {
            capabilitiesOf: (id) => (id === providerId ? capabilities : undefined),
            enabledProviders: [providerId],
            defaultProvider: providerId,
          },
        );
        expect(resolution.ok ? [] : resolution.details).toEqual([]);
        if (!resolution.ok) return;
        expect(resolution.mode).toBe(mode);
        const { ctx, requests } = offlineContext();
        const input = { jobId: 'job_contract', mode, request: resolution.request, media: submittedMedia(resolution.request) };
        // The offline context makes the first request fail as a network error: the adapter got as far as sending.
        const error = await rejectionOf(adapter.submit(input, ctx), ProviderError);
        expect(error.kind, error.message).toBe('network');
        expect(requests.length).toBeGreaterThan(0);
      },
    );
  });

  it('refuses a submission whose media do not match its inputs, before sending anything', async () => {
    const model = capabilities.models.find((candidate) => candidate.id === capabilities.defaultModel) ?? capabilities.models[0]!;
    const mode = model.modes[0]!;
    const resolution = resolveRequest(
      { provider: providerId, model: model.id, ...minimalBody(mode, model) },
      {
        capabilitiesOf: (id) => (id === providerId ? capabilities : undefined),
        enabledProviders: [providerId],
        defaultProvider: providerId,
      },
    );
    if (!resolution.ok) throw new Error(`the smallest ${mode} request does not validate`);
    // An end frame Submit would never have prepared: the request names none.
    const media = { ...submittedMedia(resolution.request), endImage: 'https://cdn.example.test/stray.png' };
    const { ctx, requests } = offlineContext();
    const error = await rejectionOf(
      adapter.submit({ jobId: 'job_contract', mode, request: resolution.request, media }, ctx),
      ProviderError,
    );
    expect(error.kind, error.message).toBe('invalid');
    expect(error.message).toMatch(/media\.endImage was given/);
    expect(requests).toHaveLength(0);
  });

  describe('callbacks', () => {
    it('has a parseCallback exactly when it declares callbacks, and signs them unless it sends none', () => {
      expect(typeof adapter.parseCallback === 'function').toBe(capabilities.callbacks);
      if (!capabilities.callbacks) expect(capabilities.callbackAuth).toBe('url-token');
    });

    it('refuses a callback that carries no signature (the callback handler answers 401)', async () => {
      const { ctx, requests } = offlineContext();
      const forged = {
        headers: {},
        query: {},
        rawBody: JSON.stringify({ status: 'succeeded', output: 'https://evil.test/v.mp4' }),
        jobId: 'job_contract',
      };
      const error = await rejectionOf(parseCallbackOf(adapter, forged, ctx), CallbackRejected);
      if (!capabilities.callbacks) expect(error.message).toMatch(new RegExp(`^${providerId} sends no callbacks`));
      expect(requests).toHaveLength(0);
    });
  });

  describe('cost', () => {
    it('is absent, or non-negative finite credits and/or USD, for every model, mode and option of its map', () => {
      let estimates = 0;
      for (const model of capabilities.models) {
        for (const [request, mode] of pricedRequests(providerId, model)) {
          const cost = estimateCostOf(adapter, request, mode);
          if (cost === undefined) continue;
          estimates += 1;
          const what = `${model.id} ${mode} ${JSON.stringify(request)}`;
          expect(Object.keys(cost).length, what).toBeGreaterThan(0);
          for (const [field, value] of Object.entries(cost)) {
            expect(['credits', 'usd'], what).toContain(field);
            expect(typeof value === 'number' && Number.isFinite(value) && value >= 0, `${what}: ${field} ${value}`).toBe(true);
          }
        }
      }
      // A provider with a price table prices something it offers; one without has no estimateCost at all.
      expect(estimates > 0, 'estimateCost prices at least one request').toBe(typeof adapter.estimateCost === 'function');
    });
  });
});
