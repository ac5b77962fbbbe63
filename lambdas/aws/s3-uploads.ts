// Reading what an S3 upload brings besides its bytes: the object's user metadata and the JSON manifest beside it
// (docs/api.md, "S3 uploads").
import { manifestKeyOf, type SourceObject } from '../domain/uploads.ts';
import type { S3 } from './clients/s3.ts';
import { readAll } from './clients/s3-request.ts';

/** Manifests are small JSON documents; a bigger one is refused (bytes). */
export const MAX_MANIFEST_BYTES = 64 * 1024;

/** The user metadata of the uploaded object version (names without `x-amz-meta-`). */
export async function uploadMetadata(client: S3, source: SourceObject): Promise<Record<string, string>> {
  const head = await client.head(source.bucket, source.key, source.versionId ? { versionId: source.versionId } : {});
  return head.metadata;
}

/**
 * The manifest beside an uploaded image (`<key>.json`) as text, or `undefined` when there is none. A manifest over
 * {@link MAX_MANIFEST_BYTES} comes back as `{"manifestTooLarge":true}`, an option no request has, so the job records
 * it as a problem and fails in Validate. Throws what S3 throws for anything but a missing key.
 */
export async function readManifest(client: S3, bucket: string, imageKey: string): Promise<string | undefined> {
  try {
    const { body, contentLength } = await client.get(bucket, manifestKeyOf(imageKey));
    if ((contentLength ?? 0) > MAX_MANIFEST_BYTES) {
      body.destroy();
      return JSON.stringify({ manifestTooLarge: true });
    }
    return (await readAll(body)).toString('utf8');
  } catch (error) {
    const name = (error as Error | undefined)?.name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw error;
  }
}

/** Writes the manifest (`<key>.json`, JSON of create-body fields) beside an upload's key, before its image arrives. */
export async function writeManifest(client: S3, bucket: string, imageKey: string, manifest: string): Promise<void> {
  await client.put(bucket, manifestKeyOf(imageKey), manifest, { contentType: 'application/json; charset=utf-8' });
}
