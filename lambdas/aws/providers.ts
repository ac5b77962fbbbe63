// Builds what an adapter needs to talk to its provider: base URL, credentials, fetch and timeouts.
// Credentials: on AWS from the provider's Secrets Manager secret (KLINGFLOW_<ID>_SECRET_ARN, cached for five
// minutes by Powertools); on one machine from KLINGFLOW_<ID>_API_KEY / _ACCESS_KEY / _SECRET_KEY / _WEBHOOK_SECRET.
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import type { AdapterContext, ProviderAdapter, ProviderCredentials } from '../providers/port.ts';
import { PROVIDER_IDS } from '../providers/ids.ts';
import { getAdapter } from '../providers/registry.ts';
import type { ProviderLookup } from '../domain/validation.ts';
import { config, providerEnvPrefix, requireEnv } from './env.ts';

const SecretCredentials = z.object({
  apiKey: z.string().optional(),
  accessKey: z.string().optional(),
  secretKey: z.string().optional(),
  webhookSecret: z.string().optional(),
});

async function credentialsOf(providerId: string): Promise<ProviderCredentials> {
  const prefix = providerEnvPrefix(providerId);
  const secretArn = process.env[`${prefix}_SECRET_ARN`];
  if (secretArn) {
    const value = await getSecret(secretArn, { transform: 'json', maxAge: 300 });
    const parsed = SecretCredentials.safeParse(value);
    if (!parsed.success) throw new Error(`the ${providerId} secret is not a JSON object of apiKey/accessKey/secretKey/webhookSecret`);
    // Empty strings are placeholders, not credentials.
    return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v)) as ProviderCredentials;
  }
  const env = (name: string) => process.env[`${prefix}_${name}`] || undefined;
  return {
    apiKey: env('API_KEY'),
    accessKey: env('ACCESS_KEY'),
    secretKey: env('SECRET_KEY'),
    webhookSecret: env('WEBHOOK_SECRET'),
  };
}

/** Names under a provider's prefix that are not settings: its endpoint and credentials. */
const NOT_SETTINGS = new Set(['BASE_URL', 'SECRET_ARN', 'API_KEY', 'ACCESS_KEY', 'SECRET_KEY', 'WEBHOOK_SECRET']);

/**
 * `KLINGFLOW_<ID>_<NAME>` → `{ <NAME>: value }`, for the adapter's provider-specific settings. Another
 * provider's variables are not settings even when its prefix starts with this one's (KLINGFLOW_KLING_ is the
 * start of KLINGFLOW_KLING_V3_REST_).
 */
function settingsOf(providerId: string): Record<string, string> {
  const prefix = `${providerEnvPrefix(providerId)}_`;
  const others = PROVIDER_IDS.map((id) => `${providerEnvPrefix(id)}_`).filter((p) => p !== prefix && p.startsWith(prefix));
  return Object.fromEntries(
    Object.entries(process.env)
      .filter((entry): entry is [string, string] => entry[0].startsWith(prefix) && Boolean(entry[1]))
      .filter(([name]) => !others.some((other) => name.startsWith(other)))
      .map(([name, value]) => [name.slice(prefix.length), value])
      .filter(([name]) => !NOT_SETTINGS.has(name)),
  );
}

export interface ProviderHandle {
  adapter: ProviderAdapter;
  context: AdapterContext;
}

/** The adapter of an enabled provider with its context. */
export async function provider(providerId: string): Promise<ProviderHandle> {
  if (!config.enabledProviders().includes(providerId)) throw new Error(`provider ${providerId} is not enabled`);
  const adapter = getAdapter(providerId);
  return {
    adapter,
    context: {
      baseUrl: requireEnv(`${providerEnvPrefix(providerId)}_BASE_URL`),
      credentials: await credentialsOf(providerId),
      settings: settingsOf(providerId),
      fetch: globalThis.fetch,
      timeoutMs: config.providerTimeoutMs(),
      now: () => new Date(),
    },
  };
}

/** Capability lookup over the enabled providers, for request validation. */
export function enabledProviderLookup(): ProviderLookup {
  const enabled = config.enabledProviders();
  return {
    enabledProviders: enabled,
    defaultProvider: config.defaultProvider(),
    allowLoopbackCallbackUrls: config.allowLoopbackCallbackUrls(),
    capabilitiesOf: (id) => (enabled.includes(id) ? getAdapter(id).capabilities : undefined),
  };
}
