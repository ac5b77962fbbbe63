// Presigned download URLs for archived outputs, signed per request with the caller-facing Lambda's credentials
// (a URL made earlier would die with the signer's session).
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StoredObject } from '../domain/job.ts';

/** A presigned GET URL of a stored object, valid for `expiresInSeconds` seconds. */
export function presignDownload(client: S3Client, object: Pick<StoredObject, 'bucket' | 'key'>, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(client, new GetObjectCommand({ Bucket: object.bucket, Key: object.key }), { expiresIn: expiresInSeconds });
}

/**
 * A presigned PUT of one object of `bytes` bytes and type `contentType`, valid for `expiresInSeconds` seconds. Both
 * headers are signed, so S3 refuses the PUT unless the client sends exactly that `Content-Type` and `Content-Length`:
 * the size and type limits of an upload ticket.
 */
export function presignUpload(
  client: S3Client,
  object: { bucket: string; key: string; contentType: string; bytes: number },
  expiresInSeconds: number,
): Promise<string> {
  return getSignedUrl(
    client,
    new PutObjectCommand({ Bucket: object.bucket, Key: object.key, ContentType: object.contentType, ContentLength: object.bytes }),
    { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-type', 'content-length']) },
  );
}
