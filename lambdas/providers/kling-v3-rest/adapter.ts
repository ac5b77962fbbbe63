// The Kling v3 REST API as its Python tutorial describes it: provider id `kling-v3-rest`.
// Source: aiapiplaybook.com, "How to Use Kling v3 API: Complete Python Tutorial 2026" (2026-02-28).
//
//   POST /v1/videos/text2video | /v1/videos/image2video   body {model, prompt, negative_prompt, duration (int),
//        aspect_ratio, resolution, cfg_scale, audio_enabled, image_url, camera_control, character_ref} → {task_id}
//   GET  /v1/videos/{task_id}   → {status: pending|processing|completed|failed, video: {url}, error: {code, message}}
//   GET  /v1/account/info       → {credits}
//   errors: {error: {code, message}} with 400 INVALID_PARAMETER, 401 UNAUTHORIZED, 402 INSUFFICIENT_CREDITS,
//           422 CONTENT_POLICY_VIOLATION, 429 RATE_LIMIT_EXCEEDED, 500 INTERNAL_ERROR, 503 MODEL_OVERLOADED
//   auth: `Authorization: Bearer <API key>` (credentials.apiKey); real base URL https://api.klingai.com
//
// Settings (ctx.settings): none. The base URL and the API key are all this adapter needs.
//
// What the source does not say, and what was decided here:
// - No callback or webhook field exists, so `callbacks: false` and the workflow polls.
// - No cancel call, no external/client id and no idempotency key: a retried Submit whose first answer was lost
//   can create a second task; nothing in the API lets the adapter find the first one.
// - No std/pro quality parameter: each model has the one quality `std`, which is never sent.
// - No end frame, reference images, video edit, multi-shot body, voice or fps: those modes and fields are not in
//   the capability map. (The FAQ names multi-shot as a v3 feature, but the API shows no field for it.)
// - `character_ref` takes the task id of an earlier "character job"; the canonical request has no such field, so
//   it is never sent.
// - `camera_control` says "See docs for schema": Kling's own `{type, config: {horizontal, vertical, pan, tilt,
//   roll, zoom}}` shape is sent (CAMERA_CONTROL_FIELD below).
// - The status answer is read at the top level (the tutorial reads `data["status"]` and `data["video"]["url"]`);
//   the tutorial's comment also names `video_url`, read as a fallback (FALLBACK_VIDEO_URL_FIELD).
// - No thumbnail and no charged-credits field on a task: status() reports neither.
import * as z from '../../domain/zod.ts';
import { ProviderError, errorCodeOf, isRetryableKind } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { JobError, Mode, ResolvedRequest } from '../../domain/job.ts';
import type {
  AdapterContext,
  CanonicalStatus,
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
import { POLLED_ONLY, errorKindsOf, fitSubmission, modelFactory, requireUrl } from '../scaffold.ts';
import { klingV3RestPrice } from './pricing.ts';
import type { KlingV3RestResolution } from './pricing.ts';
import { providerTaskFailure } from '../task-results.ts';

export const KLING_V3_REST_ID = 'kling-v3-rest';
/** The real provider's base URL (the tutorial's KLING_API_BASE_URL default). */
export const KLING_V3_REST_DEFAULT_BASE_URL = 'https://api.klingai.com';

/** Field names the tutorial leaves open (see the header): one constant each, easy to change. */
const CAMERA_CONTROL_FIELD = 'camera_control';
const FALLBACK_VIDEO_URL_FIELD = 'video_url';

/** Documented defaults: `resolution` "720p" (sent explicitly so the estimate and the request agree). */
const DEFAULT_RESOLUTION: KlingV3RestResolution = '720p';
/** Documented ranges the capability map cannot express (the canonical request allows longer texts). */
const MAX_PROMPT_CHARS = 2500;
const MAX_NEGATIVE_PROMPT_CHARS = 1000;

// ---------------------------------------------------------------------------------------------------------------
// Capability map (the tutorial's "API Parameters Reference" table). Durations 5 or 10 s, aspect ratios 16:9, 9:16,
// 1:1, resolutions 720p/1080p and 4k only on kling-v3, native audio only on kling-v3. cfg_scale, negative_prompt,
// camera_control and image_url are listed without a model restriction, so every model takes them.

const klingV3RestModel = modelFactory({
  modes: ['text-to-video', 'image-to-video'],
  durationsSeconds: [5, 10],
  defaultDurationSeconds: 5,
  aspectRatios: ['16:9', '9:16', '1:1'],
  qualities: ['std'],
  resolutions: ['720p', '1080p'],
  cfgScale: true,
  audio: false,
  cameraControl: true,
  endImage: false,
  negativePrompt: true,
  // "prompt (required)" on every job, image-to-video too; "negative_prompt (max 1000 chars)".
  promptRequiredIn: ['image-to-video'],
  maxPromptChars: MAX_PROMPT_CHARS,
  maxNegativePromptChars: MAX_NEGATIVE_PROMPT_CHARS,
});

export const KLING_V3_REST_MODELS: readonly ModelCapabilities[] = [
  klingV3RestModel('kling-v1'),
  klingV3RestModel('kling-v1-5'),
  klingV3RestModel('kling-v3', { resolutions: ['720p', '1080p', '4k'], audio: true }),
];

export const KLING_V3_REST_CAPABILITIES: ProviderCapabilities = {
  // kling-v3 is the API's own default `model` and the widest one (4K, native audio), and the only one with prices.
  defaultModel: 'kling-v3',
  models: [...KLING_V3_REST_MODELS],
  ...POLLED_ONLY,
  // `image_url`: "Valid HTTPS URL".
  httpsInputs: true,
};

// ---------------------------------------------------------------------------------------------------------------
// Errors (the tutorial's "Error Handling" table). The body code decides when it is a documented one (the tutorial
// checks CONTENT_POLICY_VIOLATION by code, whatever the status); otherwise the HTTP status does.

export const KLING_V3_REST_ERROR_CODES: Readonly<Record<string, { kind: ErrorKind; meaning: string }>> = {
  INVALID_PARAMETER: { kind: 'invalid', meaning: 'bad parameter value' },
  UNAUTHORIZED: { kind: 'auth', meaning: 'missing or invalid API key' },
  INSUFFICIENT_CREDITS: { kind: 'insufficient_credits', meaning: 'account balance too low' },
  CONTENT_POLICY_VIOLATION: { kind: 'content_policy', meaning: 'prompt triggered the content filter' },
  RATE_LIMIT_EXCEEDED: { kind: 'rate_limited', meaning: 'too many requests per minute' },
  INTERNAL_ERROR: { kind: 'server', meaning: 'server-side failure' },
  MODEL_OVERLOADED: { kind: 'overloaded', meaning: 'high server load' },
};

const ErrorBody = z.object({
  error: z.object({ code: z.nullish(z.string()), message: z.nullish(z.string()) }),
});

/** The classifier for non-2xx answers. */
export function classifyKlingV3RestFailure(failure: HttpFailure): ProviderError {
  const parsed = ErrorBody.safeParse(failure.body);
  const code = parsed.success ? (parsed.data.error.code ?? undefined) : undefined;
  const known = code === undefined ? undefined : KLING_V3_REST_ERROR_CODES[code];
  const kind = known?.kind ?? kindOfHttpStatus(failure.status);
  const reason = parsed.success
    ? `${code ?? 'no code'}${parsed.data.error.message ? `: ${snippetOf(parsed.data.error.message)}` : ''}`
    : snippetOf(typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body));
  return new ProviderError(kind, `Kling v3 answered HTTP ${failure.status} [${failure.request}]${reason ? `: ${reason}` : ''}`, {
    providerCode: code ?? failure.status,
    httpStatus: failure.status,
    retryAfterSeconds: failure.retryAfterSeconds,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Response shapes.

/** Task ids are shown as strings; a number is accepted too and kept as its decimal text. */
const TaskIdValue = z.pipe(z.union([z.string().check(z.minLength(1)), z.number().check(z.int(), z.nonnegative())]), z.transform(String));

const CreatedTask = z.object({ task_id: TaskIdValue });

/** Task `status` words (the tutorial's polling loop) and their canonical statuses. */
export const KLING_V3_REST_STATUSES = {
  pending: 'pending',
  processing: 'processing',
  completed: 'succeeded',
  failed: 'failed',
} as const satisfies Record<string, CanonicalStatus>;

const Task = z.object({
  task_id: z.optional(TaskIdValue),
  status: z.enum(['pending', 'processing', 'completed', 'failed']),
  video: z.nullish(z.object({ url: z.nullish(z.string().check(z.minLength(1))) })),
  [FALLBACK_VIDEO_URL_FIELD]: z.nullish(z.string().check(z.minLength(1))),
  error: z.nullish(z.object({ code: z.nullish(z.string()), message: z.nullish(z.string()) })),
});
type Task = z.infer<typeof Task>;

const AccountInfo = z.object({ credits: z.nullish(z.number()) });

// ---------------------------------------------------------------------------------------------------------------

export class KlingV3RestAdapter implements ProviderAdapter {
  readonly id = KLING_V3_REST_ID;
  readonly capabilities = KLING_V3_REST_CAPABILITIES;
  readonly vocabulary: ProviderVocabulary = { statuses: KLING_V3_REST_STATUSES, errorCodes: errorKindsOf(KLING_V3_REST_ERROR_CODES) };

  async submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult> {
    const { path, body } = buildKlingV3RestCreate(input);
    const created = await call(ctx, { method: 'POST', path, body }, CreatedTask);
    return { providerTaskId: created.task_id };
  }

  async status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus> {
    if (providerTaskId.trim() === '' || /^\.{1,2}$/.test(providerTaskId)) {
      throw new ProviderError('invalid', `'${providerTaskId}' is not a Kling v3 task id`);
    }
    const task = await call(ctx, { method: 'GET', path: `/v1/videos/${encodeURIComponent(providerTaskId)}` }, Task);
    return toProviderStatus(task, providerTaskId);
  }

  /** The credits remaining, from `GET /v1/account/info` (for the spend guard's low-balance stop). */
  accountBalance(ctx: AdapterContext): Promise<{ credits?: number }> {
    return readKlingV3RestAccount(ctx);
  }

  estimateCost(request: ResolvedRequest, _mode: Mode): { credits: number; usd: number } | undefined {
    return klingV3RestPrice({
      model: request.model,
      resolution: request.resolution ?? DEFAULT_RESOLUTION,
      durationSeconds: request.durationSeconds,
      audio: request.audio === true,
    });
  }
}

/** `GET /v1/account/info`: the credit balance, to check an API key before spending credits. */
export async function readKlingV3RestAccount(ctx: AdapterContext): Promise<{ credits?: number }> {
  const info = await call(ctx, { method: 'GET', path: '/v1/account/info' }, AccountInfo);
  return info.credits === null || info.credits === undefined ? {} : { credits: info.credits };
}

/** One call: the Bearer API key, the error classifier, the answer through its schema. */
async function call<Schema extends z.ZodMiniType>(
  ctx: AdapterContext,
  request: ProviderRequest,
  schema: Schema,
): Promise<z.output<Schema>> {
  return requestJson(ctx, withBearerApiKey(ctx, 'Kling v3', request), schema, classifyKlingV3RestFailure);
}

// ---------------------------------------------------------------------------------------------------------------
// Create bodies. Field names exactly as the tutorial's payloads; the endpoint follows the image, as its
// `submit_job` does.

type CreateBody = Record<string, unknown>;

/**
 * The path and body of a create. What the capability map expresses was validated before Submit; what this API's
 * wire format adds (a prompt on every job, text lengths, an https image URL) is refused here (`invalid`).
 */
export function buildKlingV3RestCreate(input: SubmitRequest): { path: string; body: CreateBody } {
  const { request } = input;
  const { model, media, refuse } = fitSubmission(input, KLING_V3_REST_CAPABILITIES);
  const resolution = request.resolution ?? DEFAULT_RESOLUTION;
  if (!request.prompt?.trim()) throw refuse('a prompt is required (1–2500 characters)');
  if (request.prompt.length > MAX_PROMPT_CHARS) throw refuse(`the prompt is longer than ${MAX_PROMPT_CHARS} characters`);
  if (request.negativePrompt !== undefined && request.negativePrompt.length > MAX_NEGATIVE_PROMPT_CHARS) {
    throw refuse(`negative_prompt is longer than ${MAX_NEGATIVE_PROMPT_CHARS} characters`);
  }
  // `image_url` is documented as "Valid HTTPS URL": base64 or plain http would be refused by the API.
  const image = media.image === undefined ? undefined : requireUrl(media.image, 'image_url', refuse, { httpsOnly: true });

  const body: CreateBody = {
    model: model.id,
    prompt: request.prompt,
    ...(request.negativePrompt !== undefined && { negative_prompt: request.negativePrompt }),
    duration: request.durationSeconds,
    aspect_ratio: request.aspectRatio,
    resolution,
    ...(request.cfgScale !== undefined && { cfg_scale: request.cfgScale }),
    // "v3 only": never sent to the older models, always explicit on kling-v3.
    ...(model.audio && { audio_enabled: request.audio === true }),
    ...(request.cameraControl && { [CAMERA_CONTROL_FIELD]: cameraControlBody(request.cameraControl) }),
    ...(image !== undefined && { image_url: image }),
  };
  return { path: image === undefined ? '/v1/videos/text2video' : '/v1/videos/image2video', body };
}

/** Kling's camera_control shape: the type, and the config axes only when given. */
function cameraControlBody(cameraControl: NonNullable<ResolvedRequest['cameraControl']>): CreateBody {
  return { type: cameraControl.type, ...(cameraControl.config && { config: { ...cameraControl.config } }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Task → canonical status.

function toProviderStatus(task: Task, providerTaskId: string): ProviderStatus {
  const status = KLING_V3_REST_STATUSES[task.status];
  switch (status) {
    case 'pending':
    case 'processing':
      return { providerTaskId, status };
    case 'succeeded': {
      const videoUrl = task.video?.url ?? task[FALLBACK_VIDEO_URL_FIELD];
      if (!videoUrl) throw new ProviderError('server', `Kling v3 task ${providerTaskId} completed without a video URL`);
      return { providerTaskId, status, videoUrl };
    }
    case 'failed':
      return { providerTaskId, status, error: failureOf(task.error) };
  }
}

/**
 * A failed task's `error`: a documented code takes its kind's code (CONTENT_POLICY_VIOLATION → CONTENT_POLICY,
 * INTERNAL_ERROR → SERVER, retryable); otherwise the code and message are read as any failed task's are
 * (CONTENT_POLICY when they speak of moderation, else PROVIDER_FAILED), not retryable.
 */
function failureOf(error: Task['error']): JobError {
  const noReason = 'Kling v3 reported the task failed without a reason';
  const code = error?.code ?? undefined;
  const text = error?.message?.trim() || noReason;
  const message = code ? `${code}: ${text}` : text;
  const known = code === undefined ? undefined : KLING_V3_REST_ERROR_CODES[code];
  if (known) return { code: errorCodeOf(known.kind), message, retryable: isRetryableKind(known.kind) };
  return providerTaskFailure(message, noReason);
}
