// Input media stored in the inputs bucket ({s3Key} refs: S3 uploads, or API jobs naming an upload): checked
// against the provider's image policy before anything is sent, and handed to the provider in the form it takes
// (a short-lived signed URL, or the bytes as bare base64).
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkImage } from '../domain/image-check.ts';
import type { MediaRef, ResolvedRequest } from '../domain/job.ts';
import type { ImageInputPolicy } from '../domain/capabilities.ts';
import type { SubmitRequest } from '../providers/port.ts';

/** How long a provider has to fetch a signed input URL. */
const SIGNED_INPUT_SECONDS = 3600;
/** Largest image read when the provider states no limit. */
const DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;

interface ImageField {
  path: string;
  ref: MediaRef;
}

function imageFields(request: ResolvedRequest): ImageField[] {
  return [
    ...(request.image ? [{ path: 'image', ref: request.image }] : []),
    ...(request.endImage ? [{ path: 'endImage', ref: request.endImage }] : []),
    ...(request.referenceImages ?? []).map((ref, i) => ({ path: `referenceImages.${i}`, ref })),
  ];
}

/** Whether a request names any object in the inputs bucket ({s3Key} refs). */
export function usesStoredMedia(request: ResolvedRequest): boolean {
  return [...imageFields(request).map((f) => f.ref), ...(request.video ? [request.video] : [])].some((ref) => 's3Key' in ref);
}

/** The bytes of a GetObject answer; S3 always sends a body for an object that exists. */
async function bodyBytes(body: { transformToByteArray(): Promise<Uint8Array> } | undefined, key: string): Promise<Uint8Array> {
  if (!body) throw new Error(`S3 returned no body for ${key}`);
  return body.transformToByteArray();
}

async function readObject(s3: S3Client, bucket: string, key: string, maxBytes: number): Promise<{ bytes?: Uint8Array; size: number }> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const size = head.ContentLength ?? 0;
  if (size > maxBytes) return { size };
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { bytes: await bodyBytes(object.Body, key), size };
}

/** Problems with the stored images of a request, per field; an unreadable object is a problem too. */
export async function checkStoredImages(
  s3: S3Client,
  bucket: string,
  request: ResolvedRequest,
  policy: ImageInputPolicy | undefined,
): Promise<{ path: string; message: string }[]> {
  const problems: { path: string; message: string }[] = [];
  for (const { path, ref } of imageFields(request)) {
    if (!('s3Key' in ref)) continue;
    const maxBytes = policy?.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
    let object: { bytes?: Uint8Array; size: number };
    try {
      object = await readObject(s3, bucket, ref.s3Key, maxBytes);
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

/** The media of a request as the provider takes it: URLs as given, stored objects signed or inlined (the bucket is
 * asked for only when there are some). */
export async function mediaForProvider(
  s3: S3Client,
  bucket: () => string,
  request: ResolvedRequest,
  transport: ImageInputPolicy['transport'],
): Promise<NonNullable<SubmitRequest['media']>> {
  const render = async (ref: MediaRef, kind: 'image' | 'video'): Promise<string> => {
    if ('url' in ref) return ref.url;
    if (kind === 'image' && transport === 'base64') {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: ref.s3Key }));
      return Buffer.from(await bodyBytes(object.Body, ref.s3Key)).toString('base64');
    }
    return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket(), Key: ref.s3Key }), { expiresIn: SIGNED_INPUT_SECONDS });
  };
  const media: NonNullable<SubmitRequest['media']> = {};
  if (request.image) media.image = await render(request.image, 'image');
  if (request.endImage) media.endImage = await render(request.endImage, 'image');
  if (request.referenceImages?.length) media.referenceImages = await Promise.all(request.referenceImages.map((r) => render(r, 'image')));
  if (request.video) media.video = await render(request.video, 'video');
  return media;
}
