// Notify: one SNS notice per finished job (e-mail subscribers read it; attributes allow filtering).
// The notice is claimed on the job before publishing, so retries and re-drives never send it twice.
import { isTerminal, toPublicJob } from '../domain/job.ts';
import { formatNotice } from '../domain/notice.ts';
import { JobRef } from '../workflow/contract.ts';
import { sns } from '../aws/clients/sns.ts';
import { config } from '../aws/env.ts';
import { publishNotice } from '../aws/notices.ts';
import { shareLinksFor } from '../aws/runtime/share-links.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('notify', JobRef, async ({ jobId }, log) => {
  const store = jobStore();
  const job = await store.require(jobId);
  if (!isTerminal(job.status)) throw new Error(`job ${jobId} is ${job.status}; only finished jobs are notified`);
  if (!(await store.claimNotice(jobId))) {
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
  log.info('notice sent', { status: job.status });
  return { sent: true };
});
