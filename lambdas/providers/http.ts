// The one HTTP client every provider adapter uses. It owns what all providers share: joining the base URL and
// path, the request timeout, turning network failures into `ProviderError('network')`, reading JSON bodies
// through a zod schema, reading `Retry-After`, and the Bearer `Authorization` header most providers take. What a
// non-2xx answer *means* is provider-specific, so the adapter passes a classifier; `classifyByHttpStatus` is the
// fallback every classifier can end with.
//
// Messages name the method and path only (never the query string or the base URL), so no token or signed
// parameter ends up in a log line or a job's error.
import type * as z from '../domain/zod.ts';
import { ProviderError } from '../domain/errors.ts';
import type { ErrorKind } from '../domain/errors.ts';
import type { AdapterContext } from './port.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ProviderRequest {
  method: HttpMethod;
  /** Path below the base URL, starting with `/`. Callers encode dynamic segments with `encodeURIComponent`. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON when defined. */
  body?: unknown;
  /** Appended to the URL; `undefined` values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
}

/** A provider's answer outside 2xx, as handed to a classifier. */
export interface HttpFailure {
  /** `METHOD /path`, safe to put in a message. */
  request: string;
  status: number;
  /** The body parsed as JSON, or the raw text when it is not JSON (empty string when there was none). */
  body: unknown;
  headers: Headers;
  /** From `Retry-After` (delta seconds or an HTTP date), when present and readable. */
  retryAfterSeconds?: number;
}

/** Turns a non-2xx answer into the taxonomy. Classifiers should carry `httpStatus` and `retryAfterSeconds`. */
export type ErrorClassifier = (failure: HttpFailure) => ProviderError;

export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or `undefined` for an empty body. */
  body: unknown;
}

const MAX_SNIPPET_CHARS = 300;

/** Sends a request and returns the 2xx answer's JSON body parsed by `schema`. Anything else throws `ProviderError`. */
export async function requestJson<Schema extends z.ZodMiniType>(
  ctx: AdapterContext,
  request: ProviderRequest,
  schema: Schema,
  classify: ErrorClassifier = classifyByHttpStatus,
): Promise<z.output<Schema>> {
  const response = await sendRequest(ctx, request, classify);
  return parseProviderBody(schema, response.body, describeRequest(request));
}

/** Sends a request; a 2xx answer comes back with its JSON body (a 2xx body that is not JSON is a `server` error). */
export async function sendRequest(
  ctx: AdapterContext,
  request: ProviderRequest,
  classify: ErrorClassifier = classifyByHttpStatus,
): Promise<ProviderResponse> {
  const described = describeRequest(request);
  const url = buildProviderUrl(ctx.baseUrl, request.path, request.query);
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (!hasContentType) headers['content-type'] = 'application/json';
  }

  let response: Response;
  let text: string;
  try {
    response = await ctx.fetch(url, {
      method: request.method,
      headers,
      body,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    // The timeout signal also covers reading the body, so a provider that stalls mid-body is a network error too.
    text = await response.text();
  } catch (error) {
    throw networkError(described, error, ctx.timeoutMs);
  }

  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), ctx.now());
  if (response.status < 200 || response.status > 299) {
    throw classify({
      request: described,
      status: response.status,
      body: parseJsonOrText(text),
      headers: response.headers,
      retryAfterSeconds,
    });
  }

  if (text.trim() === '') return { status: response.status, headers: response.headers, body: undefined };
  try {
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as unknown };
  } catch {
    throw new ProviderError('server', `${described} answered HTTP ${response.status} with a body that is not JSON: ${snippetOf(text)}`, {
      httpStatus: response.status,
    });
  }
}

/** Parses a provider's JSON with `schema`; a body that does not fit is a `server` error (the provider broke its contract). */
export function parseProviderBody<Schema extends z.ZodMiniType>(schema: Schema, body: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  throw new ProviderError('server', `${what}: unexpected response shape (${issues})`);
}

/**
 * Joins the base URL and a path. The base URL may carry a path prefix (`http://127.0.0.1:4010/kling`); the path
 * must be a plain absolute path so it can never point at another host or climb out of the prefix.
 */
export function buildProviderUrl(baseUrl: string, path: string, query?: ProviderRequest['query']): string {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new Error('provider base URL is not an absolute URL');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('provider base URL must be http(s)');
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`provider path must start with a single "/": ${path}`);
  if (/[?#\\]/.test(path)) throw new Error(`provider path must not contain "?", "#" or "\\" (use query): ${path}`);
  const isDotSegment = (segment: string) => /^\.{1,2}$/.test(segment.replace(/%2e/gi, '.'));
  if (path.split('/').some(isDotSegment)) {
    throw new Error(`provider path must not contain dot segments: ${path}`);
  }
  const url = new URL(base.href);
  url.pathname = base.pathname.replace(/\/+$/, '') + path;
  url.hash = '';
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.append(name, String(value));
  }
  return url.href;
}

/**
 * `Retry-After` as whole seconds from `now`: either delta seconds (`120`) or an HTTP date. A date in the past
 * is 0. Anything unreadable is `undefined`.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // Only accept things that look like a date (a weekday or month name), so `-5` or `1.5` are not read as dates.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * A rate-limit reset header (`X-RateLimit-Reset`, `RateLimit-Reset`): seconds to wait, whether the provider sends
 * a delta in seconds, a Unix time in seconds, or one in milliseconds (anything past 2001-09-09 is a time: a delta
 * that large would be 30 years). Undefined for anything else.
 */
export function parseRateLimitReset(value: string | null | undefined, now: Date): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed || !/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const number = Number(trimmed);
  if (number < 1_000_000_000) return Math.ceil(number);
  const atMs = number >= 1_000_000_000_000 ? number : number * 1000;
  return Math.max(0, Math.ceil((atMs - now.getTime()) / 1000));
}

/** The kind an HTTP status means when the provider says nothing more specific. */
export function kindOfHttpStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
    case 404:
    case 409:
    case 413:
    case 415:
    case 422:
      return 'invalid';
    case 401:
    case 403:
      return 'auth';
    case 402:
      return 'insufficient_credits';
    case 408:
      return 'network';
    case 429:
      return 'rate_limited';
    case 503:
      return 'overloaded';
    default:
      // 500, 502, 504 and any other 5xx are server trouble worth retrying; any other 4xx is our request's fault;
      // a 1xx/3xx we did not follow is unexpected, treated as server trouble.
      return status >= 400 && status < 500 ? 'invalid' : 'server';
  }
}

/** `request` with `Authorization: Bearer <token>` among its headers. */
export function withBearerToken(request: ProviderRequest, token: string): ProviderRequest {
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
}

/**
 * `request` authorised the way most providers want it: `credentials.apiKey` as a Bearer token. Without a key it throws
 * `ProviderError('auth')` before anything is sent: `<provider> credentials are missing: set <whatToSet>`.
 */
export function withBearerApiKey(ctx: AdapterContext, provider: string, request: ProviderRequest, whatToSet = 'apiKey'): ProviderRequest {
  const apiKey = ctx.credentials.apiKey;
  if (!apiKey) throw new ProviderError('auth', `${provider} credentials are missing: set ${whatToSet}`);
  return withBearerToken(request, apiKey);
}

/** The fallback classifier: the kind from the HTTP status, with a short snippet of the body in the message. */
export function classifyByHttpStatus(failure: HttpFailure): ProviderError {
  const snippet = snippetOf(typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body));
  return new ProviderError(
    kindOfHttpStatus(failure.status),
    `${failure.request} answered HTTP ${failure.status}${snippet ? `: ${snippet}` : ''}`,
    { httpStatus: failure.status, providerCode: failure.status, retryAfterSeconds: failure.retryAfterSeconds },
  );
}

export function describeRequest(request: Pick<ProviderRequest, 'method' | 'path'>): string {
  return `${request.method} ${request.path}`;
}

/** A short, single-line excerpt of a body for error messages. */
export function snippetOf(text: string | undefined): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SNIPPET_CHARS ? `${flat.slice(0, MAX_SNIPPET_CHARS)}…` : flat;
}

function parseJsonOrText(text: string): unknown {
  if (text.trim() === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function networkError(described: string, error: unknown, timeoutMs: number): ProviderError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError') {
    return new ProviderError('network', `${described} timed out after ${timeoutMs} ms`, { cause: error });
  }
  const reason = error instanceof Error ? describeCause(error) : String(error);
  return new ProviderError('network', `${described} failed: ${reason}`, { cause: error, notSent: neverLeft(error) });
}

/** Connection errors that happen before a request is written: refused, unresolvable or unreachable hosts. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether a fetch failure happened before the request left (so the provider cannot have seen it). */
function neverLeft(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth += 1) {
    const code = (cause as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
  }
  return false;
}

/** `fetch failed` alone says nothing; the underlying cause (ECONNREFUSED, ENOTFOUND...) does. */
function describeCause(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}
