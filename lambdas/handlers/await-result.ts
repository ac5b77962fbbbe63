// AwaitResult (a .waitForTaskToken task): store this round's task token on the job, so the callback handler
// can wake the workflow, and renew the lease of the job's slot (admission control). If the provider's terminal
// result was recorded before the token (the callback won the race, or came during a poll), answer with it at once.
import { JobAlreadyFinished } from '../domain/errors.ts';
import { ProviderResult, AwaitPayload } from '../workflow/contract.ts';
import { renewLease } from '../jobs/admission.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { failWorkflowWait, resumeWorkflowWait } from '../aws/runtime/workflow.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('await-result', AwaitPayload, async ({ jobId, taskToken }, log) => {
  const job = await jobStore().updateActive(jobId, { taskToken });
  if (!job) {
    await failWorkflowWait(taskToken, new JobAlreadyFinished().name, `job ${jobId} ended while the workflow was waiting`);
    return { waiting: false };
  }
  // The job's slot (admission control) is held while its task runs: one renewal per round keeps the lease alive.
  const lease = await renewLease(admissionDeps(), job).catch((error: Error) => {
    log.warn('slot lease not renewed', { error: error.message });
    return undefined;
  });
  if (lease === 'lost') log.warn('the job no longer holds its slot (its lease ran out); the pool runs one task over');
  const recorded = ProviderResult.safeParse(job.providerResult);
  if (recorded.success) {
    log.info('result was recorded before the wait; resuming at once', { status: recorded.data.status });
    await resumeWorkflowWait(taskToken, recorded.data);
  }
  return { waiting: true };
});
