// The whole pipeline through the real local stack: HTTP front door → handlers → synthesized workflow on the
// local interpreter → DynamoDB/S3 emulators → the provider simulator (real HTTP, signed callbacks) → archive
// → notice in the outbox. Nothing is mocked; every client is a real SDK or fetch over loopback.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { STATES } from '../../lambdas/workflow/contract.ts';
import { Client, noticesOf, startTestStack, statesEntered } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

// kling-v2-master's deadline is short (240 s of provider time, 8 s here at 1/30), so a lost callback's safety poll
// (at half the deadline) comes within the test's wait; every other model keeps the default 1800 s.
const SHORT_DEADLINE_MODEL = 'kling-v2-master';

beforeAll(async () => {
  stack = await startTestStack(undefined, { KLINGFLOW_DEADLINE_SECONDS: `1800,${SHORT_DEADLINE_MODEL}=240` });
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

const noticesFor = (jobId: string) => noticesOf(stack, jobId);
const simTasksFor = (jobId: string) => stack.simulator!.tasks().filter((t) => t.externalTaskId === jobId);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a text-to-video job', () => {
  it('completes through the callback path, archives a playable MP4 and sends one notice', async () => {
    const created = await client.request('POST', '/v1/jobs', { prompt: 'a red fox running through snow' });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'QUEUED', links: { self: `/v1/jobs/${created.body.jobId}` } });
    const jobId: string = created.body.jobId;

    const job = await client.waitForJob(jobId);
    expect(job).toMatchObject({ jobId, status: 'SUCCEEDED', provider: 'kling', mode: 'text-to-video', attempts: 1, progress: 100 });
    expect(job.request).toMatchObject({ prompt: 'a red fox running through snow', durationSeconds: 5, aspectRatio: '16:9' });
    expect(job.providerTaskId).toMatch(/^text2video:\d+$/);
    expect(job.outputs.video).toMatchObject({ bucket: 'klingflow-outputs', key: `jobs/${jobId}/video.mp4`, contentType: 'video/mp4' });

    // The bytes behind the link hash to the recorded sha256 and are an MP4 (an ISO BMFF `ftyp` box first).
    const { bytes } = await client.downloadVideo(jobId);
    expect(bytes.length).toBe(job.outputs.video.bytes);
    expect(sha256(bytes)).toBe(job.outputs.video.sha256);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    // The callback woke the workflow: it never needed a poll, and nine states took it from start to end.
    const states = await statesEntered(stack, jobId);
    expect(states).toEqual([
      STATES.begin,
      STATES.validate,
      STATES.submit,
      STATES.submitted,
      STATES.awaitResult,
      STATES.checkResult,
      STATES.archive,
      STATES.notify,
      STATES.sendWebhook,
    ]);
    expect(simTasksFor(jobId)).toHaveLength(1);
    expect(simTasksFor(jobId)[0]!.callbacksSent).toBeGreaterThan(0);

    const notices = await noticesFor(jobId);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      subject: `klingflow job ${jobId} SUCCEEDED`,
      attributes: { status: 'SUCCEEDED', provider: 'kling' },
    });
    expect(notices[0]!.message).toContain(`Download: ${stack.url}/v1/share/${jobId}/video?expires=`);
    expect(notices[0]!.message).toContain('a red fox running through snow');
  });

  it('falls back to polling when the callback never comes: the safety poll at half the deadline finds it done', async () => {
    const jobId = await client.createJob({ prompt: 'a lighthouse at dusk [sim:no-callback]', model: SHORT_DEADLINE_MODEL });
    const job = await client.waitForJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(simTasksFor(jobId)[0]!.callbacksSent).toBe(0);
    // AwaitResult waited, then once more (its retry), whose handler polled and found the task done: no PollStatus.
    const states = await statesEntered(stack, jobId);
    expect(states.filter((s) => s === STATES.awaitResult).length).toBeGreaterThanOrEqual(1);
    expect(states).not.toContain(STATES.pollStatus);
    expect(states.at(-1)).toBe(STATES.sendWebhook);
    expect(await noticesFor(jobId)).toHaveLength(1);
  });

  it('a polled job done inside its expected range: one wait, one PollStatus (which polls near the end itself), ten states', async () => {
    // 75 s of provider time at 1/30: the first poll comes at the range's low end (60 s), the rest within that PollStatus.
    const jobId = await client.createJob({ prompt: 'a kite over a beach [sim:latency=2500]', provider: 'kling-v3-rest' });
    const job = await client.waitForJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(await statesEntered(stack, jobId)).toEqual([
      STATES.begin,
      STATES.validate,
      STATES.submit,
      STATES.submitted,
      STATES.waitForProvider,
      STATES.pollStatus,
      STATES.checkPoll,
      STATES.archive,
      STATES.notify,
      STATES.sendWebhook,
    ]);
    expect(await noticesFor(jobId)).toHaveLength(1);
  });

  it('retries a 1303 concurrency rejection and still creates exactly one provider task', async () => {
    const jobId = await client.createJob({ prompt: 'a paper boat on a river [sim:1303x2]' });
    const job = await client.waitForJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.attempts).toBe(3); // two rejected submissions, then the accepted one
    expect(simTasksFor(jobId)).toHaveLength(1);
    // Each refusal waited (WaitToResubmit, jittered backoff) and came back to Submit.
    const states = await statesEntered(stack, jobId);
    expect(states.filter((name) => name === STATES.waitToResubmit)).toHaveLength(2);
    expect(states.filter((name) => name === STATES.submit)).toHaveLength(3);
    const listed = await client.request('GET', '/v1/jobs?limit=100');
    expect(listed.body.items.filter((j: { jobId: string }) => j.jobId === jobId)).toHaveLength(1);
  });

  it('fails with the provider reason on a content-policy rejection, and notifies', async () => {
    const jobId = await client.createJob({ prompt: 'something the provider refuses [sim:content-policy]' });
    const job = await client.waitForJob(jobId);
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatchObject({ code: 'CONTENT_POLICY', retryable: false });
    expect(job.error.message).toMatch(/content security policy/);
    expect(job.outputs).toBeUndefined();
    expect(await statesEntered(stack, jobId)).toContain(STATES.markFailed);
    const notices = await noticesFor(jobId);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ subject: `klingflow job ${jobId} FAILED`, attributes: { status: 'FAILED' } });
    expect(notices[0]!.message).toMatch(/content security policy/);
    expect((await client.request('GET', `/v1/jobs/${jobId}/video`)).status).toBe(409);
  });

  it('fails a job the provider refuses at submission (1301) without retrying it', async () => {
    const jobId = await client.createJob({ prompt: 'refused outright [sim:1301]' });
    const job = await client.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'CONTENT_POLICY', retryable: false } });
    expect(simTasksFor(jobId)).toHaveLength(0);
  });
});

describe('invalid input', () => {
  const countJobs = async () => (await client.request('GET', '/v1/jobs?limit=100')).body.items.length as number;

  it('answers 422 with every offending field and writes nothing', async () => {
    const before = await countJobs();
    const executionsBefore = stack.runtime.list().length;
    const response = await client.request('POST', '/v1/jobs', {
      prompt: 'x',
      model: 'kling-v2-6',
      durationSeconds: 7,
      aspectRatio: '4:3',
      colour: 'red',
    });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    // Schema problems and what the model cannot do, all in one answer.
    const paths = response.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['aspectRatio', 'colour', 'durationSeconds']);
    const byPath = Object.fromEntries(response.body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]));
    expect(byPath.aspectRatio).toMatch(/16:9/);
    expect(byPath.colour).toBe('unknown field');
    expect(byPath.durationSeconds).toMatch(/allowed: 5, 10/);
    expect(await countJobs()).toBe(before);
    expect(stack.runtime.list().length).toBe(executionsBefore);
  });

  it('names what the model allows when a value is out of its range', async () => {
    const response = await client.request('POST', '/v1/jobs', { prompt: 'x', model: 'kling-v2-6', durationSeconds: 7 });
    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual([
      { path: 'durationSeconds', message: expect.stringMatching(/7 is not allowed .*allowed: 5, 10/) },
    ]);
  });

  it('answers 400 for a body that is not JSON, 401 without the token, 404 for an unknown job', async () => {
    expect((await client.request('POST', '/v1/jobs', '{"prompt": ')).status).toBe(400);
    const anonymous = await fetch(`${stack.url}/v1/jobs`, { method: 'POST', body: '{"prompt":"x"}' });
    expect(anonymous.status).toBe(401);
    expect((await client.request('GET', '/v1/jobs/job_unknown')).status).toBe(404);
  });
});

describe('idempotency', () => {
  it('returns the same job for a retried create and refuses the key with another body', async () => {
    const key = `retry-${Date.now()}`;
    const first = await client.createJob({ prompt: 'a kite over a beach' }, { 'idempotency-key': key });
    const second = await client.createJob({ prompt: 'a kite over a beach' }, { 'idempotency-key': key });
    expect(second).toBe(first);
    const conflict = await client.request('POST', '/v1/jobs', { prompt: 'another thing' }, { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    await client.waitForJob(first);
    expect(simTasksFor(first)).toHaveLength(1);
    expect(await noticesFor(first)).toHaveLength(1);
  });
});

describe('listing', () => {
  it('lists newest first, filters by status and pages with a cursor', async () => {
    const page = await client.request('GET', '/v1/jobs?limit=2');
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.items[0].createdAt >= page.body.items[1].createdAt).toBe(true);
    const next = await client.request('GET', `/v1/jobs?limit=2&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].jobId).not.toBe(page.body.items[0].jobId);
    const failed = await client.request('GET', '/v1/jobs?status=FAILED');
    expect(failed.body.items.length).toBeGreaterThan(0);
    expect(failed.body.items.every((j: { status: string }) => j.status === 'FAILED')).toBe(true);
    expect((await client.request('GET', '/v1/jobs?status=DONE')).status).toBe(400);
    expect((await client.request('GET', '/v1/jobs?cursor=not-ours')).status).toBe(400);
  });
});
