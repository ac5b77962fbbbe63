// What a provider and its models allow, in the job model's terms: the capability map that validation checks a
// request against and fills defaults from (docs/api.md, "Create body"). Each provider declares its own in
// lambdas/providers/<id>/; the job model only reads them. The same map answers "does this request fit" at create
// (422), in the workflow's Validate step and at Submit (the adapter scaffold asks it again before building a body),
// so a request that passes create is never refused by an adapter for a reason the map knows.
import type { Mode, ResolvedRequest } from './job.ts';

/** A field of the create body that does not fit, and why: `path` is dotted (`shots.1.durationSeconds`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A quality tier of the create body (`quality`). */
export type Quality = 'std' | 'pro';

/** The optional features a model takes, which a `ModelLimit` can take away for some modes or qualities. */
export type LimitedFeature = 'cfgScale' | 'audio' | 'cameraControl' | 'endImage' | 'negativePrompt' | 'voice';

/**
 * A narrowing of a model: where `when` holds (every condition given: the request's mode is one of `modes`, its
 * quality one of `qualities`), the features in `without` are not taken, although the model takes them elsewhere.
 * E.g. `{when: {qualities: ['std']}, without: ['audio'], because: 'sound is a pro feature'}`.
 */
export interface ModelLimit {
  when: { modes?: readonly Mode[]; qualities?: readonly Quality[] };
  without: readonly LimitedFeature[];
  /** Why, in the provider's terms (shown in the 422). */
  because: string;
}

/** What a provider's account and models allow. Validation and defaults come from here. */
export interface ModelCapabilities {
  /** Model id as the caller names it (`model` in the create body). */
  id: string;
  modes: Mode[];
  durationsSeconds: number[];
  defaultDurationSeconds: number;
  aspectRatios: ('16:9' | '9:16' | '1:1')[];
  qualities: ('std' | 'pro')[];
  resolutions?: ('720p' | '1080p' | '4k')[];
  cfgScale: boolean;
  audio: boolean;
  cameraControl: boolean;
  endImage: boolean;
  negativePrompt: boolean;
  /** Frame rates a caller may ask for; absent: the model's own, not settable. */
  fps?: number[];
  /** How many reference images the model takes (reference-to-video); absent: none. */
  maxReferenceImages?: number;
  /** Whether the model takes a voice (description or voice ids) for its native audio. */
  voice?: boolean;
  /** Whether a video edit can keep the original sound. */
  keepOriginalSound?: boolean;
  /** How a voice may be given (`voice.description`, `voice.ids`); absent: both. Only read when `voice` is true. */
  voiceForms?: readonly ('description' | 'ids')[];
  /** Modes that need a `prompt` besides text-to-video (which always does); absent: none. */
  promptRequiredIn?: readonly Mode[];
  /** Whether a multi-shot request may carry a `prompt` beside its shots; absent: true. */
  promptWithShots?: boolean;
  /** Whether image-to-video needs a start frame (`image`), an end frame alone being refused; absent: false. */
  startImageRequired?: boolean;
  /** Seconds each shot of a multi-shot request may last (`shots[].durationSeconds`); absent: any whole second. */
  shotDurationsSeconds?: readonly number[];
  /** How many reference images a video edit takes beside its video (`referenceImages` with `video`); absent: none. */
  maxEditReferenceImages?: number;
  /** Longest `prompt`, in characters (after trimming); absent: the create schema's limit. */
  maxPromptChars?: number;
  /** Longest `negativePrompt`, in characters; absent: the create schema's limit. */
  maxNegativePromptChars?: number;
  /** Features the model takes only in some modes or qualities (see `ModelLimit`). */
  limits?: readonly ModelLimit[];
}

/** What input images a provider takes, checked before anything is sent (S3 uploads and {s3Key} inputs). */
export interface ImageInputPolicy {
  /** Formats, as image-size names them: jpg, png, webp. */
  types: ('jpg' | 'png' | 'webp')[];
  maxBytes: number;
  /** Smallest width and height, in pixels. */
  minSide: number;
  /** Allowed width/height range, e.g. 1/2.5 to 2.5. */
  minAspectRatio: number;
  maxAspectRatio: number;
  /** How a stored image reaches the provider: a short-lived signed URL, or the bytes as bare base64. */
  transport: 'url' | 'base64';
}

export interface ProviderCapabilities {
  defaultModel: string;
  /** Input images; absent: the provider's limits are unknown and only the format is checked (jpg, png, webp). */
  imageInput?: ImageInputPolicy;
  models: ModelCapabilities[];
  /** Whether the provider calls us back (otherwise only polling reaches a result). */
  callbacks: boolean;
  /**
   * How its callbacks prove they come from the provider: `signature` (the adapter's parseCallback verifies it),
   * or `url-token` (the provider does not sign: the callback URL carries a per-job token that the callback
   * handler checks before the adapter parses anything).
   */
  callbackAuth: 'signature' | 'url-token';
  cancel: boolean;
  /** Whether input URLs (`{url}` media) must be https; absent: http and https. */
  httpsInputs?: boolean;
  /**
   * The provider's own rules on top of the map, for providers whose limits depend on more than one field at once
   * (fal: each model, tier and task is an endpoint with its own inputs). Called with a request that already fits
   * the map and has its defaults filled in; returns its problems (empty: it fits). Pure: no I/O.
   */
  fit?(request: ResolvedRequest, mode: Mode, model: ModelCapabilities): FieldProblem[];
}
