// The ids of every provider klingflow has an adapter for: the contract lib/ and local/ may read (environment
// prefixes, the simulator's mounts) without loading any adapter. The registry maps each id to its adapter, and
// TypeScript holds the two lists together.

/** Every known provider id, in registration order. An id names a dialect: `KLINGFLOW_<ID>_*` settings, `/v1/callbacks/<id>/...`. */
export const PROVIDER_IDS = ['kling', 'kling-v3-rest', 'kling-ai', 'klinggenerator', 'kling3api', 'fal', 'replicate'] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Whether `id` names a known provider. */
export function isProviderId(id: string): id is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(id);
}

/**
 * The build-time variable that leaves `id`'s adapter out of a Lambda bundle (`kling-v3-rest` →
 * `KLINGFLOW_OMIT_ADAPTER_KLING_V3_REST`): lib/functions.ts defines it per deployment, registry.ts reads it.
 */
export const omitAdapterVariable = (id: ProviderId): string => `KLINGFLOW_OMIT_ADAPTER_${id.toUpperCase().replaceAll('-', '_')}`;
