// AWS Signature Version 4 for the HTTP API (service `execute-api`), both ways: the CLI signs its requests with it
// against a deployment whose API uses `auth=iam`, and the local front door, started in SigV4 mode, verifies them
// with fixed local test credentials, so the signing path is tested end to end on one machine. Both sides use the
// same signer (@smithy/signature-v4, the one inside the AWS SDK), so they cannot disagree on canonicalisation.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** The service name API Gateway checks signatures for. */
export const EXECUTE_API = 'execute-api';

/**
 * The credentials the local front door accepts in SigV4 mode (`KLINGFLOW_API_AUTH=sigv4`): test values, public on
 * purpose, like s3rver's `S3RVER`. Clients sign with them as with any AWS credentials.
 */
export const LOCAL_SIGV4_CREDENTIALS = {
  accessKeyId: 'AKIDKLINGFLOWLOCAL01',
  secretAccessKey: 'klingflow-local-sigv4-test-secret-key',
} as const;

/** The region the local front door signs for in SigV4 mode. */
export const LOCAL_SIGV4_REGION = 'us-east-1';

/** How far a request's `x-amz-date` may be from now, as on AWS (15 minutes, in milliseconds). */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** SHA-256 (or HMAC-SHA256 with a secret) in the shape the signer wants (@smithy/signature-v4's `sha256`), on Node's crypto. */
export class Sha256 {
  private hash;
  private readonly secret?: string | Uint8Array;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.hash = this.secret ? createHmac('sha256', this.secret) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.secret ? createHmac('sha256', this.secret) : createHash('sha256');
  }
}

/** A request to sign or check: the URL as sent, its headers (lower-case names) and its body. */
export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

function toHttpRequest(request: SignableRequest, headers: Record<string, string>) {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const known = query[key];
    query[key] = known === undefined ? value : Array.isArray(known) ? [...known, value] : [known, value];
  }
  return {
    method: request.method.toUpperCase(),
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    ...(request.url.port ? { port: Number(request.url.port) } : {}),
    // The path as the caller meant it: each segment decoded once (the signer encodes it again).
    path: request.url.pathname
      .split('/')
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          return segment;
        }
      })
      .join('/'),
    query,
    headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  };
}

/**
 * Signs `request` for `execute-api` in `region`: answers the headers to send (`authorization`, `x-amz-date`,
 * `host`, `x-amz-content-sha256`, and `x-amz-security-token` for temporary credentials) besides the request's own.
 */
export async function signRequest(request: SignableRequest, credentials: Credentials, region: string): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials, region, service: EXECUTE_API, sha256: Sha256 });
  const headers = { ...request.headers, host: request.url.host };
  const signed = (await signer.sign(toHttpRequest(request, headers) as never)) as unknown as { headers: Record<string, string> };
  return signed.headers;
}

/** Why a SigV4 request was refused, or undefined when its signature verifies. */
export async function sigV4Problem(
  request: SignableRequest,
  expected: { credentials: Credentials; region: string },
  now = new Date(),
): Promise<string | undefined> {
  const authorization = request.headers.authorization ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return 'send an AWS Signature Version 4 Authorization header (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…)';
  const [, accessKeyId, day, region, service, signedHeaders = '', signature = ''] = match;
  if (accessKeyId !== expected.credentials.accessKeyId) return 'the access key is not one this API knows';
  if (region !== expected.region || service !== EXECUTE_API) return `sign for region ${expected.region} and service ${EXECUTE_API}`;
  const amzDate = request.headers['x-amz-date'] ?? '';
  const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!at) return 'x-amz-date is missing or not YYYYMMDDTHHMMSSZ';
  const [year, month, date, hours, minutes, seconds] = at.slice(1).map(Number) as [number, number, number, number, number, number];
  const signingDate = new Date(Date.UTC(year, month - 1, date, hours, minutes, seconds));
  if (amzDate.slice(0, 8) !== day) return 'the credential scope date is not the date of x-amz-date';
  if (Math.abs(signingDate.getTime() - now.getTime()) > MAX_CLOCK_SKEW_MS)
    return 'the signature has expired (x-amz-date is more than 15 minutes off)';
  // The signature covers the body through its hash: a declared hash must be the body's own (the signer would
  // otherwise trust the header and never look at the body).
  const declared = request.headers['x-amz-content-sha256'];
  if (declared !== undefined) {
    const actual = createHash('sha256')
      .update(request.body ?? '')
      .digest('hex');
    if (declared !== actual) return 'x-amz-content-sha256 is not the SHA-256 of the body';
  }
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return 'the host header must be signed';
  const headers = Object.fromEntries(names.map((name) => [name, request.headers[name] ?? '']));
  // Signed exactly as the client did: the headers it named (and no x-amz-content-sha256 of the signer's own, which
  // a client such as curl does not send), at the time it named.
  const signer = new SignatureV4({
    credentials: expected.credentials,
    region: expected.region,
    service: EXECUTE_API,
    sha256: Sha256,
    applyChecksum: false,
  });
  const resigned = (await signer.sign(toHttpRequest(request, headers) as never, { signingDate })) as unknown as {
    headers: Record<string, string>;
  };
  const recomputed = /Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization))?.[1] ?? '';
  const given = Buffer.from(signature, 'hex');
  const wanted = Buffer.from(recomputed, 'hex');
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return 'the signature does not match the request';
  return undefined;
}
