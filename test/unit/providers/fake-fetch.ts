// What the adapter tests share. A fake `fetch` that records every request and answers with a handler; it honours
// the request's AbortSignal, so a handler that never answers exercises the client's timeout. Around it: the adapter
// context, a per-adapter `setup`, request and submission builders, and `rejectionOf` for awaited failures.
import { expect } from 'vitest';
import type { Mode, ResolvedRequest } from '../../../lambdas/domain/job.ts';
import type { AdapterContext, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { submittedMedia } from './pipeline.ts';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** The body parsed as JSON, when there was one. */
  json: unknown;
}

export type FakeHandler = (request: RecordedRequest) => Response | Promise<Response>;

export function fakeFetch(handler: FakeHandler): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetchImpl = async (input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> => {
    const body = typeof init.body === 'string' ? init.body : undefined;
    const recorded: RecordedRequest = {
      method: init.method ?? 'GET',
      url: new URL(String(input)),
      headers: new Headers(init.headers),
      json: body === undefined ? undefined : JSON.parse(body),
    };
    requests.push(recorded);
    const signal = init.signal;
    if (signal?.aborted) throw signal.reason;
    return new Promise<Response>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      Promise.resolve()
        .then(() => handler(recorded))
        .then(resolve, reject);
    });
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

export const NEVER_ANSWERS: FakeHandler = () => new Promise<Response>(() => {});

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export const FIXED_NOW = new Date('2026-03-01T12:00:00.000Z');

export function contextWith(fetchImpl: typeof fetch, overrides: Partial<AdapterContext> = {}): AdapterContext {
  return {
    baseUrl: 'https://api.example.test',
    credentials: { apiKey: 'test-api-key' },
    settings: {},
    fetch: fetchImpl,
    timeoutMs: 2_000,
    now: () => FIXED_NOW,
    ...overrides,
  };
}

/**
 * An adapter test's `setup(handler, overrides)`: a fresh adapter (so nothing cached leaks between tests), a context
 * whose fetch is a fake answering with `handler`, and the requests it recorded. `defaults` are the adapter's usual
 * context fields (base URL, credentials); `overrides` replace them per test.
 */
export function adapterSetup<Adapter>(makeAdapter: () => Adapter, defaults: Partial<AdapterContext> = {}) {
  return (handler: FakeHandler, overrides: Partial<AdapterContext> = {}) => {
    const fake = fakeFetch(handler);
    const ctx = contextWith(fake.fetch, { ...defaults, ...overrides });
    return { adapter: makeAdapter(), ctx, requests: fake.requests };
  };
}

/** An adapter test's `resolved(overrides)`: a resolved request made of the provider's defaults and the overrides. */
export function requestBuilder(defaults: ResolvedRequest) {
  return (overrides: Partial<ResolvedRequest> = {}): ResolvedRequest => ({ ...defaults, ...overrides });
}

/**
 * An adapter test's `resolved(overrides)` (see requestBuilder) and `submission(mode, request, extra)`: a submission
 * of such a request with the fixed fields (job id, callback URL...), the media Submit would send for it
 * (`submittedMedia`: its `{url}` inputs as they are), and any `extra` on top (`extra.media` replaces the media).
 */
export function submissionBuilders(defaults: ResolvedRequest, fixed: Omit<SubmitRequest, 'mode' | 'request' | 'media'>) {
  const resolved = requestBuilder(defaults);
  const submission = (mode: Mode, request: Partial<ResolvedRequest> = {}, extra: Partial<SubmitRequest> = {}): SubmitRequest => {
    const full = resolved(request);
    return { ...fixed, mode, request: full, media: submittedMedia(full), ...extra };
  };
  return { resolved, submission };
}

/** Awaits a promise that must reject with an error of `type`, and returns that error. */
export async function rejectionOf<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}
