// Admit: lets a job through to Submit when it holds (or can take) a slot of its provider's pool, or queues it
// and records its queue position (docs/workflow.md, "Admission"). Wiring only: the rules are in jobs/admission.ts.
import { admit } from '../jobs/admission.ts';
import { JobRef, type AdmitOutput } from '../workflow/contract.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('admit', JobRef, async ({ jobId }, log): Promise<AdmitOutput> => {
  const outcome = await admit(admissionDeps(), jobId);
  log.info(outcome.admitted ? 'admitted' : 'waiting for a slot', { ...outcome });
  return outcome;
});
