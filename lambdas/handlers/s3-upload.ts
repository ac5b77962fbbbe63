// S3 trigger: an image created under uploads/ in the inputs bucket starts an image-to-video job.
// S3 delivers events at least once; the job id comes from the object version, so duplicates are harmless.
import type { S3Event } from 'aws-lambda';
import { decodeS3EventKey, isUploadImage, type SourceObject } from '../domain/uploads.ts';
import { createUploadJob } from '../jobs/create-upload-job.ts';
import { s3 } from '../aws/clients/s3.ts';
import { config } from '../aws/env.ts';
import { logger } from '../aws/logger.ts';
import { emitMetric } from '../aws/metrics.ts';
import { createJobDeps } from '../aws/runtime/jobs.ts';
import { readManifest, uploadMetadata } from '../aws/s3-uploads.ts';

export async function handler(event: S3Event): Promise<{ jobs: string[] }> {
  const jobs: string[] = [];
  for (const record of event.Records ?? []) {
    if (!record.eventName?.startsWith('ObjectCreated:')) continue;
    const bucket = record.s3.bucket.name;
    const key = decodeS3EventKey(record.s3.object.key);
    if (bucket !== config.inputsBucket() || !isUploadImage(key)) {
      logger.info('not an upload that starts a job', { bucket, key });
      continue;
    }
    const source: SourceObject = {
      bucket,
      key,
      ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
      ...(record.s3.object.eTag ? { eTag: record.s3.object.eTag } : {}),
    };
    const result = await createUploadJob(await createJobDeps(), {
      source,
      metadata: await uploadMetadata(s3(), source),
      manifest: await readManifest(s3(), bucket, key),
    });
    if (result.created) emitMetric({ name: 'JobsCreated', value: 1, dimensions: { provider: result.provider }, jobId: result.jobId });
    logger.info(result.created ? 'upload job created' : 'upload job already existed', {
      jobId: result.jobId,
      key,
      problems: result.problems,
    });
    jobs.push(result.jobId);
  }
  return { jobs };
}
