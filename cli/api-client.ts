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

export class KlingflowApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (parsed as { error?: ApiError } | undefined)?.error ?? { code: 'HTTP_ERROR', message: text || response.statusText };
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
    const response = await fetch(`${this.baseUrl}/v1/jobs/${encodeURIComponent(jobId)}/video`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) throw new ApiRequestFailed(response.status, { code: 'DOWNLOAD_FAILED', message: await response.text() });
    return Buffer.from(await response.arrayBuffer());
  }
}
