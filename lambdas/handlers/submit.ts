// Submit: take a slot of the provider's pool first (admission control, jobs/admission.ts: a job that finds none is
// answered `queued` and waits in AwaitSlot), then send the job to its provider once (jobs/submit-job.ts): an intent
// is written before the call, so a retried or re-driven Submit after a lost answer looks the task up instead of
// paying twice. It answers with the plan of the first check (jobs/next-check.ts). Wiring only: the callback URL (with
// its token where the provider does not sign) and the media come from AWS here.
import { randomUUID } from 'node:crypto';
import { CALLBACK_TOKEN_PARAM, callbackToken } from '../domain/callback-token.ts';
import type { JobRecord } from '../domain/job.ts';
import { admit } from '../jobs/admission.ts';
import { planNextCheck } from '../jobs/next-check.ts';
import { submitOrRetry } from '../jobs/submit-job.ts';
import type { ProviderAdapter } from '../providers/port.ts';
import { SubmitPayload, type SubmitOutput } from '../workflow/contract.ts';
import { LowBalance } from '../domain/errors.ts';
import { mediaForProvider } from '../aws/s3-media.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { providerFor } from '../aws/runtime/providers.ts';
import { spendGuard } from '../aws/runtime/spend.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { checkPlanSettings } from '../aws/runtime/workflow.ts';
import { callbackSecret } from '../aws/secrets.ts';
import { emitJobMetric } from '../aws/metrics.ts';
import { taskHandler } from '../aws/task-handler.ts';
import { secondsBetween } from '../domain/metrics.ts';

async function callbackUrlOf(auth: 'signature' | 'url-token', providerId: string, jobId: string): Promise<string> {
  const url = new URL(`${config.publicUrl()}/v1/callbacks/${encodeURIComponent(providerId)}/${encodeURIComponent(jobId)}`);
  if (auth === 'url-token') url.searchParams.set(CALLBACK_TOKEN_PARAM, callbackToken(await callbackSecret(), providerId, jobId));
  return url.toString();
}

async function prepare(job: JobRecord, adapter: ProviderAdapter) {
  const callbackUrl = adapter.capabilities.callbacks
    ? await callbackUrlOf(adapter.capabilities.callbackAuth, job.provider, job.jobId)
    : undefined;
  const media = await mediaForProvider(s3(), config.inputsBucket, job.request, adapter.capabilities.imageInput?.transport ?? 'url');
  return { ...(callbackUrl ? { callbackUrl } : {}), media };
}

export const handler = taskHandler('submit', SubmitPayload, async ({ jobId, retries }, log): Promise<SubmitOutput> => {
  // A slot of the provider's pool first (or its lease renewed: a retried or re-driven Submit already holds one).
  const admission = await admit(admissionDeps(), jobId);
  if (!admission.admitted) {
    log.info('waiting for a slot', { ...admission });
    return { ...admission, queued: true };
  }
  const started = new Date();
  let createdAt: string | undefined;
  let step: Awaited<ReturnType<typeof submitOrRetry>>;
  try {
    step = await submitOrRetry(
      {
        store: jobStore(),
        providerOf: providerFor,
        prepare: (job, adapter) => {
          createdAt = job.createdAt;
          return prepare(job, adapter);
        },
        now: () => new Date(),
        newId: randomUUID,
        random: Math.random,
        settleSeconds: config.submitSettleSeconds(),
        spend: spendGuard(),
        minBalanceCredits: config.minBalanceCredits,
        maxQueueSeconds: config.maxQueueSeconds(),
      },
      jobId,
      retries,
    );
  } catch (error) {
    // The account's balance is below the reserve: the operators' alarm on account errors hears of it (lib/monitoring.ts).
    if (error instanceof LowBalance) emitJobMetric('ProviderErrors', 1, { kind: 'low_balance' });
    throw error;
  }
  if ('retryInSeconds' in step) {
    emitJobMetric('SubmitRetries', 1);
    log.info('submit refused for now; trying again later', { ...step, retries });
    return step;
  }
  if (step.how !== 'recorded') {
    // Time in Submit, and (on the first submission) the time before it: validation and the wait for a slot.
    emitJobMetric('SubmitSeconds', secondsBetween(started, new Date()) ?? 0);
    const waited = secondsBetween(createdAt, started);
    if (waited !== undefined) emitJobMetric('QueueWaitSeconds', waited);
  }
  if (step.how !== 'recorded') log.info(step.how === 'found' ? 'found the task of a lost submission' : 'submitted', step);
  // The first look at the task: near its expected completion (polled), or a safety check after it (callbacks).
  const job = await jobStore().require(jobId);
  const { adapter } = await providerFor(job.provider);
  const { waitMs: _waitMs, near: _near, ...plan } = planNextCheck(job, adapter.capabilities.callbacks, checkPlanSettings(), new Date());
  log.info('first check planned', { ...plan });
  return { providerTaskId: step.providerTaskId, polls: 0, ...plan };
});
