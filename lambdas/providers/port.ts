// The one interface every provider adapter implements (docs/architecture.md, 'Providers'). Adapters are pure HTTP
// clients: they take their base URL, credentials and `fetch` from the context, so the simulator or any compatible
// reseller can stand in. What all adapters do alike (fitting a request to a model, reading the prepared media, model
// defaults, refusing callbacks a provider never sends) lives once in scaffold.ts; an adapter holds its wire format.
import type { ProviderCapabilities } from '../domain/capabilities.ts';
import type { ErrorKind } from '../domain/errors.ts';
import type { Cost, JobError, Mode, ResolvedRequest } from '../domain/job.ts';

export type { ImageInputPolicy, ModelCapabilities, ProviderCapabilities } from '../domain/capabilities.ts';

/** Canonical task statuses every provider's statuses map onto. */
export type CanonicalStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'cancelled';
/** Every canonical status, in lifecycle order. */
export const CANONICAL_STATUSES: readonly CanonicalStatus[] = ['pending', 'processing', 'succeeded', 'failed', 'cancelled'];
export const TERMINAL_PROVIDER_STATUSES: readonly CanonicalStatus[] = ['succeeded', 'failed', 'cancelled'];

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

/**
 * A request's input media as Submit prepared them (`mediaForProvider` in lambdas/aws/s3-media.ts), one entry per
 * input the request names and none for an input it does not: a `{url}` input is its URL as given; an `{s3Key}` input
 * is a short-lived signed URL, or (images, for a provider whose `imageInput.transport` is `base64`) the bytes as bare
 * base64. `referenceImages` keeps the request's order.
 */
export interface SubmitMedia {
  image?: string;
  endImage?: string;
  referenceImages?: string[];
  video?: string;
}

export interface SubmitRequest {
  jobId: string;
  mode: Mode;
  request: ResolvedRequest;
  /** Where the provider should POST its status callbacks for this job. */
  callbackUrl?: string;
  /** The request's inputs in the form the provider takes; Submit always sends them (empty for a prompt-only job). */
  media: SubmitMedia;
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
  /** Hint for the wait schedule: the provider's estimate of the seconds until the task completes, from now. */
  etaSeconds?: number;
  /** Hint for the wait schedule: the task's place in the provider's queue (1: next to start). */
  queuePosition?: number;
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

/**
 * The words a provider documents, each with what the adapter makes of it. Every registered adapter declares it,
 * built from the very tables its status and error mapping read, and the contract test
 * (test/unit/providers/contract.test.ts) checks it for each: every word lands on a canonical status, every code on a
 * kind of the error taxonomy. (Optional in the type only so a test double need not invent one.)
 */
export interface ProviderVocabulary {
  /**
   * Every task status word the provider documents (and the synonyms the adapter also accepts), spelled as the
   * provider sends it, with the canonical status the adapter reports for it. A word that ends a task reports the
   * outcome it announces; the task's details may still turn it into a failure (a "completed" task whose result is
   * an error, a succeeded one whose output is gone).
   */
  readonly statuses: Readonly<Record<string, CanonicalStatus>>;
  /**
   * Every error code the provider documents, with the error kind (lambdas/domain/errors.ts, ERROR_KINDS) the adapter
   * classifies it as: a business code, a code in the error body, or the HTTP status (as decimal text) where the
   * status is all the provider documents.
   */
  readonly errorCodes: Readonly<Record<string, ErrorKind>>;
}

/**
 * A provider adapter. The optional members are absent when the provider lacks the feature, never stubbed; callers
 * go through scaffold.ts (`parseCallbackOf`, `estimateCostOf`), which give the absent ones their one meaning.
 */
export interface ProviderAdapter {
  /** The provider id (lambdas/providers/ids.ts). */
  readonly id: string;
  readonly capabilities: ProviderCapabilities;
  /** The provider's documented status words and error codes; every registered adapter has one (see above). */
  readonly vocabulary?: ProviderVocabulary;
  /** Creates the provider's task. Throws `ProviderError` (`invalid` for a request its wire format cannot carry). */
  submit(input: SubmitRequest, ctx: AdapterContext): Promise<SubmitResult>;
  status(providerTaskId: string, ctx: AdapterContext): Promise<ProviderStatus>;
  /**
   * Verifies the callback's signature and parses it. Throws `CallbackRejected` when it does not verify. Present
   * exactly when `capabilities.callbacks` is true: a provider that never calls back has none, and
   * `parseCallbackOf` refuses anything arriving for it.
   */
  parseCallback?(callback: CallbackRequest, ctx: AdapterContext): Promise<ProviderStatus>;
  /**
   * The provider's tasks that an earlier `submit(input)` may have created since `since`: after a lost answer or a
   * crash, Submit looks before it sends again, so the job is never paid twice. An empty list means there is none (it is
   * safe to send); one task is the one; more than one cannot be told apart. Present only where the provider lets its
   * tasks be looked up (by a client-chosen id, or by listing them); without it such a job ends SUBMIT_UNCERTAIN.
   */
  findSubmitted?(input: SubmitRequest, since: Date, ctx: AdapterContext): Promise<SubmitResult[]>;
  /** Cancels the provider's task. Present exactly when `capabilities.cancel` is true. */
  cancel?(providerTaskId: string, ctx: AdapterContext): Promise<void>;
  /**
   * The cost of a request before it is sent, from the provider's price table (non-negative credits and/or USD), or
   * undefined where the table has no row for it. Absent when the provider publishes no price table.
   */
  estimateCost?(request: ResolvedRequest, mode: Mode): Omit<Cost, 'estimated'> | undefined;
  /**
   * The account's remaining balance (credits, and/or USD where the provider says), for the spend guard's low-balance
   * stop (jobs/spend.ts). Absent when the provider has no balance call. Throws `ProviderError`.
   */
  accountBalance?(ctx: AdapterContext): Promise<{ credits?: number; usd?: number }>;
}
