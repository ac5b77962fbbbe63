import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../../lambdas/domain/errors.ts';
import {
  parseRateLimitReset,
  buildProviderUrl,
  classifyByHttpStatus,
  kindOfHttpStatus,
  parseRetryAfter,
  requestJson,
  withBearerApiKey,
  withBearerToken,
} from '../../../lambdas/providers/http.ts';
import type { HttpFailure } from '../../../lambdas/providers/http.ts';
import { FIXED_NOW, NEVER_ANSWERS, contextWith, fakeFetch, jsonResponse, rejectionOf } from './fake-fetch.ts';

const Pong = z.object({ pong: z.literal(true), id: z.string() });

describe('buildProviderUrl', () => {
  it('joins a base URL with a path prefix and a trailing slash to the path', () => {
    expect(buildProviderUrl('http://127.0.0.1:4010/kling/', '/v1/videos/text2video')).toBe(
      'http://127.0.0.1:4010/kling/v1/videos/text2video',
    );
    expect(buildProviderUrl('https://api.example.test', '/v1/x')).toBe('https://api.example.test/v1/x');
  });

  it('appends query parameters, encoded, leaving undefined ones out', () => {
    const url = new URL(buildProviderUrl('https://api.example.test', '/tasks', { ids: 'a,b', page: 2, skip: undefined, q: 'x y&z' }));
    expect(url.searchParams.get('ids')).toBe('a,b');
    expect(url.searchParams.get('page')).toBe('2');
    expect(url.searchParams.has('skip')).toBe(false);
    expect(url.searchParams.get('q')).toBe('x y&z');
  });

  it.each(['v1/x', '//evil.example/x', '/v1/../admin', '/v1/%2e%2e/admin', '/v1/x?token=1', '/v1/x#frag', '/a\\b'])(
    'refuses the path %s',
    (path) => {
      expect(() => buildProviderUrl('https://api.example.test/base', path)).toThrow(/provider path/);
    },
  );

  it('refuses a base URL that is not absolute http(s)', () => {
    expect(() => buildProviderUrl('api.example.test', '/x')).toThrow(/base URL/);
    expect(() => buildProviderUrl('ftp://api.example.test', '/x')).toThrow(/base URL/);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds', () => {
    expect(parseRetryAfter('120', FIXED_NOW)).toBe(120);
    expect(parseRetryAfter(' 0 ', FIXED_NOW)).toBe(0);
  });

  it('reads an HTTP date relative to now, rounding up, and a past date as 0', () => {
    const inNinetySeconds = new Date(FIXED_NOW.getTime() + 90_000).toUTCString();
    expect(parseRetryAfter(inNinetySeconds, FIXED_NOW)).toBe(90);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', FIXED_NOW)).toBe(0);
  });

  it.each([null, undefined, '', 'soon', '-5', '1.5', 'Mon, 99 Foo 2026'])('ignores %s', (value) => {
    expect(parseRetryAfter(value, FIXED_NOW)).toBeUndefined();
  });
});

describe('classifyByHttpStatus', () => {
  it.each([
    [400, 'invalid'],
    [404, 'invalid'],
    [422, 'invalid'],
    [401, 'auth'],
    [403, 'auth'],
    [402, 'insufficient_credits'],
    [429, 'rate_limited'],
    [500, 'server'],
    [502, 'server'],
    [504, 'server'],
    [503, 'overloaded'],
    [418, 'invalid'],
    [599, 'server'],
  ] as const)('HTTP %i is %s', (status, kind) => {
    expect(kindOfHttpStatus(status)).toBe(kind);
    const error = classifyByHttpStatus({ request: 'GET /x', status, body: '', headers: new Headers() });
    expect(error.kind).toBe(kind);
    expect(error.httpStatus).toBe(status);
  });
});

describe('withBearerToken / withBearerApiKey', () => {
  const request = { method: 'POST', path: '/v1/generate', headers: { 'x-trace': 't1' }, body: { prompt: 'a fox' } } as const;

  it('adds the Bearer authorization header and keeps the rest of the request', () => {
    expect(withBearerToken(request, 'tok')).toEqual({ ...request, headers: { 'x-trace': 't1', authorization: 'Bearer tok' } });
    expect(request.headers).toEqual({ 'x-trace': 't1' });
  });

  it('sends credentials.apiKey as the Bearer token', async () => {
    const fake = fakeFetch(() => jsonResponse({ pong: true, id: 'p1' }));
    const ctx = contextWith(fake.fetch, { credentials: { apiKey: 'key-123' } });
    await requestJson(ctx, withBearerApiKey(ctx, 'klinggenerator', { method: 'GET', path: '/ping' }), Pong);
    expect(fake.requests[0]?.headers.get('authorization')).toBe('Bearer key-123');
  });

  it('refuses with auth, naming the provider and what to set, when there is no API key', () => {
    const ctx = contextWith(fakeFetch(NEVER_ANSWERS).fetch, { credentials: { accessKey: 'ak' } });
    expect(() => withBearerApiKey(ctx, 'kling3api', request)).toThrow(
      expect.objectContaining({ name: 'ProviderAuthFailed', kind: 'auth', message: 'kling3api credentials are missing: set apiKey' }),
    );
    expect(() => withBearerApiKey(ctx, 'Replicate', request, 'apiKey to the API token')).toThrow(
      expect.objectContaining({ kind: 'auth', message: 'Replicate credentials are missing: set apiKey to the API token' }),
    );
  });
});

describe('requestJson', () => {
  it('sends JSON with the given method, headers and query and parses the answer with the schema', async () => {
    const fake = fakeFetch(() => jsonResponse({ pong: true, id: 'p1', extra: 'ignored' }));
    const ctx = contextWith(fake.fetch, { baseUrl: 'https://api.example.test/prefix/' });
    const result = await requestJson(
      ctx,
      { method: 'POST', path: '/ping', headers: { 'x-test': '1' }, body: { a: 1 }, query: { v: 2 } },
      Pong,
    );
    expect(result).toEqual({ pong: true, id: 'p1' });
    const [sent] = fake.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.url.href).toBe('https://api.example.test/prefix/ping?v=2');
    expect(sent?.headers.get('content-type')).toBe('application/json');
    expect(sent?.headers.get('accept')).toBe('application/json');
    expect(sent?.headers.get('x-test')).toBe('1');
    expect(sent?.json).toEqual({ a: 1 });
  });

  it('sends no body and no content-type on a GET', async () => {
    const fake = fakeFetch(() => jsonResponse({ pong: true, id: 'p1' }));
    await requestJson(contextWith(fake.fetch), { method: 'GET', path: '/ping' }, Pong);
    expect(fake.requests[0]?.json).toBeUndefined();
    expect(fake.requests[0]?.headers.has('content-type')).toBe(false);
  });

  it('turns a 2xx body that does not fit the schema into a server error naming the field', async () => {
    const fake = fakeFetch(() => jsonResponse({ pong: true }));
    const error = await rejectionOf(requestJson(contextWith(fake.fetch), { method: 'GET', path: '/ping' }, Pong), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/GET \/ping: unexpected response shape \(id: /);
  });

  it('turns a 2xx body that is not JSON into a server error', async () => {
    const fake = fakeFetch(() => new Response('<html>ok</html>', { status: 200 }));
    const error = await rejectionOf(requestJson(contextWith(fake.fetch), { method: 'GET', path: '/ping' }, Pong), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/not JSON/);
  });

  it('classifies a non-JSON 5xx without crashing', async () => {
    const fake = fakeFetch(() => new Response('<html><body>502 Bad Gateway</body></html>', { status: 502 }));
    const error = await rejectionOf(requestJson(contextWith(fake.fetch), { method: 'GET', path: '/ping' }, Pong), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.httpStatus).toBe(502);
    expect(error.message).toContain('502 Bad Gateway');
  });

  it('hands the adapter classifier the status, the parsed body, the headers and Retry-After', async () => {
    const fake = fakeFetch(() => jsonResponse({ error: 'slow down' }, 429, { 'retry-after': '7', 'x-request-id': 'r1' }));
    const seen: HttpFailure[] = [];
    const error = await rejectionOf(
      requestJson(contextWith(fake.fetch), { method: 'GET', path: '/ping' }, Pong, (failure) => {
        seen.push(failure);
        return new ProviderError('concurrency_limited', 'custom', {
          httpStatus: failure.status,
          retryAfterSeconds: failure.retryAfterSeconds,
        });
      }),
      ProviderError,
    );
    expect(error.kind).toBe('concurrency_limited');
    expect(seen[0]?.status).toBe(429);
    expect(seen[0]?.body).toEqual({ error: 'slow down' });
    expect(seen[0]?.headers.get('x-request-id')).toBe('r1');
    expect(seen[0]?.retryAfterSeconds).toBe(7);
    expect(seen[0]?.request).toBe('GET /ping');
  });

  it('gives the classifier the raw text of a non-JSON error body', async () => {
    const fake = fakeFetch(() => new Response('upstream timeout', { status: 504 }));
    let body: unknown;
    await rejectionOf(
      requestJson(contextWith(fake.fetch), { method: 'GET', path: '/ping' }, Pong, (failure) => {
        body = failure.body;
        return classifyByHttpStatus(failure);
      }),
      ProviderError,
    );
    expect(body).toBe('upstream timeout');
  });

  it('carries Retry-After (an HTTP date) into the default classification', async () => {
    const retryAt = new Date(FIXED_NOW.getTime() + 30_000).toUTCString();
    const fake = fakeFetch(() => jsonResponse({}, 503, { 'retry-after': retryAt }));
    const error = await rejectionOf(requestJson(contextWith(fake.fetch), { method: 'GET', path: '/ping' }, Pong), ProviderError);
    expect(error.kind).toBe('overloaded');
    expect(error.retryAfterSeconds).toBe(30);
  });

  it('maps a timeout to a network error', async () => {
    const fake = fakeFetch(NEVER_ANSWERS);
    const error = await rejectionOf(
      requestJson(contextWith(fake.fetch, { timeoutMs: 30 }), { method: 'GET', path: '/ping' }, Pong),
      ProviderError,
    );
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/GET \/ping timed out after 30 ms/);
  });

  it('maps a failed connection to a network error without the URL in the message', async () => {
    const fake = fakeFetch(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
    const ctx = contextWith(fake.fetch, { baseUrl: 'https://secret-host.example.test' });
    const error = await rejectionOf(requestJson(ctx, { method: 'GET', path: '/ping', query: { token: 'abc' } }, Pong), ProviderError);
    expect(error.kind).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('secret-host');
    expect(error.message).not.toContain('abc');
  });
});

describe('requestJson against a real HTTP server on 127.0.0.1', () => {
  const server = createServer((req, res) => {
    if (req.url === '/ok') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pong: true, id: 'real' }));
    } else if (req.url === '/html-error') {
      res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>');
    } else if (req.url === '/stall-body') {
      // Headers arrive at once, the body never finishes: the timeout must cover reading the body too.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"pong":');
    } else {
      res.writeHead(404).end();
    }
  });
  let baseUrl = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('parses a real answer', async () => {
    const ctx = contextWith(fetch, { baseUrl });
    await expect(requestJson(ctx, { method: 'GET', path: '/ok' }, Pong)).resolves.toEqual({ pong: true, id: 'real' });
  });

  it('classifies a real HTML 500', async () => {
    const ctx = contextWith(fetch, { baseUrl });
    const error = await rejectionOf(requestJson(ctx, { method: 'GET', path: '/html-error' }, Pong), ProviderError);
    expect(error.kind).toBe('server');
    expect(error.httpStatus).toBe(500);
  });

  it('times out a body that never finishes', async () => {
    const ctx = contextWith(fetch, { baseUrl, timeoutMs: 200 });
    const error = await rejectionOf(requestJson(ctx, { method: 'GET', path: '/stall-body' }, Pong), ProviderError);
    expect(error.kind).toBe('network');
  });

  it('maps a refused connection to a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const ctx = contextWith(fetch, { baseUrl: `http://127.0.0.1:${port}` });
    const error = await rejectionOf(requestJson(ctx, { method: 'GET', path: '/ok' }, Pong), ProviderError);
    expect(error.kind).toBe('network');
  });
});

describe('parseRateLimitReset', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const nowSeconds = now.getTime() / 1000;
  it.each([
    ['30', 30],
    ['1.5', 2],
    [String(nowSeconds + 20), 20],
    [String(now.getTime() + 7000), 7],
    [String(nowSeconds - 5), 0],
    ['-4', undefined],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('%s → %s seconds', (value, expected) => {
    expect(parseRateLimitReset(value, now)).toBe(expected);
  });
});
