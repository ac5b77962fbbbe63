// The provider catalog (GET /v1/providers) from capability maps and price estimates: prices per second where they
// are proportional, per length where not, merged across modes with the same price, none without a table.
import { describe, expect, it } from 'vitest';
import { providerCatalog } from '../../../lambdas/domain/catalog.ts';
import { ACME } from '../jobs/in-memory-jobs.ts';

describe('providerCatalog', () => {
  it('describes each model with its defaults spelled out, and no prices without a table', () => {
    const catalog = providerCatalog([{ id: 'acme', capabilities: ACME }], 'acme');
    expect(catalog.defaultProvider).toBe('acme');
    const [provider] = catalog.providers;
    expect(provider).toMatchObject({ id: 'acme', isDefault: true, defaultModel: 'model-a', priced: false, cancel: true, callbacks: false });
    expect(provider?.models[0]).toMatchObject({
      id: 'model-a',
      defaultAspectRatio: '16:9',
      defaultQuality: 'std',
      features: { negativePrompt: true, audio: false, voice: false },
      limits: [],
      prices: [],
    });
  });

  it('prices per second where proportional, per length where not, merging modes with one price', () => {
    const catalog = providerCatalog(
      [
        {
          id: 'acme',
          capabilities: ACME,
          // std: 2 credits a second in every mode; pro: a flat 30 for 5 s and 50 for 10 s, image-to-video only.
          estimateCost: (request, mode) =>
            request.quality === 'std'
              ? { credits: 2 * request.durationSeconds, usd: 0.01 * request.durationSeconds }
              : mode === 'image-to-video'
                ? { credits: request.durationSeconds === 5 ? 30 : 50 }
                : undefined,
        },
      ],
      'acme',
    );
    expect(catalog.providers[0]?.models[0]?.prices).toEqual([
      { modes: ['text-to-video', 'image-to-video'], quality: 'std', audio: false, perSecond: { credits: 2, usd: 0.01 } },
      {
        modes: ['image-to-video'],
        quality: 'pro',
        audio: false,
        byDuration: [
          { durationSeconds: 5, credits: 30 },
          { durationSeconds: 10, credits: 50 },
        ],
      },
    ]);
  });
});
