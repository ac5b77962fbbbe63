// Handler configuration from the environment (set by lib/functions.ts on AWS, by local/ on one machine).
// Each handler reads only what it needs; a missing setting fails loudly with its name.
import { z } from 'zod';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`configuration: environment variable ${name} is not set`);
  return value;
}

const positiveInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = z.coerce.number().int().positive().safeParse(raw);
  if (!parsed.success) throw new Error(`configuration: ${name} must be a positive whole number, got '${raw}'`);
  return parsed.data;
};

/** Environment variable prefix of a provider: `kling-v3-rest` → `KLINGFLOW_KLING_V3_REST`. */
export const providerEnvPrefix = (providerId: string): string =>
  `KLINGFLOW_${providerId.toUpperCase().replace(/-/g, '_')}`;

export const config = {
  jobsTable: () => requireEnv('KLINGFLOW_JOBS_TABLE'),
  outputsBucket: () => requireEnv('KLINGFLOW_OUTPUTS_BUCKET'),
  /** Where S3 uploads (and `{s3Key}` inputs) live. */
  inputsBucket: () => requireEnv('KLINGFLOW_INPUTS_BUCKET'),
  /**
   * Lets callback URLs name this machine (loopback, plain http allowed). Only the local stack sets it, for
   * receivers on 127.0.0.1; a deployment never does. Other private ranges stay refused either way.
   */
  allowLoopbackCallbackUrls: () => process.env.KLINGFLOW_ALLOW_LOOPBACK_CALLBACK_URLS === 'true',
  stateMachineArn: () => requireEnv('KLINGFLOW_STATE_MACHINE_ARN'),
  noticesTopicArn: () => requireEnv('KLINGFLOW_NOTICES_TOPIC_ARN'),
  /** The public base URL of the HTTP API (callback URLs, links in notices). */
  publicUrl: () => requireEnv('KLINGFLOW_PUBLIC_URL').replace(/\/+$/, ''),
  defaultProvider: () => process.env.KLINGFLOW_DEFAULT_PROVIDER || 'kling',
  enabledProviders: (): string[] =>
    (process.env.KLINGFLOW_ENABLED_PROVIDERS || 'kling')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  awaitSeconds: () => positiveInt('KLINGFLOW_AWAIT_SECONDS', 60),
  maxPolls: () => positiveInt('KLINGFLOW_MAX_POLLS', 120),
  providerTimeoutMs: () => positiveInt('KLINGFLOW_PROVIDER_TIMEOUT_MS', 20_000),
  /** Lifetime of a signed download URL handed out by `GET /v1/jobs/{id}/video`. */
  downloadUrlSeconds: () => positiveInt('KLINGFLOW_DOWNLOAD_URL_SECONDS', 300),
  /** Path-style S3 addressing (the local S3 emulator needs it). */
  s3ForcePathStyle: () => process.env.KLINGFLOW_S3_FORCE_PATH_STYLE === 'true',
};
