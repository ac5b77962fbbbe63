// The composition root's share links (see store.ts): notices and webhooks carry them.
import type { Job } from '../../domain/job.ts';
import { shareLinksOf } from '../../domain/share-link.ts';
import { config } from '../env.ts';
import { shareSecret } from '../secrets.ts';

/** The share links of a finished job's outputs, signed with the deployment's share secret (none unless SUCCEEDED). */
export async function shareLinksFor(
  job: Pick<Job, 'jobId' | 'status' | 'finishedAt' | 'outputs'>,
): Promise<{ video?: string; thumbnail?: string }> {
  if (job.status !== 'SUCCEEDED') return {};
  return shareLinksOf(job, await shareSecret(), config.publicUrl(), config.shareLinkSeconds());
}
