// The steps that act on a job (submit, poll, archive) first make sure it has not ended meanwhile: a job cancelled
// through the API must not be sent to its provider, polled or archived afterwards.
import { JobAlreadyFinished } from '../domain/errors.ts';
import { isTerminal, type JobRecord } from '../domain/job.ts';
import type { JobRepository } from './ports.ts';

export async function requireActiveJob(store: JobRepository, jobId: string): Promise<JobRecord> {
  const job = await store.require(jobId);
  if (isTerminal(job.status)) throw new JobAlreadyFinished(`job ${jobId} has already ended: ${job.status}`);
  return job;
}
