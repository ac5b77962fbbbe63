// Image-to-video from S3 uploads (docs/api.md, "S3 uploads"): which objects start a job, how their keys arrive in
// S3 events, where their options come from, and the job id each object version gets.
import { createHash, randomBytes } from 'node:crypto';
import * as z from './zod.ts';
import type { ImageInputPolicy } from './capabilities.ts';
import { decodeWords, encodeWord } from './encoded-words.ts';
import { CreateJobRequest, type FieldProblem } from './job.ts';

/** Images put under this prefix of the inputs bucket start jobs. */
export const UPLOAD_PREFIX = 'uploads/';

/** Image suffixes that start a job, each in lower and upper case (S3 suffix filters are case-sensitive). */
export const IMAGE_SUFFIXES = ['.png', '.jpg', '.jpeg', '.webp'] as const;
export const IMAGE_SUFFIX_FILTERS: readonly string[] = IMAGE_SUFFIXES.flatMap((s) => [s, s.toUpperCase()]);

/** A manifest beside an image: `<image key>.json` (upload it before the image). */
export const manifestKeyOf = (imageKey: string): string => `${imageKey}.json`;

/** Whether an object key (decoded) is an upload that starts a job. */
export const isUploadImage = (key: string): boolean =>
  key.startsWith(UPLOAD_PREFIX) && IMAGE_SUFFIXES.some((suffix) => key.toLowerCase().endsWith(suffix));

/**
 * S3 event keys are URL-encoded as in a form (`+` for a space, `%28` for `(`): `uploads/my+cat+%281%29.png` is
 * `uploads/my cat (1).png`.
 */
export const decodeS3EventKey = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

/** The inverse, as S3 writes keys into events (`/` stays as it is). */
export const encodeS3EventKey = (key: string): string =>
  key
    .split('/')
    .map((part) => new URLSearchParams({ k: part }).toString().slice(2))
    .join('/');

/** The object a job came from. */
export const SourceObject = z.object({
  bucket: z.string(),
  key: z.string(),
  versionId: z.optional(z.string()),
  eTag: z.optional(z.string()),
});
export type SourceObject = z.infer<typeof SourceObject>;

/**
 * One job per object version, however often S3 delivers its event: the id is derived from bucket, key and
 * version (the ETag where the bucket is not versioned).
 */
export function jobIdForUpload(source: SourceObject): string {
  // An upload through the API (`POST /v1/uploads`): one job per ticket, known before the bytes arrive.
  const ticket = uploadIdOfKey(source.key);
  if (ticket) return `job_t${createHash('sha256').update(`${source.bucket}\n${ticket}`).digest('hex').slice(0, 40)}`;
  // S3 events carry the ETag bare, PutObject answers it in quotes: the same version either way.
  const version = source.versionId ?? source.eTag?.replace(/"/g, '') ?? '';
  const digest = createHash('sha256').update(`${source.bucket}\n${source.key}\n${version}`).digest('hex');
  return `job_u${digest.slice(0, 40)}`;
}

/**
 * User metadata names (without `x-amz-meta-`; S3 lower-cases them) → create-body fields. Values are strings;
 * the numbers and booleans among them are converted before the request is checked.
 */
const METADATA_FIELDS = {
  prompt: 'prompt',
  'negative-prompt': 'negativePrompt',
  provider: 'provider',
  model: 'model',
  duration: 'durationSeconds',
  'duration-seconds': 'durationSeconds',
  resolution: 'resolution',
  'aspect-ratio': 'aspectRatio',
  quality: 'quality',
  'cfg-scale': 'cfgScale',
  audio: 'audio',
  fps: 'fps',
  'callback-url': 'callbackUrl',
  'end-image-key': 'endImage',
} as const;
const NUMBER_FIELDS = new Set(['durationSeconds', 'cfgScale', 'fps']);
const BOOLEAN_FIELDS = new Set(['audio']);

export interface UploadOptions {
  /** The create body the upload asks for (image included), before defaults. */
  request: Record<string, unknown>;
  /** Options that could not be read; the job fails with these as its reason. */
  problems: { path: string; message: string }[];
}

/**
 * A user-metadata value as its writer meant it. S3 only stores ASCII header values: a non-ASCII value comes back
 * as RFC 2047 encoded-words (`=?UTF-8?B?5LiA5Y+q5bCP54yr?=`), as S3 writes it and as {@link encodeMetadataValue}
 * sends it; those are decoded (B and Q encodings, any charset the platform's TextDecoder knows). Anything else is returned as is.
 */
export function decodeMetadataValue(value: string): string {
  return value.includes('=?') ? decodeWords(value) : value;
}

/**
 * A user-metadata value S3 accepts: plain ASCII as is, anything else as RFC 2047 encoded-words (UTF-8, base64), which
 * {@link decodeMetadataValue} turns back into the same text.
 */
export function encodeMetadataValue(value: string): string {
  // ASCII that itself looks like an encoded-word is encoded too, or it would be decoded on the way back.
  return /^[\x20-\x7e]*$/.test(value) && !value.includes('=?') ? value : encodeWord(value);
}

/** The metadata name that says who an upload's job belongs to (read by domain/caller.ts, uploadOwner). */
export const OWNER_METADATA = 'owner';

/** Fields an upload may not set: the image is the uploaded object itself. */
const NOT_FROM_UPLOADS = new Set(['image', 'video', 'referenceImages']);

/** Sets an own, enumerable field, whatever its name (plain assignment to `__proto__` would set the prototype). */
function setField(target: Record<string, unknown>, field: string, value: unknown): void {
  Object.defineProperty(target, field, { value, enumerable: true, writable: true, configurable: true });
}

/** Reads the job options of an upload from its manifest (if any) and its user metadata (which wins). */
export function uploadOptions(imageKey: string, metadata: Record<string, string>, manifest: string | undefined): UploadOptions {
  const problems: UploadOptions['problems'] = [];
  const request: Record<string, unknown> = {};

  if (manifest !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifest);
    } catch (error) {
      problems.push({ path: 'manifest', message: `${manifestKeyOf(imageKey)} is not valid JSON (${(error as Error).message})` });
    }
    if (parsed !== undefined) {
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        problems.push({ path: 'manifest', message: `${manifestKeyOf(imageKey)} must hold a JSON object of job options` });
      } else {
        for (const [field, value] of Object.entries(parsed)) {
          // Not a job option: who the job belongs to (domain/caller.ts, uploadOwner).
          if (field === OWNER_METADATA) continue;
          if (NOT_FROM_UPLOADS.has(field))
            problems.push({ path: `manifest.${field}`, message: 'the uploaded image is the input; remove this field' });
          // Kept as an own field even when it is `__proto__`, so that the request check reports it by name.
          else setField(request, field, value);
        }
      }
    }
  }

  for (const [rawName, encoded] of Object.entries(metadata)) {
    const name = rawName.toLowerCase().replace(/^x-amz-meta-/, '');
    // Not a job option: who the job belongs to (domain/caller.ts, uploadOwner).
    if (name === OWNER_METADATA) continue;
    const value = decodeMetadataValue(encoded);
    // Own names only: `constructor` or `__proto__` must not find what every object inherits.
    const field = Object.hasOwn(METADATA_FIELDS, name) ? METADATA_FIELDS[name as keyof typeof METADATA_FIELDS] : undefined;
    if (!field) {
      problems.push({ path: `metadata.${name}`, message: `unknown option; allowed: ${Object.keys(METADATA_FIELDS).join(', ')}` });
      continue;
    }
    if (field === 'endImage') request.endImage = { s3Key: value };
    else if (NUMBER_FIELDS.has(field)) {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number))
        problems.push({ path: `metadata.${name}`, message: `'${value}' is not a number` });
      else request[field] = number;
    } else if (BOOLEAN_FIELDS.has(field)) {
      if (!['true', 'false'].includes(value.toLowerCase()))
        problems.push({ path: `metadata.${name}`, message: `'${value}' is not true or false` });
      else request[field] = value.toLowerCase() === 'true';
    } else request[field] = value;
  }

  request.image = { s3Key: imageKey };
  return { request, problems };
}

// ---------------------------------------------------------------------------------------------------------------
// Uploads through the API (`POST /v1/uploads`, docs/api.md "Uploads through the API"): the API validates the job
// options, writes them as the manifest beside a key of its own (`uploads/<uploadId>/<file name>`) and hands out a
// presigned PUT for the image; S3's event then starts the job exactly as for any other upload. The job id is derived
// from the ticket, so it is known at once and a retried PUT (a new version of the same key) is still one job.

/** An upload ticket's id: `up_` and 26 characters of [a-z2-7] (128 random bits, base32). */
export const UPLOAD_ID_PATTERN = /^up_[a-z2-7]{26}$/;

/** A fresh, unguessable upload id. */
export function newUploadId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(26);
  return `up_${Array.from(bytes, (b) => alphabet[b % 32]).join('')}`;
}

/** The upload id of a ticket's key (`uploads/<uploadId>/<file name>`), or undefined for any other key. */
export function uploadIdOfKey(key: string): string | undefined {
  const match = /^uploads\/(up_[a-z2-7]{26})\/[^/]+$/.exec(key);
  return match?.[1];
}

/** The content type each image suffix must be sent with (the presigned PUT signs it). */
export const UPLOAD_CONTENT_TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' } as const;

/** The most bytes an upload may have when its provider states no limit of its own (50 MiB). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Seconds a presigned upload works (15 minutes): long enough for a slow link, short enough to leak little. */
export const UPLOAD_URL_SECONDS = 900;

/** Create-body fields an upload may carry: all but the inputs (the uploaded image is the input). */
export const UploadJobOptions = z.omit(CreateJobRequest, { image: true, video: true, referenceImages: true });
export type UploadJobOptions = z.infer<typeof UploadJobOptions>;

/** The body of `POST /v1/uploads`: the file to come and the job options. Unknown fields are refused. */
export const UploadRequest = z.strictObject({
  fileName: z.string().check(
    z.minLength(1),
    z.maxLength(200),
    z.refine((name) => !/[/\\\p{Cc}]/u.test(name), {
      message: "must not contain '/', '\\' or control characters",
    }),
    z.refine((name) => IMAGE_SUFFIX_FILTERS.some((suffix) => name.endsWith(suffix)), {
      message: `must end in ${IMAGE_SUFFIXES.join(', ')} (all lower or all upper case): only these start a job`,
    }),
    z.describe('the image file name, kept in the key (any Unicode; no slashes)'),
  ),
  contentType: z.enum(['image/png', 'image/jpeg', 'image/webp']).check(z.describe('sent as Content-Type with the PUT')),
  bytes: z
    .number()
    .check(z.int(), z.positive(), z.lte(MAX_UPLOAD_BYTES), z.describe('the exact size of the image, sent as Content-Length with the PUT')),
  options: z.optional(z.unknown()).check(z.describe('the job options: create-body fields except image, video and referenceImages')),
});
export type UploadRequest = z.infer<typeof UploadRequest>;

/** Media types a provider's image policy names, as content types. */
const POLICY_TYPES: Record<ImageInputPolicy['types'][number], string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/**
 * The problems of an upload request's file against the suffix it names and the provider's image policy (format and
 * size; dimensions are checked once the bytes are there, in Validate). Paths: `contentType`, `bytes`.
 */
export function uploadFileProblems(
  request: Pick<UploadRequest, 'fileName' | 'contentType' | 'bytes'>,
  policy?: ImageInputPolicy,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const suffix = (Object.keys(UPLOAD_CONTENT_TYPES) as (keyof typeof UPLOAD_CONTENT_TYPES)[]).find((s) =>
    request.fileName.toLowerCase().endsWith(s),
  );
  const expected = suffix ? UPLOAD_CONTENT_TYPES[suffix] : undefined;
  if (expected && request.contentType !== expected) {
    problems.push({ path: 'contentType', message: `'${request.contentType}' does not fit a ${suffix} file; send '${expected}'` });
  }
  if (policy) {
    const allowed = policy.types.map((type) => POLICY_TYPES[type]);
    if (!allowed.includes(request.contentType)) {
      problems.push({
        path: 'contentType',
        message: `'${request.contentType}' is not taken by the provider; allowed: ${[...new Set(allowed)].join(', ')}`,
      });
    }
    if (request.bytes > policy.maxBytes) {
      problems.push({ path: 'bytes', message: `${request.bytes} bytes is more than the provider takes; at most ${policy.maxBytes} bytes` });
    }
  }
  return problems;
}
