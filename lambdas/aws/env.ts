// The environment contract between the handlers and whatever runs them: every variable a handler reads is named
// here, once. The CDK stack (lib/handler-access.ts) writes these names on AWS, the local stack (local/stack.ts)
// writes them on one machine, and `config` below reads them. Adding a setting: a name in ENV, a reader in
// `config`, and the value where lib/ and local/ set the others. This file is a contract: no AWS SDK, no I/O.
import * as z from '../domain/zod.ts';
import { type ConcurrencyLimits, parseConcurrencySetting } from '../domain/admission.ts';
import { DEFAULT_SHARE_LINK_SECONDS } from '../domain/share-link.ts';
import { parseDeadlineSetting } from '../domain/wait-schedule.ts';

/** Names of the deployment-wide variables. */
export const ENV = {
  jobsTable: 'KLINGFLOW_JOBS_TABLE',
  outputsBucket: 'KLINGFLOW_OUTPUTS_BUCKET',
  /** Where S3 uploads (and `{s3Key}` inputs) live. */
  inputsBucket: 'KLINGFLOW_INPUTS_BUCKET',
  stateMachineArn: 'KLINGFLOW_STATE_MACHINE_ARN',
  noticesTopicArn: 'KLINGFLOW_NOTICES_TOPIC_ARN',
  /** The public base URL of the HTTP API (callback URLs, links in notices). */
  publicUrl: 'KLINGFLOW_PUBLIC_URL',
  defaultProvider: 'KLINGFLOW_DEFAULT_PROVIDER',
  /** Comma-separated provider ids. */
  enabledProviders: 'KLINGFLOW_ENABLED_PROVIDERS',
  /** Checks (safety checks and polls) before a job is TIMED_OUT: a guard behind the deadline. */
  maxPolls: 'KLINGFLOW_MAX_POLLS',
  /** Seconds after submission before a job is TIMED_OUT: `1800`, or per model `1800,kling-v3=3600`. */
  deadlineSeconds: 'KLINGFLOW_DEADLINE_SECONDS',
  /** Workflow seconds per second of provider time in the wait schedule: 1 on AWS, less on a faster local stack. */
  waitTimeScale: 'KLINGFLOW_WAIT_TIME_SCALE',
  /** Milliseconds before a provider request is abandoned. */
  providerTimeoutMs: 'KLINGFLOW_PROVIDER_TIMEOUT_MS',
  /** Seconds a signed download URL handed out by `GET /v1/jobs/{id}/video` lives. */
  downloadUrlSeconds: 'KLINGFLOW_DOWNLOAD_URL_SECONDS',
  /** `true`: callback URLs may name this machine (loopback, plain http). Only the local stack sets it. */
  allowLoopbackCallbackUrls: 'KLINGFLOW_ALLOW_LOOPBACK_CALLBACK_URLS',
  /** Seconds a share link in a notice or webhook works after its job finished (default 7 days). */
  shareLinkSeconds: 'KLINGFLOW_SHARE_LINK_SECONDS',
  /** `true`: path-style S3 addressing (the local S3 emulator needs it). */
  s3ForcePathStyle: 'KLINGFLOW_S3_FORCE_PATH_STYLE',
  /** The admission table: slots and queues of admission control. */
  admissionTable: 'KLINGFLOW_ADMISSION_TABLE',
  /** Seconds AwaitSlot waits to be woken before its job checks the queue again (and refreshes its position). */
  slotWaitSeconds: 'KLINGFLOW_SLOT_WAIT_SECONDS',
  /** Seconds a held slot's lease lasts between renewals (a dead execution frees its slot after this long). */
  slotLeaseSeconds: 'KLINGFLOW_SLOT_LEASE_SECONDS',
  /** Seconds a job may wait for a slot before it fails with QUEUE_TIMEOUT. */
  maxQueueSeconds: 'KLINGFLOW_MAX_QUEUE_SECONDS',
  /** Seconds after which an unanswered submission has certainly ended (default: the submit Lambda's timeout + 10 s). */
  submitSettleSeconds: 'KLINGFLOW_SUBMIT_SETTLE_SECONDS',
  /**
   * A file the handlers append their metric lines (CloudWatch EMF, one JSON object a line) to, instead of stdout. Only
   * the local stack sets it (`<data dir>/logs/metrics.jsonl`); on AWS the lines go to stdout, where Lambda's log
   * becomes CloudWatch metrics.
   */
  metricsFile: 'KLINGFLOW_METRICS_FILE',
  /** Comma-separated IAM ARN patterns (`*` any run of characters) of the principals who see every job. */
  adminPrincipals: 'KLINGFLOW_ADMIN_PRINCIPALS',
  /** The spend counters table (lambdas/aws/spend-store.ts). */
  spendTable: 'KLINGFLOW_SPEND_TABLE',
  /** The spend caps as JSON (domain/spend.ts, SpendCaps); the local stack's way. */
  spendCaps: 'KLINGFLOW_SPEND_CAPS',
  /** The SSM parameter holding the spend caps (JSON); on AWS, read through Powertools Parameters. */
  spendCapsParameter: 'KLINGFLOW_SPEND_CAPS_PARAMETER',
} as const;

/** Provider setting (`KLINGFLOW_<ID>_MIN_BALANCE_CREDITS`): the credits Submit leaves in the account (low-balance stop). */
export const MIN_BALANCE_SETTING = 'MIN_BALANCE_CREDITS';

/** Secrets of the deployment itself (not of a provider). */
export type DeploymentSecretName = 'CALLBACK_SECRET' | 'WEBHOOK_SECRET' | 'SHARE_SECRET';

/**
 * Where a deployment secret comes from: on AWS the ARN of its Secrets Manager secret (`KLINGFLOW_<NAME>_ARN`), on
 * one machine the value itself (`KLINGFLOW_<NAME>`, from the local stack's data folder).
 */
export const deploymentSecretEnv = (name: DeploymentSecretName): { arn: string; value: string } => ({
  arn: `KLINGFLOW_${name}_ARN`,
  value: `KLINGFLOW_${name}`,
});

/** Environment variable prefix of a provider: `kling-v3-rest` → `KLINGFLOW_KLING_V3_REST`. */
export const providerEnvPrefix = (providerId: string): string => `KLINGFLOW_${providerId.toUpperCase().replace(/-/g, '_')}`;

/** Names under a provider's prefix that are its endpoint and credentials, not adapter settings. */
export const PROVIDER_ENV_NAMES = {
  baseUrl: 'BASE_URL',
  /** On AWS: the provider's Secrets Manager secret (JSON of apiKey/accessKey/secretKey/webhookSecret). */
  secretArn: 'SECRET_ARN',
  /** On one machine: the credentials themselves. */
  apiKey: 'API_KEY',
  accessKey: 'ACCESS_KEY',
  secretKey: 'SECRET_KEY',
  webhookSecret: 'WEBHOOK_SECRET',
  /**
   * Admission control: how many tasks the provider account runs at once (`3`, a plan such as `kling-free`, and/or
   * `<model>=<count>` entries; lambdas/domain/admission.ts, parseConcurrencySetting). Unset: no limit.
   */
  maxConcurrency: 'MAX_CONCURRENCY',
} as const;

/** The reserved names of {@link PROVIDER_ENV_NAMES}; anything else under the prefix is an adapter setting. */
export const RESERVED_PROVIDER_ENV_NAMES: readonly string[] = Object.values(PROVIDER_ENV_NAMES);

/**
 * The full variable name of one of a provider's variables: `providerEnv('fal', 'BASE_URL')` →
 * `KLINGFLOW_FAL_BASE_URL`; an adapter setting `providerEnv('fal', 'JWKS_URL')` → `KLINGFLOW_FAL_JWKS_URL`.
 */
export const providerEnv = (providerId: string, name: string): string => `${providerEnvPrefix(providerId)}_${name}`;

/** A variable's value. Throws `Error` naming the variable when it is unset or empty. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`configuration: environment variable ${name} is not set`);
  return value;
}

/** Built once: a zod schema costs more to build than to use (settings are read on every invocation). */
const PositiveInt = z.coerce.number().check(z.int(), z.positive());

const positiveInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = PositiveInt.safeParse(raw);
  if (!parsed.success) throw new Error(`configuration: ${name} must be a positive whole number, got '${raw}'`);
  return parsed.data;
};

/**
 * The handlers' configuration, read when asked (a handler reads only what it uses; a missing setting fails
 * loudly with its name). Defaults are the ones documented in docs/api.md, "Local stack settings".
 */
export const config = {
  jobsTable: () => requireEnv(ENV.jobsTable),
  outputsBucket: () => requireEnv(ENV.outputsBucket),
  inputsBucket: () => requireEnv(ENV.inputsBucket),
  allowLoopbackCallbackUrls: () => process.env[ENV.allowLoopbackCallbackUrls] === 'true',
  stateMachineArn: () => requireEnv(ENV.stateMachineArn),
  noticesTopicArn: () => requireEnv(ENV.noticesTopicArn),
  publicUrl: () => requireEnv(ENV.publicUrl).replace(/\/+$/, ''),
  defaultProvider: () => process.env[ENV.defaultProvider] || 'kling',
  enabledProviders: (): string[] =>
    (process.env[ENV.enabledProviders] || 'kling')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  maxPolls: () => positiveInt(ENV.maxPolls, 120),
  /** Deadlines per model (seconds after submission; lambdas/domain/wait-schedule.ts). Throws naming a bad value. */
  deadlines: () => parseDeadlineSetting(process.env[ENV.deadlineSeconds], ENV.deadlineSeconds),
  /** A positive number (default 1). */
  waitTimeScale: (): number => {
    const raw = process.env[ENV.waitTimeScale];
    if (!raw) return 1;
    const scale = Number(raw);
    if (!Number.isFinite(scale) || scale <= 0)
      throw new Error(`configuration: ${ENV.waitTimeScale} must be a positive number, got '${raw}'`);
    return scale;
  },
  /** Milliseconds. */
  providerTimeoutMs: () => positiveInt(ENV.providerTimeoutMs, 20_000),
  /** Seconds. */
  downloadUrlSeconds: () => positiveInt(ENV.downloadUrlSeconds, 300),
  /** Seconds. */
  shareLinkSeconds: () => positiveInt(ENV.shareLinkSeconds, DEFAULT_SHARE_LINK_SECONDS),
  /** ARN patterns of the admins (IAM); empty when none is configured. */
  adminPrincipals: (): string[] =>
    (process.env[ENV.adminPrincipals] || '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  s3ForcePathStyle: () => process.env[ENV.s3ForcePathStyle] === 'true',
  admissionTable: () => requireEnv(ENV.admissionTable),
  spendTable: () => requireEnv(ENV.spendTable),
  /** A provider's low-balance reserve in credits (`KLINGFLOW_<ID>_MIN_BALANCE_CREDITS`), or undefined. Throws naming a bad value. */
  minBalanceCredits: (providerId: string): number | undefined => {
    const name = providerEnv(providerId, MIN_BALANCE_SETTING);
    const raw = process.env[name];
    if (raw === undefined || raw === '') return undefined;
    const parsed = z.coerce.number().check(z.nonnegative()).safeParse(raw);
    if (!parsed.success) throw new Error(`configuration: ${name} must be a number of credits (0 or more), got '${raw}'`);
    return parsed.data;
  },
  /** Seconds. */
  slotWaitSeconds: () => positiveInt(ENV.slotWaitSeconds, 60),
  /** Seconds. */
  slotLeaseSeconds: () => positiveInt(ENV.slotLeaseSeconds, 900),
  /** Seconds (default 6 h). */
  maxQueueSeconds: () => positiveInt(ENV.maxQueueSeconds, 21_600),
  /** Seconds, or undefined for the default (lambdas/jobs/submit-job.ts, SUBMIT_SETTLE_SECONDS). */
  submitSettleSeconds: (): number | undefined =>
    process.env[ENV.submitSettleSeconds] ? positiveInt(ENV.submitSettleSeconds, 1) : undefined,
  /** The local metrics file, or undefined (AWS: metric lines go to stdout). */
  metricsFile: (): string | undefined => process.env[ENV.metricsFile] || undefined,
  /** A provider's concurrency limits (`KLINGFLOW_<ID>_MAX_CONCURRENCY`), or undefined. Throws naming a bad value. */
  providerConcurrency: (providerId: string): ConcurrencyLimits | undefined => {
    const name = providerEnv(providerId, PROVIDER_ENV_NAMES.maxConcurrency);
    return parseConcurrencySetting(process.env[name], name);
  },
  /** A provider's base URL, or `undefined` when it has none configured. */
  providerBaseUrl: (providerId: string): string | undefined =>
    process.env[providerEnv(providerId, PROVIDER_ENV_NAMES.baseUrl)] || undefined,
  /** A provider variable's value, or `undefined` when unset or empty. */
  providerValue: (providerId: string, name: string): string | undefined => process.env[providerEnv(providerId, name)] || undefined,
  /**
   * A provider's adapter settings: `KLINGFLOW_<ID>_<NAME>` → `{ <NAME>: value }`, reserved names aside. Another
   * provider's variables are not settings even when its prefix starts with this one's (`KLINGFLOW_KLING_` is the
   * start of `KLINGFLOW_KLING_V3_REST_`), so `knownProviders` lists every id.
   */
  providerSettings: (providerId: string, knownProviders: readonly string[]): Record<string, string> => {
    const prefix = `${providerEnvPrefix(providerId)}_`;
    const others = knownProviders.map((id) => `${providerEnvPrefix(id)}_`).filter((p) => p !== prefix && p.startsWith(prefix));
    return Object.fromEntries(
      Object.entries(process.env)
        .filter((entry): entry is [string, string] => entry[0].startsWith(prefix) && Boolean(entry[1]))
        .filter(([name]) => !others.some((other) => name.startsWith(other)))
        .map(([name, value]) => [name.slice(prefix.length), value])
        .filter(([name]) => !RESERVED_PROVIDER_ENV_NAMES.includes(name)),
    );
  },
};
