// fal's error answers (fal's JS client, `response.ts`, and fal docs, 'Model errors'): a non-2xx JSON body
// `{"detail": [...]}` whose items are `{loc, msg, type, url?, ctx?}` (422 for validation), or `{"detail": "<text>"}`;
// `X-Fal-Retryable: true|false` says whether the same request may succeed later. They come back in two places: when
// a request is refused (submit, status, cancel: thrown as `ProviderError`), and when the result of a finished request
// is fetched (a failed generation: the task's `JobError`).
import { z } from 'zod';
import { errorCodeOf, isRetryableKind, ProviderError } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { JobError } from '../../domain/job.ts';
import { kindOfHttpStatus, snippetOf } from '../http.ts';
import type { HttpFailure } from '../http.ts';
import { looksLikeContentPolicy } from '../task-results.ts';

const FalErrorItem = z.looseObject({
  loc: z.array(z.union([z.string(), z.number()])).optional(),
  msg: z.string().optional(),
  type: z.string().optional(),
});

export const FalErrorBody = z.looseObject({ detail: z.union([z.string(), z.array(FalErrorItem)]) });
export type FalErrorBody = z.infer<typeof FalErrorBody>;

/** fal's machine-readable `detail[].type` values with a meaning of their own; any other type follows the HTTP status. */
export const FAL_ERROR_TYPES: Readonly<Record<string, ErrorKind>> = {
  content_policy_violation: 'content_policy',
  internal_server_error: 'server',
  generation_timeout: 'server',
  downstream_service_error: 'server',
  downstream_service_unavailable: 'overloaded',
};

/** fal answers a locked account (no balance left) with 403 and a sentence about it, not with 402. */
const NO_BALANCE = /balance|billing|credit|locked|top.?up|payment/i;
const CONCURRENCY = /concurren/i;
const CANCELLED = /\bcancel(l)?ed\b|cancellation/i;

export interface FalErrorReading {
  kind: ErrorKind;
  /** The first typed `detail[].type`, else the HTTP status. */
  providerCode: string | number;
  message: string;
}

/** What a fal error answer means: the kind from its typed detail first, else from the HTTP status and its wording. */
export function readFalError(status: number, body: unknown): FalErrorReading {
  const parsed = FalErrorBody.safeParse(body);
  if (!parsed.success) {
    const text = snippetOf(typeof body === 'string' ? body : JSON.stringify(body));
    return { kind: kindOfHttpStatus(status), providerCode: status, message: text || `HTTP ${status}` };
  }
  const detail = parsed.data.detail;
  const items = typeof detail === 'string' ? [] : detail;
  const message = typeof detail === 'string' ? detail : items.map(describeItem).join('; ') || 'no detail';
  const typed = items.find((item) => item.type !== undefined && Object.hasOwn(FAL_ERROR_TYPES, item.type));
  if (typed?.type) return { kind: FAL_ERROR_TYPES[typed.type] ?? 'server', providerCode: typed.type, message };
  const firstType = items.find((item) => item.type)?.type;
  return { kind: kindOfFalStatus(status, message), providerCode: firstType ?? status, message };
}

function kindOfFalStatus(status: number, message: string): ErrorKind {
  if (status === 403 && NO_BALANCE.test(message)) return 'insufficient_credits';
  if (status === 429 && CONCURRENCY.test(message)) return 'concurrency_limited';
  if ((status === 400 || status === 422) && looksLikeContentPolicy(message)) return 'content_policy';
  return kindOfHttpStatus(status);
}

function describeItem(item: z.infer<typeof FalErrorItem>): string {
  const where = (item.loc ?? []).filter((part) => part !== 'body').join('.');
  const text = item.msg ?? 'invalid';
  return `${where ? `${where}: ` : ''}${text}${item.type ? ` (${item.type})` : ''}`;
}

/** The classifier for fal's non-2xx answers to our own requests. */
export function classifyFalFailure(failure: HttpFailure): ProviderError {
  const reading = readFalError(failure.status, failure.body);
  return new ProviderError(reading.kind, `fal answered HTTP ${failure.status} [${failure.request}]: ${snippetOf(reading.message)}`, {
    providerCode: reading.providerCode,
    httpStatus: failure.status,
    retryAfterSeconds: failure.retryAfterSeconds,
  });
}

/**
 * Whether a non-2xx answer to a result fetch is the outcome of the generation (the request failed) rather than
 * trouble reaching it. Account and throttling answers, unknown requests, and gateway answers without fal's typed
 * detail are trouble: the poll retries. Everything else that carries fal's `detail` is the generation's failure.
 */
export function isGenerationFailure(failure: Pick<HttpFailure, 'status' | 'body' | 'headers'>): boolean {
  if (failure.headers.get('x-fal-request-timeout-type') === 'user') return true;
  if ([401, 402, 403, 404, 408, 429].includes(failure.status)) return false;
  const parsed = FalErrorBody.safeParse(failure.body);
  if (!parsed.success) return false;
  const typed = Array.isArray(parsed.data.detail) && parsed.data.detail.some((item) => item.type !== undefined);
  return typed || ![502, 503, 504].includes(failure.status);
}

export type FalTaskOutcome = { status: 'failed' | 'cancelled'; error: JobError };

/**
 * A failed generation as the job's error: `CONTENT_POLICY` when fal says so, `PROVIDER_FAILED` otherwise (the fal type
 * is in the message). Retryable when fal's `X-Fal-Retryable` header says so, else when the kind is transient.
 * A request that was cancelled ends `cancelled`.
 */
export function falTaskOutcome(status: number | undefined, body: unknown, retryableHeader?: string | null): FalTaskOutcome {
  const reading = readFalError(status ?? 500, body);
  const retryable = retryableHeader === 'true' ? true : retryableHeader === 'false' ? false : isRetryableKind(reading.kind);
  const code = reading.kind === 'content_policy' ? errorCodeOf('content_policy') : 'PROVIDER_FAILED';
  const message = `fal: ${snippetOf(reading.message)}${typeof reading.providerCode === 'string' ? ` [${reading.providerCode}]` : ''}`;
  if (CANCELLED.test(reading.message)) return { status: 'cancelled', error: { code: 'CANCELLED', message, retryable: false } };
  return { status: 'failed', error: { code, message, retryable } };
}
