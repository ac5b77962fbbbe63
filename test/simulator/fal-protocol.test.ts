// The fal dialect's queue protocol, over raw HTTP, where fal's documents (and its official client) expect more than the
// adapter uses: the `x-fal-request-id` header, logs and metrics in the status, the status stream, and cancellation
// (a queued request is removed, a running one told to stop; either way its result is fal's `client_cancelled`
// request error and no video is ever served).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { falDialect } from '../../simulator/dialects/fal.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { waitFor, waitForAsync } from './helpers.ts';

const KEY = 'fal-protocol-key';
const ENDPOINT = 'fal-ai/kling-video/v3/pro/text-to-video';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ dialects: [falDialect], latencyMs: 200, dialectSettings: { fal: { credentials: { apiKey: KEY } } } });
});

afterAll(async () => {
  await sim?.close();
});

beforeEach(() => sim.reset());

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(url.startsWith('http') ? url : `${sim.endpoints().fal!.baseUrl}${url}`, {
    method,
    headers: { authorization: `Key ${KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

const submit = (prompt = 'a lighthouse at dusk') => call('POST', `/${ENDPOINT}`, { prompt });

describe('fal dialect: request ids, logs and metrics', () => {
  it('names the request in x-fal-request-id on every queue answer about it', async () => {
    const submitted = await submit();
    const id = submitted.json.request_id as string;
    expect(submitted.headers.get('x-fal-request-id')).toBe(id);
    expect((await call('GET', submitted.json.status_url)).headers.get('x-fal-request-id')).toBe(id);
    await waitForAsync(async () => (await call('GET', submitted.json.status_url)).json.status === 'COMPLETED');
    const result = await call('GET', submitted.json.response_url);
    expect(result.status).toBe(200);
    expect(result.headers.get('x-fal-request-id')).toBe(id);
  });

  it('shows the runner’s log lines when asked (?logs=1), null otherwise, and the inference time once completed', async () => {
    const submitted = await submit();
    const running = await waitForAsync(async () => {
      const status = await call('GET', `${submitted.json.status_url}?logs=1`);
      return status.json.status === 'IN_PROGRESS' ? status : undefined;
    });
    expect(running.status).toBe(202);
    expect(running.json.logs[0]).toMatchObject({ message: expect.stringMatching(/^progress \d+%$/), level: 'INFO', source: 'USER' });
    expect((await call('GET', submitted.json.status_url)).json.logs).toBeNull();
    const completed = await waitForAsync(async () => {
      const status = await call('GET', submitted.json.status_url);
      return status.json.status === 'COMPLETED' ? status : undefined;
    });
    expect(completed.status).toBe(200);
    expect(completed.json.metrics.inference_time).toBeGreaterThan(0);
  });
});

describe('fal dialect: status stream', () => {
  it('streams each status as a server-sent event and ends after COMPLETED', async () => {
    const submitted = await submit();
    const response = await fetch(`${submitted.json.status_url}/stream`, { headers: { authorization: `Key ${KEY}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-fal-request-id')).toBe(submitted.json.request_id);
    const events = (await response.text())
      .split('\n\n')
      .filter((chunk) => chunk.startsWith('data: '))
      .map((chunk) => JSON.parse(chunk.slice('data: '.length)) as { status: string });
    const statuses = events.map((event) => event.status).filter((status, i, all) => all[i - 1] !== status);
    expect(statuses.at(-1)).toBe('COMPLETED');
    expect(statuses).toContain('IN_PROGRESS');
  });

  it('refuses a stream without the key, and one for an unknown request', async () => {
    const submitted = await submit();
    expect((await fetch(`${submitted.json.status_url}/stream`)).status).toBe(401);
    const unknown = submitted.json.status_url.replace(submitted.json.request_id, '00000000-0000-0000-0000-000000000000');
    expect((await call('GET', `${unknown}/stream`)).status).toBe(404);
  });
});

describe('fal dialect: cancelling', () => {
  it('removes a queued request (OK) and answers its result with the client_cancelled request error', async () => {
    const submitted = await submit('a long one [sim:latency=5000]');
    const cancelled = await call('PUT', submitted.json.cancel_url);
    expect(cancelled).toMatchObject({ status: 200, json: { status: 'OK' } });
    expect((await call('GET', submitted.json.status_url)).json.status).toBe('COMPLETED');
    const result = await call('GET', submitted.json.response_url);
    expect(result.status).toBe(499);
    expect(result.json).toEqual({ detail: 'The request was cancelled by the client.', error_type: 'client_cancelled' });
    expect(result.headers.get('x-fal-error-type')).toBe('client_cancelled');
    expect((await call('PUT', submitted.json.cancel_url)).json.status).toBe('ALREADY_COMPLETED');
  });

  it('asks a running request to stop (CANCELLATION_REQUESTED), and it never serves a video', async () => {
    const submitted = await submit('running [sim:latency=400]');
    await waitFor(() => sim.tasks()[0]?.status === 'processing');
    expect((await call('PUT', submitted.json.cancel_url)).json).toEqual({ status: 'CANCELLATION_REQUESTED' });
    await new Promise((resolve) => setTimeout(resolve, 600)); // past when it would have finished
    const task = sim.tasks()[0]!;
    expect(task.status).toBe('processing');
    expect(task.cancelledAt).not.toBeNull();
    expect((await fetch(`${sim.url}/media/${task.taskId}.mp4`)).status).toBe(404);
    expect((await call('GET', submitted.json.response_url)).status).toBe(499);
  });
});
