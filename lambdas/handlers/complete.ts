// Complete: the one write that makes a job SUCCEEDED, with its outputs and the provider's reported cost.
import { CompletePayload } from '../domain/workflow.ts';
import { dynamo } from '../shared/aws-clients.ts';
import { config } from '../shared/config.ts';
import { JobStore } from '../shared/job-store.ts';
import { taskHandler } from '../shared/task.ts';

export const handler = taskHandler('complete', CompletePayload, async ({ jobId, outputs, result }, log) => {
  const store = new JobStore(dynamo(), config.jobsTable());
  const reported = result.cost && (result.cost.credits !== undefined || result.cost.usd !== undefined);
  const job = await store.finish(jobId, 'SUCCEEDED', {
    outputs,
    progress: 100,
    ...(reported ? { cost: { ...result.cost, estimated: false } } : {}),
  });
  log.info(job ? 'job succeeded' : 'job had already ended; outcome unchanged');
  return { completed: Boolean(job) };
});
