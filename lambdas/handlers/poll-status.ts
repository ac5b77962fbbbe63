// PollStatus: ask the provider how the task is doing (the fallback when no callback came in time).
import { JobRef, type ProviderResult } from '../workflow/contract.ts';
import { providerFor } from '../aws/runtime/providers.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { requireActiveJob } from '../jobs/active-job.ts';
import { recordProviderResult, toProviderResult } from '../jobs/provider-result.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('poll-status', JobRef, async ({ jobId }, log): Promise<ProviderResult> => {
  const store = jobStore();
  const job = await requireActiveJob(store, jobId);
  if (!job.providerTaskId) throw new Error(`job ${jobId} has no provider task to poll`);
  const { adapter, context } = await providerFor(job.provider);
  const result = toProviderResult(await adapter.status(job.providerTaskId, context), 'poll', job.providerTaskId);
  await recordProviderResult(store, jobId, result);
  log.info('polled', { status: result.status, progress: result.progress });
  return result;
});
