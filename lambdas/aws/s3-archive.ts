// Archiving a provider's result into our bucket: stream the download into S3, hashing and counting on the way, so
// memory stays constant whatever the size. A result with a declared length (what a provider's CDN sends) goes up as
// one streamed PutObject; one without, as a multipart upload. Provider URLs expire, so this runs once
// per job, right after the provider reports success.
//
// The download goes out through lambdas/aws/outbound.ts: the URL is checked as written (url-policy.ts), every
// address its host resolves to is checked on the socket that connects, and every redirect is checked again. The
// body flows through `stream/promises` pipeline, so an error anywhere (a connection cut mid-body, a timeout, S3
// failing) ends the whole copy with a typed error instead of an unhandled 'error' event.
import { ARCHIVE_STORE_UNAVAILABLE } from '../workflow/contract.ts';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProviderError } from '../domain/errors.ts';
import type { StoredObject } from '../domain/job.ts';
import { checkPublicUrl } from '../domain/url-policy.ts';
import type { S3 } from './clients/s3.ts';
import { BlockedDestination, type OutboundPolicy, type OutboundResponse, sendOutbound } from './outbound.ts';
import { uploadMultipart } from './s3-multipart.ts';

/**
 * The result cannot be archived and retrying will not help: the source answered that it is gone or forbidden (an
 * expired provider URL), it points somewhere klingflow does not fetch from, or it is larger than the archive takes.
 * The job ends `RESULT_UNAVAILABLE` (lambdas/workflow/failure.ts).
 */
export class ArchiveSourceGone extends Error {
  override readonly name = 'ArchiveSourceGone';
}

/**
 * Storing the result in the outputs bucket failed on S3's side, not the provider's: `ArchiveStoreUnavailable`
 * ({@link ARCHIVE_STORE_UNAVAILABLE}, retried by the workflow) when it may clear, `ArchiveStoreFailed` when it will
 * not. The message, with S3's error, is for the logs; the job's owner reads only the name.
 */
export class ArchiveStoreFailed extends Error {
  override readonly name: 'ArchiveStoreFailed' | typeof ARCHIVE_STORE_UNAVAILABLE;
  constructor(message: string, options: { cause: unknown; mayClear: boolean }) {
    super(message, { cause: options.cause });
    this.name = options.mayClear ? ARCHIVE_STORE_UNAVAILABLE : 'ArchiveStoreFailed';
  }
}

/**
 * HTTP statuses of S3 answers that may clear on a retry: throttling and S3's own failures, or no answer at all
 * (the client's errors carry S3's status as `status`; a socket error has none).
 */
const storeMayClear = (error: unknown): boolean => {
  const status = (error as { status?: number } | undefined)?.status;
  return status === undefined || status === 429 || status >= 500;
};

export interface ArchiveTarget {
  bucket: string;
  key: string;
  /** Used when the source sends no content type. */
  defaultContentType: string;
  /** Largest object archived, in bytes: a larger Content-Length is refused before the body is read, and a body that grows past it is cut off. */
  maxBytes: number;
}

export interface ArchiveDeps {
  s3: S3;
  /**
   * Where downloads may go: public addresses only, except `trustedHosts` (the provider's own configured host, the
   * simulator on loopback, say). `resolve` is DNS (tests pass a table).
   */
  outbound: OutboundPolicy;
  /** Milliseconds for the whole download, headers and body, redirects included. */
  timeoutMs: number;
}

const MAX_REDIRECTS = 3;
const PART_SIZE = 8 * 1024 * 1024;
/** Parts of a multipart upload sent at once. */
const PARTS_IN_FLIGHT = 2;
/** S3's largest single PUT. */
const SINGLE_PUT_MAX = 5 * 1024 ** 3;
/** Copies tried when S3's connection drops before it answers (see {@link droppedBeforeAnswer}). */
const STORE_ATTEMPTS = 2;
const DROPPED_CONNECTION_CODES = ['ECONNRESET', 'EPIPE', 'ECONNABORTED'];

/** A URL's host, for messages (never its path or query: result URLs carry signatures). */
const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
};

/** The URL as it may be fetched, or why not: trusted hosts as they are, anything else must pass the URL policy. */
function fetchableUrl(deps: ArchiveDeps, url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ArchiveSourceGone('refusing to download the result: its URL is not a valid URL');
  }
  if ((deps.outbound.trustedHosts ?? []).includes(parsed.host)) return parsed;
  const verdict = checkPublicUrl(url, { allowLoopback: deps.outbound.allowLoopback });
  if (!verdict.ok) throw new ArchiveSourceGone(`refusing to download the result: the URL ${verdict.reason}`);
  return verdict.url;
}

/** The first answer that is not a redirect, following at most {@link MAX_REDIRECTS}, each one checked again. */
async function download(deps: ArchiveDeps, url: string, signal: AbortSignal): Promise<OutboundResponse> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const target = fetchableUrl(deps, current);
    let response: OutboundResponse;
    try {
      response = await sendOutbound(target, { method: 'GET', signal }, deps.outbound);
    } catch (error) {
      if (error instanceof BlockedDestination) throw new ArchiveSourceGone(`refusing to download the result: ${error.message}`);
      throw new ProviderError('network', `downloading the result from ${target.host} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const { status, headers } = response;
    if (status >= 300 && status < 400 && headers.location) {
      response.body.destroy();
      current = new URL(headers.location, target).toString();
      continue;
    }
    if ([401, 403, 404, 410].includes(status)) {
      response.body.destroy();
      throw new ArchiveSourceGone(`the result URL answered ${status}: it has expired or was removed`);
    }
    if (status < 200 || status >= 300) {
      response.body.destroy();
      throw new ProviderError('server', `downloading the result failed with HTTP ${status}`, { httpStatus: status });
    }
    return response;
  }
  throw new ProviderError('server', `the result URL redirected more than ${MAX_REDIRECTS} times`);
}

/** A declared Content-Length, or `undefined` when absent or not a whole number. */
function declaredLength(headers: OutboundResponse['headers']): number | undefined {
  const raw = headers['content-length'];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** A body that grew past the archive's limit. */
class TooLarge extends Error {}

/**
 * Copies the result at `sourceUrl` to `target` and returns what was stored, with its size and SHA-256. Throws:
 * - {@link ArchiveSourceGone} (terminal) when the URL, a redirect or a resolved address is refused, the source
 *   answers 401/403/404/410, or the result is larger than `target.maxBytes`;
 * - `ProviderError('network')` (retried by the workflow) when the connection fails, times out, or is cut before
 *   the declared Content-Length arrived ("the download was truncated (N of M bytes)");
 * - {@link ArchiveStoreFailed} when S3 fails the copy first (a connection S3 drops before it answers is first tried
 *   once more, from a fresh download): named `ArchiveStoreUnavailable` (retried) for a 5xx, 429 or no answer,
 *   `ArchiveStoreFailed` (terminal) for another refusal;
 * - `ProviderError('server')` for another non-2xx answer or too many redirects.
 */
export async function archiveObject(deps: ArchiveDeps, sourceUrl: string, target: ArchiveTarget): Promise<StoredObject> {
  return copy(deps, sourceUrl, target, AbortSignal.timeout(deps.timeoutMs), 1);
}

/**
 * S3's connection went away before it answered: a kept-alive socket that the other end closed just as the PUT
 * went out on it, say. Nothing was stored (a PUT is atomic), and the client cannot send a streamed body again.
 */
function droppedBeforeAnswer(error: unknown): boolean {
  const e = error as { status?: number; code?: unknown } | undefined;
  return e?.status === undefined && DROPPED_CONNECTION_CODES.includes(String(e?.code));
}

async function copy(
  deps: ArchiveDeps,
  sourceUrl: string,
  target: ArchiveTarget,
  signal: AbortSignal,
  attempt: number,
): Promise<StoredObject> {
  const response = await download(deps, sourceUrl, signal);
  const declared = declaredLength(response.headers);
  if (declared !== undefined && declared > target.maxBytes) {
    response.body.destroy();
    throw new ArchiveSourceGone(`the result is ${declared} bytes; at most ${target.maxBytes} are archived`);
  }
  const contentType = response.headers['content-type']?.split(';')[0]?.trim() || target.defaultContentType;
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > target.maxBytes) return done(new TooLarge());
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // A streamed PUT does not end when its body fails (a piped body's error does not reach the socket): the request
  // would wait for the rest of its Content-Length until the timeout. A failed download aborts it.
  const stopPut = new AbortController();
  // A declared length up to S3's single-PUT limit streams as one PutObject: the bytes pass straight from the
  // download to the socket (no part buffers, no per-part SigV4 payload hash, one object write at the other end).
  // Without a declared length (or beyond the limit) the body goes up as a multipart upload of PART_SIZE parts.
  const stored =
    declared !== undefined && declared <= SINGLE_PUT_MAX
      ? () =>
          deps.s3.put(target.bucket, target.key, meter, {
            contentLength: declared,
            contentType,
            signal: AbortSignal.any([signal, stopPut.signal]),
          })
      : () =>
          uploadMultipart(deps.s3, meter, {
            bucket: target.bucket,
            key: target.key,
            contentType,
            partSize: PART_SIZE,
            inFlight: PARTS_IN_FLIGHT,
          });
  // Both ends settle: the download into the meter, and the upload out of it. Whichever fails first stops the other.
  let failedFirst: 'source' | 'store' | undefined;
  response.body.once('error', () => {
    failedFirst ??= 'source';
  });
  const piped = pipeline(response.body, meter).catch((error: unknown) => {
    stopPut.abort(error);
    throw error;
  });
  const uploaded = stored().catch((error: unknown) => {
    failedFirst ??= 'store';
    meter.destroy(error as Error);
    throw error;
  });
  const [download_, upload_] = await Promise.allSettled([piped, uploaded]);
  if (download_.status === 'rejected' || upload_.status === 'rejected') {
    // The client retries a buffered request whose connection dropped, but not a streamed one: the copy starts again,
    // from a fresh download, once.
    if (failedFirst === 'store' && attempt < STORE_ATTEMPTS && upload_.status === 'rejected' && droppedBeforeAnswer(upload_.reason)) {
      return copy(deps, sourceUrl, target, signal, attempt + 1);
    }
    if (download_.status === 'rejected' && download_.reason instanceof TooLarge) {
      throw new ArchiveSourceGone(`the result grew past ${target.maxBytes} bytes; at most ${target.maxBytes} are archived`);
    }
    // S3 failed first (the download's failure, if any, is its echo): klingflow's own storage, not the provider.
    if (failedFirst === 'store' && upload_.status === 'rejected') {
      const cause = upload_.reason as Error | undefined;
      throw new ArchiveStoreFailed(`storing the result in S3 failed after ${bytes} bytes: ${cause?.name}: ${cause?.message}`, {
        cause,
        mayClear: storeMayClear(cause),
      });
    }
    if (declared !== undefined && bytes < declared) {
      throw new ProviderError('network', `the download was truncated (${bytes} of ${declared} bytes)`, {
        cause: reasonOf(download_, upload_),
      });
    }
    const cause = reasonOf(download_, upload_) as Error;
    const during = download_.status === 'rejected' ? `downloading the result from ${hostOf(sourceUrl)}` : 'storing the result';
    throw new ProviderError('network', `archiving failed while ${during}, after ${bytes} bytes: ${cause?.message ?? cause}`, { cause });
  }
  if (declared !== undefined && declared !== bytes) {
    throw new ProviderError('network', `the download was truncated (${bytes} of ${declared} bytes)`);
  }
  return { bucket: target.bucket, key: target.key, bytes, sha256: hash.digest('hex'), contentType };
}

/** The first rejection's reason: the download's when both failed (the upload's error is then its echo). */
function reasonOf(...results: PromiseSettledResult<unknown>[]): unknown {
  return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
}
