// The one interface every provider adapter implements (DESIGN.md §2). Adapters are pure HTTP clients: they take
// their base URL, credentials and `fetch` from the context, so the simulator or any compatible reseller can stand in.
import type { Cost, JobError, Mode, ResolvedRequest } from '../domain/job.ts';

/** Canonical task statuses every provider's statuses map onto. */
export type CanonicalStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_PROVIDER_STATUSES: readonly CanonicalStatus[] = ['succeeded', 'failed', 'cancelled'];

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

/**
 * What a provider with no callbacks and no cancel call declares: the workflow polls it. (`callbackAuth` is moot
 * then; `url-token` because nothing would be signed.)
 */
export const POLLED_ONLY = { callbacks: false, callbackAuth: 'url-token', cancel: false } as const satisfies Pick<
  ProviderCapabilities,
  'callbacks' | 'callbackAuth' | 'cancel'
>;

export interface ProviderCredentials {
  apiKey?: string;
  accessKey?: string;
  secretKey?: string;
  /** Secret the provider signs its callbacks with (Standard Webhooks `whsec_...`). */
  webhookSecret?: string;
}

export interface AdapterContext {
  baseUrl: string;
  credentials: ProviderCredentials;
  /**
   * Provider-specific, non-secret settings: `KLINGFLOW_<ID>_<NAME>` in the environment becomes `settings.<NAME>`
   * (e.g. KLINGFLOW_FAL_JWKS_URL → settings.JWKS_URL). Each adapter documents the names it reads and defaults.
   */
  settings: Readonly<Record<string, string>>;
  fetch: typeof fetch;
  /** Milliseconds before a provider request is abandoned (a `network` error). */
  timeoutMs: number;
  now: () => Date;
}

export interface SubmitRequest {
  jobId: string;
  mode: Mode;
  request: ResolvedRequest;
  /** Where the provider should POST its status callbacks for this job. */
  callbackUrl?: string;
  /** Input media already turned into what the provider accepts (URL or bare base64), by field. */
  media?: { image?: string; endImage?: string; referenceImages?: string[]; video?: string };
}

export interface SubmitResult {
  providerTaskId: string;
}

/** The provider's view of a task, in canonical terms. */
export interface ProviderStatus {
  providerTaskId: string;
  status: CanonicalStatus;
  progress?: number;
  videoUrl?: string;
  thumbnailUrl?: string;
  /** Set when `status` is `failed` or `cancelled`: the provider's reason, classified. */
  error?: JobError;
  /** The provider's reported cost (replaces the estimate). */
  cost?: Omit<Cost, 'estimated'>;
}

/** An incoming callback as the HTTP handler received it. Header names are lower-case. */
export interface CallbackRequest {
  headers: Record<string, string | undefined>;
  /** Query parameters of the callback URL (the per-job token was already checked and removed). */
  query: Record<string, string | undefined>;
  rawBody: string;
  /** The job the callback URL names. */
  jobId: string;
}

export interface ProviderAdapter {
  readonly id: string;
  readonly capabilities: ProviderCapabilities;
  submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult>;
  status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus>;
  /** Verifies the callback's signature and parses it. Throws `CallbackRejected` when it does not verify. */
  parseCallback(callback: CallbackRequest, ctx: AdapterContext): Promise<ProviderStatus>;
  cancel?(providerTaskId: string, ctx: AdapterContext): Promise<void>;
  estimateCost(request: ResolvedRequest, mode: Mode): Omit<Cost, 'estimated'> | undefined;
}
