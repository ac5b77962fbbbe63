// PollStatus: ask the provider how the task is doing (polled providers, and the safety check of callback ones),
// renew the lease of the job's slot (admission control), and plan the next check (jobs/next-check.ts) from the job,
// the provider's hints and how progress moved since the last poll.
import { PollPayload, type ProviderResult } from '../workflow/contract.ts';
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

export const handler = taskHandler('poll-status', PollPayload, async ({ jobId, waitedSeconds }, log): Promise<ProviderResult> => {
  const store = jobStore();
  const job = await requireActiveJob(store, jobId);
  if (!job.providerTaskId) throw new Error(`job ${jobId} has no provider task to poll`);
  const { adapter, context } = await providerFor(job.provider);
  emitJobMetric('Polls', 1);
  const status = await adapter.status(job.providerTaskId, context);
  const result = toProviderResult(status, 'poll', job.providerTaskId);
  await recordProviderResult(store, jobId, result);
  if (isTerminalResult(result.status)) {
    log.info('polled', { status: result.status });
    return result;
  }
  // A polled job waits in a Wait state, not in AwaitResult: each poll renews its slot's lease (every wait is at most
  // half a lease long).
  const lease = await renewLease(admissionDeps(), job).catch((error: Error) => {
    log.warn('slot lease not renewed', { error: error.message });
    return undefined;
  });
  if (lease === 'lost') log.warn('the job no longer holds its slot (its lease ran out); the pool runs one task over');
  const next = planNextCheck(job, adapter.capabilities.callbacks, checkPlanSettings(), new Date(), {
    ...(result.progress !== undefined ? { progress: result.progress } : {}),
    ...(job.progress !== undefined ? { previousProgress: job.progress } : {}),
    ...(status.etaSeconds !== undefined ? { etaSeconds: status.etaSeconds } : {}),
    ...(status.queuePosition !== undefined ? { queuePosition: status.queuePosition } : {}),
    ...(waitedSeconds !== undefined ? { previousWaitSeconds: waitedSeconds } : {}),
  });
  log.info('polled', { status: result.status, progress: result.progress, next });
  return { ...result, next };
});
