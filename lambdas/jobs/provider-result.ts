// Recording what a provider reports about a job's task, from a callback or a poll.
import type { ProviderStatus } from '../providers/port.ts';
import { TERMINAL_PROVIDER_STATUSES } from '../providers/port.ts';
import type { ProviderResult } from '../workflow/contract.ts';
import type { JobRecord } from '../domain/job.ts';
import type { JobRepository } from './ports.ts';

export const isTerminalResult = (status: ProviderStatus['status']): boolean => TERMINAL_PROVIDER_STATUSES.includes(status);

export function toProviderResult(status: ProviderStatus, source: ProviderResult['source'], providerTaskId?: string): ProviderResult {
  return {
    providerTaskId: providerTaskId ?? status.providerTaskId,
    status: status.status,
    ...(status.progress !== undefined ? { progress: status.progress } : {}),
    ...(status.videoUrl ? { videoUrl: status.videoUrl } : {}),
    ...(status.thumbnailUrl ? { thumbnailUrl: status.thumbnailUrl } : {}),
    ...(status.error ? { error: status.error } : {}),
    ...(status.cost ? { cost: status.cost } : {}),
    source,
  };
}

/**
 * Progress moves the job to PROCESSING; a terminal result is recorded on the job (for the workflow to pick up)
 * and returned. Returns the updated record, or undefined if the job has already ended.
 */
export async function recordProviderResult(
  store: Pick<JobRepository, 'updateActive'>,
  jobId: string,
  result: ProviderResult,
): Promise<JobRecord | undefined> {
  if (isTerminalResult(result.status)) {
    return store.updateActive(jobId, { providerResult: result, ...(result.progress !== undefined ? { progress: result.progress } : {}) });
  }
  return store.updateActive(jobId, {
    ...(result.status === 'processing' ? { status: 'PROCESSING' as const } : {}),
    ...(result.progress !== undefined ? { progress: result.progress } : {}),
  });
}
