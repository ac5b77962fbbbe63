// The one interface every provider adapter implements (DESIGN.md §2). Adapters are pure HTTP clients: they take
// their base URL, credentials and `fetch` from the context, so the simulator or any compatible reseller can stand in.
import type { ProviderCapabilities } from '../domain/capabilities.ts';
import type { Cost, JobError, Mode, ResolvedRequest } from '../domain/job.ts';

export type { ImageInputPolicy, ModelCapabilities, ProviderCapabilities } from '../domain/capabilities.ts';

/** Canonical task statuses every provider's statuses map onto. */
export type CanonicalStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_PROVIDER_STATUSES: readonly CanonicalStatus[] = ['succeeded', 'failed', 'cancelled'];

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
