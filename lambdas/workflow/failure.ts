// What a failed workflow means for the job: its terminal status and the error a person reads.
import { ERROR_KINDS, ERROR_NAMES, errorCodeOf, isRetryableKind, type ErrorKind } from '../domain/errors.ts';
import type { JobError, JobStatus } from '../domain/job.ts';
import { causeMessage, POLL_BUDGET_EXHAUSTED, SUBMIT_IN_FLIGHT, type FailurePayload } from './contract.ts';

const KIND_BY_NAME = new Map<string, ErrorKind>(ERROR_KINDS.map((kind) => [ERROR_NAMES[kind], kind]));

export interface Failure {
  status: Extract<JobStatus, 'FAILED' | 'CANCELLED' | 'TIMED_OUT'>;
  error: JobError;
}

/** What the owner of a job ended by an unexpected error named `name` reads; the error's text stays in the logs. */
export const internalMessage = (name: string): string =>
  `an internal error ended the job (${name.replace(/[^\w.:-]/g, '').slice(0, 100)}); creating it again may work`;

/**
 * The terminal status and the error a person reads of a workflow that ended without success: from the error it caught
 * (by name: the provider taxonomy, klingflow's own, or Step Functions'), else from the provider's failed or cancelled
 * result. An unexpected error is `INTERNAL`, its text left out (see {@link internalMessage}).
 */
export function failureOf(payload: FailurePayload): Failure {
  const { error, result } = payload;
  if (error) {
    const message = causeMessage(error);
    if (error.Error === POLL_BUDGET_EXHAUSTED) {
      return { status: 'TIMED_OUT', error: { code: 'TIMED_OUT', message, retryable: true } };
    }
    const kind = KIND_BY_NAME.get(error.Error);
    if (kind) {
      // A retryable kind here means its retries ran out.
      const exhausted = isRetryableKind(kind) ? ' (gave up after retrying)' : '';
      return { status: 'FAILED', error: { code: errorCodeOf(kind), message: `${message}${exhausted}`, retryable: isRetryableKind(kind) } };
    }
    switch (error.Error) {
      case 'ValidationFailed':
        return { status: 'FAILED', error: { code: 'VALIDATION_FAILED', message, retryable: false } };
      case 'ArchiveSourceGone':
        return { status: 'FAILED', error: { code: 'RESULT_UNAVAILABLE', message, retryable: false } };
      case 'SubmitUncertain':
      case SUBMIT_IN_FLIGHT:
        return { status: 'FAILED', error: { code: 'SUBMIT_UNCERTAIN', message, retryable: false } };
      case 'SpendCapReached':
        return { status: 'FAILED', error: { code: 'SPEND_CAP', message, retryable: true } };
      case 'LowBalance':
        return { status: 'FAILED', error: { code: 'LOW_BALANCE', message, retryable: true } };
      case 'QueueWaitExpired':
        return { status: 'FAILED', error: { code: 'QUEUE_TIMEOUT', message, retryable: true } };
      case 'JobAlreadyFinished':
        return { status: 'CANCELLED', error: { code: 'CANCELLED', message, retryable: false } };
      case 'States.Timeout':
        return { status: 'FAILED', error: { code: 'STEP_TIMEOUT', message: 'a workflow step took too long', retryable: true } };
      default:
        // The cause is the operator's (the execution's history, and MarkFailed's log line), not the job owner's: an
        // AWS error's text can name the account, roles and resources. The owner reads what failed and that a retry
        // may work.
        return { status: 'FAILED', error: { code: 'INTERNAL', message: internalMessage(error.Error), retryable: true } };
    }
  }
  if (result?.status === 'cancelled') {
    return {
      status: 'CANCELLED',
      error: result.error ?? { code: 'CANCELLED', message: 'the provider cancelled the task', retryable: false },
    };
  }
  if (result?.status === 'failed') {
    return {
      status: 'FAILED',
      error: result.error ?? { code: 'PROVIDER_FAILED', message: 'the provider reported a failure without a reason', retryable: false },
    };
  }
  return { status: 'FAILED', error: { code: 'INTERNAL', message: 'the workflow failed without an error', retryable: true } };
}
