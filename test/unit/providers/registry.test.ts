import { describe, expect, it } from 'vitest';
import { isProviderId, PROVIDER_IDS } from '../../../lambdas/providers/ids.ts';
import { loadAdapter, loadAdapters } from '../../../lambdas/providers/registry.ts';
import { DIALECTS } from '../../../simulator/server.ts';

describe('provider registry', () => {
  it('registers each adapter under its own id, once', async () => {
    const getAdapter = await loadAdapters();
    expect(PROVIDER_IDS.length).toBeGreaterThan(0);
    expect(new Set(PROVIDER_IDS).size).toBe(PROVIDER_IDS.length);
    for (const id of PROVIDER_IDS) {
      expect(isProviderId(id)).toBe(true);
      expect(getAdapter(id).id).toBe(id);
      expect(getAdapter(id)).toBe(await loadAdapter(id));
      const { defaultModel, models } = getAdapter(id).capabilities;
      expect(
        models.map((m) => m.id),
        `${id}'s default model is one of its models`,
      ).toContain(defaultModel);
    }
  });

  it('has a simulator dialect for every provider, so the local stack can run each one', () => {
    expect(DIALECTS.map((d) => d.name).sort()).toEqual([...PROVIDER_IDS].sort());
  });

  it('names the known providers when asked for an unknown one', async () => {
    expect(isProviderId('runway')).toBe(false);
    await expect(loadAdapter('runway')).rejects.toThrow(`unknown provider 'runway'; known providers: ${PROVIDER_IDS.join(', ')}`);
  });

  it('loads only the adapters asked for, and refuses a look-up of any other', async () => {
    const only = await loadAdapters(['fal']);
    expect(only('fal').id).toBe('fal');
    expect(() => only('kling')).toThrow("provider 'kling' was not loaded (loaded: fal)");
  });
});
