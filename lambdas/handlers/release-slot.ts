// ReleaseSlot / ReleaseSlotAfterFailure: the provider's task has ended (or the job failed), so the job's slot goes
// to the oldest waiting job, whose wait is woken, and the job leaves the queue if it was still in it.
import { releaseSlot } from '../jobs/admission.ts';
import { JobRef } from '../workflow/contract.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('release-slot', JobRef, async ({ jobId }, log) => {
  const outcome = await releaseSlot(admissionDeps(), jobId);
  if (outcome.released || outcome.granted.length) log.info('slot released', outcome);
  return outcome;
});
