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

/** Optional features a model may take. */
export type Feature = 'cfgScale' | 'audio' | 'negativePrompt' | 'endImage';

export interface Model {
  id: string;
  modes: string[];
  durationsSeconds: number[];
  defaultDurationSeconds: number;
  aspectRatios: string[];
  defaultAspectRatio?: string;
  qualities: string[];
  defaultQuality?: string;
  resolutions?: string[];
  fps?: number[];
  /** What the model takes, in the catalog's `features`, or (older catalogs) as fields of the model itself. */
  features?: Partial<Record<Feature, boolean>>;
  cfgScale?: boolean;
  audio?: boolean;
  negativePrompt?: boolean;
  endImage?: boolean;
  maxPromptChars?: number;
  promptRequiredIn?: string[];
}

/** Whether `model` takes `feature`. */
export const takes = (model: Model, feature: Feature): boolean => model.features?.[feature] ?? model[feature] ?? false;

/** `POST /v1/uploads`'s answer: where to PUT the image; the job starts when it arrives. */
export interface UploadTicket {
  uploadId: string;
  jobId: string;
  upload: { method: string; url: string; headers: Record<string, string> };
  expiresAt: string;
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

  /**
   * Uploads an image with the options of the job it starts: a ticket from `POST /v1/uploads` (checked against the
   * provider and model first: a 422 names `options.<field>`, `fileName`, `contentType` or `bytes`), then the bytes
   * straight to storage with the ticket's presigned PUT.
   */
  async upload(file: File, options: Record<string, unknown>): Promise<UploadTicket> {
    const ticket = await this.request<UploadTicket>('POST', '/v1/uploads', {
      fileName: file.name,
      contentType: file.type,
      bytes: file.size,
      options,
    });
    // The browser sets Content-Length itself (it may not be set by a page); the signed one is the file's size.
    const headers = Object.fromEntries(Object.entries(ticket.upload.headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
    let response: Response;
    try {
      response = await fetch(ticket.upload.url, { method: ticket.upload.method, headers, body: file });
    } catch {
      throw new ApiError(0, 'UPLOAD_FAILED', 'the image could not be sent to storage (network or CORS)');
    }
    if (!response.ok) throw new ApiError(response.status, 'UPLOAD_FAILED', `storage refused the image (${response.status})`);
    return ticket;
  }
}
