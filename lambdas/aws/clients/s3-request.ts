// One signed request to S3 over node:http(s): SigV4 signing by `aws4` (the signer aws-lite itself uses), S3's rules
// for object paths, its XML errors as named Errors, and retries of requests whose body can be sent again. The
// operations (HeadObject, GetObject…) are in s3.ts; this file knows nothing of them.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import aws4 from 'aws4';
import { AWS_RETRIES } from './aws-lite.ts';

/** Where and as whom requests go. */
export interface S3Settings {
  /** The endpoint (`http://127.0.0.1:4569`), or undefined for AWS's own (`https://<bucket>.s3.<region>.amazonaws.com`). */
  endpoint?: string;
  region: string;
  /** Bucket in the path (`<endpoint>/<bucket>/<key>`) rather than in the host name. */
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * An error answer of S3: `name` is S3's `<Code>` (`NoSuchKey`, `AccessDenied`, `SlowDown`…), or for an answer
 * without a body (a HEAD) `NotFound` (404), `Forbidden` (403), `BadRequest` (400), else `S3Http<status>`.
 */
export class S3Error extends Error {
  /** The HTTP status of S3's answer. */
  readonly status: number;
  /** S3's request id (`x-amz-request-id`), for AWS support. */
  readonly requestId: string | undefined;
  constructor(name: string, message: string, status: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.status = status;
    this.requestId = requestId;
  }
}

/** A request: its object (or bucket, with no key), its query (`uploads`, `partNumber`…), headers and body. */
export interface S3Request {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  bucket: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * A body sent whole (signed with its SHA-256, retried), or a stream sent as it comes (signed `UNSIGNED-PAYLOAD`,
   * never retried; its length must be in `headers['content-length']`).
   */
  body?: Buffer | string | Readable;
  /** Aborts the request: it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Whether a request body is a stream (sent once, as it comes) rather than bytes sent whole. */
export const isStreamed = (body: S3Request['body']): body is Readable =>
  body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);

/** S3's answer: status, headers (lower-case names) and its body, unread. */
export interface S3Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/** An object key as S3 signs and reads it: each `/`-separated segment URI-encoded (RFC 3986), the slashes kept. */
export const encodeKey = (key: string): string =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');

/** The URL parts of a request: protocol, host (with port) and path (with the encoded key, no query). */
export function locate(settings: S3Settings, bucket: string, key: string | undefined): { protocol: string; host: string; path: string } {
  const objectPath = key === undefined ? '' : `/${encodeKey(key)}`;
  if (settings.endpoint) {
    const url = new URL(settings.endpoint);
    const base = url.pathname.replace(/\/+$/, '');
    if (settings.forcePathStyle) return { protocol: url.protocol, host: url.host, path: `${base}/${bucket}${objectPath}` || '/' };
    return { protocol: url.protocol, host: `${bucket}.${url.host}`, path: `${base}${objectPath}` || '/' };
  }
  const host = `s3.${settings.region}.amazonaws.com`;
  if (settings.forcePathStyle) return { protocol: 'https:', host, path: `/${bucket}${objectPath}` };
  return { protocol: 'https:', host: `${bucket}.${host}`, path: objectPath || '/' };
}

const queryString = (query: Record<string, string> | undefined): string =>
  query && Object.keys(query).length ? `?${new URLSearchParams(query).toString().replace(/\+/g, '%20')}` : '';

/**
 * A presigned URL (SigV4 in the query, `UNSIGNED-PAYLOAD`) valid for `expiresInSeconds` (at most 604800, S3's
 * limit). `headers` are signed too (lower-case names): a request must then send exactly those values.
 */
export function presignUrl(
  settings: S3Settings,
  request: { method: 'GET' | 'PUT'; bucket: string; key: string; headers?: Record<string, string> },
  expiresInSeconds: number,
): string {
  const { protocol, host, path } = locate(settings, request.bucket, request.key);
  const signed = aws4.sign(
    {
      service: 's3',
      region: settings.region,
      method: request.method,
      host,
      path: `${path}?X-Amz-Expires=${Math.floor(expiresInSeconds)}`,
      headers: { ...request.headers },
      signQuery: true,
    },
    settings.credentials,
  );
  return `${protocol}//${host}${signed.path}`;
}

/** Connection errors worth a new attempt of a request whose body can be sent again. */
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED']);
/** S3 error codes worth a new attempt, whatever their status (S3's RequestTimeout is a 400). */
const RETRYABLE_NAMES = new Set(['SlowDown', 'RequestTimeout', 'Throttling', 'ThrottlingException', 'InternalError', 'ServiceUnavailable']);

const retryable = (error: unknown): boolean => {
  if (error instanceof S3Error) return error.status === 429 || error.status >= 500 || RETRYABLE_NAMES.has(error.name);
  return RETRYABLE_CODES.has(String((error as { code?: unknown } | undefined)?.code));
};

/** The text of the first `<tag>` element of an XML answer, unescaped, or undefined. */
export const xmlText = (xml: string, tag: string): string | undefined => {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match?.[1]
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
};

/** Reads a whole body (bytes). */
export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const BODYLESS_NAMES: Record<number, string> = { 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound' };

/** The {@link S3Error} of a non-2xx answer (its body read, at most a few KB from S3). */
async function errorOf(response: S3Response): Promise<S3Error> {
  const xml = (await readAll(response.body)).toString('utf8');
  const code = xmlText(xml, 'Code') ?? BODYLESS_NAMES[response.status] ?? `S3Http${response.status}`;
  const message = xmlText(xml, 'Message') ?? `S3 answered HTTP ${response.status}`;
  const requestId = response.headers['x-amz-request-id'];
  return new S3Error(code, message, response.status, typeof requestId === 'string' ? requestId : undefined);
}

/** The HTTP agents of one client: kept-alive connections, as the AWS SDK keeps them. */
export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export const makeAgents = (): Agents => ({
  http: new http.Agent({ keepAlive: true, maxSockets: 50 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 50 }),
});

/** One attempt: signs and sends, resolving with the answer's headers once they arrive (any status). */
function attempt(settings: S3Settings, agents: Agents, request: S3Request): Promise<S3Response> {
  const { protocol, host, path } = locate(settings, request.bucket, request.key);
  const streamed = isStreamed(request.body);
  const whole = streamed ? undefined : (request.body as Buffer | string | undefined);
  const headers: Record<string, string> = { ...request.headers };
  if (streamed) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  if (whole !== undefined) headers['content-length'] = String(Buffer.byteLength(whole));
  const signed = aws4.sign(
    {
      service: 's3',
      region: settings.region,
      method: request.method,
      host,
      path: `${path}${queryString(request.query)}`,
      headers,
      ...(whole !== undefined ? { body: whole } : {}),
    },
    settings.credentials,
  );
  const secure = protocol === 'https:';
  const [hostname, port] = host.startsWith('[') ? [host.slice(1, host.indexOf(']')), host.split(']:')[1]] : host.split(':');
  return new Promise<S3Response>((resolve, reject) => {
    const outgoing = (secure ? https : http).request(
      {
        protocol,
        hostname,
        port: port ? Number(port) : undefined,
        method: request.method,
        path: signed.path,
        headers: signed.headers as http.OutgoingHttpHeaders,
        agent: secure ? agents.https : agents.http,
        signal: request.signal,
      },
      (incoming) => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: incoming }),
    );
    outgoing.on('error', reject);
    // A streamed body's failure ends the request too (pipeline destroys it), instead of leaving it to wait for
    // the rest of its Content-Length.
    if (streamed) pipeline(request.body as Readable, outgoing).catch(reject);
    else outgoing.end(whole);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `request` and answers S3's 2xx answer, its body unread (the caller reads or discards it). Throws an
 * {@link S3Error} for an error answer, the socket's error (with its `code`, no `status`) when the connection fails,
 * the signal's reason when aborted. A request with a whole body (or none) is tried {@link AWS_RETRIES} more times on
 * throttling, 5xx and dropped connections, after 0–100 ms, then 0–200 ms (full jitter, as aws-lite and the SDK);
 * a streamed body is sent once.
 */
export async function send(settings: S3Settings, agents: Agents, request: S3Request): Promise<S3Response> {
  const streamed = isStreamed(request.body);
  const attempts = streamed ? 1 : 1 + AWS_RETRIES;
  for (let tried = 1; ; tried++) {
    try {
      const response = await attempt(settings, agents, request);
      if (response.status >= 200 && response.status < 300) return response;
      throw await errorOf(response);
    } catch (error) {
      if (tried >= attempts || request.signal?.aborted || !retryable(error)) throw error;
      await pause(Math.floor(Math.random() * 100 * 2 ** (tried - 1)));
    }
  }
}
