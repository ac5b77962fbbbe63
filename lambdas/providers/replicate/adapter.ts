// Kling models on Replicate (`kwaivgi/kling-*`, run as official models through the predictions API): provider id
// `replicate`. Replicate's facts (model inputs, statuses, webhook events, limits, error wording) are in facts.ts, each
// with the Replicate document it comes from; this file is the wire format built from them.
//
// Configuration
// - Base URL: `ctx.baseUrl`, default for the real service `https://api.replicate.com` (paths below carry `/v1`).
// - `credentials.apiKey`: the Replicate API token, sent as `Authorization: Bearer <token>`.
// - `credentials.webhookSecret`: the account's signing secret `whsec_...` (`GET /v1/webhooks/default/secret`).
//   Without it every callback is refused (Replicate always signs; an unsigned callback is not from Replicate).
// - Settings (`ctx.settings`): none are read.
//
// What the API cannot give us, and what this adapter does about it
// - No client id on a prediction, so no duplicate-submit protection: if a create's answer is lost after Replicate
//   accepted it, a retried Submit starts a second prediction (and Replicate bills both). Nothing in the API lets us
//   find the first one again by our job id.
// - The prediction does not name our job either. The callback URL already names it in its path; the adapter also
//   puts it in the webhook URL's query (Replicate keeps query parameters) and refuses a callback whose query names
//   another job than its path. The signature does not cover the URL, so this catches misrouting, not a replay.
// - `Prefer: wait` is never sent: the workflow is asynchronous (create, then callback or poll).
// - Outputs (the MP4 URL) are deleted about an hour after the prediction ends; the workflow archives right after
//   the callback. A poll that finds the output already removed reports a non-retryable RESULT_UNAVAILABLE failure.
// - No price table is published for these models in the API docs, so there is no estimate (no estimateCost);
//   `metrics.predict_time` is run time, not a cost, and is ignored.
import * as z from '../../domain/zod.ts';
import { CallbackRejected, ProviderError } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { JobError } from '../../domain/job.ts';
import { verifyStandardWebhook } from '../../domain/webhooks.ts';
import type {
  AdapterContext,
  CallbackRequest,
  ModelCapabilities,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderStatus,
  ProviderVocabulary,
  SubmitRequest,
  SubmitResult,
} from '../port.ts';
import { kindOfHttpStatus, requestJson, snippetOf, withBearerApiKey } from '../http.ts';
import type { HttpFailure, ProviderRequest } from '../http.ts';
import { fitSubmission, mediaTypeOfBase64, modelFactory } from '../scaffold.ts';
import type { Refuse } from '../scaffold.ts';
import { looksLikeContentPolicy, providerTaskFailure } from '../task-results.ts';
import {
  REPLICATE_ASPECT_RATIOS,
  REPLICATE_DATA_URL_MAX_BYTES,
  REPLICATE_DEFAULT_DURATION_SECONDS,
  REPLICATE_DURATIONS_SECONDS,
  REPLICATE_ERROR_STATUSES,
  REPLICATE_MODEL_V21,
  REPLICATE_MODEL_V25_TURBO_PRO,
  REPLICATE_PROMPT_REQUIRED,
  REPLICATE_RATE_LIMIT_RESET,
  REPLICATE_STATUSES,
  REPLICATE_V21_MODES,
  REPLICATE_WEBHOOK_EVENTS,
} from './facts.ts';

// ---------------------------------------------------------------------------------------------------------------
// Models. Only the two whose input schemas their Replicate model API pages give are offered; other kwaivgi models
// exist, but their inputs are unconfirmed, so they are not guessed at. Where the pages are silent the choices are
// facts.ts's (marked ASSUMED there).
//
// Resolution is not a capability: on kling-v2.1 it follows `mode` (standard = 720p, pro = 1080p, both 24 fps), so
// callers choose `quality` and a `resolution` is refused by validation rather than silently ignored. kling-v2.1
// has no aspect ratio input at all and v2.5-turbo-pro ignores it with a start image: the frame sets the shape, so
// the request's aspect ratio is only sent for text-to-video.

export { REPLICATE_MODEL_V21, REPLICATE_MODEL_V25_TURBO_PRO } from './facts.ts';

const replicateModel = modelFactory({
  modes: ['text-to-video', 'image-to-video'],
  durationsSeconds: [...REPLICATE_DURATIONS_SECONDS],
  defaultDurationSeconds: REPLICATE_DEFAULT_DURATION_SECONDS,
  aspectRatios: [...REPLICATE_ASPECT_RATIOS],
  qualities: ['pro'],
  cfgScale: false,
  audio: false,
  cameraControl: false,
  endImage: true,
  negativePrompt: true,
  // A prompt in every mode (facts.ts, REPLICATE_PROMPT_REQUIRED): text-to-video needs one anyway.
  promptRequiredIn: REPLICATE_PROMPT_REQUIRED ? ['image-to-video'] : [],
});

export const REPLICATE_MODELS: readonly ModelCapabilities[] = [
  // prompt, negative_prompt, start_image, end_image, aspect_ratio, duration.
  replicateModel(REPLICATE_MODEL_V25_TURBO_PRO),
  // prompt, negative_prompt, start_image (required: image-to-video only), end_image (pro only), mode, duration.
  // std → `mode: "standard"` (720p), pro → `mode: "pro"` (1080p).
  replicateModel(REPLICATE_MODEL_V21, {
    modes: ['image-to-video'],
    qualities: ['std', 'pro'],
    startImageRequired: true,
    limits: [{ when: { qualities: ['std'] }, without: ['endImage'], because: 'end_image needs mode "pro" (kwaivgi/kling-v2.1)' }],
  }),
];

export const REPLICATE_CAPABILITIES: ProviderCapabilities = {
  // kling-v2.5-turbo-pro is the newer model and the only one that does text-to-video as well as image-to-video
  // (with start and end frames), so a request that names no model is the least likely to be refused.
  defaultModel: REPLICATE_MODEL_V25_TURBO_PRO,
  models: [...REPLICATE_MODELS],
  callbacks: true,
  // Standard Webhooks, verified in parseCallback with credentials.webhookSecret.
  callbackAuth: 'signature',
  // `POST /v1/predictions/{id}/cancel`.
  cancel: true,
};

// ---------------------------------------------------------------------------------------------------------------
// Wire constants.

export { REPLICATE_DATA_URL_MAX_BYTES, REPLICATE_WEBHOOK_EVENTS } from './facts.ts';
/** Query parameter of the webhook URL that names our job (our choice; Replicate passes query parameters back). */
export const REPLICATE_JOB_QUERY_PARAM = 'job_id';

// ---------------------------------------------------------------------------------------------------------------
// Response shapes (Replicate HTTP API reference, the prediction object).

const PredictionStatus = z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted']);

export { REPLICATE_STATUSES } from './facts.ts';

const Prediction = z.object({
  id: z.string().check(z.minLength(1)),
  status: PredictionStatus,
  model: z.nullish(z.string()),
  // A single URL string for the Kling models; a list is taken too, since other Replicate models answer that way.
  output: z.nullish(z.union([z.string(), z.array(z.string())])),
  error: z.nullish(z.union([z.string(), z.record(z.string(), z.unknown())])),
  data_removed: z.nullish(z.boolean()),
});
type Prediction = z.infer<typeof Prediction>;

const CreatedPrediction = z.object({ id: z.string().check(z.minLength(1)), status: z.optional(PredictionStatus) });

/** One page of `GET /v1/predictions` (Replicate HTTP API reference, 'predictions.list'): newest first, `next` URL. */
const PredictionPage = z.object({
  next: z.nullish(z.string()),
  results: z.array(
    z.object({
      id: z.string().check(z.minLength(1)),
      model: z.nullish(z.string()),
      input: z.nullish(z.record(z.string(), z.unknown())),
      created_at: z.string(),
    }),
  ),
});

/** How far back a look-up reads beyond the time of the lost submit (clock skew between us and Replicate). */
const LOOKUP_SKEW_MS = 5 * 60_000;
/** The most pages of predictions one look-up reads. */
const LOOKUP_MAX_PAGES = 20;

// ---------------------------------------------------------------------------------------------------------------
// Errors. Replicate answers failures with a JSON body whose `detail` says why (Replicate docs, 'Rate limits': 429
// `{"detail":"Request was throttled. Your rate limit resets in ~30s."}` with `Retry-After`); it has no business
// codes, so the HTTP status decides the kind and is kept as the provider code.

export { REPLICATE_ERROR_STATUSES } from './facts.ts';

const ReplicateProblem = z.object({
  detail: z.optional(z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())])),
  title: z.optional(z.string()),
});

/** The classifier for Replicate's non-2xx answers. */
export function classifyReplicateFailure(failure: HttpFailure): ProviderError {
  const problem = ReplicateProblem.safeParse(failure.body);
  const detail = problem.success ? describeDetail(problem.data) : undefined;
  const text = detail ?? (typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body));
  let kind: ErrorKind = kindOfHttpStatus(failure.status);
  // Replicate's docs do not give the wording of a moderation refusal; looksLikeContentPolicy knows the usual phrases
  // (E005 too).
  if (kind === 'invalid' && looksLikeContentPolicy(detail)) kind = 'content_policy';
  let retryAfterSeconds = failure.retryAfterSeconds;
  if (kind === 'rate_limited' && retryAfterSeconds === undefined && detail !== undefined) {
    const reset = REPLICATE_RATE_LIMIT_RESET.exec(detail);
    if (reset?.[1]) retryAfterSeconds = Number(reset[1]);
  }
  const snippet = snippetOf(text);
  return new ProviderError(kind, `Replicate answered HTTP ${failure.status} [${failure.request}]${snippet ? `: ${snippet}` : ''}`, {
    providerCode: failure.status,
    httpStatus: failure.status,
    retryAfterSeconds,
  });
}

function describeDetail(problem: z.infer<typeof ReplicateProblem>): string | undefined {
  const { detail, title } = problem;
  if (typeof detail === 'string') return title ? `${title}: ${detail}` : detail;
  if (detail !== undefined) return `${title ? `${title}: ` : ''}${JSON.stringify(detail)}`;
  return title;
}

// ---------------------------------------------------------------------------------------------------------------

export class ReplicateAdapter implements ProviderAdapter {
  readonly id = 'replicate';
  readonly capabilities = REPLICATE_CAPABILITIES;
  readonly vocabulary: ProviderVocabulary = { statuses: REPLICATE_STATUSES, errorCodes: REPLICATE_ERROR_STATUSES };

  async submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult> {
    const { model, body } = buildPredictionBody(input);
    const [owner, name] = model.split('/') as [string, string];
    const created = await this.call(
      ctx,
      { method: 'POST', path: `/v1/models/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/predictions`, body },
      CreatedPrediction,
    );
    return { providerTaskId: created.id };
  }

  /**
   * The predictions a lost submit may have created: Replicate takes no client id, so the account's predictions are
   * listed newest first (`GET /v1/predictions`, following `next`) back to `since` (less some clock skew), and those of
   * the same model whose input holds every field this submission sends are returned. Signed URLs are compared without
   * their query (a new signature each time). A prediction of an identical request from another job would match too:
   * the caller treats more than one match as undecidable.
   */
  async findSubmitted(input: SubmitRequest, since: Date, ctx: AdapterContext): Promise<SubmitResult[]> {
    const { model, body } = buildPredictionBody(input);
    const oldest = since.getTime() - LOOKUP_SKEW_MS;
    const found: SubmitResult[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_MAX_PAGES; page += 1) {
      const listed = await this.call(ctx, { method: 'GET', path: '/v1/predictions', query: { cursor } }, PredictionPage);
      for (const prediction of listed.results) {
        if (Date.parse(prediction.created_at) < oldest) return found;
        if (prediction.model === model && sendsTheSame(body.input, prediction.input ?? {})) found.push({ providerTaskId: prediction.id });
      }
      cursor = listed.next ? (new URL(listed.next).searchParams.get('cursor') ?? undefined) : undefined;
      if (!cursor) return found;
    }
    return found;
  }

  async status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus> {
    const prediction = await this.call(ctx, { method: 'GET', path: `/v1/predictions/${predictionPathId(providerTaskId)}` }, Prediction);
    return toProviderStatus(prediction);
  }

  async cancel(providerTaskId: string, ctx: AdapterContext): Promise<void> {
    // The answer is the prediction; an already finished one is answered the same way, which is fine here.
    await this.call(ctx, { method: 'POST', path: `/v1/predictions/${predictionPathId(providerTaskId)}/cancel` }, CreatedPrediction);
  }

  /** The body is the prediction object itself (Replicate docs, 'Webhooks'), signed with Standard Webhooks. */
  async parseCallback(callback: CallbackRequest, ctx: AdapterContext): Promise<ProviderStatus> {
    const secret = ctx.credentials.webhookSecret;
    if (!secret) throw new CallbackRejected('no Replicate webhook secret is configured; an unsigned callback cannot be trusted');
    const payload = verifyStandardWebhook(secret, callback.headers, callback.rawBody, { now: ctx.now() });
    const namedJob = callback.query[REPLICATE_JOB_QUERY_PARAM];
    if (namedJob !== callback.jobId) {
      throw new CallbackRejected(`callback URL names job ${namedJob ?? '(none)'} in its query, not job ${callback.jobId}`);
    }
    const parsed = Prediction.safeParse(payload);
    if (!parsed.success) throw new CallbackRejected('callback body is not a Replicate prediction');
    return toProviderStatus(parsed.data);
  }

  private async call<Schema extends z.ZodMiniType>(
    ctx: AdapterContext,
    request: ProviderRequest,
    schema: Schema,
  ): Promise<z.output<Schema>> {
    return requestJson(ctx, withBearerApiKey(ctx, 'Replicate', request, 'apiKey to the API token'), schema, classifyReplicateFailure);
  }
}

/** Whether a listed prediction's input holds every field `sent` has, with the same values (URLs without their query). */
function sendsTheSame(sent: ReplicateInput, listed: Record<string, unknown>): boolean {
  const comparable = (value: unknown): unknown =>
    typeof value === 'string' && /^https?:\/\//.test(value) ? value.replace(/[?#].*$/, '') : JSON.stringify(value);
  return Object.entries(sent).every(([field, value]) => comparable(value) === comparable(listed[field]));
}

function predictionPathId(providerTaskId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(providerTaskId)) {
    throw new ProviderError('invalid', `'${providerTaskId}' is not a Replicate prediction id`);
  }
  return providerTaskId;
}

// ---------------------------------------------------------------------------------------------------------------
// Create body (Replicate HTTP API reference, 'models.predictions.create'; inputs from the model API pages). Field
// names exactly as the model pages give them.

type ReplicateInput = Record<string, unknown>;

export interface PredictionBody {
  input: ReplicateInput;
  webhook?: string;
  webhook_events_filter?: readonly string[];
}

/**
 * The model and body a submission goes to. Whether the request fits (a prompt, v2.1's start image and pro-only end
 * frame) was answered by the one fit check, as at create; what is refused here is only the form of the prepared
 * media (inline files up to 256 KB, of an image type).
 */
export function buildPredictionBody(input: SubmitRequest): { model: string; body: PredictionBody } {
  const { request } = input;
  const { model, media, refuse } = fitSubmission(input, REPLICATE_CAPABILITIES);

  const image = media.image === undefined ? undefined : asReplicateFile(media.image, 'image', refuse);
  const endImage = media.endImage === undefined ? undefined : asReplicateFile(media.endImage, 'endImage', refuse);

  const modelInput: ReplicateInput = {
    ...(request.prompt !== undefined && { prompt: request.prompt }),
    ...(request.negativePrompt !== undefined && { negative_prompt: request.negativePrompt }),
    duration: request.durationSeconds,
  };
  if (model.id === REPLICATE_MODEL_V21) {
    // A start image, and an end image only in pro: the fit check (startImageRequired, limits) made sure.
    modelInput.mode = REPLICATE_V21_MODES[request.quality];
  } else if (image === undefined && endImage === undefined) {
    // "Ignored if start_image is provided": only text-to-video sends it.
    modelInput.aspect_ratio = request.aspectRatio;
  }
  if (image !== undefined) modelInput.start_image = image;
  if (endImage !== undefined) modelInput.end_image = endImage;

  const body: PredictionBody = { input: modelInput };
  if (input.callbackUrl !== undefined) {
    body.webhook = webhookUrlFor(input.callbackUrl, input.jobId);
    body.webhook_events_filter = [...REPLICATE_WEBHOOK_EVENTS];
  }
  return { model: model.id, body };
}

function webhookUrlFor(callbackUrl: string, jobId: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set(REPLICATE_JOB_QUERY_PARAM, jobId);
  return url.href;
}

/**
 * A prepared input file as Replicate takes it ('Create a prediction': an HTTP URL, or a data URL for small files): a
 * URL or a base64 data URL as it is; bare base64 becomes a data URL of the image type its first bytes show. Refused
 * (`invalid`): non-base64 data, more than 256 KB inline, or bytes that are not a PNG, JPEG, WebP or GIF image.
 */
function asReplicateFile(value: string, field: string, refuse: Refuse): string {
  if (/^https?:\/\//i.test(value)) return value;
  const dataUrl = /^data:([^,;]*)(;base64)?,(.*)$/is.exec(value);
  const base64 = (dataUrl ? (dataUrl[3] ?? '') : value).replace(/\s+/g, '');
  if (dataUrl && !dataUrl[2]) throw refuse(`${field}: a data URL must be base64`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw refuse(`${field}: not a URL, a data URL or base64`);
  const bytes = Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  if (bytes > REPLICATE_DATA_URL_MAX_BYTES) {
    throw refuse(`${field}: ${bytes} bytes is too large to inline (data URLs up to ${REPLICATE_DATA_URL_MAX_BYTES} bytes); give a URL`);
  }
  const sniffed = mediaTypeOfBase64(base64);
  const contentType = dataUrl?.[1] || (sniffed?.startsWith('image/') ? sniffed : undefined);
  if (!contentType) throw refuse(`${field}: cannot tell the image type of the base64 data (PNG, JPEG, WebP or GIF expected)`);
  return `data:${contentType};base64,${base64}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Prediction → canonical status. Shared by status() and parseCallback().

function toProviderStatus(prediction: Prediction): ProviderStatus {
  const providerTaskId = prediction.id;
  const status = REPLICATE_STATUSES[prediction.status];
  switch (status) {
    case 'pending':
    case 'processing':
      return { providerTaskId, status };
    case 'succeeded': {
      const videoUrl = Array.isArray(prediction.output) ? prediction.output.find((url) => url) : prediction.output || undefined;
      if (videoUrl) return { providerTaskId, status, videoUrl };
      if (prediction.data_removed) {
        return {
          providerTaskId,
          status: 'failed',
          error: {
            code: 'RESULT_UNAVAILABLE',
            message: `Replicate prediction ${providerTaskId} succeeded, but its output was already removed (kept about an hour)`,
            retryable: false,
          },
        };
      }
      throw new ProviderError('server', `Replicate prediction ${providerTaskId} succeeded without an output URL`);
    }
    case 'cancelled':
      return {
        providerTaskId,
        status,
        error: { code: 'CANCELLED', message: `Replicate prediction ${providerTaskId} was canceled`, retryable: false },
      };
    case 'failed':
      if (prediction.status === 'aborted') {
        // Its deadline passed before it started (`Cancel-After`); it never ran, so trying again may work.
        return {
          providerTaskId,
          status,
          error: { code: 'PROVIDER_ABORTED', message: `Replicate aborted prediction ${providerTaskId} before it started`, retryable: true },
        };
      }
      return { providerTaskId, status, error: failureOf(prediction) };
  }
}

function failureOf(prediction: Prediction): JobError {
  const reason = typeof prediction.error === 'string' ? prediction.error : prediction.error ? JSON.stringify(prediction.error) : undefined;
  return providerTaskFailure(reason, 'Replicate reported the prediction failed without an error');
}
