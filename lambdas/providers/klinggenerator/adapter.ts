// klinggenerator.com's "Kling API" v3.0 (a reseller with its own REST surface): provider id `klinggenerator`.
// Facts come from the provider's documentation page (klinggenerator.com, "Kling API Documentation", API Version 3.0;
// "the page" below):
//   - `POST /v1/generate` {prompt*, model ("kling-3" default | "kling-2"), duration (int 5–120), resolution
//     ("720p" | "1080p" | "4k"), fps (24 | 30 | 60)} → {job_id, status: "processing", created_at, estimated_completion}
//   - `GET /v1/jobs/{job_id}` → {job_id, status, progress, video_url, thumbnail_url, duration, resolution, created_at,
//     completed_at}
//   - models: kling-3 (max 120 s, native 4K), kling-2 (legacy, max 60 s, max 1080p)
//   - errors by HTTP status: 401 invalid/missing key, 402 insufficient credits, 429 too many requests, 500 internal
//   - `Authorization: Bearer <API key>`; `X-RateLimit-Remaining` on responses; daily request quotas per tier
//   - default base URL https://api.klinggenerator.com
// The page describes text-to-video only: no image, reference, video-edit or multi-shot inputs, no aspect ratio,
// quality, audio, negative prompt or camera control, no webhook/callback, no cancel, no client/external id and no
// price table. Everything it does not describe is left out of the capability map, so validation refuses it.
//
// Settings (ctx.settings): none. Credentials: `apiKey` only.
//
// Where the page is silent and a name had to be picked, the choice is one constant below, marked UNDOCUMENTED.
import * as z from '../../domain/zod.ts';
import { ProviderError } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { JobError } from '../../domain/job.ts';
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
import { kindOfHttpStatus, requestJson, snippetOf, withBearerApiKey, parseRateLimitReset } from '../http.ts';
import type { HttpFailure } from '../http.ts';
import { POLLED_ONLY, errorKindsOf, fitSubmission, modelFactory, statusFrom } from '../scaffold.ts';
import { looksLikeContentPolicy, providerTaskFailure } from '../task-results.ts';

export const KLINGGENERATOR_ID = 'klinggenerator';
/** Where the real provider lives (the page's curl example). */
export const KLINGGENERATOR_DEFAULT_BASE_URL = 'https://api.klinggenerator.com';

// ---------------------------------------------------------------------------------------------------------------
// Capability map ("Request Body" and "Available Models").

const FRAME_RATES = [24, 30, 60];
const MIN_DURATION_SECONDS = 5;

/** Every whole second from 5 up to the model's maximum ("Video length in seconds (5-120)"). */
function durationsUpTo(maxSeconds: number): number[] {
  return Array.from({ length: maxSeconds - MIN_DURATION_SECONDS + 1 }, (_, i) => MIN_DURATION_SECONDS + i);
}

const generatorModel = modelFactory({
  modes: ['text-to-video'],
  durationsSeconds: durationsUpTo(120),
  // The quick-start example asks for 5 s: the shortest, cheapest length the API takes.
  defaultDurationSeconds: MIN_DURATION_SECONDS,
  // No aspect ratio parameter exists; the output is landscape (4K is given as 3840×2160, i.e. 16:9). Listing
  // only 16:9 makes a request for 9:16 or 1:1 a 422 instead of a silently landscape video.
  aspectRatios: ['16:9'],
  // No quality parameter exists (resolution is the knob), so there is one quality and `pro` is refused.
  qualities: ['std'],
  resolutions: ['720p', '1080p', '4k'],
  fps: FRAME_RATES,
  cfgScale: false,
  audio: false,
  voice: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: false,
  keepOriginalSound: false,
});

export const KLINGGENERATOR_MODELS: readonly ModelCapabilities[] = [
  generatorModel('kling-3'),
  generatorModel('kling-2', { durationsSeconds: durationsUpTo(60), resolutions: ['720p', '1080p'] }),
];

export const KLINGGENERATOR_CAPABILITIES: ProviderCapabilities = {
  // The API's own default ("default: kling-3") and the model the page recommends; kling-2 is marked legacy and
  // can do strictly less (60 s, 1080p).
  defaultModel: 'kling-3',
  models: [...KLINGGENERATOR_MODELS],
  // The page documents no webhook or callback field (results are reached by polling `GET /v1/jobs/{job_id}`)
  // and no cancel endpoint.
  ...POLLED_ONLY,
};

// ---------------------------------------------------------------------------------------------------------------
// Wire names the page leaves out. Each is one constant, easy to change once the provider says otherwise.

/**
 * UNDOCUMENTED: job status words. The page shows `processing` (create and query) and `completed` (query); it only
 * implies a failure state, so `failed` is assumed, with `error` accepted as a synonym. `queued`/`pending` and
 * `cancelled`/`canceled` are accepted in case the provider reports them. Any other word is a contract change.
 */
export const KLINGGENERATOR_STATUS_WORDS: Readonly<Record<string, CanonicalStatus>> = {
  queued: 'pending',
  pending: 'pending',
  processing: 'processing',
  completed: 'succeeded',
  failed: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

/**
 * UNDOCUMENTED: where a failed job (and an error answer) says why. Looked up in this order; each may hold a string
 * or an object `{code?, message?}`.
 */
export const KLINGGENERATOR_REASON_FIELDS = ['error', 'error_message', 'failure_reason', 'message'] as const;

/**
 * UNDOCUMENTED: when the rate limit resets. The page names only `X-RateLimit-Remaining`; `Retry-After` (read by
 * http.ts) wins, else this header is read as delta seconds or a Unix time (seconds or milliseconds).
 */
export const KLINGGENERATOR_RATE_LIMIT_RESET_HEADER = 'x-ratelimit-reset';
export const KLINGGENERATOR_RATE_LIMIT_REMAINING_HEADER = 'x-ratelimit-remaining';

// ---------------------------------------------------------------------------------------------------------------
// Response shapes. Unknown fields are ignored; the documented ones are checked.

const ReasonDetail = z.object({
  code: z.nullish(z.union([z.string(), z.number()])),
  message: z.nullish(z.string()),
});
const ReasonValue = z.union([z.string(), ReasonDetail]);

const CreatedJob = z.object({
  job_id: z.string().check(z.minLength(1)),
  status: z.nullish(z.string()),
  created_at: z.nullish(z.string()),
  estimated_completion: z.nullish(z.string()),
});

const ProgressValue = z.pipe(
  z.nullish(z.number()),
  z.transform((value) => (value === null || value === undefined ? undefined : Math.min(100, Math.max(0, value)))),
);

const JobAnswer = z.looseObject({
  job_id: z.string().check(z.minLength(1)),
  status: z.string().check(z.minLength(1)),
  progress: ProgressValue,
  video_url: z.nullish(z.string()),
  thumbnail_url: z.nullish(z.string()),
  duration: z.nullish(z.number()),
  resolution: z.nullish(z.string()),
  created_at: z.nullish(z.string()),
  completed_at: z.nullish(z.string()),
});
type JobAnswer = z.infer<typeof JobAnswer>;

interface Reason {
  code?: string;
  message?: string;
}

/** The first reason the body gives, under any of the reason fields. */
export function reasonOf(body: unknown): Reason {
  if (typeof body !== 'object' || body === null) return {};
  const fields = body as Record<string, unknown>;
  const topLevelCode = z.union([z.string(), z.number()]).safeParse(fields.code);
  for (const name of KLINGGENERATOR_REASON_FIELDS) {
    const parsed = ReasonValue.safeParse(fields[name]);
    if (!parsed.success) continue;
    const value = parsed.data;
    if (typeof value === 'string') {
      if (value.trim()) return { message: value.trim(), ...(topLevelCode.success && { code: String(topLevelCode.data) }) };
      continue;
    }
    const code = value.code ?? (topLevelCode.success ? topLevelCode.data : undefined);
    if (value.message?.trim() || (code !== undefined && code !== null)) {
      return {
        ...(code !== undefined && code !== null && { code: String(code) }),
        ...(value.message?.trim() && { message: value.message.trim() }),
      };
    }
  }
  return topLevelCode.success ? { code: String(topLevelCode.data) } : {};
}

/** Whether a reason's code or message speaks of a moderation refusal. */
const saysContentPolicy = (reason: Reason): boolean => looksLikeContentPolicy(`${reason.code ?? ''} ${reason.message ?? ''}`);

// ---------------------------------------------------------------------------------------------------------------
// Errors ("Error Codes": the code is the HTTP status) and rate limits ("Rate Limit Headers").

/** The statuses the page documents ("Error Codes"), what it says each means, and the kind it becomes. */
export const KLINGGENERATOR_ERROR_STATUSES: Readonly<Record<number, { kind: ErrorKind; meaning: string }>> = {
  401: { kind: 'auth', meaning: 'unauthorized: invalid or missing API key' },
  402: { kind: 'insufficient_credits', meaning: 'payment required: insufficient credits' },
  429: { kind: 'rate_limited', meaning: 'rate limit exceeded: too many requests' },
  500: { kind: 'server', meaning: 'internal server error' },
};

/**
 * The classifier for non-2xx answers. The kind follows the HTTP status (401 auth, 402 insufficient_credits,
 * 429 rate_limited, 500 server; undocumented statuses as everywhere else), except that a 400/403/422 whose body
 * speaks of the content policy is `content_policy`. The body's shape is not documented, so it is only read for
 * a reason to quote.
 */
export function classifyKlingGeneratorFailure(failure: HttpFailure, now: Date): ProviderError {
  const reason = reasonOf(failure.body);
  const documented = KLINGGENERATOR_ERROR_STATUSES[failure.status];
  let kind = documented?.kind ?? kindOfHttpStatus(failure.status);
  if ((kind === 'invalid' || failure.status === 403) && saysContentPolicy(reason)) kind = 'content_policy';

  const parts = [`klinggenerator answered HTTP ${failure.status}`];
  if (documented) parts.push(`(${documented.meaning})`);
  const said = [reason.code, reason.message].filter(Boolean).join(': ');
  const bodyText = said || snippetOf(typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body));
  let message = `${parts.join(' ')} [${failure.request}]${bodyText ? `: ${snippetOf(bodyText)}` : ''}`;

  let retryAfterSeconds = failure.retryAfterSeconds;
  if (kind === 'rate_limited') {
    retryAfterSeconds ??= parseRateLimitReset(failure.headers.get(KLINGGENERATOR_RATE_LIMIT_RESET_HEADER), now);
    const remaining = failure.headers.get(KLINGGENERATOR_RATE_LIMIT_REMAINING_HEADER);
    if (remaining !== null) {
      message += ` (X-RateLimit-Remaining: ${remaining.trim()}${remaining.trim() === '0' ? '; the daily request quota is used up' : ''})`;
    }
  }
  return new ProviderError(kind, message, { httpStatus: failure.status, providerCode: failure.status, retryAfterSeconds });
}

// ---------------------------------------------------------------------------------------------------------------

export class KlingGeneratorAdapter implements ProviderAdapter {
  readonly id = KLINGGENERATOR_ID;
  readonly capabilities = KLINGGENERATOR_CAPABILITIES;
  readonly vocabulary: ProviderVocabulary = {
    statuses: KLINGGENERATOR_STATUS_WORDS,
    errorCodes: errorKindsOf(KLINGGENERATOR_ERROR_STATUSES),
  };

  /**
   * One `POST /v1/generate`. The API takes no client or external id and documents no idempotency key, so a
   * retried Submit whose first answer was lost creates a second job: there is no duplicate-submit protection to
   * use, and no list endpoint to find the first job by.
   */
  async submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult> {
    const body = buildGenerateBody(input);
    const created = await requestJson(
      ctx,
      withBearerApiKey(ctx, KLINGGENERATOR_ID, { method: 'POST', path: '/v1/generate', body }),
      CreatedJob,
      (failure) => classifyKlingGeneratorFailure(failure, ctx.now()),
    );
    return { providerTaskId: created.job_id };
  }

  async status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus> {
    if (!providerTaskId.trim()) throw new ProviderError('invalid', 'a klinggenerator job id must not be empty');
    const job = await requestJson(
      ctx,
      withBearerApiKey(ctx, KLINGGENERATOR_ID, { method: 'GET', path: `/v1/jobs/${encodeURIComponent(providerTaskId)}` }),
      JobAnswer,
      (failure) => classifyKlingGeneratorFailure(failure, ctx.now()),
    );
    if (job.job_id !== providerTaskId) {
      throw new ProviderError('server', `klinggenerator answered job ${job.job_id} when asked for ${providerTaskId}`);
    }
    return toProviderStatus(job);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The create body. Field names exactly as the "Request Body" table gives them.

export interface GenerateBody {
  prompt: string;
  model: string;
  duration: number;
  resolution?: '720p' | '1080p' | '4k';
  fps?: number;
}

/**
 * The body for `POST /v1/generate`. The capability map admits only what the page describes (a prompt, model,
 * duration, resolution and frame rate), and validation refused everything else before Submit.
 */
export function buildGenerateBody(input: SubmitRequest): GenerateBody {
  const { request } = input;
  const { model, refuse } = fitSubmission(input, KLINGGENERATOR_CAPABILITIES);
  if (!request.prompt?.trim()) throw refuse('a prompt is required');
  return {
    prompt: request.prompt,
    model: model.id,
    duration: request.durationSeconds,
    // Left out when not asked for, so the provider's own default applies (the page does not name it).
    ...(request.resolution !== undefined && { resolution: request.resolution }),
    ...(request.fps !== undefined && { fps: request.fps }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Job → canonical status.

/** A job answer in canonical terms. Throws `ProviderError('server')` for a status word the page does not know. */
export function toProviderStatus(job: JobAnswer): ProviderStatus {
  const status = statusFrom(KLINGGENERATOR_STATUS_WORDS, job.status.toLowerCase(), `klinggenerator job ${job.job_id}`);
  const base: ProviderStatus = {
    providerTaskId: job.job_id,
    status,
    ...(job.progress !== undefined && { progress: job.progress }),
  };
  switch (status) {
    case 'pending':
    case 'processing':
      return base;
    case 'succeeded': {
      if (!job.video_url) throw new ProviderError('server', `klinggenerator job ${job.job_id} completed without a video_url`);
      return { ...base, videoUrl: job.video_url, ...(job.thumbnail_url && { thumbnailUrl: job.thumbnail_url }) };
    }
    case 'failed':
    case 'cancelled':
      return { ...base, error: failureOf(job, status) };
  }
}

function failureOf(job: JobAnswer, status: 'failed' | 'cancelled'): JobError {
  const reason = reasonOf(job);
  const said = [reason.code, reason.message].filter(Boolean).join(': ');
  if (status === 'cancelled') {
    return { code: 'PROVIDER_CANCELLED', message: said || `klinggenerator cancelled job ${job.job_id}`, retryable: false };
  }
  return providerTaskFailure(said, `klinggenerator reported job ${job.job_id} failed without a reason`);
}
