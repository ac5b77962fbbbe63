// Cancelling a job (DELETE /v1/jobs/{jobId}): one conditional write makes it CANCELLED, the provider is asked to
// stop where it can, and the wait the workflow may be in is woken, so the workflow leaves through its failure path
// and the notice and webhook go out. No execution is stopped from outside: every step first checks that its job is
// still active (active-job.ts).
import { JobAlreadyFinished } from '../domain/errors.ts';
import { isTerminal, type JobRecord, type JobStatus } from '../domain/job.ts';
import type { FailWait, JobRepository } from './ports.ts';

export interface CancelJobDeps {
  store: JobRepository;
  /**
   * Asks the provider to cancel its task. Resolves `false` when the provider has no cancel call (it keeps
   * generating, but the job no longer waits for it); throws when the provider refused or could not be reached.
   */
  cancelProviderTask(providerId: string, providerTaskId: string): Promise<boolean>;
  failWait: FailWait;
}

/** What happened at the provider: nothing to cancel yet, asked, no cancel call, or the call failed (message). */
export type ProviderCancel = 'no-task' | 'requested' | 'unsupported' | { failed: string };

export type CancelJobOutcome =
  | { kind: 'not-found' }
  | { kind: 'already-finished'; status: JobStatus }
  | { kind: 'cancelled'; job: JobRecord; providerCancel: ProviderCancel };

/** The reason a cancelled job carries. */
export const CANCELLED_BY_CALLER = { code: 'CANCELLED', message: 'cancelled by the caller', retryable: false } as const;

/**
 * Cancels job `jobId` unless it has finished; a job `visible` refuses (another caller's) is `not-found`. The provider's cancel is best effort: its failure is reported in
 * the outcome, never undoes the cancellation. Throws only what the store or Step Functions throw.
 */
export async function cancelJob(
  deps: CancelJobDeps,
  jobId: string,
  visible: (job: JobRecord) => boolean = () => true,
): Promise<CancelJobOutcome> {
  const job = await deps.store.get(jobId);
  // A job the caller may not see is answered as one that does not exist, so ids do not leak.
  if (!job || !visible(job)) return { kind: 'not-found' };
  if (isTerminal(job.status)) return { kind: 'already-finished', status: job.status };
  // The token is kept on the cancelled record: a wait may have stored a newer one (and Submit a provider task) since
  // the read above, and the record as written is the one whose wait must end. A wait that stores its token after this
  // write finds the job ended and ends itself.
  const cancelled = await deps.store.finish(jobId, 'CANCELLED', { error: { ...CANCELLED_BY_CALLER } }, { keepTaskToken: true });
  // It finished between the read and the write.
  if (!cancelled) return { kind: 'already-finished', status: (await deps.store.require(jobId)).status };

  const providerCancel = await cancelAtProvider(deps, cancelled);
  if (cancelled.taskToken) await deps.failWait(cancelled.taskToken, new JobAlreadyFinished().name, CANCELLED_BY_CALLER.message);
  return { kind: 'cancelled', job: cancelled, providerCancel };
}

async function cancelAtProvider(deps: CancelJobDeps, job: JobRecord): Promise<ProviderCancel> {
  if (!job.providerTaskId) return 'no-task';
  try {
    return (await deps.cancelProviderTask(job.provider, job.providerTaskId)) ? 'requested' : 'unsupported';
  } catch (error) {
    return { failed: (error as Error).message };
  }
}
