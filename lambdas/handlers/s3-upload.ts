// S3 trigger: an image created under uploads/ in the inputs bucket starts an image-to-video job.
// S3 delivers events at least once; the job id comes from the object version, so duplicates are harmless.
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { getAdapter } from '../providers/registry.ts';
import { decodeS3EventKey, isUploadImage, manifestKeyOf, type SourceObject } from '../domain/uploads.ts';
import { createUploadJob } from '../jobs/create-upload-job.ts';
import { startJobExecution } from '../aws/step-functions.ts';
import { dynamo, s3, sfn } from '../aws/clients.ts';
import { config } from '../aws/env.ts';
import { JobStore } from '../aws/job-store.ts';
import { logger } from '../aws/logger.ts';
import { enabledProviderLookup } from '../aws/providers.ts';

const MAX_MANIFEST_BYTES = 64 * 1024;

async function readManifest(bucket: string, imageKey: string): Promise<string | undefined> {
  try {
    const { Body, ContentLength } = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: manifestKeyOf(imageKey) }));
    if ((ContentLength ?? 0) > MAX_MANIFEST_BYTES) return JSON.stringify({ manifestTooLarge: true });
    return await Body?.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || error instanceof NotFound) return undefined;
    throw error;
  }
}

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
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: source.versionId }));
    const result = await createUploadJob(
      {
        store: new JobStore(dynamo(), config.jobsTable()),
        providers: { ...enabledProviderLookup(), adapterOf: getAdapter },
        startExecution: (input) => startJobExecution(sfn(), config.stateMachineArn(), input),
        workflowConfig: { awaitSeconds: config.awaitSeconds(), maxPolls: config.maxPolls() },
        now: () => new Date(),
      },
      { source, metadata: head.Metadata ?? {}, manifest: await readManifest(bucket, key) },
    );
    logger.info(result.created ? 'upload job created' : 'upload job already existed', { jobId: result.jobId, key, problems: result.problems });
    jobs.push(result.jobId);
  }
  return { jobs };
}
