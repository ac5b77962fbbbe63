// The S3 client of the handlers: the few operations klingflow uses, as signed requests (s3-request.ts) with `aws4`
// and node:http(s), in place of the AWS SDK's S3 client, lib-storage and presigner (about 300 KB of each bundle that
// used S3; docs/architecture.md, "Lambda bundles"). One client per settings (per-settings.ts), made on first use.
import type { Readable } from 'node:stream';
import { config } from '../env.ts';
import { endpointOf } from './aws-lite.ts';
import { perSettings } from './per-settings.ts';
import { type Agents, isStreamed, makeAgents, presignUrl, readAll, S3Error, type S3Settings, send, xmlText } from './s3-request.ts';

export { S3Error, type S3Settings } from './s3-request.ts';

/** What HeadObject tells of an object. */
export interface S3Head {
  /** Bytes. */
  contentLength: number;
  contentType: string | undefined;
  /** User metadata, names without `x-amz-meta-` (lower case, as S3 keeps them). */
  metadata: Record<string, string>;
}

/** A GetObject answer: the body as it streams in (the caller reads or destroys it), its declared length and type. */
export interface S3Object {
  body: Readable;
  /** Bytes, as S3 declared them (undefined when it declared none). */
  contentLength: number | undefined;
  contentType: string | undefined;
}

/**
 * The operations klingflow uses. Every method throws an {@link S3Error} named by S3's error code (`NoSuchKey`,
 * `AccessDenied`, `SlowDown`; `NotFound` for a HEAD's bodiless 404) with the HTTP `status`, or the socket's error
 * (its `code`, e.g. `ECONNRESET`, and no `status`) when the connection fails.
 */
export interface S3 {
  /** HeadObject (of `versionId` when given). */
  head(bucket: string, key: string, options?: { versionId?: string }): Promise<S3Head>;
  /** GetObject, streamed. */
  get(bucket: string, key: string): Promise<S3Object>;
  /**
   * PutObject. A Buffer or string is sent whole (and retried); a stream goes as it comes, once, and needs
   * `contentLength` (bytes), which S3 holds it to. `signal` aborts the request.
   */
  put(
    bucket: string,
    key: string,
    body: Buffer | string | Readable,
    options?: { contentType?: string; contentLength?: number; signal?: AbortSignal },
  ): Promise<void>;
  /** CreateMultipartUpload: the upload's id. */
  createMultipart(bucket: string, key: string, options?: { contentType?: string }): Promise<string>;
  /** UploadPart (`partNumber` 1–10000): the part's ETag, for {@link S3.completeMultipart}. */
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer, signal?: AbortSignal): Promise<string>;
  /** CompleteMultipartUpload with the parts in order. A 200 answer carrying an error is thrown as that error. */
  completeMultipart(bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void>;
  /** AbortMultipartUpload: the parts stored so far are dropped. */
  abortMultipart(bucket: string, key: string, uploadId: string): Promise<void>;
  /**
   * A presigned URL valid for `expiresInSeconds` (≤ 604800). For a PUT, `contentType` and `contentLength` (bytes)
   * are signed when given: S3 then refuses a request with other values.
   */
  presign(
    method: 'GET' | 'PUT',
    bucket: string,
    key: string,
    expiresInSeconds: number,
    signed?: { contentType?: string; contentLength?: number },
  ): string;
  /** Closes the kept-alive connections (tests; a Lambda's client lives as long as its process). */
  destroy(): void;
}

/** Lower-case header names → values, of the ones given. */
const headersOf = (entries: Record<string, string | number | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(entries).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])));

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A client of S3 with these settings. */
export function s3Client(settings: S3Settings): S3 {
  const agents: Agents = makeAgents();
  const call = (request: Parameters<typeof send>[2]) => send(settings, agents, request);
  /** Sends and reads the whole (small) answer. */
  const text = async (request: Parameters<typeof send>[2]): Promise<string> => (await readAll((await call(request)).body)).toString('utf8');
  return {
    async head(bucket, key, options = {}) {
      const response = await call({ method: 'HEAD', bucket, key, query: options.versionId ? { versionId: options.versionId } : undefined });
      response.body.resume();
      const metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = String(header(value));
      }
      return {
        contentLength: Number(response.headers['content-length'] ?? 0),
        contentType: response.headers['content-type'],
        metadata,
      };
    },
    async get(bucket, key) {
      const response = await call({ method: 'GET', bucket, key });
      const length = response.headers['content-length'];
      return {
        body: response.body,
        contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
        contentType: response.headers['content-type'],
      };
    },
    async put(bucket, key, body, options = {}) {
      const streamed = isStreamed(body);
      if (streamed && options.contentLength === undefined) throw new TypeError('a streamed PutObject needs its contentLength');
      const headers = headersOf({ 'content-type': options.contentType, 'content-length': streamed ? options.contentLength : undefined });
      (await call({ method: 'PUT', bucket, key, body, headers, signal: options.signal })).body.resume();
    },
    async createMultipart(bucket, key, options = {}) {
      const xml = await text({
        method: 'POST',
        bucket,
        key,
        query: { uploads: '' },
        headers: headersOf({ 'content-type': options.contentType }),
      });
      const uploadId = xmlText(xml, 'UploadId');
      if (!uploadId) throw new Error('S3 answered CreateMultipartUpload without an UploadId');
      return uploadId;
    },
    async uploadPart(bucket, key, uploadId, partNumber, body, signal) {
      const query = { partNumber: String(partNumber), uploadId };
      const response = await call({ method: 'PUT', bucket, key, query, body, signal });
      response.body.resume();
      const etag = header(response.headers.etag);
      if (!etag) throw new Error(`S3 answered UploadPart ${partNumber} without an ETag`);
      return etag;
    },
    async completeMultipart(bucket, key, uploadId, parts) {
      const body = `<CompleteMultipartUpload>${parts
        .map((part) => `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(part.etag)}</ETag></Part>`)
        .join('')}</CompleteMultipartUpload>`;
      const xml = await text({ method: 'POST', bucket, key, query: { uploadId }, body, headers: { 'content-type': 'application/xml' } });
      // S3 may answer 200 and report a failure in the body (its documented CompleteMultipartUpload behaviour).
      if (xml.includes('<Error>')) {
        throw new S3Error(
          xmlText(xml, 'Code') ?? 'InternalError',
          xmlText(xml, 'Message') ?? 'CompleteMultipartUpload failed',
          200,
          undefined,
        );
      }
    },
    async abortMultipart(bucket, key, uploadId) {
      (await call({ method: 'DELETE', bucket, key, query: { uploadId } })).body.resume();
    },
    presign(method, bucket, key, expiresInSeconds, signed = {}) {
      const headers = headersOf({ 'content-type': signed.contentType, 'content-length': signed.contentLength });
      return presignUrl(settings, { method, bucket, key, headers }, expiresInSeconds);
    },
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/**
 * The settings as a Lambda function has them: credentials and region from its environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`), the endpoint from `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL` (the local stack), path style when `KLINGFLOW_S3_FORCE_PATH_STYLE` is `true`. Throws naming
 * what is missing.
 */
export function settingsFromEnvironment(): S3Settings {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION } = process.env;
  const region = AWS_REGION || AWS_DEFAULT_REGION;
  if (!region) throw new Error('S3: no region (AWS_REGION is not set)');
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY)
    throw new Error('S3: no credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set)');
  const endpoint = endpointOf('S3');
  return {
    ...(endpoint ? { endpoint } : {}),
    region,
    forcePathStyle: config.s3ForcePathStyle(),
    credentials: {
      accessKeyId: AWS_ACCESS_KEY_ID,
      secretAccessKey: AWS_SECRET_ACCESS_KEY,
      ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
    },
  };
}

/** This deployment's (or the local stack's) S3. */
export const s3 = perSettings('S3', () => s3Client(settingsFromEnvironment()));
