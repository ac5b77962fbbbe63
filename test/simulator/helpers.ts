// Test helpers for the provider simulator: running one for a suite, JSON requests, polling (raw Kling tasks, or any
// adapter's tasks), a local callback receiver, and the adapter context that points an adapter at a simulator dialect.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type {
  AdapterContext,
  CallbackRequest,
  CanonicalStatus,
  ProviderAdapter,
  ProviderCredentials,
  ProviderStatus,
} from '../../lambdas/providers/port.ts';
import { TERMINAL_PROVIDER_STATUSES } from '../../lambdas/providers/port.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.ts';

export { rejectionOf, requestBuilder } from '../unit/providers/fake-fetch.ts';
export { submittedMedia } from '../unit/providers/pipeline.ts';

/**
 * Runs one simulator for the enclosing `describe`: started before its tests (`started` then gets it, to keep it and to
 * build what depends on it), reset before each test unless `reset` is false, and closed after the last test.
 */
export function useSimulator(options: SimulatorOptions, started: (sim: Simulator) => void, { reset = true } = {}): void {
  let sim: Simulator | undefined;
  beforeAll(async () => {
    sim = await startSimulator(options);
    started(sim);
  });
  afterAll(async () => {
    await sim?.close();
  });
  if (reset) beforeEach(() => sim?.reset());
}

export interface KlingEnvelope<T = Record<string, unknown>> {
  code: number;
  message: string;
  request_id: string;
  data?: T;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: KlingEnvelope }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as KlingEnvelope };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: KlingEnvelope }> {
  const response = await fetch(url, { headers });
  return { status: response.status, json: (await response.json()) as KlingEnvelope };
}

/** Polls the Kling query endpoint until the task is terminal; returns every status seen, in order. */
export async function pollUntilTerminal(url: string, timeoutMs = 30_000): Promise<{ statuses: string[]; last: KlingEnvelope }> {
  const statuses: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { json } = await getJson(url);
    const status = String(json.data?.task_status);
    if (statuses.at(-1) !== status) statuses.push(status);
    if (status === 'succeed' || status === 'failed') return { statuses, last: json };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`task at ${url} not terminal after ${timeoutMs} ms (saw ${statuses.join(' → ')})`);
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** `waitFor` with an asynchronous probe (one that asks the simulator over HTTP, say). */
export async function waitForAsync<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

export interface ReceivedCallback {
  /** The URL as requested: its path, and its query (where some providers carry the job). */
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CallbackReceiver {
  url: string;
  received: ReceivedCallback[];
  /** Answers the next `count` requests with HTTP 500 (still recorded). */
  failNext(count: number): void;
  close(): Promise<void>;
}

/** A local HTTP server that records every callback; `url` is `http://127.0.0.1:<port><path>`, paths below it work too. */
export async function startCallbackReceiver(path = '/kling/callback'): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  let failuresLeft = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(500).end('nope');
      } else {
        res.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    failNext: (count) => {
      failuresLeft = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Standard Webhooks headers of a received callback, as `Webhook.verify` expects them. */
export function webhookHeaders(callback: ReceivedCallback): Record<string, string> {
  return {
    'webhook-id': String(callback.headers['webhook-id']),
    'webhook-timestamp': String(callback.headers['webhook-timestamp']),
    'webhook-signature': String(callback.headers['webhook-signature']),
  };
}

/** A received callback as the callback handler hands it to an adapter's parseCallback. */
export function callbackRequestOf(callback: ReceivedCallback, jobId: string): CallbackRequest {
  const headers = Object.fromEntries(
    Object.entries(callback.headers).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value[0] : value]),
  );
  return { headers, query: Object.fromEntries(callback.url.searchParams), rawBody: callback.body, jobId };
}

/** An adapter context aimed at one of the simulator's dialects, with the real fetch and clock. */
export function simulatorContext(
  sim: Simulator,
  dialect: string,
  credentials: ProviderCredentials,
  overrides: Partial<AdapterContext> = {},
): AdapterContext {
  const endpoint = sim.endpoints()[dialect];
  if (!endpoint) throw new Error(`the ${dialect} dialect is not served`);
  return {
    baseUrl: endpoint.baseUrl,
    credentials,
    settings: endpoint.settings,
    fetch: globalThis.fetch,
    timeoutMs: 5_000,
    now: () => new Date(),
    ...overrides,
  };
}

/**
 * Polls an adapter's status() until the task is terminal. Returns every answer, the canonical statuses seen (each
 * once, in order) and the last answer.
 */
export async function pollAdapterUntilTerminal(
  adapter: ProviderAdapter,
  providerTaskId: string,
  ctx: AdapterContext,
  timeoutMs = 30_000,
): Promise<{ answers: ProviderStatus[]; seen: CanonicalStatus[]; last: ProviderStatus }> {
  const answers: ProviderStatus[] = [];
  const seen: CanonicalStatus[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await adapter.status(providerTaskId, ctx);
    answers.push(status);
    if (seen.at(-1) !== status.status) seen.push(status.status);
    if (TERMINAL_PROVIDER_STATUSES.includes(status.status)) return { answers, seen, last: status };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${adapter.id} task ${providerTaskId} not terminal after ${timeoutMs} ms (saw ${seen.join(' → ')})`);
}
