// Submit: send the job to its provider once. The job id is the provider's external task id, so a retried
// Submit (Step Functions Retry after a timeout, say) finds the task instead of creating a second one.
import { CALLBACK_TOKEN_PARAM, callbackToken } from '../domain/callback-token.ts';
import { JobRef, type SubmitOutput } from '../workflow/contract.ts';
import { requireActiveJob } from '../jobs/active-job.ts';
import { mediaForProvider } from '../aws/s3-media.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { providerFor } from '../aws/runtime/providers.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { callbackSecret } from '../aws/secrets.ts';
import { taskHandler } from '../aws/task-handler.ts';

async function callbackUrlOf(auth: 'signature' | 'url-token', providerId: string, jobId: string): Promise<string> {
  const url = new URL(`${config.publicUrl()}/v1/callbacks/${encodeURIComponent(providerId)}/${encodeURIComponent(jobId)}`);
  if (auth === 'url-token') url.searchParams.set(CALLBACK_TOKEN_PARAM, callbackToken(await callbackSecret(), providerId, jobId));
  return url.toString();
}

export const handler = taskHandler('submit', JobRef, async ({ jobId }, log): Promise<SubmitOutput> => {
  const store = jobStore();
  const job = await requireActiveJob(store, jobId);
  if (job.providerTaskId) return { providerTaskId: job.providerTaskId };

  const { adapter, context } = await providerFor(job.provider);
  await store.updateActive(jobId, {}, { incrementAttempts: true });
  const callbackUrl = adapter.capabilities.callbacks
    ? await callbackUrlOf(adapter.capabilities.callbackAuth, job.provider, jobId)
    : undefined;
  const media = await mediaForProvider(s3(), config.inputsBucket, job.request, adapter.capabilities.imageInput?.transport ?? 'url');
  const { providerTaskId } = await adapter.submit({ jobId, mode: job.mode, request: job.request, callbackUrl, media }, context);
  await store.updateActive(jobId, { status: 'SUBMITTED', providerTaskId, submittedAt: new Date().toISOString() });
  log.info('submitted', { provider: job.provider, providerTaskId });
  return { providerTaskId };
});
