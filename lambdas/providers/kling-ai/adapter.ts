// The Kling AI REST API as described in "Kling AI API Guide: Pricing, Setup, and Integration (2026)" (kling3.pro
// blog; "the document" below): provider id `kling-ai`. One create call for every video model, one status call, a
// Bearer API key:
//   POST {base}/v1/video/generate       {model, prompt, duration, resolution, audio, voice_description, image_url}
//                                       → {task_id}
//   GET  {base}/v1/video/status/{task_id} → {status: "completed" | "failed" | <anything else: in progress>,
//                                            output, error}
//
// Base URL: the document's `BASE_URL = "https://api.kling.ai/v1"` includes the version. Like every other adapter
// here, this one takes the host root as its base URL (default for CDK: `https://api.kling.ai`) and writes `/v1`
// in its paths; a base URL that already ends in `/v1` (copied from the document) is accepted too, and `/v1` is
// then not added a second time.
// Credentials: `credentials.apiKey`, sent as `Authorization: Bearer <key>`.
// Settings (`ctx.settings`): none.
//
// What the document does not describe, and what this adapter therefore does:
// - No callback/webhook field: `callbacks: false` (the workflow polls) and no parseCallback: anything arriving as a
//   callback is refused (scaffold.ts, parseCallbackOf).
// - No cancel call, no client/external id and no idempotency key: a Submit retried after a lost answer can create
//   a second task (nothing in the API lets us find or prevent it).
// - No aspect ratio, quality tier, frame rate, negative prompt, cfg scale or camera control field: each model
//   offers one aspect ratio (16:9, Kling's default) and one quality (`std`); anything else is refused by
//   validation instead of being silently ignored.
// - Field names the document never spells out are guesses, each one constant in KLING_AI_GUESSED_FIELDS.
// - `kling-image` is an image model and is not offered for video jobs. `kling-motion-control` is described only
//   as "Motion Control (end-frame control)", which the canonical request expresses as image-to-video with an
//   `endImage`, so it is offered for that and nothing else.
import * as z from '../../domain/zod.ts';
import { ProviderError } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { Cost, JobError, Mode, ResolvedRequest } from '../../domain/job.ts';
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
import { kindOfHttpStatus, parseProviderBody, requestJson, snippetOf, withBearerApiKey, parseRateLimitReset } from '../http.ts';
import type { HttpFailure, ProviderRequest } from '../http.ts';
import { POLLED_ONLY, fitSubmission, modelFactory, requireUrl } from '../scaffold.ts';
import { KLING_AI_DEFAULT_RESOLUTION, estimateKlingAiCost, withAudio } from './pricing.ts';
import { CONTENT_POLICY_PATTERN, providerTaskFailure } from '../task-results.ts';

// ---------------------------------------------------------------------------------------------------------------
// Capabilities. Durations are the ones the document shows: V3 5 s and 10 s, O3 10 s and 15 s (multi-shot), plus
// 5 s on O3 (its examples share the V3 shapes). Resolutions are the price table's: 720p and 1080p, no 4K.

const videoModel = modelFactory({
  modes: ['text-to-video', 'image-to-video'],
  durationsSeconds: [5, 10],
  defaultDurationSeconds: 5,
  aspectRatios: ['16:9'],
  qualities: ['std'],
  resolutions: ['720p', '1080p'],
  cfgScale: false,
  audio: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: false,
  // "the image_url must be publicly accessible": image-to-video starts from it; an end frame alone has no field.
  startImageRequired: true,
});

export const KLING_AI_MODELS: readonly ModelCapabilities[] = [
  // "Standard video generation"; the image-to-video example (`image_url`) uses it.
  videoModel('kling-v3'),
  // "Omni (audio + multi-shot)": native audio with `voice_description`, multi-shot storyboards, and Omni Edit
  // (video-edit: the FAQ says the API supports it, without naming its field; nothing about keeping the sound).
  videoModel('kling-o3', {
    modes: ['text-to-video', 'image-to-video', 'video-edit', 'multi-shot'],
    durationsSeconds: [5, 10, 15],
    audio: true,
    voice: true,
    // Only `voice_description` is documented; an Omni Edit says what to change in its prompt.
    voiceForms: ['description'],
    promptRequiredIn: ['video-edit'],
    keepOriginalSound: false,
  }),
  // "Motion Control (end-frame control)": a start image (`image_url`) and an end frame. (`kling-image`, the image
  // model the API also serves, is not offered: validation refuses it as an unknown model.)
  videoModel('kling-motion-control', { modes: ['image-to-video'], endImage: true }),
];

export const KLING_AI_CAPABILITIES: ProviderCapabilities = {
  // kling-v3 is the document's first example, "general video, fast iteration", and the cheapest per second
  // (6–8 credits against O3's 12–24), so a request that names no model gets the least expensive video.
  defaultModel: 'kling-v3',
  models: [...KLING_AI_MODELS],
  // No callback field and no cancel call in the document.
  ...POLLED_ONLY,
};

/**
 * Create-body field names the document leaves out, picked to match its flat snake_case `image_url` style.
 * Change a name here and every request follows.
 */
export const KLING_AI_GUESSED_FIELDS = {
  /** Motion Control's end frame (the document: "end-frame control"). */
  endImage: 'end_image_url',
  /** The source video of an Omni Edit. */
  video: 'video_url',
  /** O3 multi-shot storyboard: `[{prompt, duration}]`, durations in whole seconds adding up to `duration`. */
  shots: 'shots',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Response shapes. Only `task_id`, `status`, `output` and `error` are documented; `output` is returned as "the
// result" without a shape, so the common ones are all read: a URL, a list of URLs or objects, or an object with
// `video_url` / `url` / `video` (and `thumbnail_url` / `cover_url` / `thumbnail` when there is a still).

const TaskIdValue = z.pipe(z.union([z.string().check(z.minLength(1)), z.number().check(z.int(), z.nonnegative())]), z.transform(String));

const CreatedTask = z.object({ task_id: TaskIdValue });

const TaskState = z.object({
  status: z.string().check(z.minLength(1)),
  output: z.optional(z.unknown()),
  error: z.optional(z.unknown()),
  // Not documented; read when present so the job shows progress.
  progress: z.catch(z.optional(z.number().check(z.gte(0), z.lte(100))), undefined),
});
type TaskState = z.infer<typeof TaskState>;

const UrlText = z.string().check(z.trim(), z.minLength(1));
const OutputItem = z.union([
  z.pipe(
    UrlText,
    z.transform((url) => ({ video: url, thumbnail: undefined as string | undefined })),
  ),
  z.pipe(
    z.object({
      video_url: z.nullish(UrlText),
      url: z.nullish(UrlText),
      video: z.nullish(z.union([UrlText, z.object({ url: UrlText })])),
      videos: z.nullish(z.array(z.union([UrlText, z.object({ url: UrlText })]))),
      thumbnail_url: z.nullish(UrlText),
      cover_url: z.nullish(UrlText),
      thumbnail: z.nullish(UrlText),
    }),
    z.transform((item) => {
      const nested = typeof item.video === 'string' ? item.video : item.video?.url;
      const first = item.videos?.[0];
      const listed = typeof first === 'string' ? first : first?.url;
      return {
        video: item.video_url ?? item.url ?? nested ?? listed ?? undefined,
        thumbnail: item.thumbnail_url ?? item.cover_url ?? item.thumbnail ?? undefined,
      };
    }),
  ),
]);
const TaskOutput = z.union([
  OutputItem,
  z.pipe(
    z.array(OutputItem),
    z.transform((items) => items.find((item) => item.video) ?? items[0]),
  ),
]);

const TaskErrorField = z.union([
  z.string(),
  z.object({
    code: z.nullish(z.union([z.string(), z.number()])),
    message: z.nullish(z.string()),
    type: z.nullish(z.string()),
  }),
]);

/** How an error body is read: `{error: "..."}`, `{error: {code, message}}`, `{code, message}` or `{detail}`. */
const ErrorBody = z.object({
  error: z.catch(z.nullish(TaskErrorField), undefined),
  code: z.catch(z.nullish(z.union([z.string(), z.number()])), undefined),
  message: z.catch(z.nullish(z.string()), undefined),
  detail: z.catch(z.nullish(z.string()), undefined),
});

// ---------------------------------------------------------------------------------------------------------------
// Statuses. The document: `completed`, `failed`, "otherwise in progress". The in-progress words below only
// decide pending vs processing; any word not listed is processing. `cancelled` is not documented: it is
// treated as terminal so a task cancelled on the provider's side is not polled until the job times out.

/** Status words (lower case) and their canonical statuses; canonicalStatusOf reads them. */
export const KLING_AI_STATUS_WORDS: Readonly<Record<string, CanonicalStatus>> = {
  completed: 'succeeded',
  failed: 'failed',
  pending: 'pending',
  queued: 'pending',
  submitted: 'pending',
  created: 'pending',
  waiting: 'pending',
  processing: 'processing',
  in_progress: 'processing',
  running: 'processing',
  generating: 'processing',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

/** The canonical status of a status word, case-insensitively; a word the table does not hold is in progress. */
export function canonicalStatusOf(word: string): CanonicalStatus {
  return KLING_AI_STATUS_WORDS[word.trim().toLowerCase()] ?? 'processing';
}

// ---------------------------------------------------------------------------------------------------------------
// Errors. The document's table ("Troubleshooting: Common API Errors") gives statuses and causes only: 401 (key
// missing, invalid or expired), 403 (insufficient credits or model not on the plan), 429 (rate limit), 500
// (transient). Its error body is not shown, so a body code or message is read when there is one
// (INSUFFICIENT_CREDITS, RATE_LIMITED, CONTENT_POLICY_VIOLATION, MODEL_OVERLOADED...), and the status decides
// otherwise.

/** The HTTP statuses the document's error table lists, and their kinds (a 403 is read further: kindOfForbidden). */
export const KLING_AI_HTTP_STATUSES = {
  401: 'auth',
  403: 'insufficient_credits',
  429: 'rate_limited',
  500: 'server',
} as const satisfies Record<number, ErrorKind>;

const CODE_KINDS: readonly [RegExp, ErrorKind][] = [
  [
    /INSUFFICIENT[_ ]?(CREDITS?|BALANCE|FUNDS)|CREDITS?[_ ]?(EXHAUSTED|EXCEEDED)|NO[_ ]?CREDITS?|PAYMENT[_ ]?REQUIRED/i,
    'insufficient_credits',
  ],
  [/CONCURREN/i, 'concurrency_limited'],
  [/RATE[_ ]?LIMIT|TOO[_ ]?MANY[_ ]?REQUESTS|THROTTL/i, 'rate_limited'],
  [CONTENT_POLICY_PATTERN, 'content_policy'],
  [/OVERLOAD|UNAVAILABLE|CAPACITY/i, 'overloaded'],
  [/UNAUTHORI[SZ]ED|UNAUTHENTICATED|API[_ ]?KEY|AUTHENTICATION|TOKEN[_ ]?(EXPIRED|INVALID)/i, 'auth'],
  [/PLAN|PERMISSION|NOT[_ ]?ALLOWED|ACCESS[_ ]?DENIED|SUBSCRIPTION/i, 'auth'],
  [/INVALID|BAD[_ ]?REQUEST|VALIDATION|UNSUPPORTED|MISSING|NOT[_ ]?FOUND/i, 'invalid'],
  [/INTERNAL|SERVER[_ ]?ERROR/i, 'server'],
];

/** A 403 means "insufficient credits or model not on your plan"; the message tells which when it can. */
const CREDITS_MESSAGE = /credit|balance|top[\s-]?up|insufficient funds/i;
const PLAN_MESSAGE = /plan|subscri|permission|not allowed|access/i;

interface ProviderErrorText {
  code?: string;
  message?: string;
}

export function readErrorBody(body: unknown): ProviderErrorText {
  if (typeof body === 'string') return body.trim() ? { message: body.trim() } : {};
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return {};
  const { error, code, message, detail } = parsed.data;
  const nested = typeof error === 'object' && error !== null ? error : undefined;
  const foundCode = nested?.code ?? nested?.type ?? code;
  const foundMessage = (typeof error === 'string' ? error : nested?.message) ?? message ?? detail;
  const text: ProviderErrorText = {};
  if (foundCode !== undefined && foundCode !== null && String(foundCode).trim() !== '') text.code = String(foundCode);
  if (foundMessage) text.message = foundMessage;
  return text;
}

function kindOfCode(code: string | undefined): ErrorKind | undefined {
  if (!code) return undefined;
  return CODE_KINDS.find(([pattern]) => pattern.test(code))?.[1];
}

function kindOfForbidden(text: ProviderErrorText, headers: Headers): ErrorKind {
  if (headers.get('x-ratelimit-remaining')?.trim() === '0') return 'rate_limited';
  const message = text.message ?? '';
  const credits = CREDITS_MESSAGE.test(message);
  const plan = PLAN_MESSAGE.test(message);
  if (plan && !credits) return 'auth';
  // Credits, both, or nothing said: the document names insufficient credits first.
  return 'insufficient_credits';
}

/** The IETF draft's `RateLimit-Reset`, else the common `X-RateLimit-Reset`. */
const rateLimitWait = (headers: Headers, now: Date): number | undefined =>
  parseRateLimitReset(headers.get('ratelimit-reset'), now) ?? parseRateLimitReset(headers.get('x-ratelimit-reset'), now);

/** The classifier for this API's non-2xx answers: a body code first, else the documented status, else the status. */
export function classifyKlingAiFailure(failure: HttpFailure, now: Date = new Date()): ProviderError {
  const text = readErrorBody(failure.body);
  let kind = kindOfCode(text.code);
  if (kind === undefined) {
    const documented: ErrorKind | undefined = Object.hasOwn(KLING_AI_HTTP_STATUSES, failure.status)
      ? KLING_AI_HTTP_STATUSES[failure.status as keyof typeof KLING_AI_HTTP_STATUSES]
      : undefined;
    if (failure.status === 403) kind = kindOfForbidden(text, failure.headers);
    else kind = documented ?? kindOfHttpStatus(failure.status);
  }
  const retryAfterSeconds = failure.retryAfterSeconds ?? (kind === 'rate_limited' ? rateLimitWait(failure.headers, now) : undefined);
  const said = [text.code, text.message && snippetOf(text.message)].filter(Boolean).join(': ');
  const fallback = typeof failure.body === 'string' ? '' : snippetOf(JSON.stringify(failure.body));
  return new ProviderError(
    kind,
    `Kling AI answered HTTP ${failure.status} [${failure.request}]${said || fallback ? `: ${said || fallback}` : ''}`,
    {
      httpStatus: failure.status,
      providerCode: text.code ?? failure.status,
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------

export class KlingAiAdapter implements ProviderAdapter {
  readonly id = 'kling-ai';
  readonly capabilities = KLING_AI_CAPABILITIES;
  readonly vocabulary: ProviderVocabulary = { statuses: KLING_AI_STATUS_WORDS, errorCodes: KLING_AI_HTTP_STATUSES };

  async submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult> {
    const body = buildKlingAiCreateBody(input);
    const created = await this.call(ctx, { method: 'POST', path: apiPath(ctx, '/video/generate'), body }, CreatedTask);
    return { providerTaskId: created.task_id };
  }

  async status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus> {
    if (providerTaskId.trim() === '') throw new ProviderError('invalid', 'a Kling AI task id is empty');
    const path = apiPath(ctx, `/video/status/${encodeURIComponent(providerTaskId)}`);
    const task = await this.call(ctx, { method: 'GET', path }, TaskState);
    return toProviderStatus(task, providerTaskId);
  }

  /** From the document's price table (pricing.ts); undefined where it has no figure. */
  estimateCost(request: ResolvedRequest, mode: Mode): Omit<Cost, 'estimated'> | undefined {
    return estimateKlingAiCost(request, mode);
  }

  private async call<Schema extends z.ZodMiniType>(
    ctx: AdapterContext,
    request: ProviderRequest,
    schema: Schema,
  ): Promise<z.output<Schema>> {
    return requestJson(ctx, withBearerApiKey(ctx, 'Kling AI', request), schema, (failure) => classifyKlingAiFailure(failure, ctx.now()));
  }
}

/** `/v1<path>`, or just `<path>` when the base URL already ends in `/v1` (as the document's BASE_URL does). */
function apiPath(ctx: AdapterContext, path: string): string {
  let basePath = '';
  try {
    basePath = new URL(ctx.baseUrl).pathname;
  } catch {
    // buildProviderUrl reports a bad base URL.
  }
  return /\/v1\/*$/.test(basePath) ? path : `/v1${path}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Create body. Documented fields: model, prompt, duration (integer seconds), resolution, audio,
// voice_description, image_url. The rest are KLING_AI_GUESSED_FIELDS.

type KlingAiBody = Record<string, unknown>;

/**
 * The create body for a submission. What the capability map expresses was validated before Submit; what this API's
 * wire format adds (voice ids, reference images beside an edit, shots outside multi-shot, public URLs, a prompt
 * where the example needs one) is refused here (`invalid`).
 */
export function buildKlingAiCreateBody(input: SubmitRequest): KlingAiBody {
  const { request, mode } = input;
  const { model, media, refuse } = fitSubmission(input, KLING_AI_CAPABILITIES);
  const resolution = request.resolution ?? KLING_AI_DEFAULT_RESOLUTION;
  // Combinations the capability map lets through but no documented field carries.
  if (request.voice?.ids !== undefined) throw refuse('voice ids are not supported (only voice_description is documented)');
  if ((request.referenceImages?.length ?? 0) > 0) throw refuse('reference images are not supported');
  if (request.shots?.length && mode !== 'multi-shot') throw refuse(`shots cannot be combined with ${mode}`);

  // "the image_url must be publicly accessible": the API fetches its inputs and takes no base64.
  const url = (value: string | undefined, field: string) => (value === undefined ? undefined : requireUrl(value, field, refuse));
  const image = url(media.image, 'image');
  const endImage = url(media.endImage, 'endImage');
  const video = url(media.video, 'video');

  const body: KlingAiBody = {
    model: model.id,
    ...(request.prompt !== undefined && { prompt: request.prompt }),
    duration: request.durationSeconds,
    resolution,
    // Sent explicitly on the model that has audio, so the price matches the estimate (O3 audio costs more).
    ...(model.audio && { audio: withAudio(request) }),
    ...(request.voice?.description !== undefined && { voice_description: request.voice.description }),
    ...(image !== undefined && { image_url: image }),
  };

  switch (mode) {
    case 'text-to-video':
      return body;
    case 'image-to-video':
      if (image === undefined) throw refuse('image-to-video needs a start image (image_url)');
      if (endImage !== undefined) body[KLING_AI_GUESSED_FIELDS.endImage] = endImage;
      return body;
    case 'video-edit':
      if (!request.prompt) throw refuse('an Omni Edit needs a prompt saying what to change');
      body[KLING_AI_GUESSED_FIELDS.video] = video;
      return body;
    case 'multi-shot': {
      const shots = request.shots ?? [];
      const total = shots.reduce((sum, shot) => sum + shot.durationSeconds, 0);
      if (total !== request.durationSeconds)
        throw refuse(`shot durations add up to ${total} s but duration is ${request.durationSeconds} s`);
      body[KLING_AI_GUESSED_FIELDS.shots] = shots.map((shot) => ({ prompt: shot.prompt, duration: shot.durationSeconds }));
      return body;
    }
    case 'reference-to-video':
      throw refuse('reference-to-video is not described by the API');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Task → canonical status.

function toProviderStatus(task: TaskState, providerTaskId: string): ProviderStatus {
  const status = canonicalStatusOf(task.status);
  const progress = task.progress === undefined ? {} : { progress: task.progress };
  switch (status) {
    case 'succeeded': {
      if (task.output === undefined || task.output === null) {
        throw new ProviderError('server', `Kling AI task ${providerTaskId} completed without an output`);
      }
      const output = parseProviderBody(TaskOutput, task.output, `Kling AI task ${providerTaskId} output`);
      if (!output?.video) throw new ProviderError('server', `Kling AI task ${providerTaskId} completed without a video URL in output`);
      return {
        providerTaskId,
        status,
        videoUrl: output.video,
        ...(output.thumbnail !== undefined && { thumbnailUrl: output.thumbnail }),
      };
    }
    case 'failed':
      return { providerTaskId, status, error: failureOf(task.error) };
    case 'cancelled':
      return {
        providerTaskId,
        status,
        error: { code: 'PROVIDER_CANCELLED', message: 'Kling AI reports the task cancelled', retryable: false },
      };
    default:
      return { providerTaskId, status, ...progress };
  }
}

/**
 * A failed task's `error` (a string, or `{code, message}`): CONTENT_POLICY when its code or text speaks of moderation
 * (the document lists "content policy violations" among failure causes), else PROVIDER_FAILED.
 */
function failureOf(error: unknown): JobError {
  const parsed = TaskErrorField.safeParse(error);
  const code = parsed.success && typeof parsed.data !== 'string' ? (parsed.data.code ?? parsed.data.type ?? undefined) : undefined;
  const text = parsed.success ? (typeof parsed.data === 'string' ? parsed.data : (parsed.data.message ?? '')) : '';
  const message = [code, text.trim()].filter((part) => part !== undefined && part !== '').join(': ');
  return providerTaskFailure(message, 'Kling AI reported the task failed without an error');
}
