// AwaitResult (a .waitForTaskToken task): store this wait's task token on the job, so the callback handler can wake
// the workflow, and renew the lease of the job's slot (admission control) for as long as the wait lasts. If the
// provider's terminal result was recorded before the token (the callback won the race, or came during a poll), answer
// with it at once. Once the task may have ended (the wait after a safety check: AwaitResult's one retry), ask the
// provider first, so a lost callback is noticed there.
import { JobAlreadyFinished } from '../domain/errors.ts';
import { expectedLatency } from '../domain/wait-schedule.ts';
import { ProviderResult, AwaitPayload } from '../workflow/contract.ts';
import { renewLease } from '../jobs/admission.ts';
import { safetyPoll } from '../jobs/safety-poll.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { providerFor } from '../aws/runtime/providers.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { failWorkflowWait, resumeWorkflowWait } from '../aws/runtime/workflow.ts';
import { config } from '../aws/env.ts';
import { emitJobMetric } from '../aws/metrics.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('await-result', AwaitPayload, async ({ jobId, taskToken, waitSeconds }, log) => {
  const store = jobStore();
  const job = await store.updateActive(jobId, { taskToken });
  if (!job) {
    await failWorkflowWait(taskToken, new JobAlreadyFinished().name, `job ${jobId} ended while the workflow was waiting`);
    return { waiting: false };
  }
  // The job's slot (admission control) is held while its task runs: the lease outlasts this wait.
  const lease = await renewLease(admissionDeps(), job, waitSeconds ?? 0).catch((error: Error) => {
    log.warn('slot lease not renewed', { error: error.message });
    return undefined;
  });
  if (lease === 'lost') log.warn('the job no longer holds its slot (its lease ran out); the pool runs one task over');
  let recorded = ProviderResult.safeParse(job.providerResult);
  const elapsedSeconds = (Date.now() - Date.parse(job.submittedAt ?? job.createdAt)) / 1000 / config.waitTimeScale();
  if (!recorded.success && job.providerTaskId && elapsedSeconds >= expectedLatency(job.request).low) {
    // The safety check: no callback yet, though the task may have ended.
    const { adapter, context } = await providerFor(job.provider);
    emitJobMetric('Polls', 1);
    const result = await safetyPoll({ store, adapter, context }, { jobId, providerTaskId: job.providerTaskId }).catch((error: Error) => {
      log.warn('safety poll failed; waiting for the callback', { error: error.message });
      return undefined;
    });
    log.info('safety poll', { ended: result !== undefined, ...(result ? { status: result.status } : {}) });
    if (result) recorded = { success: true, data: result };
  }
  if (recorded.success) {
    log.info('result was recorded before the wait; resuming at once', { status: recorded.data.status });
    await resumeWorkflowWait(taskToken, recorded.data);
  }
  return { waiting: true };
});
