// Reading what an S3 upload brings besides its bytes: the object's user metadata and the JSON manifest beside it
// (docs/api.md, "S3 uploads").
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { manifestKeyOf, type SourceObject } from '../domain/uploads.ts';

/** Manifests are small JSON documents; a bigger one is refused (bytes). */
export const MAX_MANIFEST_BYTES = 64 * 1024;

/** The user metadata of the uploaded object version (names without `x-amz-meta-`). */
export async function uploadMetadata(client: S3Client, source: SourceObject): Promise<Record<string, string>> {
  const head = await client.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }));
  return head.Metadata ?? {};
}

/**
 * The manifest beside an uploaded image (`<key>.json`) as text, or `undefined` when there is none. A manifest over
 * {@link MAX_MANIFEST_BYTES} comes back as `{"manifestTooLarge":true}`, an option no request has, so the job records
 * it as a problem and fails in Validate. Throws what S3 throws for anything but a missing key.
 */
export async function readManifest(client: S3Client, bucket: string, imageKey: string): Promise<string | undefined> {
  try {
    const { Body, ContentLength } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKeyOf(imageKey) }));
    if ((ContentLength ?? 0) > MAX_MANIFEST_BYTES) return JSON.stringify({ manifestTooLarge: true });
    return await Body?.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || error instanceof NotFound) return undefined;
    throw error;
  }
}

/** Writes the manifest (`<key>.json`, JSON of create-body fields) beside an upload's key, before its image arrives. */
export async function writeManifest(client: S3Client, bucket: string, imageKey: string, manifest: string): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: manifestKeyOf(imageKey), Body: manifest, ContentType: 'application/json; charset=utf-8' }),
  );
}
