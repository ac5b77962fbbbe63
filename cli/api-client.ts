// A typed client of klingflow's HTTP API (docs/api.md), used by the CLI and usable by any TypeScript program. Its
// types are those of the zod schemas the API answers with and the OpenAPI document is generated from
// (lambdas/http/schemas.ts), so the client cannot drift from the server. It authenticates with a bearer token (the
// local stack's, or a JWT) or signs every request with AWS SigV4 (a deployment with auth=iam).
import type { z } from 'zod';
import type {
  CreateJobRequest,
  ErrorBody,
  Job,
  JobAccepted,
  JobList,
  ProviderCatalog,
  UploadRequest,
  UploadTicket,
} from '../lambdas/http/schemas.ts';
import { type Credentials, signRequest } from '../local/sigv4.ts';
import type { MetricTotal } from '../lambdas/domain/metrics.ts';

/** The error of a 4xx/5xx answer: `{code, message, details?}` (details name each field at fault). */
export type ApiError = ErrorBody['error'];
/** A job as `GET /v1/jobs/{jobId}` answers it. */
export type JobView = z.output<typeof Job>;
/** The create body of `POST /v1/jobs`, as a caller writes it. */
export type CreateJobInput = z.input<typeof CreateJobRequest>;
/** The body of `POST /v1/uploads`. */
export type UploadInput = z.input<typeof UploadRequest>;
export type Accepted = z.output<typeof JobAccepted>;
export type JobPage = z.output<typeof JobList>;
export type Catalog = z.output<typeof ProviderCatalog>;
export type Ticket = z.output<typeof UploadTicket>;

export class ApiRequestFailed extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(`${status} ${error.code}: ${error.message}`);
  }
}

/** One metric summed over the local stack's EMF lines, as `GET /v1/metrics` answers it. */
export type MetricTotalView = MetricTotal;

/** The API could not be reached at all (nothing listening, DNS, TLS...): not an answer from klingflow. */
export class ApiUnreachable extends Error {
  constructor(baseUrl: string, cause: unknown) {
    const reason = (cause as { cause?: { code?: string; message?: string } }).cause;
    super(
      `cannot reach the klingflow API at ${baseUrl} (${reason?.code ?? reason?.message ?? (cause as Error).message}); is it running, and is --api right?`,
    );
  }
}

/**
 * How requests are authenticated: `Authorization: Bearer <token>`, or AWS Signature Version 4 (service
 * `execute-api`) with credentials resolved per request (they may be temporary and refreshed).
 */
export type ApiAuth = { kind: 'bearer'; token: string } | { kind: 'sigv4'; region: string; credentials: () => Promise<Credentials> };

export class KlingflowApi {
  constructor(
    readonly baseUrl: string,
    private readonly auth: ApiAuth,
  ) {}

  /** How this client authenticates (`bearer` or `sigv4`), for messages. */
  get authKind(): ApiAuth['kind'] {
    return this.auth.kind;
  }

  /** `fetch` with the credentials added, a failure to connect reported as {@link ApiUnreachable}. */
  private async send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    let sent = { ...headers };
    if (this.auth.kind === 'bearer') sent.authorization = `Bearer ${this.auth.token}`;
    else sent = await signRequest({ method, url, headers: sent, body }, await this.auth.credentials(), this.auth.region);
    // undici sets host itself (from the URL, which is what was signed).
    delete sent.host;
    try {
      return await fetch(url, { method, headers: sent, body, redirect: 'manual' });
    } catch (error) {
      throw new ApiUnreachable(this.baseUrl, error);
    }
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? {} : { 'content-type': 'application/json' },
    );
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined; // a proxy's or gateway's page, not klingflow's JSON
    }
    if (!response.ok) {
      const error = (parsed as { error?: ApiError } | undefined)?.error ?? {
        code: 'HTTP_ERROR',
        // API Gateway's own refusals are {"message": "..."}.
        message: (parsed as { message?: string } | undefined)?.message ?? (text.slice(0, 200) || response.statusText),
      };
      throw new ApiRequestFailed(response.status, error);
    }
    return parsed as T;
  }

  /** `POST /v1/jobs`: creates a job; throws {@link ApiRequestFailed} (422 with one detail per field) when refused. */
  createJob(request: CreateJobInput): Promise<Accepted> {
    return this.call('POST', '/v1/jobs', request);
  }

  /** `GET /v1/jobs/{jobId}`; a 404 is thrown as {@link ApiRequestFailed}. */
  getJob(jobId: string): Promise<JobView> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  /** One page of jobs, newest first (`GET /v1/jobs`); pass `nextCursor` back as `cursor` for the next. */
  listJobs(query: { status?: string; provider?: string; limit?: number; cursor?: string }): Promise<JobPage> {
    const params = new URLSearchParams(
      Object.entries(query)
        .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
        .map(([k, v]): [string, string] => [k, String(v)]),
    );
    return this.call('GET', `/v1/jobs${params.size ? `?${params}` : ''}`);
  }

  /**
   * The local stack's metric sums (`GET /v1/metrics`, local front door only): per metric and dimension set, the
   * count, sum, min and max of the values the handlers emitted, optionally of one job, metric or provider.
   */
  metrics(filter: { jobId?: string; name?: string; provider?: string }): Promise<{ metrics: MetricTotalView[]; lines: number }> {
    const params = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return this.call('GET', `/v1/metrics${params.size ? `?${params}` : ''}`);
  }

  /** Cancels a job that has not finished; answers the cancelled job (`DELETE /v1/jobs/{jobId}`). */
  cancelJob(jobId: string): Promise<JobView> {
    return this.call('DELETE', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  /** `GET /v1/providers`: every enabled provider, its models, what each allows, defaults, limits and prices. */
  providers(): Promise<Catalog> {
    return this.call('GET', '/v1/providers');
  }

  /** `POST /v1/uploads`: a presigned PUT for an image and the job it will become (422 names what does not fit). */
  createUpload(request: UploadInput): Promise<Ticket> {
    return this.call('POST', '/v1/uploads', request);
  }

  /** Sends the image of a ticket to its presigned URL (no credentials: the URL carries them). Throws on a refusal. */
  async putUpload(ticket: Ticket, bytes: Uint8Array): Promise<void> {
    let response: Response;
    try {
      // content-length is the body's own (the ticket signed exactly that size).
      response = await fetch(ticket.upload.url, {
        method: 'PUT',
        headers: { 'content-type': ticket.upload.headers['content-type'] ?? 'application/octet-stream' },
        body: bytes,
      });
    } catch (error) {
      throw new ApiUnreachable(new URL(ticket.upload.url).origin, error);
    }
    if (!response.ok) {
      throw new ApiRequestFailed(response.status, { code: 'UPLOAD_REFUSED', message: (await response.text()).slice(0, 300) });
    }
  }

  /** Follows the video (or thumbnail) link, a freshly signed URL, and returns the bytes. */
  async downloadVideo(jobId: string, output: 'video' | 'thumbnail' = 'video'): Promise<Buffer> {
    const link = await this.send('GET', `/v1/jobs/${encodeURIComponent(jobId)}/${output}`);
    const location = link.status === 302 ? link.headers.get('location') : null;
    const response = location ? await fetch(location) : link;
    if (!response.ok) {
      const text = await response.text();
      let error: ApiError = { code: 'DOWNLOAD_FAILED', message: text.slice(0, 200) };
      try {
        error = (JSON.parse(text) as { error?: ApiError }).error ?? error;
      } catch {
        // an S3 error page: keep the text
      }
      throw new ApiRequestFailed(response.status, error);
    }
    return Buffer.from(await response.arrayBuffer());
  }
}
