// MarkFailed: the one write that ends a job that did not succeed (FAILED, CANCELLED or TIMED_OUT).
import { failureOf } from '../workflow/failure.ts';
import { causeMessage, FailurePayload } from '../workflow/contract.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('mark-failed', FailurePayload, async (payload, log) => {
  const { status, error } = failureOf(payload);
  const job = await jobStore().finish(payload.jobId, status, { error });
  log.info(job ? 'job ended' : 'job had already ended; outcome unchanged', { status, code: error.code });
  // The owner reads only that an internal error ended the job (workflow/failure.ts); its text is the operator's.
  if (error.code === 'INTERNAL' && payload.error) {
    log.error('an internal error ended the job', { errorName: payload.error.Error, cause: causeMessage(payload.error) });
  }
  return { status };
});
