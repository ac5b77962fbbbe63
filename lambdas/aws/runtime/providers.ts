// The composition root's providers (see store.ts): adapters with their context and capability look-ups (the
// catalog is catalog.ts). Adapters load per provider id (providers/registry.ts), so a handler that talks to one
// provider evaluates only that provider's adapter.
import { ProviderError } from '../../domain/errors.ts';
import type { ProviderLookup } from '../../domain/validation.ts';
import { PROVIDER_IDS } from '../../providers/ids.ts';
import type { AdapterContext, ProviderAdapter } from '../../providers/port.ts';
import { loadAdapter, loadAdapters } from '../../providers/registry.ts';
import { config } from '../env.ts';
import { noteProvider } from '../invocation.ts';
import { emitJobMetric } from '../metrics.ts';
import { providerCredentials } from '../secrets.ts';

/** An enabled provider's adapter with what it needs to talk to its provider. */
export interface ProviderHandle {
  adapter: ProviderAdapter;
  context: AdapterContext;
}

/**
 * The adapter of an enabled provider with its context: base URL, credentials (Secrets Manager on AWS, the
 * environment locally), adapter settings, `fetch` and the request timeout. Notes the provider on the invocation
 * (metrics' dimension). Throws `Error` when the provider is not enabled
 * here or has no base URL.
 */
export async function providerFor(providerId: string): Promise<ProviderHandle> {
  if (!config.enabledProviders().includes(providerId)) throw new Error(`provider ${providerId} is not enabled`);
  const adapter = await loadAdapter(providerId);
  const baseUrl = config.providerBaseUrl(providerId);
  if (!baseUrl) throw new Error(`configuration: provider ${providerId} has no base URL`);
  noteProvider(providerId);
  return {
    adapter: countingProviderErrors(adapter, providerId),
    context: {
      baseUrl,
      credentials: await providerCredentials(providerId),
      settings: config.providerSettings(providerId, PROVIDER_IDS),
      fetch: globalThis.fetch,
      timeoutMs: config.providerTimeoutMs(),
      now: () => new Date(),
    },
  };
}

/** Adapter calls whose `ProviderError`s are counted (ProviderErrors by provider and kind). */
const COUNTED_CALLS: ReadonlySet<PropertyKey> = new Set(['submit', 'status', 'cancel', 'findSubmitted', 'parseCallback']);

/**
 * The adapter as it is, except that each `ProviderError` its calls throw is counted (metric ProviderErrors, dimensions
 * provider and kind) before it goes on: one place for every handler that talks to a provider.
 */
export function countingProviderErrors(adapter: ProviderAdapter, providerId: string): ProviderAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !COUNTED_CALLS.has(property)) return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if (error instanceof ProviderError) emitJobMetric('ProviderErrors', 1, { provider: providerId, kind: error.kind });
          throw error;
        }
      };
    },
  });
}

/** The enabled providers' capability look-up (for request validation), and their loaded adapters. */
export type EnabledProviders = ProviderLookup & { adapterOf(id: string): ProviderAdapter };

/**
 * Capability look-up over the enabled providers, for request validation, with the adapters of `load` loaded
 * (every enabled provider unless told fewer: a job's Validate needs only its own provider's).
 */
export async function enabledProviders(load?: readonly string[]): Promise<EnabledProviders> {
  const enabled = config.enabledProviders();
  const adapterOf = await loadAdapters((load ?? enabled).filter((id) => enabled.includes(id)));
  return {
    enabledProviders: enabled,
    defaultProvider: config.defaultProvider(),
    allowLoopbackCallbackUrls: config.allowLoopbackCallbackUrls(),
    capabilitiesOf: (id) => (enabled.includes(id) ? adapterOf(id).capabilities : undefined),
    adapterOf,
  };
}
