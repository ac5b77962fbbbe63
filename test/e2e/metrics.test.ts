// Metrics on the real local stack: each step of a job leaves its CloudWatch EMF line (the same lines Lambda turns
// into metrics on AWS) in <data dir>/logs/metrics.jsonl, with the job id as a property, and `GET /v1/metrics` (local
// front door only) and `npx klingflow metrics` sum them.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { type EmfDataPoint, readEmfLine } from '../../lambdas/domain/metrics.ts';
import { metricsFileOf } from '../../local/metrics.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack();
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** Every EMF data point the handlers wrote about `jobId`, in order. */
const pointsOf = (jobId: string): EmfDataPoint[] =>
  readFileSync(metricsFileOf(stack.dataDir), 'utf8')
    .split('\n')
    .flatMap(readEmfLine)
    .filter((p) => p.properties.jobId === jobId);

const named = (points: EmfDataPoint[], name: string) => points.filter((p) => p.name === name);

describe('EMF lines for the steps of a job', () => {
  it('a job finished by callback: created, queue wait, submit, generation, archive, notify, finished, callbacks and no polls', async () => {
    const jobId = await client.createJob({ prompt: 'a red fox running through snow' });
    expect((await client.waitForJob(jobId)).status).toBe('SUCCEEDED');
    // Notify runs after Complete; wait for its line.
    for (let i = 0; i < 50 && named(pointsOf(jobId), 'NotifySeconds').length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    const points = pointsOf(jobId);
    const names = new Set(points.map((p) => p.name));
    for (const step of ['JobsCreated', 'QueueWaitSeconds', 'SubmitSeconds', 'GenerationSeconds', 'ArchiveSeconds', 'NotifySeconds']) {
      expect(names, step).toContain(step);
    }
    expect(named(points, 'CallbacksReceived').length).toBeGreaterThan(0);
    expect(named(points, 'Polls')).toEqual([]);
    // Once per job, with its status; every point in namespace klingflow with the provider as a dimension.
    expect(named(points, 'JobsFinished')).toEqual([
      expect.objectContaining({ unit: 'Count', values: [1], dimensions: { service: 'klingflow', provider: 'kling', status: 'SUCCEEDED' } }),
    ]);
    expect(named(points, 'JobsFailed')).toEqual([]);
    for (const point of points) expect(point.dimensions.provider).toBe('kling');
    // Times are seconds, and the simulator takes 0.6 s to generate.
    const [generation] = named(points, 'GenerationSeconds');
    expect(generation!.unit).toBe('Seconds');
    expect(generation!.values[0]).toBeGreaterThanOrEqual(0.5);
    expect(generation!.values[0]).toBeLessThan(30);
    const raw = readFileSync(metricsFileOf(stack.dataDir), 'utf8')
      .split('\n')
      .find((l) => l.includes(jobId))!;
    expect(JSON.parse(raw)._aws.CloudWatchMetrics[0].Namespace).toBe('klingflow');
  });

  it('a polled provider with a price table: polls, and spend in credits and USD', async () => {
    const jobId = await client.createJob({ provider: 'kling-ai', prompt: 'a lighthouse at dusk' });
    const job = await client.waitForJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    const points = pointsOf(jobId);
    expect(named(points, 'Polls').length).toBeGreaterThan(0);
    expect(named(points, 'CallbacksReceived')).toEqual([]);
    expect(named(points, 'SpendCredits').map((p) => p.values[0])).toEqual([job.cost.credits]);
    expect(named(points, 'SpendUsd').map((p) => p.values[0])).toEqual([job.cost.usd]);
  });

  it('retries and provider errors by kind: a refusal for now, then out of credits', async () => {
    const jobId = await client.createJob({ prompt: 'a fox [sim:1303] [sim:1102]' });
    const job = await client.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'INSUFFICIENT_CREDITS' } });
    const points = pointsOf(jobId);
    expect(named(points, 'SubmitRetries').map((p) => p.values[0])).toEqual([1]);
    expect(named(points, 'ProviderErrors').map((p) => p.dimensions.kind)).toEqual(['concurrency_limited', 'insufficient_credits']);
    expect(named(points, 'JobsFinished').map((p) => p.dimensions.status)).toEqual(['FAILED']);
    expect(named(points, 'JobsFailed')).toHaveLength(1);
  });
});

describe('a cancelled job', () => {
  it('counts in JobsCancelled, not in JobsFailed', async () => {
    const jobId = await client.createJob({ prompt: 'a slow fox [sim:latency=60000]' });
    expect((await client.request('DELETE', `/v1/jobs/${jobId}`)).body).toMatchObject({ jobId, status: 'CANCELLED' });
    for (let i = 0; i < 50 && named(pointsOf(jobId), 'JobsFinished').length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    const points = pointsOf(jobId);
    expect(named(points, 'JobsFinished').map((p) => p.dimensions.status)).toEqual(['CANCELLED']);
    expect(named(points, 'JobsCancelled')).toEqual([
      expect.objectContaining({ unit: 'Count', values: [1], dimensions: { service: 'klingflow', provider: 'kling' } }),
    ]);
    expect(named(points, 'JobsFailed')).toEqual([]);
  });
});

describe('GET /v1/metrics and npx klingflow metrics', () => {
  it('sums the lines per metric and dimension set, for everything or one job', async () => {
    const jobId = await client.createJob({ prompt: 'a heron taking off' });
    await client.waitForJob(jobId);
    const all = await client.request('GET', '/v1/metrics');
    expect(all.status).toBe(200);
    const finished = all.body.metrics.filter((m: { name: string }) => m.name === 'JobsFinished');
    expect(finished.reduce((n: number, m: { sum: number }) => n + m.sum, 0)).toBeGreaterThanOrEqual(4);

    const one = await client.request('GET', `/v1/metrics?jobId=${jobId}&name=JobsFinished`);
    expect(one.body).toEqual({
      metrics: [
        { name: 'JobsFinished', unit: 'Count', dimensions: { provider: 'kling', status: 'SUCCEEDED' }, count: 1, sum: 1, min: 1, max: 1 },
      ],
      lines: 1,
    });

    const lines: string[] = [];
    expect(await main(['metrics', '--job', jobId, '--api', stack.url, '--token', stack.token], (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/^METRIC\s+DIMENSIONS\s+COUNT\s+SUM\s+MEAN\s+MAX$/);
    expect(lines.some((l) => /^JobsFinished\s+provider=kling status=SUCCEEDED\s+1\s+1$/.test(l))).toBe(true);
    expect(lines.some((l) => /^SubmitSeconds\s+provider=kling\s+1\s+[\d.]+\s+[\d.]+ s\s+[\d.]+ s$/.test(l))).toBe(true);
  });

  it('asks for the token and names a parameter it does not know', async () => {
    const anonymous = await fetch(`${stack.url}/v1/metrics`);
    expect(anonymous.status).toBe(401);
    const unknown = await client.request('GET', '/v1/metrics?colour=red');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toBe('colour');
  });
});
