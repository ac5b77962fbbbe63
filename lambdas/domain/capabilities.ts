// What a provider and its models allow, in the job model's terms: the capability map that validation checks a
// request against and fills defaults from (docs/api.md, "Create body"). Each provider declares its own in
// lambdas/providers/<id>/; the job model only reads them.
import type { Mode } from './job.ts';

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
}
