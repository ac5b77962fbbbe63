// MarkFailed: the one write that ends a job that did not succeed (FAILED, CANCELLED or TIMED_OUT).
import { failureOf } from '../domain/failure.ts';
import { FailurePayload } from '../domain/workflow.ts';
import { dynamo } from '../shared/aws-clients.ts';
import { config } from '../shared/config.ts';
import { JobStore } from '../shared/job-store.ts';
import { taskHandler } from '../shared/task.ts';

export const handler = taskHandler('mark-failed', FailurePayload, async (payload, log) => {
  const { status, error } = failureOf(payload);
  const job = await new JobStore(dynamo(), config.jobsTable()).finish(payload.jobId, status, { error });
  log.info(job ? 'job ended' : 'job had already ended; outcome unchanged', { status, code: error.code });
  return { status };
});
