// A small client of klingflow's HTTP API (docs/api.md), for the CLI.
export interface ApiError {
  code: string;
  message: string;
  details?: { path: string; message: string }[];
}

export class ApiRequestFailed extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(`${status} ${error.code}: ${error.message}`);
  }
}

/** An archived output as the job shows it. */
export interface StoredOutput {
  bucket: string;
  key: string;
  /** Size in bytes. */
  bytes: number;
  sha256: string;
  contentType: string;
}

/** The job as the API answers it (docs/api.md, "The job"); the fields the CLI reads. */
export interface JobView {
  jobId: string;
  status: string;
  provider: string;
  model: string;
  mode?: string;
  progress?: number;
  attempts?: number;
  createdAt?: string;
  finishedAt?: string;
  request?: { prompt?: string };
  outputs?: { video: StoredOutput; thumbnail?: StoredOutput };
  cost?: { credits?: number; usd?: number; estimated: boolean };
  error?: { code: string; message: string; retryable: boolean };
}

/** The API could not be reached at all (nothing listening, DNS, TLS...): not an answer from klingflow. */
/** One metric summed over the local stack's EMF lines (lambdas/domain/metrics.ts, MetricTotal). */
export interface MetricTotalView {
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class ApiUnreachable extends Error {
  constructor(baseUrl: string, cause: unknown) {
    const reason = (cause as { cause?: { code?: string; message?: string } }).cause;
    super(
      `cannot reach the klingflow API at ${baseUrl} (${reason?.code ?? reason?.message ?? (cause as Error).message}); is it running, and is --api right?`,
    );
  }
}

export class KlingflowApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** `fetch`, with a failure to connect reported as {@link ApiUnreachable}. */
  private async send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, init);
    } catch (error) {
      throw new ApiUnreachable(this.baseUrl, error);
    }
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
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
        message: text.slice(0, 200) || response.statusText,
      };
      throw new ApiRequestFailed(response.status, error);
    }
    return parsed as T;
  }

  createJob(request: Record<string, unknown>): Promise<{ jobId: string; status: string }> {
    return this.call('POST', '/v1/jobs', request);
  }

  getJob(jobId: string): Promise<JobView> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  /** One page of jobs, newest first (`GET /v1/jobs`). */
  listJobs(query: {
    status?: string;
    provider?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: JobView[]; nextCursor: string | null }> {
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

  /** Follows the video (or thumbnail) link, a freshly signed URL, and returns the bytes. */
  async downloadVideo(jobId: string, output: 'video' | 'thumbnail' = 'video'): Promise<Buffer> {
    const response = await this.send(`/v1/jobs/${encodeURIComponent(jobId)}/${output}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
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
