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

export interface JobView {
  jobId: string;
  status: string;
  provider: string;
  model: string;
  progress?: number;
  outputs?: { video: { bucket: string; key: string; bytes: number; sha256: string; contentType: string } };
  cost?: { credits?: number; usd?: number; estimated: boolean };
  error?: { code: string; message: string; retryable: boolean };
}

/** The API could not be reached at all (nothing listening, DNS, TLS...): not an answer from klingflow. */
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

  /** Follows the video link (a fresh signed URL) and returns the bytes. */
  async downloadVideo(jobId: string): Promise<Buffer> {
    const response = await this.send(`/v1/jobs/${encodeURIComponent(jobId)}/video`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) throw new ApiRequestFailed(response.status, { code: 'DOWNLOAD_FAILED', message: await response.text() });
    return Buffer.from(await response.arrayBuffer());
  }
}
