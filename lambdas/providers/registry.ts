// Every provider adapter klingflow knows, by id (ids.ts lists the ids; TypeScript requires a loader for each).
// Adapters load lazily, one module per provider id: a handler that talks to one provider evaluates that
// provider's adapter (its schemas, tables and facts) and none of the other six.
import { isProviderId, PROVIDER_IDS, type ProviderId } from './ids.ts';
import type { ProviderAdapter } from './port.ts';

const LOADERS = {
  kling: async () => new (await import('./kling/adapter.ts')).KlingLegacyAdapter(),
  'kling-v3-rest': async () => new (await import('./kling-v3-rest/adapter.ts')).KlingV3RestAdapter(),
  'kling-ai': async () => new (await import('./kling-ai/adapter.ts')).KlingAiAdapter(),
  klinggenerator: async () => new (await import('./klinggenerator/adapter.ts')).KlingGeneratorAdapter(),
  kling3api: async () => new (await import('./kling3api/adapter.ts')).Kling3apiAdapter(),
  fal: async () => new (await import('./fal/adapter.ts')).FalQueueAdapter(),
  replicate: async () => new (await import('./replicate/adapter.ts')).ReplicateAdapter(),
} as const satisfies Record<ProviderId, () => Promise<ProviderAdapter>>;

const loaded = new Map<ProviderId, Promise<ProviderAdapter>>();

/** The adapter of a provider, loaded on first use. Rejects for an unknown id, naming the known ones. */
export async function loadAdapter(id: string): Promise<ProviderAdapter> {
  if (!isProviderId(id)) {
    throw new Error(`unknown provider '${id}'; known providers: ${PROVIDER_IDS.join(', ')}`);
  }
  let adapter = loaded.get(id);
  if (!adapter) {
    adapter = LOADERS[id]();
    loaded.set(id, adapter);
  }
  return adapter;
}

/**
 * The adapters of `ids`, loaded, as a synchronous look-up (validation and create ask for capabilities many times
 * per request). The look-up throws for an id outside `ids`: a caller that loads too few adapters is a bug.
 */
export async function loadAdapters(ids: readonly string[] = PROVIDER_IDS): Promise<(id: string) => ProviderAdapter> {
  const adapters = new Map(await Promise.all(ids.map(async (id) => [id, await loadAdapter(id)] as const)));
  return (id) => {
    const adapter = adapters.get(id);
    if (!adapter) throw new Error(`provider '${id}' was not loaded (loaded: ${[...adapters.keys()].join(', ')})`);
    return adapter;
  };
}
