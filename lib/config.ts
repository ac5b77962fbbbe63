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
//   awaitSeconds        kept in the execution input, no longer read by the workflow default 60
//   maxPolls            checks (AwaitResult or a poll) before TIMED_OUT, a guard    default 120
//   deadlineSeconds     seconds after submission before a job is TIMED_OUT, per model  default "1800"
//                       "1800" or "1800,kling-v3=3600" or {"default": 1800, "kling-v3": 3600}
//   maxConcurrency      admission control: tasks each provider account runs at once, per provider id
//                       {"kling": 3} or {"kling": "kling-free"} or {"fal": "4,kling-o3=2"}; default none (no limit)
//   slotWaitSeconds     seconds a queued job waits to be woken before it checks again  default 60
//   slotLeaseSeconds    seconds a slot's lease lasts between renewals                   default 900
//   maxQueueSeconds     seconds a job may wait for a slot before QUEUE_TIMEOUT          default 21600 (6 h)
//   shareLinkSeconds    how long share links in notices and webhooks work         default 604800 (7 days)
//   reconcileMinutes    minutes between runs of the scheduled reconciler          default 10
import type { Node } from 'constructs';
import { providerEnvPrefix, RESERVED_PROVIDER_ENV_NAMES } from '../lambdas/aws/env.ts';
import { parseConcurrencySetting } from '../lambdas/domain/admission.ts';
import { DEFAULT_SHARE_LINK_SECONDS } from '../lambdas/domain/share-link.ts';
import { DEFAULT_DEADLINE_SECONDS, parseDeadlineSetting } from '../lambdas/domain/wait-schedule.ts';

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
  awaitSeconds: number;
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
  /** Minutes between runs of the scheduled reconciler (re-drives jobs whose execution ended or vanished). */
  reconcileMinutes: number;
}

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
  awaitSeconds: 60,
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
  } else throw new Error(`Context deadlineSeconds: expected seconds, "1800,model=seconds" or an object, got ${JSON.stringify(value)}`);
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

  const notificationEmails = readList(context('notificationEmails'), 'notificationEmails') ?? [];
  for (const email of notificationEmails) {
    if (!EMAIL.test(email)) throw new Error(`Context notificationEmails: "${email}" is not an e-mail address`);
  }

  const enabledProviders = readList(context('enabledProviders'), 'enabledProviders') ?? [...CONTEXT_DEFAULTS.enabledProviders];
  if (enabledProviders.length === 0) throw new Error('Context enabledProviders: at least one provider is required');
  for (const id of enabledProviders) {
    if (!PROVIDER_ID.test(id)) throw new Error(`Context enabledProviders: "${id}" is not a provider id (lower-case letters, digits, '-')`);
  }

  const givenBaseUrls = readObject(context('providerBaseUrls'), 'providerBaseUrls') ?? {};
  const providerBaseUrls: Record<string, string> = {};
  for (const id of enabledProviders) {
    const url = givenBaseUrls[id] ?? DEFAULT_PROVIDER_BASE_URLS[id];
    if (typeof url !== 'string' || url === '') {
      throw new Error(`Context providerBaseUrls: no base URL for enabled provider "${id}"`);
    }
    if (!/^https?:\/\//.test(url)) throw new Error(`Context providerBaseUrls.${id}: "${url}" is not an http(s) URL`);
    providerBaseUrls[id] = url;
  }

  const providerSettings = readProviderSettings(context('providerSettings'), enabledProviders);

  const defaultProvider = readString(context('defaultProvider'), 'defaultProvider') ?? CONTEXT_DEFAULTS.defaultProvider;
  if (!enabledProviders.includes(defaultProvider)) {
    throw new Error(`Context defaultProvider: "${defaultProvider}" is not in enabledProviders (${enabledProviders.join(', ')})`);
  }

  return {
    notificationEmails,
    auth: readAuth(context),
    enabledProviders,
    providerBaseUrls,
    providerSettings,
    defaultProvider,
    awaitSeconds: readPositiveInteger(context('awaitSeconds'), 'awaitSeconds') ?? CONTEXT_DEFAULTS.awaitSeconds,
    maxPolls: readPositiveInteger(context('maxPolls'), 'maxPolls') ?? CONTEXT_DEFAULTS.maxPolls,
    deadlineSeconds: readDeadlines(context('deadlineSeconds')),
    maxConcurrency: readMaxConcurrency(context('maxConcurrency'), enabledProviders),
    slotWaitSeconds: readPositiveInteger(context('slotWaitSeconds'), 'slotWaitSeconds') ?? CONTEXT_DEFAULTS.slotWaitSeconds,
    slotLeaseSeconds: readPositiveInteger(context('slotLeaseSeconds'), 'slotLeaseSeconds') ?? CONTEXT_DEFAULTS.slotLeaseSeconds,
    maxQueueSeconds: readPositiveInteger(context('maxQueueSeconds'), 'maxQueueSeconds') ?? CONTEXT_DEFAULTS.maxQueueSeconds,
    shareLinkSeconds: readPositiveInteger(context('shareLinkSeconds'), 'shareLinkSeconds') ?? DEFAULT_SHARE_LINK_SECONDS,
    reconcileMinutes: readPositiveInteger(context('reconcileMinutes'), 'reconcileMinutes') ?? CONTEXT_DEFAULTS.reconcileMinutes,
  };
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
      throw new Error(`${at}: "${providerId}" is not in enabledProviders (${enabledProviders.join(', ')})`);
    if (typeof setting !== 'string' && typeof setting !== 'number') {
      throw new Error(`${at}: expected a number or a string such as "kling-free" or "4,kling-v3=2", got ${JSON.stringify(setting)}`);
    }
    const text = String(setting);
    parseConcurrencySetting(text, at);
    settings[providerId] = text;
  }
  return settings;
}

/** `{ <provider id>: { <NAME>: value } }`; values may be strings, numbers or booleans (all become strings). */
function readProviderSettings(value: unknown, enabledProviders: readonly string[]): Record<string, Record<string, string>> {
  const given = readObject(value, 'providerSettings') ?? {};
  const settings: Record<string, Record<string, string>> = {};
  for (const [providerId, entries] of Object.entries(given)) {
    const at = `Context providerSettings.${providerId}`;
    if (!enabledProviders.includes(providerId)) {
      throw new Error(`${at}: "${providerId}" is not in enabledProviders (${enabledProviders.join(', ')})`);
    }
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
      throw new Error(`${at}: expected an object of NAME: value, got ${JSON.stringify(entries)}`);
    }
    const own: Record<string, string> = {};
    for (const [name, setting] of Object.entries(entries as Record<string, unknown>)) {
      if (!SETTING_NAME.test(name)) throw new Error(`${at}.${name}: a setting name is upper-case letters, digits and '_'`);
      if (RESERVED_PROVIDER_ENV_NAMES.includes(name)) {
        throw new Error(`${at}.${name}: reserved (base URLs go in providerBaseUrls, credentials in the provider's secret)`);
      }
      if (CREDENTIAL_LIKE.test(name)) {
        throw new Error(`${at}.${name}: looks like a credential; settings are written into the template, put it in the provider's secret`);
      }
      if (typeof setting !== 'string' && typeof setting !== 'number' && typeof setting !== 'boolean') {
        throw new Error(`${at}.${name}: expected a string, number or boolean, got ${JSON.stringify(setting)}`);
      }
      // KLINGFLOW_KLING_V3_REST_X is provider kling-v3-rest's, not kling's setting V3_REST_X.
      const envName = `${providerEnvPrefix(providerId)}_${name}`;
      const owner = enabledProviders.find(
        (other) => other !== providerId && other.length > providerId.length && envName.startsWith(`${providerEnvPrefix(other)}_`),
      );
      if (owner) throw new Error(`${at}.${name}: ${envName} would read as a setting of provider "${owner}"`);
      own[name] = String(setting);
    }
    if (Object.keys(own).length > 0) settings[providerId] = own;
  }
  return settings;
}

function readAuth(context: (key: string) => unknown): ApiAuth {
  const kind = readString(context('auth'), 'auth') ?? CONTEXT_DEFAULTS.auth;
  if (kind === 'iam') return { kind };
  if (kind !== 'jwt') throw new Error(`Context auth: "${kind}" is neither "iam" nor "jwt"`);
  const issuer = readString(context('jwtIssuer'), 'jwtIssuer');
  const audience = readList(context('jwtAudience'), 'jwtAudience');
  if (!issuer || !/^https:\/\//.test(issuer)) throw new Error('Context jwtIssuer: auth=jwt needs an https issuer URL');
  if (!audience || audience.length === 0) throw new Error('Context jwtAudience: auth=jwt needs at least one audience');
  return { kind, issuer, audience };
}

function readString(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key}: expected a string, got ${JSON.stringify(value)}`);
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
    throw new Error(`Context ${key}: expected a list of strings, got ${JSON.stringify(value)}`);
  }
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** An object given as such or as a JSON string. */
function readObject(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const object = typeof value === 'string' ? parseJson(value, key) : value;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new Error(`Context ${key}: expected an object, got ${JSON.stringify(value)}`);
  }
  return object as Record<string, unknown>;
}

function readPositiveInteger(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw new Error(`Context ${key}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Context ${key}: "${text}" is not valid JSON`);
  }
}
