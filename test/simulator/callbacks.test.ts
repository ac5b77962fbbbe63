import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/server.ts';
import { postJson, startCallbackReceiver, useSimulator, waitFor, webhookHeaders, type CallbackReceiver } from './helpers.ts';

const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;

describe('simulator (kling dialect): callbacks', () => {
  let sim: Simulator;
  let receiver: CallbackReceiver;
  const create = (body: Record<string, unknown>) => postJson(`${sim.url}/v1/videos/text2video`, { callback_url: receiver.url, ...body });

  useSimulator(
    {
      latencyMs: 200,
      progressSteps: 2,
      webhookSecret,
      callbackRetry: { initialBackoffMs: 20 },
    },
    (started) => (sim = started),
  );
  beforeEach(async () => {
    receiver = await startCallbackReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('POSTs signed, unwrapped callbacks for processing and the terminal status', async () => {
    const created = await create({ prompt: 'a fox with a callback', external_task_id: 'job-callback' });
    const taskId = created.json.data?.task_id;
    await waitFor(() => receiver.received.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(2);

    const verifier = new Webhook(webhookSecret);
    const payloads = receiver.received.map((callback) => verifier.verify(callback.body, webhookHeaders(callback)));
    expect(payloads.map((payload) => (payload as { task_status: string }).task_status)).toEqual(['processing', 'succeed']);
    const terminal = payloads[1] as Record<string, unknown>;
    expect(terminal).toMatchObject({ task_id: taskId, task_info: { external_task_id: 'job-callback' } });
    expect(terminal).not.toHaveProperty('code');
    expect(terminal).not.toHaveProperty('data');
    expect((terminal.task_result as { videos: { url: string }[] }).videos[0]?.url).toContain('/media/');

    const tampered = { ...webhookHeaders(receiver.received[1]!), 'webhook-signature': 'v1,AAAA' };
    expect(() => verifier.verify(receiver.received[1]!.body, tampered)).toThrow();
    expect(sim.tasks()[0]).toMatchObject({ callbacksSent: 2, callbacksDelivered: 2 });
  });

  it('retries a failed delivery with the same webhook-id', async () => {
    receiver.failNext(2);
    await create({ prompt: 'flaky receiver [sim:latency=20]' });
    const task = await waitFor(() => sim.tasks().find((t) => t.callbacksDelivered === 2));
    expect(task.callbackAttempts).toBe(4);
    const ids = receiver.received.map((callback) => callback.headers['webhook-id']);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[1]).toBe(ids[2]);
    expect(ids[3]).not.toBe(ids[2]);
  });

  it('[sim:no-callback] never calls back, though the task still succeeds', async () => {
    await create({ prompt: 'silent [sim:no-callback] [sim:latency=30]' });
    await waitFor(() => sim.tasks()[0]?.status === 'succeeded');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(0);
    expect(sim.tasks()[0]?.callbacksSent).toBe(0);
  });

  it('[sim:duplicate-callback] sends the terminal callback twice', async () => {
    await create({ prompt: 'echo [sim:duplicate-callback] [sim:latency=30]' });
    await waitFor(() => receiver.received.length >= 3);
    const statuses = receiver.received.map((callback) => (JSON.parse(callback.body) as { task_status: string }).task_status);
    expect(statuses).toEqual(['processing', 'succeed', 'succeed']);
  });

  it('[sim:reorder-callbacks] sends the terminal callback first, the progress one after it', async () => {
    await create({ prompt: 'out of order [sim:reorder-callbacks] [sim:latency=30]' });
    await waitFor(() => receiver.received.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const statuses = receiver.received.map((callback) => (JSON.parse(callback.body) as { task_status: string }).task_status);
    expect(statuses).toEqual(['succeed', 'processing']);
  });

  it('[sim:delay=<ms>] holds the answer back; the task exists from the start', async () => {
    const started = Date.now();
    const answer = create({ prompt: 'slow answer [sim:delay=400] [sim:latency=5000]', external_task_id: 'job-slow-answer' });
    await waitFor(() => sim.tasks().length === 1);
    expect(Date.now() - started).toBeLessThan(400);
    expect((await answer).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('survives an unreachable callback URL', async () => {
    await postJson(`${sim.url}/v1/videos/text2video`, {
      prompt: 'nobody home [sim:latency=20]',
      callback_url: 'http://127.0.0.1:9/unreachable',
    });
    const task = await waitFor(() => sim.tasks().find((t) => t.callbackAttempts >= 8));
    expect(task.callbacksDelivered).toBe(0);
    expect(task.lastCallbackError).toBeTruthy();
    expect((await fetch(`${sim.url}/_sim/health`)).status).toBe(200);
  });
});
