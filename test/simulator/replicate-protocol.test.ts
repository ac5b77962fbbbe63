// The replicate dialect's protocol, over raw HTTP, where Replicate's documents (and its official client) expect more
// than the adapter uses: versioned creates, `Prefer: wait`, the webhook event filter, one `canceled` webhook per
// cancel, no video for a canceled prediction, https output links, and data removal after the retention period.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replicateDialect } from '../../simulator/dialects/replicate.ts';
import { MODEL_VERSIONS } from '../../simulator/dialects/replicate-schemas.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { startCallbackReceiver, waitFor, waitForAsync, type CallbackReceiver } from './helpers.ts';

const TOKEN = 'r8_protocol_token';
const V25 = 'kwaivgi/kling-v2.5-turbo-pro';

let sim: Simulator;
let receiver: CallbackReceiver;

beforeAll(async () => {
  sim = await startSimulator({
    dialects: [replicateDialect],
    latencyMs: 150,
    dataRetentionMs: 300,
    callbackRetry: { initialBackoffMs: 20 },
    dialectSettings: { replicate: { credentials: { apiKey: TOKEN } } },
  });
  receiver = await startCallbackReceiver('/hook');
});

afterAll(async () => {
  await sim?.close();
  await receiver?.close();
});

beforeEach(() => {
  sim.reset();
  receiver.received.length = 0;
});

type Prediction = {
  id: string;
  status: string;
  output: string | null;
  input: Record<string, unknown>;
  logs: string;
  data_removed: boolean;
  version: string;
  model: string;
};

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.endpoints().replicate!.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Prediction & { detail?: string } };
}

const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call('POST', `/v1/models/${V25}/predictions`, { input: { prompt: 'a lighthouse at dusk' }, ...body }, headers);

async function ended(id: string): Promise<Prediction> {
  return waitForAsync(async () => {
    const { json } = await call('GET', `/v1/predictions/${id}`);
    return ['succeeded', 'failed', 'canceled'].includes(json.status) ? json : undefined;
  });
}

const statusesOf = (received: CallbackReceiver['received']) => received.map((hook) => (JSON.parse(hook.body) as Prediction).status);

describe('replicate dialect: creating', () => {
  it('creates by version id (POST /v1/predictions), for each model it runs, and refuses an unknown version', async () => {
    for (const [version, model] of Object.entries(MODEL_VERSIONS)) {
      const input = model === V25 ? { prompt: 'a fox' } : { prompt: 'a fox', start_image: 'https://cdn.example.test/a.png' };
      const created = await call('POST', '/v1/predictions', { version, input });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ model, version, status: 'starting' });
    }
    const unknown = await call('POST', '/v1/predictions', { version: 'f'.repeat(64), input: { prompt: 'a fox' } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.detail).toMatch(/^version: /);
    expect((await call('POST', '/v1/predictions', { input: { prompt: 'a fox' } })).status).toBe(422);
  });

  it('holds the answer with Prefer: wait until the prediction has ended, and answers at once without it', async () => {
    const waited = await create({}, { prefer: 'wait' });
    expect(waited.json.status).toBe('succeeded');
    expect(waited.json.output).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/media\/\d+\.mp4$/);
    const shortWait = await create({ input: { prompt: 'slow [sim:latency=5000]' } }, { prefer: 'wait=1' });
    expect(shortWait.json.status).not.toBe('succeeded');
    expect((await create({})).json.status).toBe('starting');
  });

  it('links its output over https, and the link serves the MP4', async () => {
    const { json } = await create({});
    const done = await ended(json.id);
    expect(done.output?.startsWith(`${sim.secureUrl}/media/`)).toBe(true);
    const video = await fetch(done.output!);
    expect(video.status).toBe(200);
    expect(
      Buffer.from(await video.arrayBuffer())
        .subarray(4, 8)
        .toString('latin1'),
    ).toBe('ftyp');
    // tqdm lines, as the official client's parseProgressFromLogs reads them.
    expect(done.logs).toMatch(/^ *\d+%\|[█ ]{10}\| \d+\/100\n/);
  });
});

describe('replicate dialect: webhooks follow webhook_events_filter', () => {
  it.each<[string, string[] | undefined, string[]]>([
    ['the default (output and completed): one at the end', undefined, ['succeeded']],
    ['completed only: one at the end', ['completed'], ['succeeded']],
    ['start and completed: one at the start, one at the end', ['start', 'completed'], ['processing', 'succeeded']],
    [
      'start, logs and completed: one per progress line too',
      ['start', 'logs', 'completed'],
      ['processing', 'processing', 'processing', 'succeeded'],
    ],
  ])('%s', async (_what, filter, expected) => {
    const { json } = await create({ webhook: receiver.url, ...(filter && { webhook_events_filter: filter }) });
    await ended(json.id);
    await waitFor(() => statusesOf(receiver.received).includes('succeeded'));
    await new Promise((resolve) => setTimeout(resolve, 100)); // a late extra one would show now
    expect(statusesOf(receiver.received)).toEqual(expected);
  });
});

describe('replicate dialect: cancelling', () => {
  it('sends exactly one canceled webhook, and a canceled prediction never serves a video', async () => {
    const { json } = await create({ webhook: receiver.url, webhook_events_filter: ['completed'] });
    const canceled = await call('POST', `/v1/predictions/${json.id}/cancel`);
    expect(canceled.json.status).toBe('canceled');
    await waitFor(() => receiver.received.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400)); // well past when it would have finished
    expect(statusesOf(receiver.received)).toEqual(['canceled']);
    const task = sim.tasks()[0]!;
    expect(task.status).not.toBe('succeeded');
    expect((await fetch(`${sim.secureUrl}/media/${task.taskId}.mp4`)).status).toBe(404);
    expect((await call('GET', `/v1/predictions/${json.id}`)).json).toMatchObject({ status: 'canceled', output: null });
    // A second cancel changes nothing.
    expect((await call('POST', `/v1/predictions/${json.id}/cancel`)).json.status).toBe('canceled');
    expect(receiver.received).toHaveLength(1);
  });
});

describe('replicate dialect: data retention', () => {
  it('removes input, output and logs once the retention period has passed, and the link stops serving', async () => {
    const { json } = await create({});
    const done = await ended(json.id);
    expect(done).toMatchObject({ status: 'succeeded', data_removed: false, input: { prompt: 'a lighthouse at dusk' } });
    const removed = await waitForAsync(async () => {
      const { json: now } = await call('GET', `/v1/predictions/${json.id}`);
      return now.data_removed ? now : undefined;
    });
    expect(removed).toMatchObject({ status: 'succeeded', output: null, input: {}, logs: '', data_removed: true });
    expect((await fetch(done.output!)).status).toBe(404);
  });

  it('removes them as soon as the prediction ends with [sim:data-removed]', async () => {
    const { json } = await create({ input: { prompt: 'gone [sim:data-removed]' } });
    const done = await waitForAsync(async () => {
      const { json: now } = await call('GET', `/v1/predictions/${json.id}`);
      return now.data_removed ? now : undefined;
    });
    expect(done).toMatchObject({ status: 'succeeded', output: null, data_removed: true });
  });
});
