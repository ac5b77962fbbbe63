// Account limits of the simulator (simulator/limits.ts): every dialect refuses a create past its concurrency or
// rate limit in its own words, and each real adapter reads that refusal as the load error it is (with the retry
// hint, where the dialect gives one). Over HTTP on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { ProviderError, type ErrorKind } from '../../lambdas/domain/errors.ts';
import type { ResolvedRequest } from '../../lambdas/domain/job.ts';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import type { SubmitRequest } from '../../lambdas/providers/port.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import { parseSimulatorLimits } from '../../simulator/limits.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.ts';
import { rejectionOf, simulatorContext, submittedMedia } from './helpers.ts';

const getAdapter = await loadAdapters();

/** A text-to-video submission of the provider's default model, with defaults filled in as validation would. */
function submission(providerId: string, prompt: string, model?: string): SubmitRequest {
  const capabilities = getAdapter(providerId).capabilities;
  const modelId = model ?? capabilities.defaultModel;
  const chosen = capabilities.models.find((m) => m.id === modelId)!;
  const request: ResolvedRequest = {
    provider: providerId,
    model: modelId,
    prompt,
    durationSeconds: chosen.defaultDurationSeconds,
    aspectRatio: chosen.aspectRatios[0]!,
    quality: chosen.qualities[0]!,
  };
  return { jobId: `job_limits_${Math.random().toString(36).slice(2)}`, mode: 'text-to-video', request, media: submittedMedia(request) };
}

async function withSimulator(options: SimulatorOptions, run: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ latencyMs: 60_000, progressSteps: 0, ...options });
  try {
    await run(sim);
  } finally {
    await sim.close();
  }
}

const submit = (sim: Simulator, providerId: string, prompt: string, model?: string) =>
  getAdapter(providerId).submit(submission(providerId, prompt, model), simulatorContext(sim, providerId, { apiKey: 'sim-key' }));

/** What each dialect answers when the account is full, as its adapter classifies it. */
const CONCURRENCY_KIND: Record<string, ErrorKind> = {
  kling: 'concurrency_limited', // 1303
  'kling-v3-rest': 'overloaded', // MODEL_OVERLOADED (503)
  'kling-ai': 'rate_limited',
  klinggenerator: 'rate_limited',
  kling3api: 'rate_limited',
  fal: 'rate_limited',
  replicate: 'rate_limited',
};

describe('simulator account limits', () => {
  it('parses limits from JSON and refuses what does not fit', () => {
    expect(parseSimulatorLimits('{"kling": {"maxConcurrent": 3}, "replicate": {"createsPerMinute": 6}}')).toEqual({
      kling: { maxConcurrent: 3 },
      replicate: { createsPerMinute: 6 },
    });
    expect(() => parseSimulatorLimits('{"kling": {"maxConcurrent": 0}}')).toThrow(/maxConcurrent/);
    expect(() => parseSimulatorLimits('{"kling": {"slots": 3}}')).toThrow(/slots/);
    expect(() => parseSimulatorLimits('nope')).toThrow(/JSON/);
  });

  it.each(PROVIDER_IDS)('%s: a create past maxConcurrent gets the dialect’s own refusal, read as a load error', async (providerId) => {
    await withSimulator({ limits: { [providerId]: { maxConcurrent: 1 } } }, async (sim) => {
      await submit(sim, providerId, 'the first fits');
      const refused = await rejectionOf(submit(sim, providerId, 'the second does not'), ProviderError);
      expect(refused.kind).toBe(CONCURRENCY_KIND[providerId]);
      expect(refused.retryable).toBe(true);
      expect(sim.tasks()).toHaveLength(1);
      expect(sim.rejections()).toMatchObject([{ dialect: providerId, rejection: { kind: 'concurrency', limit: 1, inFlight: 1 } }]);
      expect(sim.peakInFlight()).toEqual({ [providerId]: 1 });
    });
  });

  it.each(PROVIDER_IDS)(
    '%s: a create past createsPerMinute is rate limited, with the wait where the dialect gives one',
    async (providerId) => {
      await withSimulator({ limits: { [providerId]: { createsPerMinute: 2 } } }, async (sim) => {
        await submit(sim, providerId, 'one');
        await submit(sim, providerId, 'two');
        const refused = await rejectionOf(submit(sim, providerId, 'three'), ProviderError);
        if (providerId === 'kling-v3-rest' || providerId === 'kling-ai') expect(refused.kind).toBe('rate_limited');
        expect(refused.retryable).toBe(true);
        if (providerId === 'kling') {
          // 1302: Kling documents no retry hint.
          expect(refused).toMatchObject({ kind: 'rate_limited', providerCode: 1302, retryAfterSeconds: undefined });
        } else {
          expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(55);
          expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
        }
        expect(sim.rejections()).toMatchObject([{ dialect: providerId, rejection: { kind: 'rate', limit: 2 } }]);
      });
    },
  );

  it('frees a slot when a task ends, and counts per model when told to', async () => {
    await withSimulator({ latencyMs: 300, limits: { kling: { maxConcurrent: 1, perModel: true } } }, async (sim) => {
      await submit(sim, 'kling', 'a fox', 'kling-v3');
      // Another model has its own slot; the same model waits for the first task to end.
      await submit(sim, 'kling', 'a hare', 'kling-v2-6');
      await rejectionOf(submit(sim, 'kling', 'a second fox', 'kling-v3'), ProviderError);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await submit(sim, 'kling', 'a second fox, later', 'kling-v3');
      expect(sim.tasks().map((task) => task.model)).toEqual(['kling-v3', 'kling-v2-6', 'kling-v3']);
      expect(sim.rejections()).toHaveLength(1);
      expect(sim.peakInFlight()).toEqual({ kling: 1 });
    });
  });

  it('leaves dialects without limits alone', async () => {
    await withSimulator({ limits: { kling: { maxConcurrent: 1 } } }, async (sim) => {
      for (const prompt of ['a', 'b', 'c']) await submit(sim, 'replicate', `replicate ${prompt}`);
      expect(sim.rejections()).toEqual([]);
    });
  });
});
