// Deployment settings of one klingflow stack, read from CDK context (cdk.json, `cdk.context.json` or `-c key=value`).
//
// Context keys (values given with `-c` arrive as strings, so lists may be comma-separated and objects JSON):
//   notificationEmails  addresses subscribed to the Notices topic by e-mail      "a@x.com,b@y.com" or ["a@x.com"]
//   auth                authorizer of the HTTP API's authenticated routes         "iam" (default, SigV4) or "jwt"
//   jwtIssuer           with auth=jwt: the token issuer URL                      "https://cognito-idp.../pool"
//   jwtAudience         with auth=jwt: accepted audiences                        "client-id" or ["a", "b"]
//   enabledProviders    provider adapters this deployment may use               default ["kling"]
//   providerBaseUrls    base URL per provider id, merged over the defaults      {"kling": "https://..."}
//   providerSettings    non-secret adapter settings per provider id               {"fal": {"JWKS_URL": "https://..."}}
//                       each becomes KLINGFLOW_<ID>_<NAME> on the functions that talk to providers
//   defaultProvider     provider of a job that names none                        default "kling"
//   maxPolls            checks (AwaitResult or a poll) before TIMED_OUT, a guard    default 120
//   deadlineSeconds     seconds after submission before a job is TIMED_OUT, per model  default "1800"
//                       "1800" or "1800,kling-v3=3600" or {"default": 1800, "kling-v3": 3600}
//   maxConcurrency      admission control: tasks each provider account runs at once, per provider id
//                       {"kling": 3} or {"kling": "kling-free"} or {"fal": "4,kling-o3=2"}; default none (no limit)
//   slotWaitSeconds     seconds a queued job waits to be woken before it checks again  default 60
//   slotLeaseSeconds    seconds a slot's lease lasts between renewals                   default 900
//   maxQueueSeconds     seconds a job may wait for a slot before QUEUE_TIMEOUT          default 21600 (6 h)
//   shareLinkSeconds    how long share links in notices and webhooks work         default 604800 (7 days)
//   console             deploy the web console (S3 + CloudFront)                  default true with auth=jwt; needs auth=jwt
//   corsOrigins         browser origins allowed to call the API (CORS)           "https://a.example,https://b.example"
//                       besides the console's own, which the console adds
//   reconcileMinutes    minutes between runs of the scheduled reconciler          default 10
//   alarmEmails         operators subscribed by e-mail to the Alarms topic (not job owners: those are
//                       notificationEmails)                                      "ops@x.com" or ["a@x.com"]
//   alarms              alarm thresholds, merged over ALARM_DEFAULTS (below)     {"failureRatePercent": 10}
//   spendCaps           spend caps, JSON: {"daily"|"monthly": {"total"|<provider>: {"jobs"|"credits"|"usd": n}}}
//                       the SSM parameter's first value (then change the parameter, no redeploy); default {}
//   adminPrincipals     with auth=iam: ARN patterns of principals who see every caller's jobs ('*' wildcard)
//                       "arn:aws:sts::123456789012:assumed-role/KlingflowAdmin/*"; default none
import type { Node } from 'constructs';
import { providerEnvPrefix, RESERVED_PROVIDER_ENV_NAMES } from '../lambdas/aws/env.ts';
import { parseConcurrencySetting } from '../lambdas/domain/admission.ts';
import { DEFAULT_SHARE_LINK_SECONDS } from '../lambdas/domain/share-link.ts';
import { parseSpendCaps, type SpendCaps } from '../lambdas/domain/spend.ts';
import { DEFAULT_DEADLINE_SECONDS, parseDeadlineSetting } from '../lambdas/domain/wait-schedule.ts';

/** A context value klingflow cannot deploy with: the message names the key, what was given and what is allowed. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

export type ApiAuth = { kind: 'iam' } | { kind: 'jwt'; issuer: string; audience: string[] };

export interface KlingflowConfig {
  notificationEmails: string[];
  auth: ApiAuth;
  enabledProviders: string[];
  /** Base URL of every enabled provider. */
  providerBaseUrls: Record<string, string>;
  /** Adapter settings (`NAME` → value) of the enabled providers that have any. */
  providerSettings: Record<string, Record<string, string>>;
  defaultProvider: string;
  maxPolls: number;
  /** Deadlines as `KLINGFLOW_DEADLINE_SECONDS` takes them (lambdas/domain/wait-schedule.ts, parseDeadlineSetting). */
  deadlineSeconds: string;
  /** Admission control: each limited provider's setting, as `KLINGFLOW_<ID>_MAX_CONCURRENCY` takes it. */
  maxConcurrency: Record<string, string>;
  slotWaitSeconds: number;
  slotLeaseSeconds: number;
  maxQueueSeconds: number;
  /** Seconds a share link works after its job finished. */
  shareLinkSeconds: number;
  /** Whether the web console is deployed (only with JWT auth: a browser cannot sign SigV4 requests). */
  console: boolean;
  /** Browser origins CORS allows (`https://host[:port]`, or `*`), besides the console's own. */
  corsOrigins: string[];
  /**
   * Minutes between runs of the scheduled reconciler (re-drives jobs whose execution ended or vanished; polls callback
   * jobs whose callback is overdue, so a lost callback is noticed within this long of the expected end).
   */
  reconcileMinutes: number;
  /** Operators subscribed to the Alarms topic by e-mail. */
  alarmEmails: string[];
  /** Alarm thresholds (lib/monitoring.ts). */
  alarms: AlarmThresholds;
  /** IAM ARN patterns (`*` wildcard) of the principals who see every caller's jobs. */
  adminPrincipals: string[];
  /** The spend caps the SSM parameter starts with (domain/spend.ts). */
  spendCaps: SpendCaps;
}

/**
 * Alarm thresholds (lib/monitoring.ts), each from the context key `alarms` (`-c alarms='{"dailySpendUsd": 50}'`),
 * else its default in {@link ALARM_DEFAULTS}. Counts are per evaluation window; every alarm tells the Alarms topic.
 */
export interface AlarmThresholds {
  /** Failure rate: percent of finished jobs that did not succeed, per provider, over `failureWindowMinutes`. */
  failureRatePercent: number;
  /** The failure-rate window (minutes; 5 to 1440, a multiple of 5). */
  failureWindowMinutes: number;
  /** Fewer finished jobs than this in the window never raise the failure-rate alarm (one failure of one job is no rate). */
  failureMinJobs: number;
  /** Unfinished jobs older than their deadline (JobsPastDeadline, counted by the reconciler) that raise the alarm. */
  pastDeadlineJobs: number;
  /** Provider errors of kind `auth` or `insufficient_credits` per provider in 5 minutes that raise its alarm. */
  providerAccountErrors: number;
  /** Spend in US dollars over all providers in one day (reported, else estimated) that raises the alarm. */
  dailySpendUsd: number;
  /** Spend in provider credits over all providers in one day that raises the alarm. */
  dailySpendCredits: number;
  /** Errors plus throttles of one function in 5 minutes (task handlers throw provider errors the workflow retries). */
  lambdaErrors: number;
  /** Executions that failed in one hour (every job that ends FAILED/CANCELLED/TIMED_OUT fails its execution too). */
  executionFailures: number;
}

/** The thresholds used where the context sets none (documented in the README and docs/architecture.md). */
export const ALARM_DEFAULTS: Readonly<AlarmThresholds> = {
  failureRatePercent: 25,
  failureWindowMinutes: 60,
  failureMinJobs: 5,
  pastDeadlineJobs: 1,
  providerAccountErrors: 1,
  dailySpendUsd: 100,
  dailySpendCredits: 1000,
  lambdaErrors: 5,
  executionFailures: 20,
};

/**
 * Base URLs used when the context names none for a provider: the host root, without a version path (each adapter
 * writes its own `/v1/...` paths; kling-ai also accepts a base that already ends in `/v1`).
 */
export const DEFAULT_PROVIDER_BASE_URLS: Readonly<Record<string, string>> = {
  kling: 'https://api-singapore.klingai.com',
  'kling-v3-rest': 'https://api.klingai.com',
  'kling-ai': 'https://api.kling.ai',
  klinggenerator: 'https://api.klinggenerator.com',
  kling3api: 'https://kling3api.com',
  fal: 'https://queue.fal.run',
  replicate: 'https://api.replicate.com',
};

export const CONTEXT_DEFAULTS = {
  auth: 'iam',
  enabledProviders: ['kling'],
  defaultProvider: 'kling',
  maxPolls: 120,
  slotWaitSeconds: 60,
  slotLeaseSeconds: 900,
  maxQueueSeconds: 21_600,
  reconcileMinutes: 10,
} as const;

const PROVIDER_ID = /^[a-z0-9][a-z0-9-]*$/;

/** `deadlineSeconds`: a number, a string as the handlers take it, or `{default?, <model>: seconds}`; checked here. */
function readDeadlines(value: unknown): string {
  if (value === undefined) return String(DEFAULT_DEADLINE_SECONDS);
  let text: string;
  if (typeof value === 'number') text = String(value);
  else if (typeof value === 'string' && value.trim().startsWith('{')) text = readDeadlines(JSON.parse(value) as unknown);
  else if (typeof value === 'string') text = value;
  else if (value && typeof value === 'object') {
    text = Object.entries(value as Record<string, unknown>)
      .map(([model, seconds]) => (model === 'default' ? String(seconds) : `${model}=${String(seconds)}`))
      .join(',');
  } else
    throw new ContextError(`Context deadlineSeconds: expected seconds, "1800,model=seconds" or an object, got ${JSON.stringify(value)}`);
  parseDeadlineSetting(text, 'Context deadlineSeconds');
  return text;
}
const SETTING_NAME = /^[A-Z][A-Z0-9_]*$/;
/** Setting names that look like credentials: those belong in the provider's secret, not in the template. */
const CREDENTIAL_LIKE = /(^|_)(SECRET|PASSWORD|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)($|_)/;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/** Reads and checks the klingflow context keys; throws naming the key when a value is unusable. */
export function readKlingflowConfig(node: Node): KlingflowConfig {
  const context = (key: string): unknown => node.tryGetContext(key);

  const notificationEmails = readEmails(context('notificationEmails'), 'notificationEmails');
  const alarmEmails = readEmails(context('alarmEmails'), 'alarmEmails');

  const enabledProviders = readList(context('enabledProviders'), 'enabledProviders') ?? [...CONTEXT_DEFAULTS.enabledProviders];
  if (enabledProviders.length === 0) throw new ContextError('Context enabledProviders: at least one provider is required');
  for (const id of enabledProviders) {
    if (!PROVIDER_ID.test(id))
      throw new ContextError(`Context enabledProviders: "${id}" is not a provider id (lower-case letters, digits, '-')`);
  }

  const givenBaseUrls = readObject(context('providerBaseUrls'), 'providerBaseUrls') ?? {};
  const providerBaseUrls: Record<string, string> = {};
  for (const id of enabledProviders) {
    const url = givenBaseUrls[id] ?? DEFAULT_PROVIDER_BASE_URLS[id];
    if (typeof url !== 'string' || url === '') {
      throw new ContextError(`Context providerBaseUrls: no base URL for enabled provider "${id}"`);
    }
    if (!/^https?:\/\//.test(url)) throw new ContextError(`Context providerBaseUrls.${id}: "${url}" is not an http(s) URL`);
    providerBaseUrls[id] = url;
  }

  const providerSettings = readProviderSettings(context('providerSettings'), enabledProviders);

  const defaultProvider = readString(context('defaultProvider'), 'defaultProvider') ?? CONTEXT_DEFAULTS.defaultProvider;
  if (!enabledProviders.includes(defaultProvider)) {
    throw new ContextError(`Context defaultProvider: "${defaultProvider}" is not in enabledProviders (${enabledProviders.join(', ')})`);
  }

  const auth = readAuth(context);
  const consoleWanted = readBoolean(context('console'), 'console');
  if (consoleWanted && auth.kind !== 'jwt') {
    throw new ContextError(
      'Context console: the web console needs auth=jwt (a browser sends a bearer token; it cannot sign SigV4 requests). ' +
        'With auth=iam, use the console of the local stack (npm start), or set auth=jwt with jwtIssuer and jwtAudience',
    );
  }

  return {
    notificationEmails,
    auth,
    enabledProviders,
    providerBaseUrls,
    providerSettings,
    defaultProvider,
    maxPolls: readPositiveInteger(context('maxPolls'), 'maxPolls') ?? CONTEXT_DEFAULTS.maxPolls,
    deadlineSeconds: readDeadlines(context('deadlineSeconds')),
    maxConcurrency: readMaxConcurrency(context('maxConcurrency'), enabledProviders),
    slotWaitSeconds: readPositiveInteger(context('slotWaitSeconds'), 'slotWaitSeconds') ?? CONTEXT_DEFAULTS.slotWaitSeconds,
    slotLeaseSeconds: readPositiveInteger(context('slotLeaseSeconds'), 'slotLeaseSeconds') ?? CONTEXT_DEFAULTS.slotLeaseSeconds,
    maxQueueSeconds: readPositiveInteger(context('maxQueueSeconds'), 'maxQueueSeconds') ?? CONTEXT_DEFAULTS.maxQueueSeconds,
    shareLinkSeconds: readPositiveInteger(context('shareLinkSeconds'), 'shareLinkSeconds') ?? DEFAULT_SHARE_LINK_SECONDS,
    console: consoleWanted ?? auth.kind === 'jwt',
    corsOrigins: readOrigins(context('corsOrigins')),
    reconcileMinutes: readPositiveInteger(context('reconcileMinutes'), 'reconcileMinutes') ?? CONTEXT_DEFAULTS.reconcileMinutes,
    alarmEmails,
    alarms: readAlarmThresholds(context('alarms')),
    adminPrincipals: readAdminPrincipals(context('adminPrincipals')),
    spendCaps: readSpendCaps(context('spendCaps')),
  };
}

function readEmails(value: unknown, key: string): string[] {
  const emails = readList(value, key) ?? [];
  for (const email of emails) {
    if (!EMAIL.test(email)) throw new ContextError(`Context ${key}: "${email}" is not an e-mail address`);
  }
  return emails;
}

/** `alarms`: an object of thresholds, each a positive number, merged over {@link ALARM_DEFAULTS}; unknown keys are refused. */
function readAlarmThresholds(value: unknown): AlarmThresholds {
  const given = readObject(value, 'alarms') ?? {};
  const thresholds: AlarmThresholds = { ...ALARM_DEFAULTS };
  for (const [key, raw] of Object.entries(given)) {
    if (!(key in ALARM_DEFAULTS)) {
      throw new ContextError(`Context alarms.${key}: not an alarm threshold; known: ${Object.keys(ALARM_DEFAULTS).join(', ')}`);
    }
    const number = typeof raw === 'string' ? Number(raw) : raw;
    if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0) {
      throw new ContextError(`Context alarms.${key}: expected a positive number, got ${JSON.stringify(raw)}`);
    }
    thresholds[key as keyof AlarmThresholds] = number;
  }
  const window = thresholds.failureWindowMinutes;
  if (!Number.isInteger(window) || window % 5 !== 0 || window > 1440) {
    throw new ContextError(`Context alarms.failureWindowMinutes: expected a multiple of 5 from 5 to 1440, got ${window}`);
  }
  return thresholds;
}

/** `spendCaps`: an object or JSON text, checked as the handlers check the parameter. */
function readSpendCaps(value: unknown): SpendCaps {
  if (value === undefined || value === null || value === '') return {};
  return parseSpendCaps(typeof value === 'string' ? value : JSON.stringify(value), 'Context spendCaps');
}

/** A list of IAM ARN patterns: each starts with `arn:` and holds no commas or spaces (the handler splits on commas). */
function readAdminPrincipals(value: unknown): string[] {
  const patterns = readList(value, 'adminPrincipals') ?? [];
  for (const pattern of patterns) {
    if (!/^arn:[^\s,]+$/.test(pattern)) {
      throw new ContextError(`Context adminPrincipals: "${pattern}" is not an ARN pattern (arn:..., '*' for any run of characters)`);
    }
  }
  return patterns;
}

/**
 * `{ <provider id>: <count> | "<setting>" }`: each value is checked as `KLINGFLOW_<ID>_MAX_CONCURRENCY` would be
 * (lambdas/domain/admission.ts, parseConcurrencySetting) and kept as that string.
 */
function readMaxConcurrency(value: unknown, enabledProviders: readonly string[]): Record<string, string> {
  const given = readObject(value, 'maxConcurrency') ?? {};
  const settings: Record<string, string> = {};
  for (const [providerId, setting] of Object.entries(given)) {
    const at = `Context maxConcurrency.${providerId}`;
    if (!enabledProviders.includes(providerId))
      throw new ContextError(`${at}: "${providerId}" is not in enabledProviders (${enabledProviders.join(', ')})`);
    if (typeof setting !== 'string' && typeof setting !== 'number') {
      throw new ContextError(`${at}: expected a number or a string such as "kling-free" or "4,kling-v3=2", got ${JSON.stringify(setting)}`);
    }
    const text = String(setting);
    parseConcurrencySetting(text, at);
    settings[providerId] = text;
  }
  return settings;
}

/** `true`/`false`, given as such or as the strings `-c` passes. */
function readBoolean(value: unknown, key: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextError(`Context ${key}: expected true or false, got ${JSON.stringify(value)}`);
}

/** `corsOrigins`: each an origin as a browser sends it (scheme, host, optional port; no path), or `*`. */
function readOrigins(value: unknown): string[] {
  const origins = readList(value, 'corsOrigins') ?? [];
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ContextError(`Context corsOrigins: "${origin}" is not an origin (scheme://host[:port], no path or trailing slash), nor *`);
    }
  }
  return origins;
}

/** `{ <provider id>: { <NAME>: value } }`; values may be strings, numbers or booleans (all become strings). */
function readProviderSettings(value: unknown, enabledProviders: readonly string[]): Record<string, Record<string, string>> {
  const given = readObject(value, 'providerSettings') ?? {};
  const settings: Record<string, Record<string, string>> = {};
  for (const [providerId, entries] of Object.entries(given)) {
    const at = `Context providerSettings.${providerId}`;
    if (!enabledProviders.includes(providerId)) {
      throw new ContextError(`${at}: "${providerId}" is not in enabledProviders (${enabledProviders.join(', ')})`);
    }
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
      throw new ContextError(`${at}: expected an object of NAME: value, got ${JSON.stringify(entries)}`);
    }
    const own: Record<string, string> = {};
    for (const [name, setting] of Object.entries(entries as Record<string, unknown>)) {
      if (!SETTING_NAME.test(name)) throw new ContextError(`${at}.${name}: a setting name is upper-case letters, digits and '_'`);
      if (RESERVED_PROVIDER_ENV_NAMES.includes(name)) {
        throw new ContextError(`${at}.${name}: reserved (base URLs go in providerBaseUrls, credentials in the provider's secret)`);
      }
      if (CREDENTIAL_LIKE.test(name)) {
        throw new ContextError(
          `${at}.${name}: looks like a credential; settings are written into the template, put it in the provider's secret`,
        );
      }
      if (typeof setting !== 'string' && typeof setting !== 'number' && typeof setting !== 'boolean') {
        throw new ContextError(`${at}.${name}: expected a string, number or boolean, got ${JSON.stringify(setting)}`);
      }
      // KLINGFLOW_KLING_V3_REST_X is provider kling-v3-rest's, not kling's setting V3_REST_X.
      const envName = `${providerEnvPrefix(providerId)}_${name}`;
      const owner = enabledProviders.find(
        (other) => other !== providerId && other.length > providerId.length && envName.startsWith(`${providerEnvPrefix(other)}_`),
      );
      if (owner) throw new ContextError(`${at}.${name}: ${envName} would read as a setting of provider "${owner}"`);
      own[name] = String(setting);
    }
    if (Object.keys(own).length > 0) settings[providerId] = own;
  }
  return settings;
}

function readAuth(context: (key: string) => unknown): ApiAuth {
  const kind = readString(context('auth'), 'auth') ?? CONTEXT_DEFAULTS.auth;
  if (kind === 'iam') return { kind };
  if (kind !== 'jwt') throw new ContextError(`Context auth: "${kind}" is neither "iam" nor "jwt"`);
  const issuer = readString(context('jwtIssuer'), 'jwtIssuer');
  const audience = readList(context('jwtAudience'), 'jwtAudience');
  if (!issuer || !/^https:\/\//.test(issuer)) throw new ContextError('Context jwtIssuer: auth=jwt needs an https issuer URL');
  if (!audience || audience.length === 0) throw new ContextError('Context jwtAudience: auth=jwt needs at least one audience');
  return { kind, issuer, audience };
}

function readString(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ContextError(`Context ${key}: expected a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

/** A list given as an array, a JSON array string or a comma-separated string. */
function readList(value: unknown, key: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  let items: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    items = text.startsWith('[') ? parseJson(text, key) : text.split(',');
  }
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw new ContextError(`Context ${key}: expected a list of strings, got ${JSON.stringify(value)}`);
  }
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** An object given as such or as a JSON string. */
function readObject(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const object = typeof value === 'string' ? parseJson(value, key) : value;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new ContextError(`Context ${key}: expected an object, got ${JSON.stringify(value)}`);
  }
  return object as Record<string, unknown>;
}

function readPositiveInteger(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw new ContextError(`Context ${key}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ContextError(`Context ${key}: "${text}" is not valid JSON`);
  }
}
