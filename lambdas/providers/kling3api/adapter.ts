// kling3api.com, a reseller of Kling 3.0 and Kling Video O3: provider id `kling3api`.
// Facts come from its API documentation (kling3api.com, "Kling 3.0 API Documentation"; "the document" below):
//   POST /api/generate    body `{type, prompt, duration, aspect_ratio, ...}` → `{code: 200, message, data: {task_id,
//                         status: "IN_PROGRESS", consumed_credits}}`; `type` names model, quality and mode at once
//                         (`pro-text-to-video`, `o3-std-video-edit`...).
//   GET  /api/status?task_id=…  → the same envelope, `data.status` IN_PROGRESS / SUCCESS / failure,
//                         `data.response` an array of video URLs, `data.error_message`, `data.consumed_credits`.
//   Auth: `Authorization: Bearer <API key>` (credentials.apiKey). Real base URL: https://kling3api.com.
//   Errors: HTTP 400 INVALID_PROMPT / INVALID_DURATION / INVALID_TYPE / MISSING_IMAGE / MISSING_VIDEO,
//   401 INVALID_API_KEY, 402 INSUFFICIENT_CREDITS, 429 RATE_LIMITED, 500 INTERNAL_ERROR.
//
// Settings (ctx.settings): none. The adapter needs only its base URL and the API key.
//
// What the document does not give, and what this adapter does about it:
// - No callback or webhook field: capabilities say `callbacks: false` (polling only) and there is no parseCallback,
//   so anything arriving as a callback is refused (scaffold.ts, parseCallbackOf). (`callbackAuth` must still be
//   set; `url-token` is the honest value for an API that signs nothing.)
// - No cancel call, no client/external id and no idempotency key: `cancel: false`, and no duplicate-submit
//   protection is possible (a retried Submit whose first answer was lost creates a second task).
// - The task id's own prefix (n75 Kling 3.0, n71 O3) routes the status query, so the task id is returned as is.
// - Field names of the end frame, negative prompt and prompt adherence are not printed: see the constants below.
// - The word of a failed task is not printed: see KLING3API_STATUSES.
// - Where the error code sits in an error body is not printed: see documentedCodeOf.
// - No resolution, fps, camera control, voice or multi-shot parameter exists, so those are refused by validation.
//   "High-quality 4K" is only a tagline: no field asks for it, so `resolution` is refused rather than ignored.
import * as z from '../../domain/zod.ts';
import { ProviderError } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { Mode, ResolvedRequest } from '../../domain/job.ts';
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
import {
  describeRequest,
  kindOfHttpStatus,
  parseProviderBody,
  sendRequest,
  snippetOf,
  withBearerApiKey,
  parseRateLimitReset,
} from '../http.ts';
import type { HttpFailure, ProviderRequest } from '../http.ts';
import { POLLED_ONLY, errorKindsOf, fitSubmission, modelFactory, requireUrl, statusFrom } from '../scaffold.ts';
import { estimateKling3apiCredits } from './pricing.ts';
import { nonNegativeNumber, providerTaskFailure } from '../task-results.ts';

export const KLING3API_PROVIDER_ID = 'kling3api';

// ---------------------------------------------------------------------------------------------------------------
// Request field names. Those printed in the document's examples are used as printed; the three the document
// describes without naming are the most plausible snake_case names, each in one constant so it is easy to change.

/** "End frame image URL (image-to-video only)": name not printed; `end_image` pairs with the documented `image`. */
export const END_IMAGE_FIELD = 'end_image';
/** "Negative prompt to avoid certain elements": name not printed; Kling's own API calls it `negative_prompt`. */
export const NEGATIVE_PROMPT_FIELD = 'negative_prompt';
/** "Prompt adherence (0-1, Kling 3.0 only)": name not printed; Kling's own API calls this setting `cfg_scale`. */
export const CFG_SCALE_FIELD = 'cfg_scale';

const MAX_PROMPT_CHARS = 2000;
const MAX_REFERENCE_IMAGES = 7;

// ---------------------------------------------------------------------------------------------------------------
// Capabilities ("Available Models", "Request Body"). Two models, named as in the other Kling adapters; quality
// (std/pro) and mode pick the `type`.

const kling3apiModel = modelFactory({
  modes: ['text-to-video', 'image-to-video'],
  durationsSeconds: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  defaultDurationSeconds: 5,
  aspectRatios: ['16:9', '9:16', '1:1'],
  // std first: the cheaper rate is the default; callers who want pro ask for it.
  qualities: ['std', 'pro'],
  cfgScale: false,
  // `sound` is listed among the general request fields with no model restriction.
  audio: true,
  cameraControl: false,
  endImage: true,
  negativePrompt: true,
  voice: false,
  // INVALID_PROMPT is "invalid or empty" for every type; "prompt (max 2000 chars)"; image-to-video starts from `image`.
  promptRequiredIn: ['image-to-video', 'reference-to-video', 'video-edit'],
  maxPromptChars: MAX_PROMPT_CHARS,
  startImageRequired: true,
});

export const KLING3API_MODELS: readonly ModelCapabilities[] = [
  // Kling 3.0: pro/std × text-to-video/image-to-video, priced with and without audio; the only model taking
  // prompt adherence.
  kling3apiModel('kling-v3', { cfgScale: true }),
  // Kling Video O3: adds reference-to-video (up to 7 reference images) and video editing.
  kling3apiModel('kling-o3', {
    modes: ['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit'],
    maxReferenceImages: MAX_REFERENCE_IMAGES,
    keepOriginalSound: true,
    // "End frame image URL (image-to-video only)".
    limits: [
      { when: { modes: ['reference-to-video', 'video-edit'] }, without: ['endImage'], because: 'an end frame is for image-to-video only' },
    ],
  }),
];

export const KLING3API_CAPABILITIES: ProviderCapabilities = {
  // kling-v3 is the product the service is named after and the one its quick start calls; a request naming no
  // model gets it. Reference-to-video and video edits need kling-o3, which callers name.
  defaultModel: 'kling-v3',
  models: [...KLING3API_MODELS],
  // No callback field and no cancel call in the document.
  ...POLLED_ONLY,
};

/** The `type` of a task: `[o3-]<quality>-<mode>`, e.g. `pro-text-to-video`, `o3-std-video-edit`. */
export function kling3apiTaskType(model: string, quality: 'std' | 'pro', mode: Mode): string {
  const family = model === 'kling-o3' ? 'o3-' : '';
  return `${family}${quality}-${mode}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Response shapes. The envelope is `{code, message, data}` with `code: 200` on success.

const Envelope = z.object({
  code: z.union([z.number(), z.string()]),
  message: z.nullish(z.string()),
  data: z.optional(z.unknown()),
});

const Credits = z.nullish(z.union([z.number(), z.string()]));

const CreatedTask = z.object({
  task_id: z.string().check(z.minLength(1)),
  status: z.nullish(z.string()),
  consumed_credits: Credits,
});

const TaskState = z.object({
  task_id: z.string().check(z.minLength(1)),
  status: z.string().check(z.minLength(1)),
  consumed_credits: Credits,
  response: z.nullish(z.array(z.string())),
  error_message: z.nullish(z.string()),
  type: z.nullish(z.string()),
});
type TaskState = z.infer<typeof TaskState>;

/** An error body, loosely: the document prints the codes but not where they sit (see documentedCodeOf). */
const ErrorBody = z.object({
  // Each field falls back to undefined on its own, so one odd field never hides the others.
  code: z.catch(z.nullish(z.union([z.number(), z.string()])), undefined),
  message: z.catch(z.nullish(z.string()), undefined),
  error: z.catch(
    z.nullish(
      z.union([
        z.string(),
        z.object({ code: z.catch(z.nullish(z.string()), undefined), message: z.catch(z.nullish(z.string()), undefined) }),
      ]),
    ),
    undefined,
  ),
  error_code: z.catch(z.nullish(z.string()), undefined),
});
type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------------------------------------------------------
// Statuses. IN_PROGRESS and SUCCESS are printed. The failure word is not: FAILED is the most plausible; FAILURE
// and ERROR are accepted too. PENDING / QUEUED are not printed either, and are read as pending if they appear.
// Words are matched in upper case.

/** `data.status` words (upper case) and their canonical statuses; toProviderStatus reads them. */
export const KLING3API_STATUSES = {
  PENDING: 'pending',
  QUEUED: 'pending',
  IN_PROGRESS: 'processing',
  SUCCESS: 'succeeded',
  FAILED: 'failed',
  FAILURE: 'failed',
  ERROR: 'failed',
} as const satisfies Record<string, CanonicalStatus>;

// ---------------------------------------------------------------------------------------------------------------
// Error codes (the document's "Error Codes" table). The kind comes from the code; the documented HTTP status is kept
// for reference and for the simulator's tests.

export const KLING3API_ERROR_CODES = {
  INVALID_PROMPT: { kind: 'invalid', httpStatus: 400, meaning: 'the prompt is invalid or empty' },
  INVALID_DURATION: { kind: 'invalid', httpStatus: 400, meaning: 'duration out of the supported range' },
  INVALID_TYPE: { kind: 'invalid', httpStatus: 400, meaning: 'unsupported task type' },
  MISSING_IMAGE: { kind: 'invalid', httpStatus: 400, meaning: 'an image is required' },
  MISSING_VIDEO: { kind: 'invalid', httpStatus: 400, meaning: 'a video is required' },
  INVALID_API_KEY: { kind: 'auth', httpStatus: 401, meaning: 'API key missing or invalid' },
  INSUFFICIENT_CREDITS: { kind: 'insufficient_credits', httpStatus: 402, meaning: 'not enough credits' },
  RATE_LIMITED: { kind: 'rate_limited', httpStatus: 429, meaning: 'too many requests' },
  INTERNAL_ERROR: { kind: 'server', httpStatus: 500, meaning: 'server error' },
} as const satisfies Record<string, { kind: ErrorKind; httpStatus: number; meaning: string }>;
export type Kling3apiErrorCode = keyof typeof KLING3API_ERROR_CODES;

const isDocumentedCode = (value: unknown): value is Kling3apiErrorCode =>
  typeof value === 'string' && Object.hasOwn(KLING3API_ERROR_CODES, value);
const DOCUMENTED_CODE_IN_TEXT = new RegExp(`\\b(${Object.keys(KLING3API_ERROR_CODES).join('|')})\\b`);

/**
 * The provider's code in an error body. The document's table gives HTTP status and code but no example body, so
 * the code is looked for where such APIs put it: a string `code` in the `{code, message, data}` envelope,
 * `error_code`, `error` (a string or `{code}`), and last a documented code named in `message`.
 */
export function documentedCodeOf(body: ErrorBody): string | undefined {
  const error = body.error;
  const candidates = [
    typeof body.code === 'string' ? body.code : undefined,
    body.error_code ?? undefined,
    typeof error === 'string' ? error : (error?.code ?? undefined),
  ].filter((candidate): candidate is string => Boolean(candidate?.trim()));
  const documented = candidates.find(isDocumentedCode);
  if (documented) return documented;
  const texts = [body.message, typeof error === 'string' ? error : error?.message];
  for (const text of texts) {
    const named = text ? DOCUMENTED_CODE_IN_TEXT.exec(text)?.[1] : undefined;
    if (named) return named;
  }
  return candidates[0];
}

interface FailureContext {
  request: string;
  httpStatus: number;
  headers?: Headers;
  retryAfterSeconds?: number;
  now: Date;
}

/** A refusal (non-2xx, or a 2xx whose envelope code is not 200) as a `ProviderError`. */
export function kling3apiError(body: unknown, context: FailureContext): ProviderError {
  const parsed = ErrorBody.safeParse(body);
  const errorBody: ErrorBody = parsed.success ? parsed.data : {};
  const code = documentedCodeOf(errorBody);
  // An HTTP 200 carrying `{code: 402, ...}` is read with the envelope's code as its status.
  const status = typeof errorBody.code === 'number' && errorBody.code >= 400 && errorBody.code <= 599 ? errorBody.code : context.httpStatus;
  const kind: ErrorKind = isDocumentedCode(code) ? KLING3API_ERROR_CODES[code].kind : kindOfHttpStatus(status);
  const meaning = isDocumentedCode(code) ? ` (${KLING3API_ERROR_CODES[code].meaning})` : '';
  const providerMessage = errorBody.message ?? (typeof errorBody.error === 'object' ? errorBody.error?.message : undefined);
  const detail = providerMessage
    ? `: ${snippetOf(providerMessage)}`
    : parsed.success
      ? ''
      : `: ${snippetOf(typeof body === 'string' ? body : JSON.stringify(body))}`;
  const retryAfterSeconds =
    context.retryAfterSeconds ?? (context.headers ? parseRateLimitReset(context.headers.get('x-ratelimit-reset'), context.now) : undefined);
  return new ProviderError(
    kind,
    `kling3api ${code ?? `HTTP ${status}`}${meaning}${detail} [${context.request}, HTTP ${context.httpStatus}]`,
    {
      providerCode: code ?? status,
      httpStatus: context.httpStatus,
      retryAfterSeconds,
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------

export class Kling3apiAdapter implements ProviderAdapter {
  readonly id = KLING3API_PROVIDER_ID;
  readonly capabilities = KLING3API_CAPABILITIES;
  readonly vocabulary: ProviderVocabulary = { statuses: KLING3API_STATUSES, errorCodes: errorKindsOf(KLING3API_ERROR_CODES) };

  async submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult> {
    const body = buildGenerateBody(input);
    const created = await this.call(ctx, { method: 'POST', path: '/api/generate', body }, CreatedTask);
    return { providerTaskId: created.task_id };
  }

  async status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus> {
    if (!providerTaskId.trim()) throw new ProviderError('invalid', 'kling3api: an empty task id cannot be queried');
    const task = await this.call(ctx, { method: 'GET', path: '/api/status', query: { task_id: providerTaskId } }, TaskState);
    if (task.task_id !== providerTaskId) {
      throw new ProviderError('server', `kling3api answered the status of task ${task.task_id} when asked for ${providerTaskId}`);
    }
    return toProviderStatus(task);
  }

  estimateCost(request: ResolvedRequest, mode: Mode): { credits: number } | undefined {
    const credits = estimateKling3apiCredits(request, mode);
    return credits === undefined ? undefined : { credits };
  }

  /** One call: Bearer key, envelope, `code` check, then `data` through its schema. */
  private async call<Schema extends z.ZodMiniType>(
    ctx: AdapterContext,
    request: ProviderRequest,
    dataSchema: Schema,
  ): Promise<z.output<Schema>> {
    const authorized = withBearerApiKey(ctx, KLING3API_PROVIDER_ID, request);
    const classify = (failure: HttpFailure) =>
      kling3apiError(failure.body, {
        request: failure.request,
        httpStatus: failure.status,
        headers: failure.headers,
        retryAfterSeconds: failure.retryAfterSeconds,
        now: ctx.now(),
      });
    const response = await sendRequest(ctx, authorized, classify);
    const described = describeRequest(request);
    const envelope = parseProviderBody(Envelope, response.body, `kling3api ${described}`);
    if (!isSuccessCode(envelope.code)) {
      throw kling3apiError(response.body, { request: described, httpStatus: response.status, headers: response.headers, now: ctx.now() });
    }
    return parseProviderBody(dataSchema, envelope.data, `kling3api ${described} data`);
  }
}

const isSuccessCode = (code: number | string): boolean => typeof code === 'number' && code >= 200 && code <= 299;

// ---------------------------------------------------------------------------------------------------------------
// The generate body. Everything the request asks for that the API cannot take is refused before sending.

type GenerateBody = Record<string, unknown>;

/**
 * The body of `POST /api/generate`. What the capability map expresses was validated before Submit; what this API's
 * wire format adds (a prompt for every type, its length, URLs only, where an end frame or shots can go) is refused
 * here (`invalid`).
 */
export function buildGenerateBody(input: SubmitRequest): GenerateBody {
  const { request, mode } = input;
  const { model, media, refuse } = fitSubmission(input, KLING3API_CAPABILITIES);
  const prompt = request.prompt?.trim();
  // INVALID_PROMPT is "invalid or empty" for every type, so a prompt is needed even to animate an image.
  if (!prompt) throw refuse('a prompt is required for every kling3api task type');
  if (prompt.length > MAX_PROMPT_CHARS) throw refuse(`the prompt is ${prompt.length} characters; at most ${MAX_PROMPT_CHARS}`);
  // Combinations the capability map lets through but no `type` carries.
  if (request.shots?.length) throw refuse('multi-shot is not supported');
  if (request.endImage && mode !== 'image-to-video') throw refuse('an end frame is for image-to-video only');

  const body: GenerateBody = {
    type: kling3apiTaskType(model.id, request.quality, mode),
    prompt,
    ...(request.negativePrompt !== undefined && { [NEGATIVE_PROMPT_FIELD]: request.negativePrompt }),
    ...(request.cfgScale !== undefined && { [CFG_SCALE_FIELD]: request.cfgScale }),
    // `sound` defaults to true on the provider: sent only when the caller chose.
    ...(request.audio !== undefined && { sound: request.audio }),
  };
  // The API takes image and video URLs, not base64.
  const url = (value: string | undefined, what: string) => (value === undefined ? undefined : requireUrl(value, what, refuse));

  switch (mode) {
    case 'text-to-video':
      return { ...body, duration: request.durationSeconds, aspect_ratio: request.aspectRatio };
    case 'image-to-video': {
      const image = url(media.image, 'image');
      if (!image) throw refuse('image-to-video needs a start image (an end frame alone is not enough)');
      const endImage = url(media.endImage, 'endImage');
      // The image-to-video example sends no aspect_ratio: the image sets it.
      return { ...body, image, ...(endImage !== undefined && { [END_IMAGE_FIELD]: endImage }), duration: request.durationSeconds };
    }
    case 'reference-to-video': {
      const images = (media.referenceImages ?? []).map((image, i) => requireUrl(image, `referenceImages.${i}`, refuse));
      return { ...body, images, duration: request.durationSeconds, aspect_ratio: request.aspectRatio };
    }
    case 'video-edit':
      // An edit's duration is "auto" (the input video's): no duration and no aspect ratio are sent.
      return {
        ...body,
        video: url(media.video, 'video'),
        ...(request.keepOriginalSound !== undefined && { keep_original_sound: request.keepOriginalSound }),
      };
    case 'multi-shot':
      throw refuse('multi-shot is not supported');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Task state → canonical status.

function toProviderStatus(task: TaskState): ProviderStatus {
  const providerTaskId = task.task_id;
  // `consumed_credits` is a number in the examples; a numeric string is read too, anything else ignored.
  const credits = nonNegativeNumber(task.consumed_credits);
  const cost = credits === undefined ? undefined : { credits };
  const status = statusFrom(KLING3API_STATUSES, task.status.trim().toUpperCase(), `kling3api task ${providerTaskId}`);
  switch (status) {
    case 'pending':
    case 'processing':
      return { providerTaskId, status, ...(cost && { cost }) };
    case 'succeeded': {
      const videoUrl = task.response?.find((url) => url.trim() !== '');
      if (!videoUrl) throw new ProviderError('server', `kling3api task ${providerTaskId} succeeded without a video URL in response`);
      return { providerTaskId, status, videoUrl, ...(cost && { cost }) };
    }
    default: {
      // No moderation wording is documented; providerTaskFailure knows the phrases Kling and its resellers use.
      const error = providerTaskFailure(task.error_message, 'kling3api reported the task failed without an error_message');
      return { providerTaskId, status: 'failed', error, ...(cost && { cost }) };
    }
  }
}
