// Archive: the provider's task has ended, so the job's slot goes first to the next waiting job (admission control);
// then the provider's video (and thumbnail, where there is one) is copied into the outputs bucket; then the one write
// that makes the job SUCCEEDED, with its outputs and the provider's reported cost (the spend counters then take the
// reported charge in place of the estimate counted at Submit). A retry finds the slot released and the outputs
// recorded, and copies nothing again.
import { ArchivePayload, type ArchiveOutput } from '../workflow/contract.ts';
import { ArchiveOutput as ArchiveOutputSchema } from '../workflow/contract.ts';
import type { JobRecord } from '../domain/job.ts';
import { requireActiveJob } from '../jobs/active-job.ts';
import { releaseSlot } from '../jobs/admission.ts';
import { correctSpend } from '../jobs/spend.ts';
import { admissionDeps } from '../aws/runtime/admission.ts';
import { spendLedger } from '../aws/runtime/spend-ledger.ts';
import { archiveObject, type ArchiveDeps } from '../aws/s3-archive.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { emitJobMetric } from '../aws/metrics.ts';
import { noteProvider } from '../aws/invocation.ts';
import { taskHandler } from '../aws/task-handler.ts';
import { secondsBetween } from '../domain/metrics.ts';

/** Largest video archived (bytes): generated clips are tens of megabytes; this bounds a hostile or broken source. */
const MAX_VIDEO_BYTES = 2 * 1024 ** 3;
/** Largest thumbnail archived (bytes). */
const MAX_THUMBNAIL_BYTES = 20 * 1024 ** 2;

export const handler = taskHandler('archive', ArchivePayload, async (payload, log): Promise<ArchiveOutput> => {
  const { jobId, cost } = payload;
  const store = jobStore();
  const job = await requireActiveJob(store, jobId);
  // A release that fails changes nothing for this job: the slot's lease runs out instead.
  await releaseSlot(admissionDeps(), jobId).then(
    (outcome) => (outcome.released || outcome.granted.length ? log.info('slot released', outcome) : undefined),
    (error: Error) => log.warn('slot not released; its lease runs out instead', { error: error.message }),
  );
  const outputs = job.outputs ? ArchiveOutputSchema.parse(job.outputs) : await copyOutputs(job, payload, log);
  const reported = cost && (cost.credits !== undefined || cost.usd !== undefined);
  const finished = await store.finish(jobId, 'SUCCEEDED', {
    outputs,
    progress: 100,
    ...(reported ? { cost: { ...cost, estimated: false } } : {}),
  });
  log.info(finished ? 'job succeeded' : 'job had already ended; outcome unchanged');
  if (finished && reported && cost) {
    const delta = await correctSpend(spendLedger(), finished, cost);
    if (delta) log.info('spend corrected with the reported charge', { delta });
  }
  return outputs;
});

async function copyOutputs(
  job: JobRecord,
  { jobId, videoUrl, thumbnailUrl }: ArchivePayload,
  log: { info(message: string, data?: Record<string, unknown>): void },
): Promise<ArchiveOutput> {
  const store = jobStore();
  noteProvider(job.provider);
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
  const outputs = { video, ...(thumbnail ? { thumbnail } : {}) };
  // Recorded before the job is finished, so a retry after a failed finish copies nothing again.
  await store.updateActive(jobId, { outputs });
  log.info('archived', { bytes: video.bytes, sha256: video.sha256 });
  return outputs;
}
