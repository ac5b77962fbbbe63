// `klingflow upload`: image-to-video through the API. `POST /v1/uploads` checks the options and answers a presigned
// PUT (no AWS credentials needed, locally or against a deployment); the PUT puts the image under uploads/, and S3
// starts the job the ticket named.
import { basename } from 'node:path';
import { IMAGE_SUFFIX_FILTERS, IMAGE_SUFFIXES, UPLOAD_CONTENT_TYPES } from '../lambdas/domain/uploads.ts';
import type { CreateJobInput, KlingflowApi, Ticket } from './api-client.ts';
import { UsageError } from './connect.ts';

/**
 * The content type of an image file by its suffix; refused (UsageError) when the trigger would start no job for it,
 * before anything is sent.
 */
export function uploadContentType(file: string): (typeof UPLOAD_CONTENT_TYPES)[keyof typeof UPLOAD_CONTENT_TYPES] {
  const name = basename(file);
  const suffix = (Object.keys(UPLOAD_CONTENT_TYPES) as (keyof typeof UPLOAD_CONTENT_TYPES)[]).find((s) => name.toLowerCase().endsWith(s));
  if (!suffix || !IMAGE_SUFFIX_FILTERS.some((filter) => name.endsWith(filter))) {
    throw new UsageError(
      `${name} would start no job: uploads start image-to-video jobs for files ending in ${IMAGE_SUFFIXES.join(', ')} (all lower or all upper case)`,
    );
  }
  return UPLOAD_CONTENT_TYPES[suffix];
}

/**
 * Uploads `bytes` (the file `file`) with the job options `options` (create-body fields but image, video and
 * referenceImages): asks the API for a ticket, PUTs the image to it, and answers the ticket (its `jobId` is the job
 * the upload becomes). Throws `ApiRequestFailed` (422 naming each field) when the API refuses the options.
 */
export async function uploadThroughApi(
  api: KlingflowApi,
  file: string,
  bytes: Uint8Array,
  options: Omit<CreateJobInput, 'image' | 'video' | 'referenceImages'>,
): Promise<Ticket> {
  const ticket = await api.createUpload({ fileName: basename(file), contentType: uploadContentType(file), bytes: bytes.length, options });
  await api.putUpload(ticket, bytes);
  return ticket;
}
