// Input media stored in the inputs bucket ({s3Key} refs: S3 uploads, or API jobs naming an upload): checked
// against the provider's image policy before anything is sent, and handed to the provider in the form it takes
// (a short-lived signed URL, or the bytes as bare base64).
//
// Objects are read through `stream/promises` pipeline with a byte cap, and counted against their Content-Length:
// a read cut short is a typed, retryable network error ("the download was truncated (N of M bytes)"), never an
// unhandled stream error. `{url}` inputs are not fetched here: the provider fetches them (their URL was checked
// and normalised when the job was created).
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProviderError } from '../domain/errors.ts';
import type { MediaRef, ResolvedRequest } from '../domain/job.ts';
import type { ImageInputPolicy } from '../domain/capabilities.ts';
import type { SubmitRequest } from '../providers/port.ts';
import type { S3 } from './clients/s3.ts';

/** How long a provider has to fetch a signed input URL. */
const SIGNED_INPUT_SECONDS = 3600;
/** Largest image read when the provider states no limit, and the most ever inlined as base64 (bytes). */
export const DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export interface ImageField {
  path: string;
  ref: MediaRef;
}

/** The image fields of a request with their media references, each with its path (`image`, `referenceImages.0`…). */
export function imageFields(request: ResolvedRequest): ImageField[] {
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

/** A stored object's bytes, or only its size when it is larger than the cap (then nothing past the headers is read). */
export interface StoredRead {
  bytes?: Uint8Array;
  /** The object's size in bytes, as S3 declared it (or as counted, when it declared none). */
  size: number;
}

/** A body that grew past its cap while being read. */
class OverCap extends Error {}

/**
 * Reads an object of the inputs bucket: its bytes when it is at most `maxBytes`, else only its declared size.
 * Throws what S3 throws for the request itself (`NoSuchKey` for a missing key), and `ProviderError('network')`,
 * which the workflow retries, when the body fails or ends before its Content-Length ("the download was truncated
 * (N of M bytes)").
 */
export async function readStoredObject(s3: S3, bucket: string, key: string, maxBytes: number): Promise<StoredRead> {
  const { body, contentLength: declared } = await s3.get(bucket, key);
  if (declared !== undefined && declared > maxBytes) {
    body.destroy();
    return { size: declared };
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new OverCap());
      chunks.push(chunk);
      done();
    },
  });
  try {
    await pipeline(body, collect);
  } catch (error) {
    if (error instanceof OverCap) return { size: bytes };
    if (declared !== undefined && bytes < declared) {
      throw new ProviderError('network', `the download was truncated (${bytes} of ${declared} bytes): ${key} from the inputs bucket`, {
        cause: error,
      });
    }
    throw new ProviderError('network', `reading ${key} from the inputs bucket failed after ${bytes} bytes: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (declared !== undefined && bytes !== declared) {
    throw new ProviderError('network', `the download was truncated (${bytes} of ${declared} bytes): ${key} from the inputs bucket`);
  }
  return { bytes: Buffer.concat(chunks), size: bytes };
}

/** The media of a request as the provider takes it: URLs as given, stored objects signed or inlined (the bucket is
 * asked for only when there are some). */
export async function mediaForProvider(
  s3: S3,
  bucket: () => string,
  request: ResolvedRequest,
  transport: ImageInputPolicy['transport'],
): Promise<NonNullable<SubmitRequest['media']>> {
  const render = async (ref: MediaRef, kind: 'image' | 'video'): Promise<string> => {
    if ('url' in ref) return ref.url;
    if (kind === 'image' && transport === 'base64') {
      const object = await readStoredObject(s3, bucket(), ref.s3Key, DEFAULT_MAX_IMAGE_BYTES);
      if (!object.bytes) {
        throw new ProviderError('invalid', `${ref.s3Key} is ${object.size} bytes; at most ${DEFAULT_MAX_IMAGE_BYTES} are sent inline`);
      }
      return Buffer.from(object.bytes).toString('base64');
    }
    return s3.presign('GET', bucket(), ref.s3Key, SIGNED_INPUT_SECONDS);
  };
  const media: NonNullable<SubmitRequest['media']> = {};
  if (request.image) media.image = await render(request.image, 'image');
  if (request.endImage) media.endImage = await render(request.endImage, 'image');
  if (request.referenceImages?.length) media.referenceImages = await Promise.all(request.referenceImages.map((r) => render(r, 'image')));
  if (request.video) media.video = await render(request.video, 'video');
  return media;
}
