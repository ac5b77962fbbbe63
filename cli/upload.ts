// `klingflow upload`: an image put under uploads/ in the inputs bucket, its options as user metadata; S3 starts the job.
import { basename } from 'node:path';
import {
  encodeMetadataValue,
  IMAGE_SUFFIXES,
  isUploadImage,
  jobIdForUpload,
  type SourceObject,
  UPLOAD_PREFIX,
} from '../lambdas/domain/uploads.ts';
import { UsageError, type Target } from './connect.ts';

/** The options an upload carries, by metadata name (docs/api.md, "S3 uploads"). */
export type UploadOptions = Partial<
  Record<'prompt' | 'negative-prompt' | 'provider' | 'model' | 'duration' | 'resolution' | 'aspect-ratio' | 'quality', string>
>;

/** The key an upload of `file` gets; refused (UsageError) when the trigger would start no job for it. */
export function uploadKey(file: string, key?: string): string {
  const chosen = key ?? `${UPLOAD_PREFIX}${basename(file)}`;
  if (!isUploadImage(chosen)) {
    throw new UsageError(
      `${chosen} would start no job: uploads start image-to-video jobs for keys under ${UPLOAD_PREFIX} ending in ${IMAGE_SUFFIXES.join(', ')} (all lower or all upper case)`,
    );
  }
  return chosen;
}

/**
 * Puts the image and answers the object version and the job id S3's event will give it. Non-ASCII option values
 * travel RFC 2047-encoded (S3 metadata is ASCII only) and are decoded by the trigger.
 */
export async function putUpload(
  inputs: NonNullable<Target['inputs']>,
  key: string,
  body: Buffer,
  options: UploadOptions,
): Promise<{ source: SourceObject; jobId: string }> {
  const metadata = Object.fromEntries(
    Object.entries(options)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => [name, encodeMetadataValue(value)]),
  );
  const { PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const local = inputs.endpoint !== undefined;
  const client = new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(local
      ? { endpoint: inputs.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const contentType = /\.png$/i.test(key) ? 'image/png' : /\.webp$/i.test(key) ? 'image/webp' : 'image/jpeg';
  try {
    const put = await client.send(
      new PutObjectCommand({ Bucket: inputs.bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata }),
    );
    const source: SourceObject = {
      bucket: inputs.bucket,
      key,
      ...(put.VersionId ? { versionId: put.VersionId } : {}),
      ...(put.ETag ? { eTag: put.ETag } : {}),
    };
    return { source, jobId: jobIdForUpload(source) };
  } finally {
    client.destroy();
  }
}
