// Notify: one SNS notice per finished job (e-mail subscribers read it; attributes allow filtering).
// The notice is claimed on the job before publishing and marked sent after, so retries and re-drives never send it
// twice, and a run that died in between leaves a claim the reconciler takes over once it is stale. A run that died
// after publishing and before recording it is sent again: a notice is at least once across a crash.
import { isTerminal, toPublicJob } from '../domain/job.ts';
import { formatNotice } from '../domain/notice.ts';
import { JobRef, NOTICE_CLAIM_STALE_SECONDS } from '../workflow/contract.ts';
import { sns } from '../aws/clients/sns.ts';
import { config } from '../aws/env.ts';
import { publishNotice } from '../aws/notices.ts';
import { shareLinksFor } from '../aws/runtime/share-links.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { noteProvider } from '../aws/invocation.ts';
import { emitJobMetric } from '../aws/metrics.ts';
import { taskHandler } from '../aws/task-handler.ts';
import { secondsBetween } from '../domain/metrics.ts';

export const handler = taskHandler('notify', JobRef, async ({ jobId }, log) => {
  const store = jobStore();
  const job = await store.require(jobId);
  noteProvider(job.provider);
  if (!isTerminal(job.status)) throw new Error(`job ${jobId} is ${job.status}; only finished jobs are notified`);
  const started = new Date();
  // A claim older than this was left by a run that died before publishing; it is taken over.
  const staleBefore = new Date(Date.now() - NOTICE_CLAIM_STALE_SECONDS * 1000).toISOString();
  if (!(await store.claimNotice(jobId, staleBefore))) {
    log.info('notice already sent');
    return { sent: false };
  }
  try {
    const links = { details: `${config.publicUrl()}/v1/jobs/${encodeURIComponent(jobId)}`, ...(await shareLinksFor(job)) };
    await publishNotice(sns(), config.noticesTopicArn(), formatNotice(toPublicJob(job), links));
  } catch (error) {
    await store.releaseNotice(jobId);
    throw error;
  }
  await store.markNotified(jobId);
  emitJobMetric('NotifySeconds', secondsBetween(started, new Date()) ?? 0);
  log.info('notice sent', { status: job.status });
  return { sent: true };
});
