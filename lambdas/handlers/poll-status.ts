// PollStatus: ask the provider how the task is doing (polled providers, and the deadline check of callback ones),
// count the check, renew the lease of the job's slot (admission control), and plan the next check
// (jobs/next-check.ts) from the job, the provider's hints and how progress moved since the last poll. While the
// completion is near (the schedule's `near`), it polls again itself every few seconds, within one invocation of at most
// NEAR_POLLING_SECONDS of provider time: those polls cost Lambda time (cheaper than the three transitions of a round of
// the workflow) and bring the notice within seconds of the completion.
import { setTimeout as sleep } from 'node:timers/promises';
import { PollPayload, type PollOutput, type ProviderResult } from '../workflow/contract.ts';
import { renewLease } from '../jobs/admission.ts';
import { planNextCheck } from '../jobs/next-check.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { providerFor } from '../aws/runtime/providers.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { checkPlanSettings } from '../aws/runtime/workflow.ts';
import { requireActiveJob } from '../jobs/active-job.ts';
import { isTerminalResult, recordProviderResult, toProviderResult } from '../jobs/provider-result.ts';
import { emitJobMetric } from '../aws/metrics.ts';
import { taskHandler } from '../aws/task-handler.ts';

/**
 * Longest time (provider seconds; on AWS, where the time scale is 1, real seconds) one PollStatus spends polling a task
 * whose completion is near: a 5 s 720p job's whole near window (60–135 s) in one invocation, within its Lambda's
 * timeout (lib/functions.ts, 90 s). Past it, the invocation ends with the plan and the workflow waits. In provider
 * time, so a local stack at 1/30 makes the same rounds as AWS.
 */
export const NEAR_POLLING_SECONDS = 80;

export const handler = taskHandler('poll-status', PollPayload, async ({ jobId, polls }, log): Promise<PollOutput> => {
  const store = jobStore();
  let job = await requireActiveJob(store, jobId);
  if (!job.providerTaskId) throw new Error(`job ${jobId} has no provider task to poll`);
  const providerTaskId = job.providerTaskId;
  const { adapter, context } = await providerFor(job.provider);
  const callbacks = adapter.capabilities.callbacks;
  const settings = checkPlanSettings();
  const budgetMs = NEAR_POLLING_SECONDS * 1000 * Math.min(1, settings.timeScale);
  const started = Date.now();
  let recorded: Pick<ProviderResult, 'status' | 'progress'> | undefined;
  let requests = 0;
  for (;;) {
    emitJobMetric('Polls', 1);
    requests += 1;
    const status = await adapter.status(providerTaskId, context);
    const result = toProviderResult(status, 'poll', providerTaskId);
    const now = new Date();
    if (isTerminalResult(result.status)) {
      await recordProviderResult(store, jobId, result);
      log.info('polled', { status: result.status, requests });
      return { polls: polls + 1, seconds: 1, at: now.toISOString(), callbacks, deadlinePassed: false, result };
    }
    // Progress moves the job to PROCESSING: written when it changes, not at every near poll.
    if (recorded?.status !== result.status || recorded?.progress !== result.progress) {
      job = (await recordProviderResult(store, jobId, result)) ?? job;
      recorded = result;
    }
    const { waitMs, near, ...plan } = planNextCheck(job, callbacks, settings, now, {
      ...(result.progress !== undefined ? { progress: result.progress } : {}),
      ...(status.etaSeconds !== undefined ? { etaSeconds: status.etaSeconds } : {}),
      ...(status.queuePosition !== undefined ? { queuePosition: status.queuePosition } : {}),
    });
    if (near && !plan.deadlinePassed && now.getTime() - started + waitMs <= budgetMs) {
      await sleep(waitMs);
      continue;
    }
    // A polled job waits in a Wait state, not in AwaitResult: each PollStatus renews its slot's lease (every wait
    // between polls is at most half a lease long).
    const lease = await renewLease(admissionDeps(), job).catch((error: Error) => {
      log.warn('slot lease not renewed', { error: error.message });
      return undefined;
    });
    if (lease === 'lost') log.warn('the job no longer holds its slot (its lease ran out); the pool runs one task over');
    log.info('polled', { status: result.status, progress: result.progress, requests, next: plan });
    return { polls: polls + 1, ...plan, result };
  }
});
