// Admission control end to end on the local stack: a burst of jobs on a provider account with fewer slots than jobs.
// The simulator plays the account's plan (it refuses a create past 2 tasks at once with Kling's 1303), and
// KLINGFLOW_KLING_MAX_CONCURRENCY tells klingflow the same number: no create is ever refused, no more than 2 tasks
// run at once, the others wait QUEUED with a visible position, and every job succeeds. A cancel reaches a queued
// job at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { Client, noticesOf, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  process.env.KLINGFLOW_KLING_MAX_CONCURRENCY = '2';
  stack = await startTestStack(undefined, {
    KLINGFLOW_SIMULATOR_LATENCY_MS: 700,
    KLINGFLOW_SIMULATOR_LIMITS: { kling: { maxConcurrent: 2 } },
    KLINGFLOW_SLOT_WAIT_SECONDS: 20,
  });
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
  delete process.env.KLINGFLOW_KLING_MAX_CONCURRENCY;
});

describe('admission control (2 slots)', () => {
  it('runs a burst of 7 jobs two at a time, never refused, each queued job showing its place', async () => {
    const jobIds = await Promise.all(Array.from({ length: 7 }, (_, i) => client.createJob({ prompt: `a paper boat, take ${i}` })));
    const positions = new Set<number>();
    const deadline = Date.now() + 60_000;
    const finished = new Map<string, any>();
    while (finished.size < jobIds.length && Date.now() < deadline) {
      for (const jobId of jobIds.filter((id) => !finished.has(id))) {
        const { body } = await client.request('GET', `/v1/jobs/${jobId}`);
        if (body.queuePosition !== undefined) {
          expect(body.status).toBe('QUEUED');
          positions.add(body.queuePosition);
        }
        if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(body.status)) finished.set(jobId, body);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...finished.values()].map((job) => job.status)).toEqual(jobIds.map(() => 'SUCCEEDED'));
    for (const job of finished.values()) expect(job.queuePosition).toBeUndefined();
    expect(stack.simulator!.rejections()).toEqual([]);
    expect(stack.simulator!.peakInFlight()).toEqual({ kling: 2 });
    expect(stack.simulator!.tasks()).toHaveLength(7);
    expect(Math.max(...positions)).toBeGreaterThanOrEqual(3);
    for (const jobId of jobIds) expect(await noticesOf(stack, jobId, 2_000)).toHaveLength(1);
  });

  it('cancels a queued job at once: it never reaches the provider, and its place goes to the next job', async () => {
    const busy = await Promise.all([0, 1].map((i) => client.createJob({ prompt: `a long take ${i} [sim:latency=2500]` })));
    for (const jobId of busy) {
      for (let i = 0; i < 50 && !(await client.request('GET', `/v1/jobs/${jobId}`)).body.providerTaskId; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const queued = await client.createJob({ prompt: 'a job that waits its turn' });
    for (let i = 0; i < 50 && (await client.request('GET', `/v1/jobs/${queued}`)).body.queuePosition === undefined; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await client.request('GET', `/v1/jobs/${queued}`)).body).toMatchObject({ status: 'QUEUED', queuePosition: 1 });
    const next = await client.createJob({ prompt: 'the job behind it' });
    const cancelled = await client.request('DELETE', `/v1/jobs/${queued}`);
    expect(cancelled.status).toBe(200);
    // The wait is woken by the cancel: the notice comes long before the 20 s round would have ended.
    const notices = await noticesOf(stack, queued, 5_000);
    expect(notices.map((n) => n.attributes.status)).toEqual(['CANCELLED']);
    expect(await client.waitForJob(next)).toMatchObject({ status: 'SUCCEEDED' });
    for (const jobId of busy) expect((await client.waitForJob(jobId)).status).toBe('SUCCEEDED');
    expect(stack.simulator!.tasks().filter((task) => task.prompt === 'a job that waits its turn')).toEqual([]);
    expect(stack.simulator!.rejections()).toEqual([]);
  });
});
