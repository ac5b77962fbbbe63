// Test helpers for the provider simulator: JSON requests, polling, and a local callback receiver.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

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
export async function pollUntilTerminal(
  url: string,
  timeoutMs = 5_000,
): Promise<{ statuses: string[]; last: KlingEnvelope }> {
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

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

export interface ReceivedCallback {
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

export async function startCallbackReceiver(): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  let failuresLeft = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
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
    url: `http://127.0.0.1:${port}/kling/callback`,
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
