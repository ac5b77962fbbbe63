// AwaitSlot (a .waitForTaskToken task): the job waits for a slot. Its task token goes on the job (a cancel wakes it)
// and on its queue entry (the job that frees a slot wakes it); if a slot is already its, the wait ends at once.
import { awaitSlot } from '../jobs/admission.ts';
import { SlotWaitPayload } from '../workflow/contract.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('await-slot', SlotWaitPayload, async ({ jobId, taskToken }, log) => {
  const outcome = await awaitSlot(admissionDeps(), jobId, taskToken);
  log.info(outcome.admitted ? 'a slot is ours; resuming at once' : 'waiting to be handed a slot', { ...outcome });
  return { waiting: !outcome.admitted };
});
