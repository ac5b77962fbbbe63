// What the enabled providers and their models allow, as data a client can build a form from (`GET /v1/providers`):
// the capability maps without their functions. A stand-in until the full discovery document (with prices) lands;
// the console reads only what is here.
import type { ImageInputPolicy, ModelCapabilities } from '../domain/capabilities.ts';
import { getAdapter } from '../providers/registry.ts';

export interface ProviderSummary {
  id: string;
  defaultModel: string;
  callbacks: boolean;
  cancel: boolean;
  imageInput?: ImageInputPolicy;
  models: ModelCapabilities[];
}

export interface ProviderCatalog {
  defaultProvider: string;
  providers: ProviderSummary[];
}

/** The catalog of `enabled` providers, in the order given; ids without an adapter are left out. */
export function providerCatalog(enabled: readonly string[], defaultProvider: string): ProviderCatalog {
  const providers = enabled.flatMap((id) => {
    try {
      const { defaultModel, callbacks, cancel, imageInput, models } = getAdapter(id).capabilities;
      // A structured clone drops nothing a client needs: the maps are plain data apart from `fit`, which is not copied.
      return [structuredClone({ id, defaultModel, callbacks, cancel, ...(imageInput ? { imageInput } : {}), models })];
    } catch {
      return [];
    }
  });
  return { defaultProvider, providers };
}
