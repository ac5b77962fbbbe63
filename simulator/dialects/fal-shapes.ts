// Renders engine tasks and failures in fal's queue wire shapes (fal.ai docs, "Queue" and "Webhooks"): the queue status,
// the result (`{video: File}`), fal's error bodies (`{detail: [{loc, msg, type, url}]}` or `{detail: "<text>"}`, with
// `X-Fal-Retryable`) and the webhook body.
import type { SimTask } from '../engine.ts';
import { fixtureBytes, videoUrl } from '../media.ts';

export const FAL_DIALECT = 'fal';

const ERROR_DOCS = 'https://docs.fal.ai/errors';

export interface FalAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One typed fal error item, as the model-errors page describes it. */
export function typedError(status: number, type: string, msg: string, loc: (string | number)[] = ['body'], retryable = false): FalAnswer {
  return {
    status,
    body: { detail: [{ loc, msg, type, url: `${ERROR_DOCS}#${type}` }] },
    headers: { 'x-fal-retryable': String(retryable) },
  };
}

/** fal's answer to a request the platform (not the model) refuses: `{detail: "<text>"}`. */
export function plainError(status: number, detail: string, headers: Record<string, string> = {}): FalAnswer {
  return { status, body: { detail }, headers };
}

/**
 * `[sim:<CODE>]` rejections of a submit: fal's error types in upper case, plus account answers. The wording is the
 * simulator's own; the types, statuses and shapes are fal's.
 */
export const FAL_DIRECTIVE_ERRORS: Readonly<Record<string, () => FalAnswer>> = {
  CONTENT_POLICY_VIOLATION: () =>
    typedError(422, 'content_policy_violation', 'The content could not be processed because it was flagged by a content checker.', [
      'body',
      'prompt',
    ]),
  VALUE_ERROR: () => typedError(422, 'value_error', 'The input is not valid.', ['body', 'prompt']),
  INTERNAL_SERVER_ERROR: () => typedError(500, 'internal_server_error', 'Internal server error.', ['body'], true),
  GENERATION_TIMEOUT: () => typedError(504, 'generation_timeout', 'The generation took too long.', ['body'], true),
  DOWNSTREAM_SERVICE_UNAVAILABLE: () =>
    typedError(503, 'downstream_service_unavailable', 'An upstream service is unavailable.', ['body'], true),
  UNAUTHORIZED: () => plainError(401, 'Invalid key: no user matches these credentials.'),
  EXHAUSTED_BALANCE: () => plainError(403, 'User is locked. Reason: Exhausted balance. Top up your balance to continue.'),
  RATE_LIMITED: () => plainError(429, 'Too many requests, slow down.', { 'retry-after': '7' }),
};

/** `[sim:http<status>]`: a bare answer of that status in fal's plain shape. */
export function httpStatusAnswer(status: number): FalAnswer {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return plainError(status, reasons[status] ?? `HTTP ${status}`, status === 429 ? { 'retry-after': '1' } : {});
}

export const CONTENT_POLICY_FAILURE = 'The generated content was flagged by the content checker.';

/** How a failed generation answers at its response URL. */
export function failedResult(task: SimTask): FalAnswer {
  if (task.faults.failure?.kind === 'content-policy') {
    return typedError(422, 'content_policy_violation', CONTENT_POLICY_FAILURE, ['body', 'prompt']);
  }
  return typedError(500, 'internal_server_error', task.statusMessage ?? 'The generation failed.', ['body'], true);
}

/**
 * A cancelled request's result: fal's request error `client_cancelled` (fal docs, "Request Errors": typical status
 * 499, `{detail, error_type}`, the type also in `X-Fal-Error-Type`).
 */
export const CANCELLED_RESULT: FalAnswer = {
  status: 499,
  body: { detail: 'The request was cancelled by the client.', error_type: 'client_cancelled' },
  headers: { 'x-fal-error-type': 'client_cancelled', 'x-fal-retryable': 'false' },
};

export type FalQueueState = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

export function queueState(task: SimTask, cancelled: boolean): FalQueueState {
  if (cancelled || task.status === 'succeeded' || task.status === 'failed') return 'COMPLETED';
  return task.status === 'processing' ? 'IN_PROGRESS' : 'IN_QUEUE';
}

export interface RequestUrls {
  status_url: string;
  response_url: string;
  cancel_url: string;
}

/** Absolute queue URLs of a request: owner and app of its endpoint only, never the subpath (fal.ai docs, "Queue"). */
export function requestUrls(mountUrl: string, endpointId: string, requestId: string): RequestUrls {
  const [owner, app] = endpointId.split('/');
  const response = `${mountUrl}/${owner}/${app}/requests/${requestId}`;
  return { status_url: `${response}/status`, response_url: response, cancel_url: `${response}/cancel` };
}

/**
 * The status body (fal's JS client, `types/common.ts`): `queue_position` while queued, then `logs` (the runner's lines
 * as `RequestLog`s when asked for with `?logs=1`, else null) and, once completed, `metrics.inference_time`.
 */
export function statusBody(state: FalQueueState, task: SimTask, urls: RequestUrls, withLogs: boolean): Record<string, unknown> {
  const logs = withLogs
    ? task.logs.map((message) => ({ message, level: 'INFO', source: 'USER', timestamp: new Date(task.updatedAt).toISOString() }))
    : null;
  return {
    status: state,
    request_id: task.externalTaskId ?? '',
    ...urls,
    ...(state === 'IN_QUEUE' ? { queue_position: 0 } : { logs }),
    ...(state === 'COMPLETED' && { metrics: { inference_time: Math.max(0, (task.updatedAt - task.createdAt) / 1000) } }),
  };
}

export function videoOutput(task: SimTask, baseUrl: string): Record<string, unknown> {
  return {
    video: {
      url: videoUrl(baseUrl, task),
      content_type: 'video/mp4',
      file_name: 'output.mp4',
      file_size: fixtureBytes('video').length,
    },
  };
}

/** The webhook body (fal.ai docs, "Webhooks") for a finished request. */
export function webhookBody(
  requestId: string,
  outcome: { ok: true; output: unknown } | { ok: false; answer: FalAnswer },
): Record<string, unknown> {
  if (outcome.ok) return { request_id: requestId, gateway_request_id: requestId, status: 'OK', payload: outcome.output };
  return {
    request_id: requestId,
    gateway_request_id: requestId,
    status: 'ERROR',
    error: `Invalid status code: ${outcome.answer.status}`,
    payload: outcome.answer.body,
  };
}
