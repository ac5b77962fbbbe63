// Complete: the one write that makes a job SUCCEEDED, with its outputs and the provider's reported cost.
import { CompletePayload } from '../workflow/contract.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('complete', CompletePayload, async ({ jobId, outputs, result }, log) => {
  const store = jobStore();
  const reported = result.cost && (result.cost.credits !== undefined || result.cost.usd !== undefined);
  const job = await store.finish(jobId, 'SUCCEEDED', {
    outputs,
    progress: 100,
    ...(reported ? { cost: { ...result.cost, estimated: false } } : {}),
  });
  log.info(job ? 'job succeeded' : 'job had already ended; outcome unchanged');
  return { completed: Boolean(job) };
});
