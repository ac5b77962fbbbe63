// A stream of unknown length into one S3 object, as a multipart upload: the stream is cut into parts of a fixed
// size, at most `inFlight` parts are sent at once, and reading waits while they are (so memory stays near
// (inFlight + 1) × partSize whatever the size). Any failure aborts the upload, so no parts are left behind.
import type { Readable } from 'node:stream';
import type { S3 } from './clients/s3.ts';

export interface MultipartOptions {
  bucket: string;
  key: string;
  contentType?: string;
  /** Bytes per part (S3: at least 5 MiB, but the last). */
  partSize: number;
  /** Parts being sent at once. */
  inFlight: number;
}

/**
 * Uploads `body` to `bucket`/`key` in parts and completes the upload once `body` ends. A body that ends before
 * one full part goes up as a single part. Throws the first failure (the body's error, or S3's: an S3Error or a
 * socket error), after aborting the upload (the abort's own failure is not reported: S3 drops unfinished uploads
 * after the bucket's lifecycle rule, if any). The parts in flight are aborted too.
 */
export async function uploadMultipart(s3: S3, body: Readable, options: MultipartOptions): Promise<void> {
  const { bucket, key } = options;
  // Until the loop below reads `body`, nothing listens for its 'error': a body that fails while the upload is being
  // created would be an uncaught exception. Heard here, the error is thrown again by the loop (an errored stream's
  // iterator throws its error).
  const heard = () => undefined;
  body.on('error', heard);
  try {
    return await uploadParts(s3, body, options, await s3.createMultipart(bucket, key, { contentType: options.contentType }));
  } finally {
    body.off('error', heard);
  }
}

async function uploadParts(s3: S3, body: Readable, options: MultipartOptions, uploadId: string): Promise<void> {
  const { bucket, key, partSize, inFlight } = options;
  const stop = new AbortController();
  const parts: { partNumber: number; etag: string }[] = [];
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const sendPart = (partNumber: number, bytes: Buffer) => {
    const sending = s3
      .uploadPart(bucket, key, uploadId, partNumber, bytes, stop.signal)
      .then((etag) => {
        parts.push({ partNumber, etag });
      })
      .catch((error: unknown) => {
        failure ??= { error };
        stop.abort(error);
      })
      .finally(() => running.delete(sending));
    running.add(sending);
  };
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let partNumber = 0;
    for await (const chunk of body) {
      let rest = chunk as Buffer;
      while (pendingBytes + rest.length >= partSize) {
        const take = partSize - pendingBytes;
        pending.push(rest.subarray(0, take));
        rest = rest.subarray(take);
        sendPart(++partNumber, Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
        while (running.size >= inFlight) await Promise.race(running);
        if (failure) throw failure.error;
      }
      if (rest.length) {
        pending.push(rest);
        pendingBytes += rest.length;
      }
    }
    if (pendingBytes > 0 || partNumber === 0) sendPart(++partNumber, Buffer.concat(pending));
    await Promise.all(running);
    if (failure) throw failure.error;
    parts.sort((a, b) => a.partNumber - b.partNumber);
    await s3.completeMultipart(bucket, key, uploadId, parts);
  } catch (error) {
    // The first failure is the one to report: the parts still in flight fail next, aborted because of it.
    failure ??= { error };
    stop.abort(failure.error);
    await Promise.allSettled(running);
    await s3.abortMultipart(bucket, key, uploadId).catch(() => undefined);
    throw failure.error;
  }
}
