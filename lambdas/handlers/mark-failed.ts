// MarkFailed: the one write that ends a job that did not succeed (FAILED, CANCELLED or TIMED_OUT).
import { failureOf } from '../workflow/failure.ts';
import { FailurePayload } from '../workflow/contract.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('mark-failed', FailurePayload, async (payload, log) => {
  const { status, error } = failureOf(payload);
  const job = await jobStore().finish(payload.jobId, status, { error });
  log.info(job ? 'job ended' : 'job had already ended; outcome unchanged', { status, code: error.code });
  return { status };
});
