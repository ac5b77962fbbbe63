// Secrets: the deployment's own (callback tokens, webhook signing) and each provider's credentials. On AWS they
// live in Secrets Manager (the variable holds the secret's ARN; values are kept five minutes in a warm Lambda); on
// one machine the local stack puts the values themselves in the environment, from its data folder.
import * as z from '../domain/zod.ts';
import { secretString } from './clients/secrets-manager.ts';
import type { ProviderCredentials } from '../providers/port.ts';
import { config, deploymentSecretEnv, PROVIDER_ENV_NAMES, type DeploymentSecretName } from './env.ts';

/** Seconds a secret's value is cached in a warm Lambda. */
const SECRET_CACHE_SECONDS = 300;

async function deploymentSecret(name: DeploymentSecretName): Promise<string> {
  const env = deploymentSecretEnv(name);
  const arn = process.env[env.arn];
  if (arn) {
    const value = await secretString(arn, SECRET_CACHE_SECONDS);
    if (!value) throw new Error(`the secret ${env.arn} names is empty`);
    return value;
  }
  const value = process.env[env.value];
  if (!value) throw new Error(`configuration: neither ${env.arn} nor ${env.value} is set`);
  return value;
}

/** Keys the per-job tokens in callback URLs of providers that do not sign their callbacks. */
export const callbackSecret = (): Promise<string> => deploymentSecret('CALLBACK_SECRET');

/** Signs the webhooks sent to callers (Standard Webhooks: receivers verify with `whsec_` + this value). */
export const webhookSecret = (): Promise<string> => deploymentSecret('WEBHOOK_SECRET');

/** Keys the share links in notices and webhooks (HMAC-SHA256). */
export const shareSecret = (): Promise<string> => deploymentSecret('SHARE_SECRET');

const SecretCredentials = z.object({
  apiKey: z.optional(z.string()),
  accessKey: z.optional(z.string()),
  secretKey: z.optional(z.string()),
  webhookSecret: z.optional(z.string()),
});

/**
 * A provider's credentials: from its Secrets Manager secret (`KLINGFLOW_<ID>_SECRET_ARN`, a JSON object of
 * apiKey/accessKey/secretKey/webhookSecret; empty strings are placeholders), or on one machine from
 * `KLINGFLOW_<ID>_API_KEY` / `_ACCESS_KEY` / `_SECRET_KEY` / `_WEBHOOK_SECRET`. Throws when the secret is not
 * such an object.
 */
export async function providerCredentials(providerId: string): Promise<ProviderCredentials> {
  const secretArn = config.providerValue(providerId, PROVIDER_ENV_NAMES.secretArn);
  if (secretArn) {
    let value: unknown;
    try {
      value = JSON.parse(await secretString(secretArn, SECRET_CACHE_SECONDS));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
    const parsed = SecretCredentials.safeParse(value);
    if (!parsed.success) throw new Error(`the ${providerId} secret is not a JSON object of apiKey/accessKey/secretKey/webhookSecret`);
    return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v)) as ProviderCredentials;
  }
  const value = (name: string) => config.providerValue(providerId, name);
  return {
    apiKey: value(PROVIDER_ENV_NAMES.apiKey),
    accessKey: value(PROVIDER_ENV_NAMES.accessKey),
    secretKey: value(PROVIDER_ENV_NAMES.secretKey),
    webhookSecret: value(PROVIDER_ENV_NAMES.webhookSecret),
  };
}
