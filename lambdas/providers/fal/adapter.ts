// Kling models through fal.ai's queue API (fal docs, 'Queue' and the inference API reference; fal's JS client
// `@fal-ai/client`): provider id `fal`.
//
//   submit   POST {base}/{endpoint id}[?fal_webhook=<url-encoded callback URL>] → request_id, status_url, response_url
//   status   GET  {base}/{owner}/{app}/requests/{request_id}/status → IN_QUEUE | IN_PROGRESS | COMPLETED
//   result   GET  {base}/{owner}/{app}/requests/{request_id} → {video: {url, ...}}, or the generation's error
//   cancel   PUT  {base}/{owner}/{app}/requests/{request_id}/cancel
// Status, result and cancel use only the owner and app of the endpoint id, never its subpath (fal docs, 'Queue').
// Auth: `Authorization: Key <FAL_KEY>`; the key is credentials.apiKey, or credentials.accessKey + secretKey joined
// as `<key id>:<key secret>` (fal's JS client, `config.ts`). Default base URL: https://queue.fal.run.
//
// Settings (ctx.settings, from KLINGFLOW_FAL_<NAME>):
//   JWKS_URL  where fal's webhook-signing public keys are (default https://rest.alpha.fal.ai/.well-known/jwks.json;
//             which host is canonical is UNCONFIRMED, another implementation uses rest.fal.ai).
//
// What fal does not have, so this adapter does not do: a client/external id on the request (the job id travels only in
// the callback URL) and any duplicate-submit protection (a Submit retried after a lost answer creates a second
// request); progress figures; a thumbnail; a cost on the request (and no price table in the queue API docs, so no
// estimateCost). Requests over the account's concurrency limit wait IN_QUEUE instead of failing (fal docs,
// 'Concurrency limits'), so `pending` can be long.
import * as z from '../../domain/zod.ts';
import { CallbackRejected, ProviderError } from '../../domain/errors.ts';
import type {
  AdapterContext,
  CallbackRequest,
  ProviderAdapter,
  ProviderStatus,
  ProviderVocabulary,
  SubmitRequest,
  SubmitResult,
} from '../port.ts';
import { kindOfHttpStatus } from '../http.ts';
import { buildFalInput } from './body.ts';
import { FAL_ERROR_TYPES, FAL_REQUEST_ERROR_TYPES, classifyFalFailure, falTaskOutcome, isGenerationFailure } from './errors.ts';
import { FAL_CANCEL_ANSWERS, FAL_HEADERS, FAL_QUEUE_STATUSES, FAL_WEBHOOK_STATUSES } from './facts.ts';

export { FAL_QUEUE_STATUSES, FAL_WEBHOOK_STATUSES } from './facts.ts';
import { FAL_CAPABILITIES } from './models.ts';
import { checkFalJobTag, FAL_JOB_TAG_PARAM, falJobTag, FalJwksCache, verifyFalWebhook } from './webhook.ts';
import { describeRequest, parseProviderBody, sendRequest } from '../http.ts';
import type { HttpFailure, ProviderRequest } from '../http.ts';

// ---------------------------------------------------------------------------------------------------------------
// Provider task ids. status() must find the request again from the id alone, and fal's queue URLs need the owner
// and app of the endpoint it was submitted to, so the id is `<endpoint id>:<request_id>`, e.g.
// `fal-ai/kling-video/v3/pro/text-to-video:764cabcf-b745-4b3e-ae38-1200304cf45b`. Endpoint ids contain no `:`.
// The submit answer's status_url is `{base}/{owner}/{app}/requests/{request_id}/status` (fal docs, 'Queue'), which status() rebuilds
// from this id; the response_url a status answer carries is followed when it lies below the base URL.

const ENDPOINT_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function formatFalTaskId(endpointId: string, requestId: string): string {
  return `${endpointId}:${requestId}`;
}

export function parseFalTaskId(providerTaskId: string): { endpointId: string; requestId: string; owner: string; app: string } {
  const separator = providerTaskId.lastIndexOf(':');
  const endpointId = providerTaskId.slice(0, separator);
  const requestId = providerTaskId.slice(separator + 1);
  if (separator < 1 || !ENDPOINT_ID.test(endpointId) || !REQUEST_ID.test(requestId)) {
    throw new ProviderError('invalid', `'${providerTaskId}' is not a fal task id of the form <owner>/<app>[/<path>]:<request_id>`);
  }
  const [owner = '', app = ''] = endpointId.split('/');
  return { endpointId, requestId, owner, app };
}

/** The queue path of a request (status, result and cancel hang below it). */
function requestPath(owner: string, app: string, requestId: string): string {
  return `/${owner}/${app}/requests/${encodeURIComponent(requestId)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Response shapes (fal docs, 'Queue'; fal's JS client, `types/common.ts`). Unknown fields are allowed; what is read
// is checked.

const Submitted = z.looseObject({
  request_id: z.string().check(z.regex(REQUEST_ID)),
  status_url: z.optional(z.string()),
  response_url: z.optional(z.string()),
  cancel_url: z.optional(z.string()),
});

/** The HTTP statuses fal documents with a meaning of their own: 422, a validation error (fal's JS client). */
export const FAL_ERROR_STATUSES: Readonly<Record<number, ReturnType<typeof kindOfHttpStatus>>> = { 422: kindOfHttpStatus(422) };

const QueueStatus = z.looseObject({
  status: z.enum(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELED', 'CANCELLED']),
  request_id: z.optional(z.string()),
  response_url: z.optional(z.string()),
  queue_position: z.optional(z.number()),
});

const FalFile = z.looseObject({
  url: z.string().check(z.minLength(1)),
  content_type: z.nullish(z.string()),
  file_size: z.nullish(z.number()),
});
const VideoOutput = z.looseObject({ video: FalFile });

/** A request error's type inside a webhook's error payload (fal docs, "Request Errors"). */
const FalErrorType = z.looseObject({ error_type: z.string() });

const CancelAnswer = z.looseObject({ status: z.enum(FAL_CANCEL_ANSWERS) });

/**
 * The webhook body (fal docs, 'Webhooks'). `payload` is the model output, or fal's error body; null with
 * `payload_error` when too big.
 */
const WebhookBody = z.looseObject({
  request_id: z.string().check(z.minLength(1)),
  gateway_request_id: z.nullish(z.string()),
  status: z.enum(['OK', 'ERROR']),
  error: z.nullish(z.string()),
  payload: z.optional(z.unknown()),
  payload_error: z.nullish(z.string()),
});

// ---------------------------------------------------------------------------------------------------------------

export class FalQueueAdapter implements ProviderAdapter {
  readonly id = 'fal';
  readonly capabilities = FAL_CAPABILITIES;
  readonly vocabulary: ProviderVocabulary = {
    statuses: { ...FAL_QUEUE_STATUSES, ...FAL_WEBHOOK_STATUSES },
    errorCodes: { ...FAL_ERROR_TYPES, ...FAL_REQUEST_ERROR_TYPES, ...FAL_ERROR_STATUSES },
  };
  private readonly jwks = new FalJwksCache();

  async submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult> {
    const key = falKey(ctx);
    const { endpointId, body } = buildFalInput(input);
    const webhook = input.callbackUrl === undefined ? undefined : withJobTag(input.callbackUrl, key, input.jobId);
    const request: ProviderRequest = { method: 'POST', path: `/${endpointId}`, body, query: { fal_webhook: webhook } };
    const response = await this.send(ctx, key, request);
    const submitted = parseProviderBody(Submitted, response.body, `fal ${describeRequest(request)}`);
    return { providerTaskId: formatFalTaskId(endpointId, submitted.request_id) };
  }

  async status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus> {
    const key = falKey(ctx);
    const { owner, app, requestId } = parseFalTaskId(providerTaskId);
    const base = requestPath(owner, app, requestId);
    const request: ProviderRequest = { method: 'GET', path: `${base}/status` };
    const response = await this.send(ctx, key, request);
    const queued = parseProviderBody(QueueStatus, response.body, `fal ${describeRequest(request)}`);
    const status = FAL_QUEUE_STATUSES[queued.status];
    switch (status) {
      case 'pending':
      case 'processing':
        return { providerTaskId, status };
      case 'cancelled':
        return { providerTaskId, status, error: { code: 'CANCELLED', message: 'fal: the request was cancelled', retryable: false } };
      default:
        // COMPLETED (or FAILED): the outcome, video or error, is at the response URL. The one fal returned is used
        // when it points below our base URL; the key never goes anywhere else.
        return this.result(ctx, key, providerTaskId, resultPathBelowBase(ctx.baseUrl, queued.response_url, requestId) ?? { path: base });
    }
  }

  /**
   * fal calls back once, when the request is done (fal docs, 'Webhooks'). The signature proves fal sent it; the job tag in the URL
   * proves it is about this job (see FAL_JOB_TAG_PARAM). The body names fal's request id, not our job, so the
   * returned `providerTaskId` is the bare request id: informative only (the workflow keeps the id Submit returned).
   */
  async parseCallback(callback: CallbackRequest, ctx: AdapterContext): Promise<ProviderStatus> {
    const verified = await verifyFalWebhook(callback.headers, callback.rawBody, ctx, this.jwks);
    const key = credentialsKey(ctx);
    if (!key) throw new CallbackRejected('no fal key is configured, so the callback job tag cannot be checked');
    checkFalJobTag(key, callback.jobId, callback.query[FAL_JOB_TAG_PARAM]);
    let json: unknown;
    try {
      json = JSON.parse(callback.rawBody);
    } catch {
      throw new CallbackRejected('fal webhook body is not JSON');
    }
    const parsed = WebhookBody.safeParse(json);
    if (!parsed.success) throw new CallbackRejected('fal webhook body is not a queue webhook');
    const webhook = parsed.data;
    if (webhook.request_id !== verified.requestId) {
      throw new CallbackRejected(`the webhook body is about request ${webhook.request_id}, its signature about ${verified.requestId}`);
    }
    const providerTaskId = webhook.request_id;
    if (FAL_WEBHOOK_STATUSES[webhook.status] === 'failed') {
      const status = /\b([45]\d\d)\b/.exec(webhook.error ?? '')?.[1];
      const outcome = falTaskOutcome(status ? Number(status) : undefined, webhook.payload ?? webhook.error ?? '', {
        errorType: FalErrorType.safeParse(webhook.payload).data?.error_type,
      });
      return { providerTaskId, ...outcome };
    }
    const output = VideoOutput.safeParse(webhook.payload);
    // `payload` is null when fal could not serialise it (`payload_error`): the next poll reads the result instead.
    if (!output.success) return { providerTaskId, status: 'processing' };
    return { providerTaskId, status: 'succeeded', videoUrl: output.data.video.url };
  }

  /** Removes a queued request, or asks the runner to stop (fal docs, 'Cancel'). Already finished is fine; unknown is `invalid`. */
  async cancel(providerTaskId: string, ctx: AdapterContext): Promise<void> {
    const key = falKey(ctx);
    const { owner, app, requestId } = parseFalTaskId(providerTaskId);
    // The HTTP status of each cancel outcome is UNCONFIRMED, so the body's `status` decides, whatever the status.
    let answered: z.infer<typeof CancelAnswer>['status'] | undefined;
    const classify = (failure: HttpFailure) => {
      answered = CancelAnswer.safeParse(failure.body).data?.status;
      return classifyFalFailure(failure);
    };
    try {
      const response = await this.send(ctx, key, { method: 'PUT', path: `${requestPath(owner, app, requestId)}/cancel` }, classify);
      answered = CancelAnswer.safeParse(response.body).data?.status ?? 'OK';
    } catch (error) {
      if (answered === undefined) throw error;
    }
    if (answered === 'NOT_FOUND') throw new ProviderError('invalid', `fal does not know request ${requestId} (cancel answered NOT_FOUND)`);
  }

  /** The result of a finished request: its video, or the generation's error as a failed (or cancelled) task. */
  private async result(
    ctx: AdapterContext,
    key: string,
    providerTaskId: string,
    target: { path: string; query?: ProviderRequest['query'] },
  ): Promise<ProviderStatus> {
    const request: ProviderRequest = { method: 'GET', ...target };
    let failure: HttpFailure | undefined;
    const classify = (answer: HttpFailure) => {
      failure = answer;
      return classifyFalFailure(answer);
    };
    try {
      const response = await this.send(ctx, key, request, classify);
      const output = parseProviderBody(VideoOutput, response.body, `fal ${describeRequest(request)}`);
      return { providerTaskId, status: 'succeeded', videoUrl: output.video.url };
    } catch (error) {
      if (failure && isGenerationFailure(failure)) {
        const headers = { retryable: failure.headers.get(FAL_HEADERS.retryable), errorType: failure.headers.get(FAL_HEADERS.errorType) };
        return { providerTaskId, ...falTaskOutcome(failure.status, failure.body, headers) };
      }
      throw error;
    }
  }

  private send(ctx: AdapterContext, key: string, request: ProviderRequest, classify = classifyFalFailure) {
    return sendRequest(ctx, { ...request, headers: { ...request.headers, authorization: `Key ${key}` } }, classify);
  }
}

function credentialsKey(ctx: AdapterContext): string | undefined {
  const { apiKey, accessKey, secretKey } = ctx.credentials;
  if (apiKey) return apiKey;
  if (accessKey && secretKey) return `${accessKey}:${secretKey}`;
  return undefined;
}

function falKey(ctx: AdapterContext): string {
  const key = credentialsKey(ctx);
  if (!key) throw new ProviderError('auth', 'fal credentials are missing: set apiKey (FAL_KEY), or accessKey and secretKey');
  return key;
}

/** The callback URL with the per-job tag added to its query. */
function withJobTag(callbackUrl: string, key: string, jobId: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set(FAL_JOB_TAG_PARAM, falJobTag(key, jobId));
  return url.href;
}

/**
 * The result URL fal returned, as a path (and query) below our base URL, when it is one: same origin, below the base
 * path, of the form `/{owner}/{app}/requests/{request_id}` for this request. Anything else is not followed (the fal key
 * goes nowhere else) and the caller rebuilds the path instead.
 */
export function resultPathBelowBase(
  baseUrl: string,
  returned: string | undefined,
  requestId: string,
): { path: string; query?: Record<string, string> } | undefined {
  if (!returned) return undefined;
  try {
    const base = new URL(baseUrl);
    const url = new URL(returned);
    const prefix = base.pathname.replace(/\/+$/, '');
    if (url.origin !== base.origin || !url.pathname.startsWith(`${prefix}/`)) return undefined;
    const path = url.pathname.slice(prefix.length);
    const shape = /^\/[A-Za-z0-9_-][A-Za-z0-9._-]*\/[A-Za-z0-9_-][A-Za-z0-9._-]*\/requests\/([^/]+)$/.exec(path);
    if (!shape || decodeURIComponent(shape[1] ?? '') !== requestId) return undefined;
    const query = Object.fromEntries(url.searchParams);
    return Object.keys(query).length ? { path, query } : { path };
  } catch {
    return undefined;
  }
}
