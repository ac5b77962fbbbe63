// The official Kling API, legacy standard (`/v1/videos/<product>`, `model_name` in the body): provider id `kling`.
// Facts come from the Kling API reference (app.klingai.com/global/dev, "API Reference"): the request bodies of
// 'Video generation: text to video', 'image to video' and 'multi-image to video', the `{code,message,request_id,data}`
// envelope and business codes of 'General information: error codes', the 'Callback protocol', and JWT auth of
// 'General information: authentication'.
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import * as z from '../../domain/zod.ts';
import { CallbackRejected, ProviderError } from '../../domain/errors.ts';
import type { ErrorKind } from '../../domain/errors.ts';
import type { ResolvedRequest } from '../../domain/job.ts';
import { verifyStandardWebhook } from '../../domain/webhooks.ts';
import type {
  AdapterContext,
  CallbackRequest,
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
  withBearerToken,
} from '../http.ts';
import type { HttpFailure, ProviderRequest } from '../http.ts';
import { bareBase64, errorKindsOf, fitSubmission, modelFactory } from '../scaffold.ts';
import type { Refuse } from '../scaffold.ts';
import { nonNegativeNumber, providerTaskFailure } from '../task-results.ts';

// ---------------------------------------------------------------------------------------------------------------
// Capability map (Kling API reference, 'Capability map'). Resolution is not listed: on the legacy API it follows
// `mode` (std 720p, pro 1080p on most models), so callers choose `quality`, and a `resolution` is refused by
// validation instead of being silently ignored. Limits that depend on the mode or quality are `limits` of the
// model (v2-6 sound only in pro; no cfg_scale beside reference images; no end frame in multi-shot), so create
// refuses them. Those that depend on the duration too (camera control only at 5 s, end frames only in pro on some
// models) are left to Kling, which answers 1201 (`invalid`).

const klingModel = modelFactory({
  modes: ['text-to-video', 'image-to-video'],
  durationsSeconds: [5, 10],
  defaultDurationSeconds: 5,
  aspectRatios: ['16:9', '9:16', '1:1'],
  qualities: ['std', 'pro'],
  cfgScale: false,
  audio: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: true,
});

export const KLING_MODELS: readonly ModelCapabilities[] = [
  klingModel('kling-v1', { cfgScale: true, cameraControl: true, endImage: true }),
  klingModel('kling-v1-5', { modes: ['image-to-video'], cfgScale: true, cameraControl: true, endImage: true }),
  // multi-image2video (reference-to-video) takes up to 4 images, on this model only ('multi-image to video').
  klingModel('kling-v1-6', {
    modes: ['text-to-video', 'image-to-video', 'reference-to-video'],
    cfgScale: true,
    endImage: true,
    maxReferenceImages: 4,
    // multi-image2video requires a prompt and documents no cfg_scale ('multi-image to video').
    promptRequiredIn: ['reference-to-video'],
    limits: [{ when: { modes: ['reference-to-video'] }, without: ['cfgScale'], because: 'multi-image2video documents no cfg_scale' }],
  }),
  // The master models take no `mode` parameter: one quality, and `mode` is never sent.
  klingModel('kling-v2-master', { qualities: ['std'] }),
  klingModel('kling-v2-1', { modes: ['image-to-video'], endImage: true }),
  klingModel('kling-v2-1-master', { qualities: ['std'] }),
  klingModel('kling-v2-5-turbo', { endImage: true }),
  klingModel('kling-v2-6', {
    audio: true,
    endImage: true,
    limits: [{ when: { qualities: ['std'] }, without: ['audio'], because: 'sound is offered in pro mode only (capability map)' }],
  }),
  klingModel('kling-v3', {
    modes: ['text-to-video', 'image-to-video', 'multi-shot'],
    durationsSeconds: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    audio: true,
    endImage: true,
    limits: [{ when: { modes: ['multi-shot'] }, without: ['endImage'], because: 'a multi-shot video takes no end frame' }],
  }),
];

/** Models whose `mode` parameter does not exist (the 05/13/2025 changelog: "does not support mode parameter"). */
const MODELS_WITHOUT_MODE = new Set(['kling-v2-master', 'kling-v2-1-master']);

export const KLING_CAPABILITIES: ProviderCapabilities = {
  // kling-v3 is the newest model on the legacy standard and the widest: text and image to video, multi-shot,
  // native sound and end frames in both modes, 3–15 s. A request that names no model is therefore the least
  // likely to be refused; callers who want a cheaper or older model name it.
  defaultModel: 'kling-v3',
  models: [...KLING_MODELS],
  // image2video: .jpg/.jpeg/.png, at most 10 MB, at least 300 px, aspect ratio 1:2.5 to 2.5:1. Bytes go as bare
  // base64 (the API takes a URL or base64), so a bucket the provider cannot reach is no obstacle.
  imageInput: {
    types: ['jpg', 'png'],
    maxBytes: 10 * 1024 * 1024,
    minSide: 300,
    minAspectRatio: 1 / 2.5,
    maxAspectRatio: 2.5,
    transport: 'base64',
  },
  callbacks: true,
  // Standard Webhooks, with the secret made in Kling's console (credentials.webhookSecret).
  callbackAuth: 'signature',
  // The legacy API has no cancel call.
  cancel: false,
};

// ---------------------------------------------------------------------------------------------------------------
// Provider task ids. A legacy task can only be queried under the product path it was created on
// (`GET /v1/videos/<product>/<task_id>`), so the id this adapter hands the workflow is `<product>:<task_id>`,
// e.g. `text2video:867283741759111202`. `status()` splits it again. Kling's task ids are numeric strings, and
// product names contain no `:`, so the first `:` separates them.

export const KLING_PRODUCTS = ['text2video', 'image2video', 'multi-image2video'] as const;
export type KlingProduct = (typeof KLING_PRODUCTS)[number];

export function formatKlingTaskId(product: KlingProduct, taskId: string): string {
  return `${product}:${taskId}`;
}

export function parseKlingTaskId(providerTaskId: string): { product: KlingProduct; taskId: string } {
  const separator = providerTaskId.indexOf(':');
  const product = providerTaskId.slice(0, separator);
  const taskId = providerTaskId.slice(separator + 1);
  if (separator < 1 || taskId === '' || !(KLING_PRODUCTS as readonly string[]).includes(product)) {
    throw new ProviderError(
      'invalid',
      `'${providerTaskId}' is not a kling task id of the form <product>:<task_id> (product one of ${KLING_PRODUCTS.join(', ')})`,
    );
  }
  return { product: product as KlingProduct, taskId };
}

// ---------------------------------------------------------------------------------------------------------------
// Response shapes.

const KlingEnvelope = z.object({
  code: z.number().check(z.int()),
  message: z.nullish(z.string()),
  request_id: z.nullish(z.string()),
  data: z.optional(z.unknown()),
});

/** Kling's task ids are numeric strings; a number is accepted too so a big id is never mangled into a float. */
const KlingTaskIdValue = z.pipe(
  z.union([z.string().check(z.minLength(1)), z.number().check(z.int(), z.nonnegative())]),
  z.transform(String),
);

/** `task_status` words (Kling API reference, 'Video generation: query task') and their canonical statuses. */
export const KLING_TASK_STATUSES = {
  submitted: 'pending',
  processing: 'processing',
  succeed: 'succeeded',
  failed: 'failed',
} as const satisfies Record<string, CanonicalStatus>;

const KlingTask = z.object({
  task_id: KlingTaskIdValue,
  task_status: z.enum(['submitted', 'processing', 'succeed', 'failed']) satisfies z.ZodMiniType<keyof typeof KLING_TASK_STATUSES>,
  task_status_msg: z.nullish(z.string()),
  task_info: z.nullish(z.object({ external_task_id: z.nullish(z.string()) })),
  task_result: z.nullish(z.object({ videos: z.nullish(z.array(z.object({ id: z.nullish(z.string()), url: z.nullish(z.string()) }))) })),
  final_unit_deduction: z.nullish(z.union([z.string(), z.number()])),
});
type KlingTask = z.infer<typeof KlingTask>;

const KlingCreatedTask = z.object({ task_id: KlingTaskIdValue });

// ---------------------------------------------------------------------------------------------------------------
// Business codes (Kling API reference, 'General information: error codes'). Every code maps to one kind; the HTTP
// status is what Kling documents alongside it.

interface KlingCodeMeaning {
  kind: ErrorKind;
  meaning: string;
}

export const KLING_BUSINESS_CODES: Readonly<Record<number, KlingCodeMeaning>> = {
  1000: { kind: 'auth', meaning: 'authentication failed' },
  1001: { kind: 'auth', meaning: 'authorization is empty' },
  1002: { kind: 'auth', meaning: 'authorization is invalid' },
  1003: { kind: 'auth', meaning: 'authorization is not yet valid' },
  1004: { kind: 'auth', meaning: 'authorization has expired' },
  1100: { kind: 'insufficient_credits', meaning: 'account exception' },
  1101: { kind: 'insufficient_credits', meaning: 'account in arrears' },
  1102: { kind: 'insufficient_credits', meaning: 'resource pack exhausted or expired' },
  1103: { kind: 'auth', meaning: 'no access to the requested resource (API or model)' },
  1200: { kind: 'invalid', meaning: 'invalid request parameters' },
  1201: { kind: 'invalid', meaning: 'invalid parameters' },
  1202: { kind: 'invalid', meaning: 'invalid method' },
  1203: { kind: 'invalid', meaning: 'requested resource does not exist' },
  1300: { kind: 'content_policy', meaning: 'blocked by platform policy' },
  1301: { kind: 'content_policy', meaning: 'blocked by content security policy' },
  1302: { kind: 'rate_limited', meaning: 'rate limit exceeded' },
  1303: { kind: 'concurrency_limited', meaning: 'concurrency over the resource pack limit' },
  1304: { kind: 'auth', meaning: 'blocked by IP whitelist policy' },
  5000: { kind: 'server', meaning: 'internal error' },
  5001: { kind: 'overloaded', meaning: 'temporarily unavailable' },
  5002: { kind: 'server', meaning: 'internal timeout' },
};

interface KlingAnswer {
  code: number;
  message?: string | null;
  request_id?: string | null;
}

/** A Kling answer with a non-zero `code`, as a `ProviderError`. Unknown codes take the kind of the HTTP status. */
export function klingBusinessError(
  answer: KlingAnswer,
  context: { request: string; httpStatus: number; retryAfterSeconds?: number },
): ProviderError {
  const known = KLING_BUSINESS_CODES[answer.code];
  const kind = known?.kind ?? kindOfHttpStatus(context.httpStatus);
  const meaning = known?.meaning ?? 'unknown code';
  const providerMessage = answer.message ? `: ${snippetOf(answer.message)}` : '';
  const requestId = answer.request_id ? `, request_id ${answer.request_id}` : '';
  return new ProviderError(
    kind,
    `Kling ${answer.code} (${meaning})${providerMessage} [${context.request}, HTTP ${context.httpStatus}${requestId}]`,
    { providerCode: answer.code, httpStatus: context.httpStatus, retryAfterSeconds: context.retryAfterSeconds },
  );
}

/** The classifier for Kling's non-2xx answers: the business code when the body has one, else the HTTP status. */
export function classifyKlingFailure(failure: HttpFailure): ProviderError {
  const answer = KlingEnvelope.safeParse(failure.body);
  if (answer.success && answer.data.code !== 0) {
    return klingBusinessError(answer.data, {
      request: failure.request,
      httpStatus: failure.status,
      retryAfterSeconds: failure.retryAfterSeconds,
    });
  }
  const snippet = snippetOf(typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body));
  return new ProviderError(
    kindOfHttpStatus(failure.status),
    `Kling answered HTTP ${failure.status} [${failure.request}]${snippet ? `: ${snippet}` : ''}`,
    { httpStatus: failure.status, providerCode: failure.status, retryAfterSeconds: failure.retryAfterSeconds },
  );
}

/**
 * Kling refuses a second create with the same `external_task_id` with 1201 and a message naming the field.
 * (Its exact wording is not documented, so any 1201 that mentions `external_task_id` counts.)
 */
function isDuplicateExternalTaskId(error: unknown): boolean {
  return error instanceof ProviderError && error.providerCode === 1201 && /external[_ ]?task[_ ]?id/i.test(error.message);
}

// ---------------------------------------------------------------------------------------------------------------
// Auth (Kling API reference, 'General information: authentication'): AK/SK → HS256 JWT {iss, exp, nbf}, or an API
// key. Both travel as `Authorization: Bearer ...`.

const JWT_LIFETIME_SECONDS = 1800;
const JWT_NOT_BEFORE_SKEW_SECONDS = 5;
/** A cached token is replaced this long before it expires, so no request leaves with a nearly expired one. */
const JWT_RENEW_BEFORE_EXPIRY_SECONDS = 300;

interface CachedToken {
  token: string;
  expiresAtSeconds: number;
  /** A hash of the secret key it was signed with, so a rotated secret is never answered with an old token. */
  secretFingerprint: string;
}

// ---------------------------------------------------------------------------------------------------------------

type KlingBody = Record<string, unknown>;

export class KlingLegacyAdapter implements ProviderAdapter {
  readonly id = 'kling';
  readonly capabilities = KLING_CAPABILITIES;
  readonly vocabulary: ProviderVocabulary = { statuses: KLING_TASK_STATUSES, errorCodes: errorKindsOf(KLING_BUSINESS_CODES) };
  /** JWTs by access key. Lives as long as the adapter (a Lambda container), never persisted. */
  private readonly tokens = new Map<string, CachedToken>();

  async submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult> {
    const { product, body } = buildCreateBody(input);
    const create: ProviderRequest = { method: 'POST', path: `/v1/videos/${product}`, body };
    try {
      const created = await this.call(ctx, create, KlingCreatedTask);
      return { providerTaskId: formatKlingTaskId(product, created.task_id) };
    } catch (error) {
      if (!isDuplicateExternalTaskId(error)) throw error;
    }
    // A retried Submit: the first attempt created the task (its answer was lost). Find it by external_task_id,
    // which the query path accepts in place of the task id, so no second task is ever created.
    const existing = await this.call(ctx, { method: 'GET', path: `/v1/videos/${product}/${encodeURIComponent(input.jobId)}` }, KlingTask);
    const external = existing.task_info?.external_task_id;
    if (external && external !== input.jobId) {
      throw new ProviderError(
        'server',
        `Kling returned task ${existing.task_id} for external_task_id ${input.jobId}, but it belongs to ${external}`,
      );
    }
    return { providerTaskId: formatKlingTaskId(product, existing.task_id) };
  }

  /**
   * The task a lost submit created, found by its `external_task_id` (the job id), which the query path takes in
   * place of a task id (Kling API reference, 'Video generation: query task'); 1203 (no such resource) means none.
   */
  async findSubmitted(input: SubmitRequest, _since: Date, ctx: AdapterContext): Promise<SubmitResult[]> {
    const { product } = buildCreateBody(input);
    try {
      const task = await this.call(ctx, { method: 'GET', path: `/v1/videos/${product}/${encodeURIComponent(input.jobId)}` }, KlingTask);
      if (task.task_info?.external_task_id !== input.jobId) return [];
      return [{ providerTaskId: formatKlingTaskId(product, task.task_id) }];
    } catch (error) {
      if (error instanceof ProviderError && error.providerCode === 1203) return [];
      throw error;
    }
  }

  async status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus> {
    const { product, taskId } = parseKlingTaskId(providerTaskId);
    const task = await this.call(ctx, { method: 'GET', path: `/v1/videos/${product}/${encodeURIComponent(taskId)}` }, KlingTask);
    return toProviderStatus(task, formatKlingTaskId(product, task.task_id));
  }

  /**
   * The callback body is the bare task object (Kling API reference, 'Callback protocol'), signed with Standard
   * Webhooks. It does not say which product
   * the task was created on, so the returned `providerTaskId` is the bare Kling `task_id`: informative only. The
   * workflow keeps the `<product>:<task_id>` id Submit returned and polls with that.
   */
  async parseCallback(callback: CallbackRequest, ctx: AdapterContext): Promise<ProviderStatus> {
    const secret = ctx.credentials.webhookSecret;
    if (!secret) {
      throw new CallbackRejected('no Kling webhook secret is configured; an unsigned callback cannot be trusted');
    }
    const payload = verifyStandardWebhook(secret, callback.headers, callback.rawBody, { now: ctx.now() });
    const parsed = KlingTask.safeParse(payload);
    if (!parsed.success) throw new CallbackRejected('callback body is not a Kling legacy task object');
    const task = parsed.data;
    const external = task.task_info?.external_task_id;
    if (external !== callback.jobId) {
      throw new CallbackRejected(`callback is for external_task_id ${external ?? '(none)'}, not job ${callback.jobId}`);
    }
    return toProviderStatus(task, task.task_id);
  }

  /** One Kling call: auth header, envelope, `code` check, then `data` through its schema. */
  private async call<Schema extends z.ZodMiniType>(
    ctx: AdapterContext,
    request: ProviderRequest,
    dataSchema: Schema,
  ): Promise<z.output<Schema>> {
    const response = await sendRequest(ctx, await this.authorized(ctx, request), classifyKlingFailure);
    const described = describeRequest(request);
    const envelope = parseProviderBody(KlingEnvelope, response.body, `Kling ${described}`);
    // Success is code 0; a 2xx with another code is still a refusal.
    if (envelope.code !== 0) throw klingBusinessError(envelope, { request: described, httpStatus: response.status });
    return parseProviderBody(dataSchema, envelope.data, `Kling ${described} data`);
  }

  /** AK/SK sign a JWT; without them the API key goes as it is. Either is the Bearer token. */
  private async authorized(ctx: AdapterContext, request: ProviderRequest): Promise<ProviderRequest> {
    const { accessKey, secretKey } = ctx.credentials;
    if (accessKey && secretKey) return withBearerToken(request, await this.jwtFor(accessKey, secretKey, ctx.now()));
    return withBearerApiKey(ctx, 'Kling', request, 'accessKey and secretKey, or apiKey');
  }

  private async jwtFor(accessKey: string, secretKey: string, now: Date): Promise<string> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const secretFingerprint = createHash('sha256').update(secretKey).digest('hex');
    const cached = this.tokens.get(accessKey);
    if (
      cached &&
      cached.secretFingerprint === secretFingerprint &&
      nowSeconds < cached.expiresAtSeconds - JWT_RENEW_BEFORE_EXPIRY_SECONDS
    ) {
      return cached.token;
    }
    const expiresAtSeconds = nowSeconds + JWT_LIFETIME_SECONDS;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(accessKey)
      .setExpirationTime(expiresAtSeconds)
      .setNotBefore(nowSeconds - JWT_NOT_BEFORE_SKEW_SECONDS)
      .sign(new TextEncoder().encode(secretKey));
    this.tokens.set(accessKey, { token, expiresAtSeconds, secretFingerprint });
    return token;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Create bodies (Kling API reference, 'Video generation': text to video, image to video, multi-image to video).
// Field names exactly as documented.

/**
 * The product path and body a submission goes to. What the capability map expresses was validated before Submit;
 * what the legacy wire format adds on top is refused here (`ProviderError('invalid')`).
 */
export function buildCreateBody(input: SubmitRequest): { product: KlingProduct; body: KlingBody } {
  const { request, mode } = input;
  const { model, media, refuse } = fitSubmission(input, KLING_CAPABILITIES);
  // A per-quality limit the capability map cannot express.
  if (request.audio === true && model.id === 'kling-v2-6' && request.quality !== 'pro') throw refuse('sound needs quality pro');

  const common: KlingBody = {
    model_name: model.id,
    ...(request.negativePrompt !== undefined && { negative_prompt: request.negativePrompt }),
    ...(MODELS_WITHOUT_MODE.has(model.id) ? {} : { mode: request.quality }),
    duration: String(request.durationSeconds),
    ...(request.audio !== undefined && model.audio && { sound: request.audio ? 'on' : 'off' }),
    ...(input.callbackUrl !== undefined && { callback_url: input.callbackUrl }),
    external_task_id: input.jobId,
  };

  if (mode === 'reference-to-video') {
    if (!request.prompt) throw refuse('multi-image2video needs a prompt');
    // multi-image2video documents no cfg_scale, so it is refused rather than dropped.
    if (request.cfgScale !== undefined) throw refuse('cfg_scale is not supported with reference images');
    return {
      product: 'multi-image2video',
      body: {
        ...common,
        image_list: (media.referenceImages ?? []).map((image) => ({ image: bareBase64(image) })),
        prompt: request.prompt,
        aspect_ratio: request.aspectRatio,
      },
    };
  }

  const { image, endImage } = media;
  const product: KlingProduct = image !== undefined || endImage !== undefined ? 'image2video' : 'text2video';
  const body: KlingBody = {
    ...common,
    ...(request.prompt !== undefined && { prompt: request.prompt }),
    ...(request.cfgScale !== undefined && { cfg_scale: request.cfgScale }),
    ...(request.cameraControl && { camera_control: cameraControlBody(request.cameraControl, refuse) }),
    // The official image2video body has no aspect_ratio: the frame sets it ('image to video').
    ...(product === 'text2video' && { aspect_ratio: request.aspectRatio }),
    // Kling wants a URL or raw base64, "do NOT add any prefix like data:image/png;base64," ('image to video').
    ...(image !== undefined && { image: bareBase64(image) }),
    ...(endImage !== undefined && { image_tail: bareBase64(endImage) }),
  };

  if (mode === 'multi-shot') {
    const shots = request.shots ?? [];
    if (endImage !== undefined) throw refuse('an end frame is not supported with multi-shot');
    const total = shots.reduce((sum, shot) => sum + shot.durationSeconds, 0);
    if (total !== request.durationSeconds) {
      throw refuse(`shot durations add up to ${total} s but durationSeconds is ${request.durationSeconds}`);
    }
    body.multi_shot = true;
    body.shot_type = 'customize';
    // Shots are numbered from 1 (the docs give `index` as an int without saying where it starts).
    body.multi_prompt = shots.map((shot, position) => ({
      index: position + 1,
      prompt: shot.prompt,
      duration: String(shot.durationSeconds),
    }));
  }
  return { product, body };
}

function cameraControlBody(cameraControl: NonNullable<ResolvedRequest['cameraControl']>, refuse: Refuse): KlingBody {
  if (cameraControl.type !== 'simple') {
    // The preset movements take no config (the docs: "must be set to None"), so it is left out.
    if (cameraControl.config) throw refuse(`camera control ${cameraControl.type} takes no config`);
    return { type: cameraControl.type };
  }
  const config = cameraControl.config;
  if (!config) throw refuse('camera control simple needs a config with one non-zero axis');
  const axes = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;
  const nonZero = axes.filter((axis) => (config[axis] ?? 0) !== 0);
  if (nonZero.length !== 1) throw refuse(`camera control simple needs exactly one non-zero axis, got ${nonZero.length}`);
  return { type: 'simple', config: Object.fromEntries(axes.map((axis) => [axis, config[axis] ?? 0])) };
}

// ---------------------------------------------------------------------------------------------------------------
// Task → canonical status. Shared by status() and parseCallback().

function toProviderStatus(task: KlingTask, providerTaskId: string): ProviderStatus {
  // `final_unit_deduction` is a string of units; anything that is not a non-negative number is ignored.
  const credits = nonNegativeNumber(task.final_unit_deduction);
  const cost = credits === undefined ? undefined : { credits };
  const status = KLING_TASK_STATUSES[task.task_status];
  switch (status) {
    case 'pending':
    case 'processing':
      return { providerTaskId, status, ...(cost && { cost }) };
    case 'succeeded': {
      const videoUrl = task.task_result?.videos?.find((video) => video.url)?.url;
      if (!videoUrl) throw new ProviderError('server', `Kling task ${task.task_id} succeeded without a video URL`);
      return { providerTaskId, status, videoUrl, ...(cost && { cost }) };
    }
    case 'failed': {
      // Kling does not document its moderation wording in `task_status_msg`; providerTaskFailure knows the phrases.
      const error = providerTaskFailure(task.task_status_msg, 'Kling reported the task failed without a reason');
      return { providerTaskId, status, error, ...(cost && { cost }) };
    }
  }
}
