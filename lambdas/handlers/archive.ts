// Archive: copy the provider's video (and thumbnail, where there is one) into the outputs bucket.
// Runs once per job: a retry after success finds the outputs recorded and returns them.
import { ArchivePayload, type ArchiveOutput } from '../workflow/contract.ts';
import { ArchiveOutput as ArchiveOutputSchema } from '../workflow/contract.ts';
import { requireActiveJob } from '../jobs/active-job.ts';
import { archiveObject, type ArchiveDeps } from '../aws/s3-archive.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { emitJobMetric } from '../aws/metrics.ts';
import { noteProvider } from '../aws/invocation.ts';
import { annotate } from '../aws/tracing.ts';
import { taskHandler } from '../aws/task-handler.ts';
import { secondsBetween } from '../domain/metrics.ts';

/** Largest video archived (bytes): generated clips are tens of megabytes; this bounds a hostile or broken source. */
const MAX_VIDEO_BYTES = 2 * 1024 ** 3;
/** Largest thumbnail archived (bytes). */
const MAX_THUMBNAIL_BYTES = 20 * 1024 ** 2;

export const handler = taskHandler('archive', ArchivePayload, async ({ jobId, videoUrl, thumbnailUrl }, log): Promise<ArchiveOutput> => {
  const store = jobStore();
  const job = await requireActiveJob(store, jobId);
  if (job.outputs) return ArchiveOutputSchema.parse(job.outputs);
  noteProvider(job.provider);
  annotate({ provider: job.provider });
  const started = new Date();
  // Generation: from the submission to now (the provider's task has ended; the slot was just released).
  const generation = secondsBetween(job.submittedAt, started);
  if (generation !== undefined) emitJobMetric('GenerationSeconds', generation);
  await store.updateActive(jobId, { status: 'ARCHIVING' });

  const providerBase = config.providerBaseUrl(job.provider);
  const deps: ArchiveDeps = {
    s3: s3(),
    // Public addresses only, checked where the socket connects; the provider's own configured host is trusted as
    // configured (on the local stack, the simulator on loopback).
    outbound: { trustedHosts: providerBase ? [new URL(providerBase).host] : [] },
    timeoutMs: 10 * 60_000,
  };
  const bucket = config.outputsBucket();
  const video = await archiveObject(deps, videoUrl, {
    bucket,
    key: `jobs/${jobId}/video.mp4`,
    defaultContentType: 'video/mp4',
    maxBytes: MAX_VIDEO_BYTES,
  });
  const thumbnail = thumbnailUrl
    ? await archiveObject(deps, thumbnailUrl, {
        bucket,
        key: `jobs/${jobId}/thumbnail.jpg`,
        defaultContentType: 'image/jpeg',
        maxBytes: MAX_THUMBNAIL_BYTES,
      })
    : undefined;
  emitJobMetric('ArchiveSeconds', secondsBetween(started, new Date()) ?? 0);
  log.info('archived', { bytes: video.bytes, sha256: video.sha256 });
  return { video, ...(thumbnail ? { thumbnail } : {}) };
});
