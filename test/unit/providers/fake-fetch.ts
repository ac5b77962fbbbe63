// A fake `fetch` for adapter tests: records every request and answers with a handler. It honours the request's
// AbortSignal, so a handler that never answers exercises the client's timeout.
import type { AdapterContext } from '../../../lambdas/domain/providers/adapter.ts';

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

export function contextWith(
  fetchImpl: typeof fetch,
  overrides: Partial<AdapterContext> = {},
): AdapterContext {
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
