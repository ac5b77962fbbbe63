// The console's client of the klingflow HTTP API (docs/api.md): the few routes it uses, the error shape, and the
// types of what it reads. Its own small types rather than the server's schemas, so the page bundles no zod.

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export type Status = 'QUEUED' | 'SUBMITTED' | 'PROCESSING' | 'ARCHIVING' | (typeof TERMINAL)[number];
export const isTerminal = (status: Status): boolean => (TERMINAL as readonly string[]).includes(status);

export interface Job {
  jobId: string;
  status: Status;
  provider: string;
  model: string;
  mode: string;
  request: { prompt?: string; durationSeconds?: number; aspectRatio?: string; quality?: string; resolution?: string };
  progress?: number;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  outputs?: { video?: { bytes: number; contentType: string }; thumbnail?: { bytes: number } };
  cost?: { credits?: number; usd?: number; estimated: boolean };
  error?: { code: string; message: string };
}

export interface Model {
  id: string;
  modes: string[];
  durationsSeconds: number[];
  defaultDurationSeconds: number;
  aspectRatios: string[];
  qualities: string[];
  resolutions?: string[];
  fps?: number[];
  cfgScale: boolean;
  audio: boolean;
  negativePrompt: boolean;
  endImage: boolean;
  maxPromptChars?: number;
  promptRequiredIn?: string[];
}

export interface Provider {
  id: string;
  defaultModel: string;
  models: Model[];
}

export interface Catalog {
  defaultProvider: string;
  providers: Provider[];
}

export interface ErrorDetail {
  path: string;
  message: string;
}

/** An answer other than 2xx/3xx, in the API's error shape where it has one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token() ? { authorization: `Bearer ${this.token()}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'UNREACHABLE', `the API at ${this.baseUrl || location.origin} cannot be reached`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error =
        (parsed as { error?: { code?: string; message?: string; details?: ErrorDetail[] }; message?: string } | undefined) ?? {};
      throw new ApiError(
        response.status,
        error.error?.code ?? (response.status === 401 || response.status === 403 ? 'UNAUTHORIZED' : 'HTTP_ERROR'),
        error.error?.message ?? error.message ?? `the API answered ${response.status}`,
        error.error?.details ?? [],
      );
    }
    return parsed as T;
  }

  listJobs(query: { limit?: number; status?: string; cursor?: string } = {}): Promise<{ items: Job[]; nextCursor: string | null }> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(name, String(value));
    return this.request('GET', `/v1/jobs${search.size ? `?${search}` : ''}`);
  }

  getJob(jobId: string): Promise<Job> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  createJob(body: Record<string, unknown>): Promise<{ jobId: string; status: Status }> {
    return this.request('POST', '/v1/jobs', body);
  }

  cancelJob(jobId: string): Promise<Job> {
    return this.request('DELETE', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  /** A freshly signed URL of a finished job's video or thumbnail (the route's JSON answer instead of its redirect). */
  outputUrl(jobId: string, object: 'video' | 'thumbnail'): Promise<{ url: string; expiresAt: string }> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(jobId)}/${object}`);
  }

  providers(): Promise<Catalog> {
    return this.request('GET', '/v1/providers');
  }
}
