// Re-drives jobs that are not finished: after a restart of the local stack (whose executions lived in memory),
// or on AWS for a job whose execution was lost. Submit finds an already-submitted task, so nothing is sent twice.
import type { JobStatus } from '../domain/job.ts';
import type { ExecutionInput } from '../workflow/contract.ts';
import type { JobRepository } from './ports.ts';

const ACTIVE: JobStatus[] = ['QUEUED', 'SUBMITTED', 'PROCESSING', 'ARCHIVING'];

export async function reconcileActiveJobs(
  store: JobRepository,
  start: (input: ExecutionInput) => Promise<void>,
  config: ExecutionInput['config'],
): Promise<string[]> {
  const redriven: string[] = [];
  for (const status of ACTIVE) {
    let cursor: string | undefined;
    do {
      const page = await store.list({ status, limit: 100, cursor });
      for (const job of page.items) {
        await start({ jobId: job.jobId, config });
        redriven.push(job.jobId);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return redriven;
}
