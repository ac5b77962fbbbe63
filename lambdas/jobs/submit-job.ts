// Submit (docs/architecture.md, "Never paid twice"): sends a job to its provider once. Before the provider is
// called, an intent is written on the job; the provider's answer replaces it with the task id. A Submit that finds an
// intent without a task id knows an earlier attempt may have reached the provider (its answer was lost, or the run
// died waiting for it): it looks the task up where the provider allows it, and otherwise ends the job
// SUBMIT_UNCERTAIN instead of sending it a second time.
import { JobAlreadyFinished, mayHaveCreatedTask, ProviderError, SubmitInFlight, SubmitUncertain } from '../domain/errors.ts';
import { retryDelaySeconds, SUBMIT_RETRY, type Refusal } from '../domain/retry.ts';
import type { JobRecord } from '../domain/job.ts';
import type { AdapterContext, ProviderAdapter, SubmitRequest } from '../providers/port.ts';
import { requireActiveJob } from './active-job.ts';
import type { JobRepository, SpendGuard } from './ports.ts';
import { checkBalance, recordSpend, releaseSpend } from './spend.ts';

/**
 * Seconds after which an unanswered submission has certainly ended, on AWS: the submit Lambda's timeout (30 s,
 * lib/functions.ts) and the workflow's margin over it (10 s). A younger intent may belong to an attempt still waiting
 * for its answer. (The local stack runs handlers in-process, where the provider timeout bounds an attempt instead.)
 */
export const SUBMIT_SETTLE_SECONDS = 40;

/** What submitting a job needs. */
export interface SubmitJobDeps {
  store: JobRepository;
  /** The adapter of the job's provider, with its context. */
  providerOf(providerId: string): Promise<{ adapter: ProviderAdapter; context: AdapterContext }>;
  /** What the submission carries besides the request: the callback URL (if the provider calls back) and the media. */
  prepare(job: JobRecord, adapter: ProviderAdapter): Promise<Pick<SubmitRequest, 'callbackUrl' | 'media'>>;
  now: () => Date;
  /** A new unique id (for the intent). */
  newId: () => string;
  /** Seconds after which an unanswered submission has certainly ended (default SUBMIT_SETTLE_SECONDS). */
  settleSeconds?: number;
  /** The spend guard: the job's estimate is counted (atomically, never past a cap) before it is sent. */
  spend?: SpendGuard;
  /** The credits a provider account must keep (low-balance stop), or undefined for none. */
  minBalanceCredits?(providerId: string): number | undefined;
}

/** How the job got its provider task: recorded before, sent now, or found at the provider after a lost answer. */
export type SubmitJobOutcome = { providerTaskId: string; how: 'recorded' | 'sent' | 'found' };

/**
 * Gives job `jobId` its provider task, at most once. Before sending, checks the provider balance (`LowBalance`) and
 * counts the job against the spend caps (`SpendCapReached`). Throws `JobAlreadyFinished` for a job that has ended
 * (also when it ends while its task is being made: the task is then cancelled at the provider, see `recordTask`),
 * `SubmitInFlight` while an earlier submission may still be waiting for its answer, `SubmitUncertain` when an earlier
 * one may have reached a provider whose tasks cannot be looked up (or the look-up finds several), and whatever the
 * adapter throws (a `ProviderError`: the intent is cleared when the provider refused, kept when the outcome is unknown).
 */
export async function submitJob(deps: SubmitJobDeps, jobId: string): Promise<SubmitJobOutcome> {
  const job = await requireActiveJob(deps.store, jobId);
  if (job.providerTaskId) return { providerTaskId: job.providerTaskId, how: 'recorded' };
  const { adapter, context } = await deps.providerOf(job.provider);
  const input: SubmitRequest = { jobId, mode: job.mode, request: job.request, ...(await deps.prepare(job, adapter)) };

  const previous = job.submitIntent;
  if (previous) {
    const found = await lookUp(deps, job, previous, adapter, input, context);
    if (found) {
      await recordTask(deps, job, found, adapter, context);
      return { providerTaskId: found, how: 'found' };
    }
  }

  // About to send: the account must hold enough, and the job must fit under the spend caps (counted once).
  await checkBalance(adapter, context, deps.minBalanceCredits?.(job.provider), job);
  if (deps.spend) await recordSpend(deps.spend, deps.store, job, deps.now());

  const intent = { id: deps.newId(), at: deps.now().toISOString() };
  if (!(await deps.store.beginSubmit(jobId, intent, previous?.id))) {
    // Another submission of this job got there first (two runs of one job): take its task, or wait for its answer.
    const current = await requireActiveJob(deps.store, jobId);
    if (current.providerTaskId) return { providerTaskId: current.providerTaskId, how: 'recorded' };
    throw new SubmitInFlight(
      `another submission of job ${jobId} to ${job.provider} began at ${current.submitIntent?.at ?? 'the same time'}`,
      deps.settleSeconds ?? SUBMIT_SETTLE_SECONDS,
    );
  }
  let providerTaskId: string;
  try {
    ({ providerTaskId } = await adapter.submit(input, context));
  } catch (error) {
    // A refusal made no task: the next attempt may send again. Anything else may have made one: the intent stays.
    if (!mayHaveCreatedTask(error)) {
      await deps.store.updateActive(jobId, { submitIntent: undefined });
      // A final refusal made no task and costs nothing: give the counted estimate back.
      if (deps.spend && !(error instanceof ProviderError && error.retryable)) await releaseSpend(deps.spend, deps.store, jobId);
    }
    throw error;
  }
  await recordTask(deps, job, providerTaskId, adapter, context);
  return { providerTaskId, how: 'sent' };
}

/**
 * After an earlier submission whose outcome is unknown: the task it made, or undefined when it made none (so the job
 * may be sent). Throws when that cannot be known (yet).
 */
async function lookUp(
  deps: SubmitJobDeps,
  job: JobRecord,
  previous: { at: string },
  adapter: ProviderAdapter,
  input: SubmitRequest,
  context: AdapterContext,
): Promise<string | undefined> {
  const ageSeconds = (deps.now().getTime() - Date.parse(previous.at)) / 1000;
  const settleSeconds = deps.settleSeconds ?? SUBMIT_SETTLE_SECONDS;
  if (ageSeconds < settleSeconds) {
    throw new SubmitInFlight(
      `a submission of job ${job.jobId} to ${job.provider} was sent at ${previous.at}; its answer may still come`,
      Math.ceil(settleSeconds - ageSeconds),
    );
  }
  if (!adapter.findSubmitted) {
    throw new SubmitUncertain(
      `${job.provider} may have accepted this job at ${previous.at}, but its answer never arrived and ${job.provider} ` +
        'offers no way to look tasks up, so it was not sent again (check the provider account before sending it again)',
    );
  }
  const found = await adapter.findSubmitted(input, new Date(previous.at), context);
  if (found.length > 1) {
    throw new SubmitUncertain(
      `${job.provider} may have accepted this job at ${previous.at}; looking it up found ${found.length} tasks ` +
        `(${found.map((task) => task.providerTaskId).join(', ')}) that cannot be told apart, so none was taken and it was not sent again`,
    );
  }
  return found[0]?.providerTaskId;
}

/**
 * Records the job's provider task. A job that ended while the task was being made (a cancel between the intent and
 * the provider's answer) has nobody left to wait for that task: it is cancelled at the provider where the provider
 * allows it, so it neither runs on nor costs more, and `JobAlreadyFinished` is thrown (the workflow's way out for a
 * job that has ended). The task id and what became of it are in the error's message, for the logs.
 */
async function recordTask(
  deps: SubmitJobDeps,
  job: JobRecord,
  providerTaskId: string,
  adapter: ProviderAdapter,
  context: AdapterContext,
): Promise<void> {
  const recorded = await deps.store.updateActive(job.jobId, {
    status: 'SUBMITTED',
    providerTaskId,
    submittedAt: deps.now().toISOString(),
    submitIntent: undefined,
    queuePosition: undefined,
  });
  if (recorded) return;
  const ended = await deps.store.require(job.jobId);
  const outcome = await cancelOrphan(adapter, context, providerTaskId);
  throw new JobAlreadyFinished(
    `job ${job.jobId} ended (${ended.status}) while ${job.provider} was making its task ${providerTaskId}; the task ${outcome}`,
  );
}

/** Cancels a task no job waits for; says what happened, for the logs (a failed cancel is reported, not thrown). */
async function cancelOrphan(adapter: ProviderAdapter, context: AdapterContext, providerTaskId: string): Promise<string> {
  if (!adapter.cancel) return `runs on: ${adapter.id} has no cancel call`;
  try {
    await adapter.cancel(providerTaskId, context);
    return 'was cancelled at the provider';
  } catch (error) {
    return `could not be cancelled at the provider: ${(error as Error).message}`;
  }
}

/** What Submit tells the workflow: the job's task, or when to try again (the Wait before the next attempt). */
export type SubmitStep = SubmitJobOutcome | { retryInSeconds: number; reason: string };

/** A failure worth another attempt, as the retry schedule reads it; undefined for one that ends the job. */
function refusalOf(error: unknown): Refusal | undefined {
  if (error instanceof SubmitInFlight) return { kind: 'server', retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof ProviderError && error.retryable) {
    return { kind: error.kind, ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}) };
  }
  return undefined;
}

/** What `submitOrRetry` needs besides `submitJob`'s. */
export interface SubmitRetryDeps extends SubmitJobDeps {
  /** Draws from [0, 1), for the jitter. */
  random: () => number;
  /**
   * Seconds after its creation a job may wait for room at its provider (the deployment's maxQueueSeconds, as for a
   * slot): a refusal for want of capacity (domain/retry.ts, CAPACITY_REFUSALS) is retried until then, not only
   * SUBMIT_RETRY's 8 times. Unset: 8 times.
   */
  maxQueueSeconds?: number;
}

/**
 * `submitJob`, with Submit's retry schedule (domain/retry.ts, SUBMIT_RETRY) applied to what may succeed later: a
 * retryable provider refusal, or an earlier submission still in flight. Such a failure becomes `{retryInSeconds}`,
 * the provider's own hint when it gave one (always with jitter), as long as `retries` (already made) leaves room, or,
 * for a refusal for want of capacity, as long as the job is younger than `maxQueueSeconds`; past that, and for
 * anything else, the error is thrown for the workflow to end the job.
 */
export async function submitOrRetry(deps: SubmitRetryDeps, jobId: string, retries: number): Promise<SubmitStep> {
  try {
    return await submitJob(deps, jobId);
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    const delay = retryDelaySeconds(SUBMIT_RETRY, retries, refusal, deps.random, await capacitySecondsLeft(deps, jobId));
    if (delay === undefined) throw error;
    return { retryInSeconds: delay, reason: (error as Error).message };
  }
}

/** Seconds job `jobId` may still wait for room at its provider, or undefined when there is no such bound. */
async function capacitySecondsLeft(deps: SubmitRetryDeps, jobId: string): Promise<number | undefined> {
  if (deps.maxQueueSeconds === undefined) return undefined;
  const job = await deps.store.get(jobId);
  if (!job) return undefined;
  return deps.maxQueueSeconds - (deps.now().getTime() - Date.parse(job.createdAt)) / 1000;
}
