// fal's error answers (facts.ts; fal docs, "Model Errors" and "Request Errors"; fal's JS client, `response.ts`): a
// non-2xx JSON body `{"detail": [...]}` whose items are `{loc, msg, type, url?, ctx?}` (422 for validation), or a
// request error `{"detail": "<text>", "error_type": "<type>"}` with the same type in `X-Fal-Error-Type`;
// `X-Fal-Retryable: true|false` says whether the same request may succeed later. A gateway in front of fal may also
// answer with a body that is not JSON at all. They come back in two places: when a request is refused (submit,
// status, cancel: thrown as `ProviderError`), and when the result of a finished request is fetched (a failed or
// cancelled generation: the task's `JobError`).
import * as z from '../../domain/zod.ts';
import { errorCodeOf, isRetryableKind, ProviderError } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { JobError } from '../../domain/job.ts';
import { kindOfHttpStatus, snippetOf } from '../http.ts';
import type { HttpFailure } from '../http.ts';
import { looksLikeContentPolicy } from '../task-results.ts';
import { FAL_CANCELLED_ERROR_TYPE, FAL_ERROR_TYPES, FAL_HEADERS, FAL_REQUEST_ERROR_TYPES, FAL_WORDING } from './facts.ts';

export { FAL_ERROR_TYPES, FAL_REQUEST_ERROR_TYPES } from './facts.ts';

const FalErrorItem = z.looseObject({
  loc: z.optional(z.array(z.union([z.string(), z.number()]))),
  msg: z.optional(z.string()),
  type: z.optional(z.string()),
});

export const FalErrorBody = z.looseObject({
  detail: z.union([z.string(), z.array(FalErrorItem)]),
  /** A request error's type (fal docs, "Request Errors"). */
  error_type: z.optional(z.string()),
});
export type FalErrorBody = z.infer<typeof FalErrorBody>;

export interface FalErrorReading {
  kind: ErrorKind;
  /** The request error type, else the first typed `detail[].type`, else the HTTP status. */
  providerCode: string | number;
  message: string;
  /** The request error type, from the body or the `X-Fal-Error-Type` header, when fal gave one. */
  errorType?: string;
}

/**
 * What a fal error answer means: the kind from its request error type or typed detail first, else from the HTTP
 * status and its wording. `errorTypeHeader` is the answer's `X-Fal-Error-Type`, when there was one.
 */
export function readFalError(status: number, body: unknown, errorTypeHeader?: string | null): FalErrorReading {
  const parsed = FalErrorBody.safeParse(body);
  const errorType = (parsed.success ? parsed.data.error_type : undefined) ?? errorTypeHeader ?? undefined;
  if (!parsed.success) {
    const text = snippetOf(typeof body === 'string' ? body : JSON.stringify(body));
    const message = text || `HTTP ${status}`;
    if (errorType && Object.hasOwn(FAL_REQUEST_ERROR_TYPES, errorType)) {
      return { kind: FAL_REQUEST_ERROR_TYPES[errorType] ?? 'server', providerCode: errorType, message, errorType };
    }
    return { kind: kindOfHttpStatus(status), providerCode: status, message };
  }
  const detail = parsed.data.detail;
  const items = typeof detail === 'string' ? [] : detail;
  const message = typeof detail === 'string' ? detail : items.map(describeItem).join('; ') || 'no detail';
  if (errorType && Object.hasOwn(FAL_REQUEST_ERROR_TYPES, errorType)) {
    return { kind: FAL_REQUEST_ERROR_TYPES[errorType] ?? 'server', providerCode: errorType, message, errorType };
  }
  const typed = items.find((item) => item.type !== undefined && Object.hasOwn(FAL_ERROR_TYPES, item.type));
  if (typed?.type) return { kind: FAL_ERROR_TYPES[typed.type] ?? 'server', providerCode: typed.type, message };
  const firstType = items.find((item) => item.type)?.type;
  return { kind: kindOfFalStatus(status, message), providerCode: firstType ?? errorType ?? status, message, errorType };
}

function kindOfFalStatus(status: number, message: string): ErrorKind {
  if (status === 403 && FAL_WORDING.noBalance.test(message)) return 'insufficient_credits';
  if (status === 429 && FAL_WORDING.concurrency.test(message)) return 'concurrency_limited';
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
  const reading = readFalError(failure.status, failure.body, failure.headers.get(FAL_HEADERS.errorType));
  return new ProviderError(reading.kind, `fal answered HTTP ${failure.status} [${failure.request}]: ${snippetOf(reading.message)}`, {
    providerCode: reading.providerCode,
    httpStatus: failure.status,
    retryAfterSeconds: failure.retryAfterSeconds,
  });
}

/**
 * Whether a non-2xx answer to a result fetch is the outcome of the request (it failed, or was cancelled) rather than
 * trouble reaching it. Account and throttling answers, unknown requests, and gateway answers without fal's typed
 * detail or error type (a non-JSON body, say) are trouble: the poll retries. Everything else that carries fal's
 * `detail` is the request's outcome.
 */
export function isGenerationFailure(failure: Pick<HttpFailure, 'status' | 'body' | 'headers'>): boolean {
  if (failure.headers.get(FAL_HEADERS.timeoutType) === 'user') return true;
  if ([401, 402, 403, 404, 408, 429].includes(failure.status)) return false;
  const parsed = FalErrorBody.safeParse(failure.body);
  if (!parsed.success) return false;
  const errorType = parsed.data.error_type ?? failure.headers.get(FAL_HEADERS.errorType);
  const typed =
    (errorType !== null && errorType !== undefined) ||
    (Array.isArray(parsed.data.detail) && parsed.data.detail.some((item) => item.type !== undefined));
  return typed || ![502, 503, 504].includes(failure.status);
}

export type FalTaskOutcome = { status: 'failed' | 'cancelled'; error: JobError };

/**
 * A failed request as the job's error: `CONTENT_POLICY` when fal says so, `PROVIDER_FAILED` otherwise (the fal type
 * is in the message). Retryable when fal's `X-Fal-Retryable` header says so, else when the kind is transient. A
 * request fal reports cancelled (request error type `client_cancelled`, in the body or the `X-Fal-Error-Type`
 * header) ends `cancelled`: fal's type decides, never its wording.
 */
export function falTaskOutcome(
  status: number | undefined,
  body: unknown,
  headers: { retryable?: string | null; errorType?: string | null } = {},
): FalTaskOutcome {
  const reading = readFalError(status ?? 500, body, headers.errorType);
  const retryable = headers.retryable === 'true' ? true : headers.retryable === 'false' ? false : isRetryableKind(reading.kind);
  const code = reading.kind === 'content_policy' ? errorCodeOf('content_policy') : 'PROVIDER_FAILED';
  const message = `fal: ${snippetOf(reading.message)}${typeof reading.providerCode === 'string' ? ` [${reading.providerCode}]` : ''}`;
  if (reading.errorType === FAL_CANCELLED_ERROR_TYPE)
    return { status: 'cancelled', error: { code: 'CANCELLED', message, retryable: false } };
  return { status: 'failed', error: { code, message, retryable } };
}
