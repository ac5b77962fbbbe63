// klinggenerator.com's "Kling API" v3.0 (a reseller with its own REST surface): provider id `klinggenerator`.
// Facts come from /work/shared/reference/seeds/002_608ff8ace3871181.txt (the provider's documentation page):
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
// price table. Everything it does not describe is refused (by the capability map, and again here before sending).
//
// Settings (ctx.settings): none. Credentials: `apiKey` only.
//
// Where the page is silent and a name had to be picked, the choice is one constant below, marked UNDOCUMENTED.
import { z } from 'zod';
import { CallbackRejected, ProviderError } from '../../domain/errors.ts';
import type { JobError, Mode, ResolvedRequest } from '../../domain/job.ts';
import type {
  AdapterContext,
  CallbackRequest,
  CanonicalStatus,
  ModelCapabilities,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderStatus,
  SubmitRequest,
  SubmitResult,
} from '../port.ts';
import { POLLED_ONLY } from '../port.ts';
import { kindOfHttpStatus, requestJson, snippetOf, withBearerApiKey, parseRateLimitReset } from '../http.ts';
import type { HttpFailure } from '../http.ts';
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

function generatorModel(id: string, maxSeconds: number, resolutions: ModelCapabilities['resolutions']): ModelCapabilities {
  return {
    id,
    modes: ['text-to-video'],
    durationsSeconds: durationsUpTo(maxSeconds),
    // The quick-start example asks for 5 s: the shortest, cheapest length the API takes.
    defaultDurationSeconds: MIN_DURATION_SECONDS,
    // No aspect ratio parameter exists; the output is landscape (4K is given as 3840×2160, i.e. 16:9). Listing
    // only 16:9 makes a request for 9:16 or 1:1 a 422 instead of a silently landscape video.
    aspectRatios: ['16:9'],
    // No quality parameter exists (resolution is the knob), so there is one quality and `pro` is refused.
    qualities: ['std'],
    resolutions,
    fps: FRAME_RATES,
    cfgScale: false,
    audio: false,
    voice: false,
    cameraControl: false,
    endImage: false,
    negativePrompt: false,
    keepOriginalSound: false,
  };
}

export const KLINGGENERATOR_MODELS: readonly ModelCapabilities[] = [
  generatorModel('kling-3', 120, ['720p', '1080p', '4k']),
  generatorModel('kling-2', 60, ['720p', '1080p']),
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
  code: z.union([z.string(), z.number()]).nullish(),
  message: z.string().nullish(),
});
const ReasonValue = z.union([z.string(), ReasonDetail]);

const CreatedJob = z.object({
  job_id: z.string().min(1),
  status: z.string().nullish(),
  created_at: z.string().nullish(),
  estimated_completion: z.string().nullish(),
});

const ProgressValue = z
  .number()
  .nullish()
  .transform((value) => (value === null || value === undefined ? undefined : Math.min(100, Math.max(0, value))));

const JobAnswer = z.looseObject({
  job_id: z.string().min(1),
  status: z.string().min(1),
  progress: ProgressValue,
  video_url: z.string().nullish(),
  thumbnail_url: z.string().nullish(),
  duration: z.number().nullish(),
  resolution: z.string().nullish(),
  created_at: z.string().nullish(),
  completed_at: z.string().nullish(),
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

/** What the page says each documented status means. */
const DOCUMENTED_STATUSES: Readonly<Record<number, string>> = {
  401: 'unauthorized: invalid or missing API key',
  402: 'payment required: insufficient credits',
  429: 'rate limit exceeded: too many requests',
  500: 'internal server error',
};

/**
 * The classifier for non-2xx answers. The kind follows the HTTP status (401 auth, 402 insufficient_credits,
 * 429 rate_limited, 500 server; undocumented statuses as everywhere else), except that a 400/403/422 whose body
 * speaks of the content policy is `content_policy`. The body's shape is not documented, so it is only read for
 * a reason to quote.
 */
export function classifyKlingGeneratorFailure(failure: HttpFailure, now: Date): ProviderError {
  const reason = reasonOf(failure.body);
  let kind = kindOfHttpStatus(failure.status);
  if ((kind === 'invalid' || failure.status === 403) && saysContentPolicy(reason)) kind = 'content_policy';

  const parts = [`klinggenerator answered HTTP ${failure.status}`];
  const meaning = DOCUMENTED_STATUSES[failure.status];
  if (meaning) parts.push(`(${meaning})`);
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

  /** The provider never calls back (no webhook is documented), so anything arriving here is refused. */
  async parseCallback(_callback: CallbackRequest, _ctx: AdapterContext): Promise<ProviderStatus> {
    throw new CallbackRejected('klinggenerator sends no callbacks; its jobs are polled');
  }

  /** The page has no price table (only per-tier request quotas), so there is no estimate. */
  estimateCost(_request: ResolvedRequest, _mode: Mode): undefined {
    return undefined;
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

/** The body for `POST /v1/generate`. Anything the request asks for that the API cannot take is refused. */
export function buildGenerateBody(input: SubmitRequest): GenerateBody {
  const { request, mode } = input;
  const refuse = (message: string) => new ProviderError('invalid', `klinggenerator ${request.model}: ${message}`);
  const model = KLINGGENERATOR_MODELS.find((candidate) => candidate.id === request.model);
  if (!model) throw refuse(`not a klinggenerator model; known: ${KLINGGENERATOR_MODELS.map((m) => m.id).join(', ')}`);
  if (!model.modes.includes(mode)) throw refuse(`${mode} is not supported; the API generates from a prompt only`);
  if (!request.prompt?.trim()) throw refuse('a prompt is required');
  if (!model.durationsSeconds.includes(request.durationSeconds)) {
    throw refuse(`${request.durationSeconds} s is not supported; whole seconds from ${MIN_DURATION_SECONDS} to ${model.durationsSeconds.at(-1)}`);
  }
  if (request.resolution !== undefined && !model.resolutions?.includes(request.resolution)) {
    throw refuse(`resolution ${request.resolution} is not supported; supported: ${model.resolutions?.join(', ')}`);
  }
  if (request.fps !== undefined && !model.fps?.includes(request.fps)) {
    throw refuse(`${request.fps} fps is not supported; supported: ${model.fps?.join(', ')}`);
  }
  if (!model.aspectRatios.includes(request.aspectRatio)) throw refuse(`aspect ratio ${request.aspectRatio} is not supported (16:9 only)`);
  if (!model.qualities.includes(request.quality)) throw refuse(`quality ${request.quality} is not supported (the API has no quality setting)`);
  const unsupported: [boolean, string][] = [
    [request.negativePrompt !== undefined, 'a negative prompt'],
    [request.cfgScale !== undefined, 'cfgScale'],
    [request.audio === true, 'native audio'],
    [request.voice !== undefined, 'a voice'],
    [request.cameraControl !== undefined, 'camera control'],
    [request.image !== undefined || input.media?.image !== undefined, 'a start image'],
    [request.endImage !== undefined || input.media?.endImage !== undefined, 'an end image'],
    [Boolean(request.referenceImages?.length || input.media?.referenceImages?.length), 'reference images'],
    [request.video !== undefined || input.media?.video !== undefined, 'an input video'],
    [request.keepOriginalSound !== undefined, 'keepOriginalSound'],
    [Boolean(request.shots?.length), 'shots'],
  ];
  const refused = unsupported.filter(([asked]) => asked).map(([, what]) => what);
  if (refused.length > 0) throw refuse(`${refused.join(', ')} cannot be sent (not in the API)`);

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

export function toProviderStatus(job: JobAnswer): ProviderStatus {
  const status = KLINGGENERATOR_STATUS_WORDS[job.status.toLowerCase()];
  if (!status) {
    throw new ProviderError(
      'server',
      `klinggenerator job ${job.job_id} has status '${job.status}', which is not one of ${Object.keys(KLINGGENERATOR_STATUS_WORDS).join(', ')}`,
    );
  }
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
