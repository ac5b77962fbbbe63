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
  /** The request never left: the connection was refused or the host did not resolve (nothing can have arrived). */
  notSent?: boolean;
  cause?: unknown;
}

/** A failure talking to a provider, already classified. */
export class ProviderError extends Error {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly providerCode?: string | number;
  readonly httpStatus?: number;
  readonly retryAfterSeconds?: number;
  readonly notSent?: boolean;

  constructor(kind: ErrorKind, message: string, details: ProviderErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = ERROR_NAMES[kind];
    this.kind = kind;
    this.retryable = isRetryableKind(kind);
    this.providerCode = details.providerCode;
    this.httpStatus = details.httpStatus;
    this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.notSent) this.notSent = true;
  }
}

/**
 * Whether a failed create may still have made a task at the provider, so that sending it again could pay twice:
 * anything but a `ProviderError` (a crash between sending and reading), a network failure other than one where the
 * request never left (a timeout, a reset connection), a gateway's 502/504 (its upstream may have acted), and a `server`
 * error without a status or with a 2xx one (the provider accepted, and its answer could not be read). A provider that
 * answered with its own refusal (any other status, or a refusal code in its body) made nothing.
 */
export function mayHaveCreatedTask(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return true;
  if (error.kind === 'network') return !error.notSent;
  if (error.httpStatus === 502 || error.httpStatus === 504) return true;
  if (error.kind === 'server' && (error.httpStatus === undefined || (error.httpStatus >= 200 && error.httpStatus < 300))) return true;
  return false;
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

/**
 * An earlier submission of the job may have reached its provider (its answer was lost, or the run died while
 * waiting for it), and the provider offers no way to look its tasks up: the job ends FAILED with SUBMIT_UNCERTAIN
 * rather than risk paying twice. The message names the provider and when the submission was sent.
 */
export class SubmitUncertain extends Error {
  override readonly name = 'SubmitUncertain';
}

/**
 * Another submission of the job was sent moments ago and may still be waiting for its answer: the workflow retries
 * Submit after a while (then the earlier attempt has certainly ended, and its outcome can be looked up).
 */
export class SubmitInFlight extends Error {
  override readonly name = 'SubmitInFlight';
  constructor(
    message: string,
    /** Seconds until the earlier attempt has certainly ended. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A provider callback whose signature (or per-job secret) did not verify. */
export class CallbackRejected extends Error {
  override readonly name = 'CallbackRejected';
}

/**
 * Submitting the job would cross a spend cap (domain/spend.ts) that other jobs reached after it was created: the job
 * ends FAILED with SPEND_CAP, never sent. The message names the cap, the period's spend and when the cap resets.
 */
export class SpendCapReached extends Error {
  override readonly name = 'SpendCapReached';
}

/**
 * The provider account's balance is below the reserve the deployment keeps (`MIN_BALANCE_CREDITS`): the job ends
 * FAILED with LOW_BALANCE before the provider would refuse it. The message names the balance and the reserve.
 */
export class LowBalance extends Error {
  override readonly name = 'LowBalance';
}
