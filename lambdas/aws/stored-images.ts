// Checking a request's stored input images (objects in the inputs bucket) against the provider's image policy, in
// Validate, before anything is sent. Apart from s3-media.ts so only Validate's bundle carries the image parser
// (image-size), which Submit, reading the same objects, does not use.
import { checkImage } from '../domain/image-check.ts';
import type { ResolvedRequest } from '../domain/job.ts';
import type { ImageInputPolicy } from '../domain/capabilities.ts';
import type { S3 } from './clients/s3.ts';
import { DEFAULT_MAX_IMAGE_BYTES, imageFields, readStoredObject, type StoredRead } from './s3-media.ts';

/** Problems with the stored images of a request, per field; an unreadable object is a problem too. */
export async function checkStoredImages(
  s3: S3,
  bucket: string,
  request: ResolvedRequest,
  policy: ImageInputPolicy | undefined,
): Promise<{ path: string; message: string }[]> {
  const problems: { path: string; message: string }[] = [];
  for (const { path, ref } of imageFields(request)) {
    if (!('s3Key' in ref)) continue;
    const maxBytes = policy?.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
    let object: StoredRead;
    try {
      object = await readStoredObject(s3, bucket, ref.s3Key, maxBytes);
    } catch (error) {
      const name = (error as Error).name;
      if (name !== 'NotFound' && name !== 'NoSuchKey') throw error;
      problems.push({ path: `${path}.s3Key`, message: `${ref.s3Key} does not exist in the inputs bucket` });
      continue;
    }
    if (!object.bytes) {
      problems.push({
        path: `${path}.s3Key`,
        message: `${ref.s3Key} is ${(object.size / 1048576).toFixed(1)} MB; the provider takes at most ${maxBytes / 1048576} MB`,
      });
      continue;
    }
    const verdict = checkImage(object.bytes, policy, ref.s3Key);
    if (!verdict.ok) problems.push({ path: `${path}.s3Key`, message: verdict.reason });
  }
  return problems;
}
