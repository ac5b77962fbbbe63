// The capability maps at the front door: for every provider and model, a value outside what the model allows is
// answered 422 with the field, what was given and what is allowed, and nothing is written or started.
// Also: listing by provider, and the cost each job carries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import type { ModelCapabilities } from '../../lambdas/providers/port.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, startTestStack } from './local-stack.ts';

const getAdapter = await loadAdapters();

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack(undefined, { KLINGFLOW_SIMULATOR_LATENCY_MS: 200 });
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** A whole number of seconds the model does not allow (the create schema takes 1 to 600). */
const disallowedDuration = (model: ModelCapabilities): number => {
  for (let seconds = 1; seconds <= 600; seconds++) if (!model.durationsSeconds.includes(seconds)) return seconds;
  throw new Error(`${model.id} allows every duration`);
};

/** A body the model would take in its first mode, but for the field under test. */
const validBodyFor = (provider: string, model: ModelCapabilities): Record<string, unknown> => {
  const mode = model.modes[0];
  const image = { url: 'https://img.example.com/start.png' };
  return {
    provider,
    model: model.id,
    prompt: 'a red fox running through snow',
    ...(mode === 'image-to-video' ? { image } : {}),
    ...(mode === 'reference-to-video' ? { referenceImages: [image] } : {}),
    ...(mode === 'video-edit' ? { video: { url: 'https://img.example.com/in.mp4' } } : {}),
    ...(mode === 'multi-shot' ? { shots: [{ prompt: 'one', durationSeconds: model.defaultDurationSeconds }] } : {}),
  };
};

const cases = PROVIDER_IDS.flatMap((provider) =>
  getAdapter(provider).capabilities.models.map((model) => [provider, model.id, model] as const),
);

describe('every provider × model refuses what it cannot do', () => {
  it.each(cases)(
    '%s %s: a duration outside its range is a 422 naming what is allowed, and nothing is written',
    async (provider, _id, model) => {
      const before = (await client.request('GET', '/v1/jobs?limit=100')).body.items.length;
      const executions = stack.runtime.list().length;
      const duration = disallowedDuration(model);
      const response = await client.request('POST', '/v1/jobs', { ...validBodyFor(provider, model), durationSeconds: duration });
      expect(response.status).toBe(422);
      const detail = response.body.error.details.find((d: { path: string }) => d.path === 'durationSeconds');
      expect(detail, JSON.stringify(response.body.error.details)).toBeDefined();
      expect(detail.message).toContain(String(duration));
      expect(detail.message).toContain(`allowed: ${model.durationsSeconds.join(', ')}`);
      expect((await client.request('GET', '/v1/jobs?limit=100')).body.items.length).toBe(before);
      expect(stack.runtime.list().length).toBe(executions);
    },
  );

  it.each(cases.filter(([, , model]) => model.aspectRatios.length < 3))(
    '%s %s: an aspect ratio it does not offer is a 422 naming the ones it does',
    async (provider, _id, model) => {
      const missing = (['16:9', '9:16', '1:1'] as const).find((ratio) => !model.aspectRatios.includes(ratio))!;
      const response = await client.request('POST', '/v1/jobs', { ...validBodyFor(provider, model), aspectRatio: missing });
      expect(response.status).toBe(422);
      expect(response.body.error.details).toContainEqual({
        path: 'aspectRatio',
        message: expect.stringContaining(`allowed: ${model.aspectRatios.join(', ')}`),
      });
    },
  );
});

describe('listing and cost', () => {
  it('filters jobs by provider, and each job shows its cost', async () => {
    const ids = await Promise.all(
      ['kling3api', 'kling-v3-rest', 'replicate'].map((provider) =>
        client.createJob({ provider, prompt: `a lighthouse at dusk (${provider})` }),
      ),
    );
    const jobs = await Promise.all(ids.map((id) => client.waitForJob(id)));
    expect(jobs.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);

    const listed = await client.request('GET', '/v1/jobs?provider=kling3api&limit=100');
    expect(listed.body.items.length).toBeGreaterThan(0);
    expect(listed.body.items.every((j: { provider: string }) => j.provider === 'kling3api')).toBe(true);
    expect(listed.body.items.map((j: { jobId: string }) => j.jobId)).toContain(ids[0]);

    // kling3api reports consumed_credits: the provider's figure replaces the estimate.
    expect(jobs[0].cost).toMatchObject({ credits: expect.any(Number), estimated: false });
    // kling-v3-rest reports nothing: the estimate from its price table stays (kling-v3, 5 s, 720p).
    expect(jobs[1].cost).toMatchObject({ credits: 10, estimated: true });
    // Replicate has no price table in our sources: no cost rather than a made-up one.
    expect(jobs[2].cost).toBeUndefined();
  });
});
