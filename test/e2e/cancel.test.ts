// DELETE /v1/jobs/{id} on a running job, through the real local stack: the job ends CANCELLED at once, its
// workflow ends through the failure path (so the notice and the caller's webhook go out), the provider is told
// where it has a cancel call, and nothing is archived afterwards.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '../../lambdas/workflow/contract.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, finishedExecution, noticesOf, startTestStack, statesEntered } from './local-stack.ts';

let stack: LocalStack;
let client: Client;
let receiver: Server;
let receiverUrl: string;
const deliveries: { body: string; headers: Record<string, string> }[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  client = new Client(stack);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers as Record<string, string> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function submitted(jobId: string) {
  for (let i = 0; i < 100; i++) {
    const { body } = await client.request('GET', `/v1/jobs/${jobId}`);
    if (body.providerTaskId) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} was not submitted`);
}

describe('cancelling a job', () => {
  it('ends it CANCELLED, with a notice and a signed webhook, and nothing archived', async () => {
    const jobId = await client.createJob({ prompt: 'a long one [sim:latency=30000]', callbackUrl: receiverUrl });
    await submitted(jobId);
    const started = Date.now();
    const cancelled = await client.request('DELETE', `/v1/jobs/${jobId}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ jobId, status: 'CANCELLED', error: { code: 'CANCELLED' } });

    const execution = await finishedExecution(stack, jobId);
    expect(Date.now() - started).toBeLessThan(15_000); // well before the provider would have finished (30 s)
    expect(execution.status).toBe('FAILED');
    const states = await statesEntered(stack, jobId);
    expect(states).not.toContain(STATES.archive);
    expect(states).toContain(STATES.notifyFailure);

    const notices = await noticesOf(stack, jobId);
    expect(notices.map((n) => n.subject)).toEqual([`klingflow job ${jobId} CANCELLED`]);
    const delivery = deliveries.find((d) => d.headers['webhook-id'] === `msg_${jobId}_CANCELLED`)!;
    expect(new Webhook(`whsec_${stack.webhookSecret}`).verify(delivery.body, delivery.headers)).toMatchObject({
      data: { status: 'CANCELLED' },
    });

    const job = (await client.request('GET', `/v1/jobs/${jobId}`)).body;
    expect(job).toMatchObject({ status: 'CANCELLED', webhook: { status: 'delivered' } });
    expect(job.outputs).toBeUndefined();
    expect((await client.request('DELETE', `/v1/jobs/${jobId}`)).status).toBe(409);
    expect((await client.request('GET', `/v1/jobs/${jobId}/video`)).status).toBe(409);
  });

  it('tells a provider that has a cancel call', async () => {
    const jobId = await client.createJob({ provider: 'replicate', prompt: 'a long one [sim:latency=6000]' });
    const job = await submitted(jobId);
    expect((await client.request('DELETE', `/v1/jobs/${jobId}`)).status).toBe(200);
    const prediction = await fetch(`${process.env.KLINGFLOW_REPLICATE_BASE_URL}/v1/predictions/${job.providerTaskId}`, {
      headers: { authorization: `Bearer ${process.env.KLINGFLOW_REPLICATE_API_KEY}` },
    });
    expect(((await prediction.json()) as { status: string }).status).toBe('canceled');
    expect((await finishedExecution(stack, jobId)).status).toBe('FAILED');
    expect((await noticesOf(stack, jobId)).map((n) => n.subject)).toEqual([`klingflow job ${jobId} CANCELLED`]);
  });

  it('answers 404 for an unknown job and 409 for a finished one', async () => {
    expect((await client.request('DELETE', '/v1/jobs/job_unknown')).status).toBe(404);
    const jobId = await client.createJob({ prompt: 'quick [sim:latency=100]' });
    await client.waitForJob(jobId);
    expect((await client.request('DELETE', `/v1/jobs/${jobId}`)).status).toBe(409);
  });
});
