// The canonical error taxonomy (docs/architecture.md, "Error taxonomy"). Every adapter maps its provider's
// failures onto these kinds.
// The error `name` is what Step Functions matches in Retry/Catch (a Node.js Lambda reports `error.name` as
// its errorType), so the workflow construct imports the same names from here.

export const ERROR_KINDS = [
  'invalid',
  'auth',
  'insufficient_credits',
  'content_policy',
  'rate_limited',
  'concurrency_limited',
  'overloaded',
  'server',
  'network',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['rate_limited', 'concurrency_limited', 'overloaded', 'server', 'network']);
export const isRetryableKind = (kind: ErrorKind): boolean => RETRYABLE.has(kind);

/** The Step Functions error name of each kind. */
export const ERROR_NAMES = {
  invalid: 'ProviderInvalidRequest',
  auth: 'ProviderAuthFailed',
  insufficient_credits: 'ProviderInsufficientCredits',
  content_policy: 'ProviderContentPolicy',
  rate_limited: 'ProviderRateLimited',
  concurrency_limited: 'ProviderConcurrencyLimited',
  overloaded: 'ProviderOverloaded',
  server: 'ProviderServerError',
  network: 'ProviderNetworkError',
} as const satisfies Record<ErrorKind, string>;

/** The job's `error.code` for each kind. */
export const errorCodeOf = (kind: ErrorKind): string => kind.toUpperCase();

export interface ProviderErrorDetails {
  /** The provider's own code (Kling business code, HTTP status, body code...). */
  providerCode?: string | number;
  httpStatus?: number;
  /** Seconds the provider asked us to wait (Retry-After and the like). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** A failure talking to a provider, already classified. */
export class ProviderError extends Error {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly providerCode?: string | number;
  readonly httpStatus?: number;
  readonly retryAfterSeconds?: number;

  constructor(kind: ErrorKind, message: string, details: ProviderErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = ERROR_NAMES[kind];
    this.kind = kind;
    this.retryable = isRetryableKind(kind);
    this.providerCode = details.providerCode;
    this.httpStatus = details.httpStatus;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** Step Functions error names of the retryable kinds, for the workflow's Retry rules. */
export const RETRYABLE_ERROR_NAMES = {
  concurrency: [ERROR_NAMES.concurrency_limited],
  transient: [ERROR_NAMES.rate_limited, ERROR_NAMES.overloaded, ERROR_NAMES.server, ERROR_NAMES.network],
} as const;

/** A request that does not fit the chosen provider and model (answered with 422 before anything is written). */
export class ValidationFailed extends Error {
  override readonly name = 'ValidationFailed';
  constructor(readonly details: { path: string; message: string }[]) {
    super(details.map((d) => `${d.path}: ${d.message}`).join('; '));
  }
}

/**
 * The job ended (cancelled) while its workflow was still running: the step stops, and the workflow's failure
 * path sends the notice and webhook (MarkFailed leaves the job's outcome as it is).
 */
export class JobAlreadyFinished extends Error {
  override readonly name = 'JobAlreadyFinished';
}

/**
 * A job waited for a slot of its provider (admission control) longer than the deployment allows; it ends FAILED
 * with QUEUE_TIMEOUT, never having been sent.
 */
export class QueueWaitExpired extends Error {
  override readonly name = 'QueueWaitExpired';
}

/** A provider callback whose signature (or per-job secret) did not verify. */
export class CallbackRejected extends Error {
  override readonly name = 'CallbackRejected';
}
