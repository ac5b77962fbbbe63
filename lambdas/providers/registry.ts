// Every provider adapter klingflow knows, by id (ids.ts lists the ids; TypeScript requires a loader for each).
// Adapters load lazily, one module per provider id: a handler that talks to one provider evaluates that
// provider's adapter (its schemas, tables and facts) and none of the other six.
//
// A Lambda bundle carries only the adapters of the providers its deployment enables. The CDK app builds every
// handler with esbuild `define`s (lib/functions.ts, `adapterDefines`) that turn each
// `process.env.KLINGFLOW_OMIT_ADAPTER_<ID>` below (ids.ts, `omitAdapterVariable`) into the string "true" (a provider the deployment does not enable)
// or "false": esbuild folds the comparison and drops the dead branch's import(), so the default deployment's bundles
// (kling only) hold one adapter instead of seven. Each condition must stay a literal `process.env.NAME === 'true'`
// for esbuild to fold it. Code run from source (the local stack, tests) has no such variables: every adapter loads.
import { isProviderId, PROVIDER_IDS, type ProviderId } from './ids.ts';
import type { ProviderAdapter } from './port.ts';

/** The loader of an adapter left out of this bundle: rejects, naming the setting that decides what is bundled. */
const leftOut = (id: ProviderId) => async (): Promise<ProviderAdapter> => {
  throw new Error(`provider '${id}' is not in this function's bundle: the deployment's enabledProviders leave it out`);
};

const LOADERS = {
  kling:
    process.env.KLINGFLOW_OMIT_ADAPTER_KLING === 'true'
      ? leftOut('kling')
      : async () => new (await import('./kling/adapter.ts')).KlingLegacyAdapter(),
  'kling-v3-rest':
    process.env.KLINGFLOW_OMIT_ADAPTER_KLING_V3_REST === 'true'
      ? leftOut('kling-v3-rest')
      : async () => new (await import('./kling-v3-rest/adapter.ts')).KlingV3RestAdapter(),
  'kling-ai':
    process.env.KLINGFLOW_OMIT_ADAPTER_KLING_AI === 'true'
      ? leftOut('kling-ai')
      : async () => new (await import('./kling-ai/adapter.ts')).KlingAiAdapter(),
  klinggenerator:
    process.env.KLINGFLOW_OMIT_ADAPTER_KLINGGENERATOR === 'true'
      ? leftOut('klinggenerator')
      : async () => new (await import('./klinggenerator/adapter.ts')).KlingGeneratorAdapter(),
  kling3api:
    process.env.KLINGFLOW_OMIT_ADAPTER_KLING3API === 'true'
      ? leftOut('kling3api')
      : async () => new (await import('./kling3api/adapter.ts')).Kling3apiAdapter(),
  fal:
    process.env.KLINGFLOW_OMIT_ADAPTER_FAL === 'true'
      ? leftOut('fal')
      : async () => new (await import('./fal/adapter.ts')).FalQueueAdapter(),
  replicate:
    process.env.KLINGFLOW_OMIT_ADAPTER_REPLICATE === 'true'
      ? leftOut('replicate')
      : async () => new (await import('./replicate/adapter.ts')).ReplicateAdapter(),
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
