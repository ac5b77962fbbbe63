// The composition root's provider catalog (see store.ts): `GET /v1/providers`, built from the enabled providers'
// adapters. Apart from providers.ts so the handlers that only talk to a provider do not carry the catalog's schemas.
import { providerCatalog, type ProviderCatalog } from '../../domain/catalog.ts';
import type { Job } from '../../domain/job.ts';
import { loadAdapters } from '../../providers/registry.ts';
import { estimateCostOf } from '../../providers/scaffold.ts';
import { config } from '../env.ts';

/** `GET /v1/providers`: the enabled providers' capability maps and price tables, the default marked. */
export async function providerCatalogOfDeployment(): Promise<ProviderCatalog> {
  const enabled = config.enabledProviders();
  const adapterOf = await loadAdapters(enabled);
  return providerCatalog(
    enabled.map((id) => {
      const adapter = adapterOf(id);
      return {
        id,
        capabilities: adapter.capabilities,
        ...(adapter.estimateCost
          ? { estimateCost: (request: Job['request'], mode: Job['mode']) => estimateCostOf(adapter, request, mode) }
          : {}),
      };
    }),
    config.defaultProvider(),
  );
}
