// Presigned download URLs for archived outputs, signed per request with the caller-facing Lambda's credentials
// (a URL made earlier would die with the signer's session).
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StoredObject } from '../domain/job.ts';

/** A presigned GET URL of a stored object, valid for `expiresInSeconds` seconds. */
export function presignDownload(client: S3Client, object: Pick<StoredObject, 'bucket' | 'key'>, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(client, new GetObjectCommand({ Bucket: object.bucket, Key: object.key }), { expiresIn: expiresInSeconds });
}
