// The safety poll of a callback job: asking its provider once, in case the callback was lost. AwaitResult makes it at
// the start of its second wait; the reconciler makes it for a job whose callback is overdue (domain/wait-schedule.ts,
// callbackOverdue) and wakes the wait with what it finds, so a lost callback is noticed without a transition.
import { isTerminal, type JobRecord } from '../domain/job.ts';
import { callbackOverdue, expectedLatency } from '../domain/wait-schedule.ts';
import type { AdapterContext, ProviderAdapter } from '../providers/port.ts';
import type { ProviderResult } from '../workflow/contract.ts';
import type { JobRepository } from './ports.ts';
import { isTerminalResult, recordProviderResult, toProviderResult } from './provider-result.ts';

/** What a safety poll needs: the store (to record what the provider says) and the job's provider. */
export interface SafetyPollDeps {
  store: Pick<JobRepository, 'updateActive'>;
  adapter: ProviderAdapter;
  context: AdapterContext;
}

/**
 * Asks the provider about `job`'s task once and records what it says (progress, or the terminal result the workflow
 * picks up). Returns the terminal result, or undefined while the task runs. Throws what `adapter.status` throws.
 */
export async function safetyPoll(
  deps: SafetyPollDeps,
  job: Pick<JobRecord, 'jobId'> & { providerTaskId: string },
): Promise<ProviderResult | undefined> {
  const status = await deps.adapter.status(job.providerTaskId, deps.context);
  const result = toProviderResult(status, 'poll', job.providerTaskId);
  await recordProviderResult(deps.store, job.jobId, result);
  return isTerminalResult(result.status) ? result : undefined;
}

/** What the reconciler's look for lost callbacks needs. */
export interface LostCallbackDeps {
  store: Pick<JobRepository, 'updateActive'>;
  /** The adapter of the job's provider, with its context. */
  providerOf(providerId: string): Promise<{ adapter: ProviderAdapter; context: AdapterContext }>;
  /** Wakes the job's wait with the result; `false` when that wait had already ended. */
  resume(taskToken: string, result: ProviderResult): Promise<boolean>;
  now: () => Date;
  /** Real seconds per second of provider time (the local stack's KLINGFLOW_WAIT_TIME_SCALE; 1 on AWS). */
  timeScale: number;
}

/**
 * What a look for a lost callback did: nothing (`skipped`: not a waiting, overdue callback job); or it polled and the
 * task still runs, or it woke the wait (`resumed`), or the wait had already ended (`stale-wait`: the workflow moved on
 * and will find the recorded result); or the poll failed (`poll-failed`: tried again on the next pass).
 */
export type LostCallbackOutcome = 'skipped' | 'running' | 'resumed' | 'stale-wait' | 'poll-failed';

/**
 * For an unfinished callback job waiting for its callback (a stored task token, a task, no recorded result) whose
 * callback is overdue: polls the provider once and, when the task has ended, wakes the wait with the result, as the
 * callback would have. A provider that cannot be loaded or polled is `poll-failed`, not thrown, so one provider's
 * outage does not stop the reconciler's pass; throws what waking the wait throws.
 */
export async function checkLostCallback(deps: LostCallbackDeps, job: JobRecord): Promise<LostCallbackOutcome> {
  const { providerTaskId, taskToken } = job;
  if (isTerminal(job.status) || !providerTaskId || !taskToken || job.providerResult !== undefined) return 'skipped';
  // Not overdue yet: nothing to ask, and no provider to load.
  const elapsed = (deps.now().getTime() - Date.parse(job.submittedAt ?? job.createdAt)) / 1000 / deps.timeScale;
  if (!callbackOverdue(expectedLatency(job.request), elapsed)) return 'skipped';
  let result: ProviderResult | undefined;
  try {
    const { adapter, context } = await deps.providerOf(job.provider);
    if (!adapter.capabilities.callbacks) return 'skipped';
    result = await safetyPoll({ store: deps.store, adapter, context }, { jobId: job.jobId, providerTaskId });
  } catch {
    // A provider that cannot be loaded (no longer enabled, its secret unreadable) or polled fails this job's look only.
    return 'poll-failed';
  }
  if (!result) return 'running';
  return (await deps.resume(taskToken, result)) ? 'resumed' : 'stale-wait';
}
