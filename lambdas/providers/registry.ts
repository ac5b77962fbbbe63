// Every provider adapter klingflow knows, by id (ids.ts lists the ids; TypeScript requires an adapter for each).
import { isProviderId, PROVIDER_IDS, type ProviderId } from './ids.ts';
import type { ProviderAdapter } from './port.ts';
import { FalQueueAdapter } from './fal/adapter.ts';
import { KlingLegacyAdapter } from './kling/adapter.ts';
import { KlingAiAdapter } from './kling-ai/adapter.ts';
import { KlingV3RestAdapter } from './kling-v3-rest/adapter.ts';
import { Kling3apiAdapter } from './kling3api/adapter.ts';
import { KlingGeneratorAdapter } from './klinggenerator/adapter.ts';
import { ReplicateAdapter } from './replicate/adapter.ts';

const ADAPTERS = {
  kling: new KlingLegacyAdapter(),
  'kling-v3-rest': new KlingV3RestAdapter(),
  'kling-ai': new KlingAiAdapter(),
  klinggenerator: new KlingGeneratorAdapter(),
  kling3api: new Kling3apiAdapter(),
  fal: new FalQueueAdapter(),
  replicate: new ReplicateAdapter(),
} as const satisfies Record<ProviderId, ProviderAdapter>;

/** The adapter of a provider. Throws for an unknown id, naming the known ones. */
export function getAdapter(id: string): ProviderAdapter {
  if (!isProviderId(id)) {
    throw new Error(`unknown provider '${id}'; known providers: ${PROVIDER_IDS.join(', ')}`);
  }
  return ADAPTERS[id];
}
