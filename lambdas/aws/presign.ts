// Presigned download URLs for archived outputs, signed per request with the caller-facing Lambda's credentials
// (a URL made earlier would die with the signer's session).
import type { StoredObject } from '../domain/job.ts';
import type { S3 } from './clients/s3.ts';

/** A presigned GET URL of a stored object, valid for `expiresInSeconds` seconds. */
export async function presignDownload(client: S3, object: Pick<StoredObject, 'bucket' | 'key'>, expiresInSeconds: number): Promise<string> {
  return client.presign('GET', object.bucket, object.key, expiresInSeconds);
}

/**
 * A presigned PUT of one object of `bytes` bytes and type `contentType`, valid for `expiresInSeconds` seconds. Both
 * headers are signed, so S3 refuses the PUT unless the client sends exactly that `Content-Type` and `Content-Length`:
 * the size and type limits of an upload ticket.
 */
export async function presignUpload(
  client: S3,
  object: { bucket: string; key: string; contentType: string; bytes: number },
  expiresInSeconds: number,
): Promise<string> {
  return client.presign('PUT', object.bucket, object.key, expiresInSeconds, {
    contentType: object.contentType,
    contentLength: object.bytes,
  });
}
