// Every fact about fal.ai that klingflow relies on, in one file, each with the public document it comes from: when
// fal changes something, this file changes (and the test that reads the same source points here). What klingflow
// chooses on top of these facts (which canonical model maps to which endpoints, how a tier is picked) is in
// models.ts; the wire format built from them is in body.ts.
//
// Sources, by the names used below:
// - "fal's endpoint catalog": the endpoint input types fal ships in its official JavaScript client, `@fal-ai/client`
//   (`src/types/endpoints.d.ts`, the `EndpointTypeMap`). test/catalog/fal-capabilities.test.ts reads the installed
//   package and checks every endpoint, field, enum and range below against it, so updating the package re-runs the
//   check.
// - fal's model pages: `https://fal.ai/models/<endpoint id>` (each endpoint's input schema and playground).
// - fal docs: "Queue" (https://docs.fal.ai/model-endpoints/queue), "Webhooks"
//   (https://docs.fal.ai/model-endpoints/webhooks), "Model Errors" (https://docs.fal.ai/errors), "Request Errors"
//   (https://fal.ai/docs/documentation/model-apis/request-errors), "Cancel a request"
//   (https://fal.ai/docs/inference-api/queue/cancel), "Concurrency limits", "Payloads".
import type { CanonicalStatus } from '../port.ts';
import type { ErrorKind } from '../../domain/errors.ts';

// ---------------------------------------------------------------------------------------------------------------
// Endpoints and their inputs.

/** The owner and app every Kling endpoint on fal lives under (fal's endpoint catalog: `fal-ai/kling-video/...`). */
export const FAL_ENDPOINT_PREFIX = 'fal-ai/kling-video';

/** The path segment after the version: fal's name for a quality tier (fal's endpoint catalog, model pages). */
export type FalTier = 'standard' | 'pro' | 'master' | '4k';

/** The last path segment(s) of an endpoint id: what the endpoint does (fal's endpoint catalog). */
export const FAL_TASKS = ['text-to-video', 'image-to-video', 'elements', 'reference-to-video', 'video-to-video/edit'] as const;
export type FalTask = (typeof FAL_TASKS)[number];

/**
 * Which of fal's input fields an endpoint takes, by the field names of fal's endpoint catalog. A field the layout
 * lacks is never sent: the fit check (models.ts, `falFit`) refuses a request that asks for it, at create.
 */
export interface FalInputLayout {
  /** `prompt`: required (a request without one is refused) or optional (multi-shot endpoints take shots instead). */
  prompt: 'required' | 'optional';
  /** The first frame: `image_url` on the older endpoints and O3 I2V, `start_image_url` on v2.6/v3 I2V and O3 R2V. */
  startImage?: 'image_url' | 'start_image_url';
  /** The last frame: `tail_image_url` on the older endpoints, `end_image_url` on v2.6 and later. */
  endImage?: 'tail_image_url' | 'end_image_url';
  referenceImages?: 'input_image_urls' | 'image_urls';
  video?: 'video_url';
  keepOriginalSound?: 'keep_audio';
  /** `aspect_ratio` ("16:9" | "9:16" | "1:1"). */
  aspectRatio?: boolean;
  /** `duration`, a string of whole seconds ("5"). */
  duration?: boolean;
  negativePrompt?: boolean;
  cfgScale?: boolean;
  /** `generate_audio` (fal's default is true where the endpoint has it). */
  audio?: boolean;
  /** `voice_ids` (at most FAL_MAX_VOICE_IDS, referenced in the prompt as <<<voice_1>>>). */
  voiceIds?: boolean;
  /** `multi_prompt` + `shot_type`. */
  multiPrompt?: boolean;
  /** `camera_control` (a preset name) and `advanced_camera_control` ({movement_type, movement_value}). */
  cameraControl?: boolean;
}

/** The fal field names a layout may send: what the catalog check holds against each endpoint's input type. */
export function falFieldsOf(layout: FalInputLayout): string[] {
  const fields = ['prompt'];
  for (const name of [layout.startImage, layout.endImage, layout.referenceImages, layout.video, layout.keepOriginalSound]) {
    if (name) fields.push(name);
  }
  if (layout.aspectRatio) fields.push('aspect_ratio');
  if (layout.duration) fields.push('duration');
  if (layout.negativePrompt) fields.push('negative_prompt');
  if (layout.cfgScale) fields.push('cfg_scale');
  if (layout.audio) fields.push('generate_audio');
  if (layout.voiceIds) fields.push('voice_ids');
  if (layout.multiPrompt) fields.push('multi_prompt', 'shot_type');
  if (layout.cameraControl) fields.push('camera_control', 'advanced_camera_control');
  return fields;
}

// The layouts of the endpoint families, each as fal's endpoint catalog gives its input type (named after it).
/** `KlingVideoV15ProTextToVideoInput` (v1.5 pro, v1.6, v2 master, v2.1 master, v2.5-turbo pro text-to-video). */
export const T2V_CLASSIC: FalInputLayout = { prompt: 'required', aspectRatio: true, duration: true, negativePrompt: true, cfgScale: true };
/** `KlingVideoV1StandardTextToVideoInput`: the classic input plus camera control. */
export const T2V_V1: FalInputLayout = { ...T2V_CLASSIC, cameraControl: true };
/** `KlingVideoV2MasterImageToVideoInput` (v1.6 standard, v2 master, v2.1 master and standard, v2.5-turbo standard). */
export const I2V_CLASSIC: FalInputLayout = {
  prompt: 'required',
  startImage: 'image_url',
  duration: true,
  negativePrompt: true,
  cfgScale: true,
};
/** `KlingVideoV25TurboProImageToVideoInput`, and v1 standard image-to-video: the classic input plus a tail frame. */
export const I2V_CLASSIC_TAIL: FalInputLayout = { ...I2V_CLASSIC, endImage: 'tail_image_url' };
/**
 * `KlingVideoV15ProImageToVideoInput` / `KlingVideoV16ProImageToVideoInput`: a tail frame and an aspect ratio (plus
 * masks, which klingflow does not send).
 */
export const I2V_PRO_TAIL: FalInputLayout = { ...I2V_CLASSIC_TAIL, aspectRatio: true };
/** `KlingVideoV16ProElementsInput` (v1.6 standard and pro elements; "Supports up to 4 images"). */
export const ELEMENTS_V16: FalInputLayout = {
  prompt: 'required',
  referenceImages: 'input_image_urls',
  aspectRatio: true,
  duration: true,
  negativePrompt: true,
};
/** `KlingVideoV26ProTextToVideoInput`: the classic input plus `generate_audio`. */
export const T2V_V26: FalInputLayout = { ...T2V_CLASSIC, audio: true };
/** `KlingVideoV26ProImageToVideoInput`: the only Kling endpoint whose input lists `voice_ids`; no `cfg_scale`. */
export const I2V_V26: FalInputLayout = {
  prompt: 'required',
  startImage: 'start_image_url',
  endImage: 'end_image_url',
  duration: true,
  negativePrompt: true,
  audio: true,
  voiceIds: true,
};
/** `KlingVideoV3ProTextToVideoInput` (v3 standard and pro). */
export const T2V_V3: FalInputLayout = { ...T2V_CLASSIC, prompt: 'optional', audio: true, multiPrompt: true };
/** `KlingVideoV3ProImageToVideoInput` (v3 standard and pro): no `voice_ids` (voices bind to `elements` there). */
export const I2V_V3: FalInputLayout = {
  prompt: 'optional',
  startImage: 'start_image_url',
  endImage: 'end_image_url',
  duration: true,
  negativePrompt: true,
  cfgScale: true,
  audio: true,
  multiPrompt: true,
};
/** `O3ProTextToVideoInput` (O3 standard and pro). */
export const T2V_O3: FalInputLayout = { prompt: 'optional', aspectRatio: true, duration: true, audio: true, multiPrompt: true };
/** `O3ProImageToVideoInput` (O3 standard and pro). */
export const I2V_O3: FalInputLayout = {
  prompt: 'optional',
  startImage: 'image_url',
  endImage: 'end_image_url',
  duration: true,
  audio: true,
  multiPrompt: true,
};
/** `O3ProReferenceVideoI2VInput` (O3 standard and pro reference-to-video). */
export const R2V_O3: FalInputLayout = {
  prompt: 'optional',
  referenceImages: 'image_urls',
  startImage: 'start_image_url',
  endImage: 'end_image_url',
  aspectRatio: true,
  duration: true,
  audio: true,
  multiPrompt: true,
};
/** `O3ProEditVideoV2VInput` (O3 standard and pro video edit): a prompt is required ("Reference video as @Video1"). */
export const EDIT_O3: FalInputLayout = {
  prompt: 'required',
  video: 'video_url',
  referenceImages: 'image_urls',
  keepOriginalSound: 'keep_audio',
};

/**
 * Endpoints klingflow uses that fal's endpoint catalog (as installed) does not list, each with the public page that
 * shows it and the catalog endpoint whose input it takes. The catalog check holds each one's layout against that
 * endpoint's input, and fails if the catalog starts listing it (then it belongs with the others).
 */
export const FAL_ENDPOINTS_BEYOND_CATALOG: readonly { id: string; sameInputAs: string; source: string }[] = [
  {
    id: 'fal-ai/kling-video/v2.1/pro/image-to-video',
    sameInputAs: 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video',
    source: "fal's model page https://fal.ai/models/fal-ai/kling-video/v2.1/pro/image-to-video",
  },
  ...(['text-to-video', 'image-to-video'] as const).map((task) => ({
    id: `fal-ai/kling-video/v3/4k/${task}`,
    sameInputAs: `fal-ai/kling-video/v3/pro/${task}`,
    source: `fal's model page https://fal.ai/models/fal-ai/kling-video/v3/4k/${task}`,
  })),
  ...(['text-to-video', 'image-to-video', 'reference-to-video'] as const).map((task) => ({
    id: `fal-ai/kling-video/o3/4k/${task}`,
    sameInputAs: `fal-ai/kling-video/o3/pro/${task}`,
    source: `fal's model page https://fal.ai/models/fal-ai/kling-video/o3/4k/${task}`,
  })),
];

// ---------------------------------------------------------------------------------------------------------------
// Limits and ranges.

/** `duration` of the v1–v2.6 endpoints (fal's endpoint catalog: `"5" | "10"`). */
export const FAL_CLASSIC_SECONDS: readonly number[] = [5, 10];
/** `duration` of the v3 and O3 endpoints (fal's endpoint catalog: `"3"` … `"15"`). */
export const FAL_V3_SECONDS: readonly number[] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** `multi_prompt[].duration` (fal's endpoint catalog, `KlingV3MultiPromptElement`: `"1"` … `"15"`). */
export const FAL_SHOT_SECONDS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** `aspect_ratio` (fal's endpoint catalog: `"16:9" | "9:16" | "1:1"`). */
export const FAL_ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
/** `voice_ids`: "maximum 2 voices per task" (fal's endpoint catalog, v2.6 pro image-to-video). */
export const FAL_MAX_VOICE_IDS = 2;
/** `input_image_urls` of the v1.6 elements endpoints: "Supports up to 4 images" (fal's endpoint catalog). */
export const FAL_V16_MAX_REFERENCE_IMAGES = 4;
/**
 * `image_urls` of O3 reference-to-video: Kling's omni model takes up to seven images; fal's catalog caps them at four
 * "when using video", which this adapter never sends there.
 */
export const FAL_O3_MAX_REFERENCE_IMAGES = 7;
/** `image_urls` beside an O3 video edit: "Maximum 4 total (elements + reference images) when using video" (catalog). */
export const FAL_O3_EDIT_MAX_REFERENCE_IMAGES = 4;
/** `shot_type` values (fal's endpoint catalog, v3 text-to-video: `"customize" | "intelligent"`). */
export const FAL_SHOT_TYPES = ['customize', 'intelligent'] as const;
/** `camera_control` presets of v1 standard text-to-video (fal's endpoint catalog). */
export const FAL_CAMERA_PRESETS = ['down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;
/** `advanced_camera_control.movement_type` (fal's endpoint catalog, `CameraControl`). */
export const FAL_CAMERA_MOVEMENTS = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Statuses.

/**
 * Queue statuses (fal docs, "Queue": IN_QUEUE, IN_PROGRESS, COMPLETED; 202 while queued or running, 200 when done).
 * FAILED/CANCELED come from a third-party schema (UNCONFIRMED) and are read defensively. A finished request
 * (COMPLETED, or FAILED) has its outcome at the result URL: a failed or cancelled one shows its error there.
 */
export const FAL_QUEUE_STATUSES = {
  IN_QUEUE: 'pending',
  IN_PROGRESS: 'processing',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  CANCELED: 'cancelled',
  CANCELLED: 'cancelled',
} as const satisfies Record<string, CanonicalStatus>;

/** Webhook `status` words (fal docs, "Webhooks"): OK carries the output, ERROR the request's error. */
export const FAL_WEBHOOK_STATUSES = { OK: 'succeeded', ERROR: 'failed' } as const satisfies Record<string, CanonicalStatus>;

/** What a cancel answers in its body (fal docs, "Cancel a request"); the HTTP status of each is UNCONFIRMED. */
export const FAL_CANCEL_ANSWERS = ['OK', 'CANCELLATION_REQUESTED', 'ALREADY_COMPLETED', 'NOT_FOUND'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Errors.

/**
 * Model errors (fal docs, "Model Errors"): a non-2xx body `{detail: [{loc, msg, type, url, ctx?}]}` whose `type`
 * is machine-readable ("Client code should not parse and rely on the msg field"). The types with a meaning of their
 * own; any other type follows the HTTP status.
 */
export const FAL_ERROR_TYPES: Readonly<Record<string, ErrorKind>> = {
  content_policy_violation: 'content_policy',
  internal_server_error: 'server',
  generation_timeout: 'server',
  downstream_service_error: 'server',
  downstream_service_unavailable: 'overloaded',
};

/**
 * Request errors (fal docs, "Request Errors"): infrastructure failures answered as `{detail: "<text>", error_type}`,
 * with the same value in the `X-Fal-Error-Type` header. Each type with its kind (the table's typical status in the
 * comment).
 */
export const FAL_REQUEST_ERROR_TYPES: Readonly<Record<string, ErrorKind>> = {
  request_timeout: 'server', // 504
  startup_timeout: 'server', // 504
  runner_scheduling_failure: 'overloaded', // 503
  runner_connection_timeout: 'server', // 503
  runner_disconnected: 'server', // 503
  runner_connection_refused: 'server', // 503
  runner_connection_error: 'server', // 503
  runner_incomplete_response: 'server', // 502
  runner_server_error: 'server', // 500
  client_disconnected: 'network', // 499
  client_cancelled: 'invalid', // 499: "The request was cancelled by the client" (see FAL_CANCELLED_ERROR_TYPE)
  bad_request: 'invalid', // 400
  internal_error: 'server', // 500
};

/** The request error of a request that was cancelled (fal docs, "Request Errors": `client_cancelled`, 499). */
export const FAL_CANCELLED_ERROR_TYPE = 'client_cancelled';

/** Response headers (fal docs, "Model Errors", "Request Errors"; fal's JS client, `response.ts` and `headers.ts`). */
export const FAL_HEADERS = {
  /** "true" | "false": whether retrying the same request might succeed. */
  retryable: 'x-fal-retryable',
  /** The request error type (`FAL_REQUEST_ERROR_TYPES`). */
  errorType: 'x-fal-error-type',
  /** The request id, on queue answers (the JS client reads it as `requestId`). */
  requestId: 'x-fal-request-id',
  /** `user` when a 504 is the caller's own start timeout (`x-fal-request-timeout`). */
  timeoutType: 'x-fal-request-timeout-type',
} as const;

/**
 * Wording fal's answers carry where no type says it (UNCONFIRMED: from public reports of fal's answers, not from a
 * document): a locked account (no balance left) is a 403 whose text says so, and a concurrency throttle a 429 whose
 * text mentions concurrency.
 */
export const FAL_WORDING = {
  noBalance: /balance|billing|credit|locked|top.?up|payment/i,
  concurrency: /concurren/i,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Webhooks (fal docs, "Webhooks", and the verification recipe independent public implementations agree on).

/** Where fal's webhook-signing public keys are; which host is canonical is UNCONFIRMED (one uses rest.fal.ai). */
export const DEFAULT_FAL_JWKS_URL = 'https://rest.alpha.fal.ai/.well-known/jwks.json';
/** Accepted clock skew of `X-Fal-Webhook-Timestamp`, in seconds. */
export const FAL_WEBHOOK_TOLERANCE_SECONDS = 300;
/** The signed headers, lower-case. */
export const FAL_WEBHOOK_HEADERS = {
  requestId: 'x-fal-webhook-request-id',
  userId: 'x-fal-webhook-user-id',
  timestamp: 'x-fal-webhook-timestamp',
  signature: 'x-fal-webhook-signature',
} as const;
