// Archiving a provider's result into our bucket: stream the download into a multipart upload, hashing and
// counting on the way, so memory stays constant whatever the size. Provider URLs expire, so this runs once
// per job, right after the provider reports success.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ProviderError } from '../domain/errors.ts';
import type { StoredObject } from '../domain/job.ts';
import { checkPublicUrl } from '../domain/url-policy.ts';

/** The source answered that the object is gone or forbidden (an expired provider URL): retrying won't help. */
export class ArchiveSourceGone extends Error {
  override readonly name = 'ArchiveSourceGone';
}

export interface ArchiveTarget {
  bucket: string;
  key: string;
  /** Used when the source sends no content type. */
  defaultContentType: string;
}

export interface ArchiveDeps {
  s3: S3Client;
  fetch: typeof fetch;
  /** Hosts trusted besides public ones: the provider's own configured host (the simulator on loopback, say). */
  trustedHosts: readonly string[];
  timeoutMs: number;
}

const MAX_REDIRECTS = 3;
const PART_SIZE = 8 * 1024 * 1024;

async function download(deps: ArchiveDeps, url: string): Promise<Response> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    assertFetchable(deps, current);
    let response: Response;
    try {
      response = await deps.fetch(current, { redirect: 'manual', signal: AbortSignal.timeout(deps.timeoutMs) });
    } catch (error) {
      throw new ProviderError('network', `downloading the result failed: ${(error as Error).message}`, { cause: error });
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      current = new URL(location, current).toString();
      continue;
    }
    if ([401, 403, 404, 410].includes(response.status)) {
      throw new ArchiveSourceGone(`the result URL answered ${response.status}: it has expired or was removed`);
    }
    if (!response.ok || !response.body) {
      throw new ProviderError('server', `downloading the result failed with HTTP ${response.status}`, { httpStatus: response.status });
    }
    return response;
  }
  throw new ProviderError('server', `the result URL redirected more than ${MAX_REDIRECTS} times`);
}

function assertFetchable(deps: ArchiveDeps, url: string): void {
  const parsed = new URL(url);
  if (deps.trustedHosts.includes(parsed.host)) return;
  const verdict = checkPublicUrl(url);
  if (!verdict.ok) throw new ArchiveSourceGone(`refusing to download the result: the URL ${verdict.reason}`);
}

export async function archiveObject(deps: ArchiveDeps, sourceUrl: string, target: ArchiveTarget): Promise<StoredObject> {
  const response = await download(deps, sourceUrl);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const contentType = response.headers.get('content-type')?.split(';')[0]?.trim() || target.defaultContentType;
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>).pipe(meter);
  const upload = new Upload({
    client: deps.s3,
    params: { Bucket: target.bucket, Key: target.key, Body: body, ContentType: contentType },
    partSize: PART_SIZE,
    queueSize: 2,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    throw new ProviderError('network', `archiving the result failed mid-stream: ${(error as Error).message}`, { cause: error });
  }
  if (Number.isFinite(declared) && declared !== bytes) {
    throw new ProviderError('network', `the download was truncated: ${bytes} of ${declared} bytes arrived`);
  }
  return { bucket: target.bucket, key: target.key, bytes, sha256: hash.digest('hex'), contentType };
}
