// Notify: one SNS notice per finished job (e-mail subscribers read it; attributes allow filtering).
// The notice is claimed on the job before publishing, so retries and re-drives never send it twice.
import { PublishCommand } from '@aws-sdk/client-sns';
import { isTerminal, toPublicJob } from '../domain/job.ts';
import { formatNotice } from '../domain/notice.ts';
import { JobRef } from '../workflow/contract.ts';
import { dynamo, sns } from '../aws/clients.ts';
import { config } from '../aws/env.ts';
import { JobStore } from '../aws/job-store.ts';
import { taskHandler } from '../aws/task-handler.ts';

export const handler = taskHandler('notify', JobRef, async ({ jobId }, log) => {
  const store = new JobStore(dynamo(), config.jobsTable());
  const job = await store.require(jobId);
  if (!isTerminal(job.status)) throw new Error(`job ${jobId} is ${job.status}; only finished jobs are notified`);
  if (!(await store.claimNotice(jobId))) {
    log.info('notice already sent');
    return { sent: false };
  }
  const notice = formatNotice(toPublicJob(job), config.publicUrl());
  try {
    await sns().send(
      new PublishCommand({
        TopicArn: config.noticesTopicArn(),
        Subject: notice.subject,
        Message: notice.message,
        MessageAttributes: {
          status: { DataType: 'String', StringValue: notice.attributes.status },
          provider: { DataType: 'String', StringValue: notice.attributes.provider },
        },
      }),
    );
  } catch (error) {
    await store.releaseNotice(jobId);
    throw error;
  }
  log.info('notice sent', { status: job.status });
  return { sent: true };
});
