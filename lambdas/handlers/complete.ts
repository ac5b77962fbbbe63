// Complete: the one write that makes a job SUCCEEDED, with its outputs and the provider's reported cost; the spend
// counters then take the reported charge in place of the estimate counted at Submit.
import { correctSpend } from '../jobs/spend.ts';
import { CompletePayload } from '../workflow/contract.ts';
import { spendGuard } from '../aws/runtime/spend.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { annotate } from '../aws/tracing.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('complete', CompletePayload, async ({ jobId, outputs, result }, log) => {
  const store = jobStore();
  const reported = result.cost && (result.cost.credits !== undefined || result.cost.usd !== undefined);
  const job = await store.finish(jobId, 'SUCCEEDED', {
    outputs,
    progress: 100,
    ...(reported ? { cost: { ...result.cost, estimated: false } } : {}),
  });
  if (job) annotate({ provider: job.provider });
  log.info(job ? 'job succeeded' : 'job had already ended; outcome unchanged');
  if (job && reported && result.cost) {
    const delta = await correctSpend(spendGuard(), job, result.cost);
    if (delta) log.info('spend corrected with the reported charge', { delta });
  }
  return { completed: Boolean(job) };
});
