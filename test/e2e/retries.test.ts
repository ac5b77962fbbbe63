// Retries that listen, and never paying twice, end to end on the local stack:
// - a Replicate account allowing 2 creates per 3 s window: a burst of 6 jobs is refused with 429 and a retry hint,
//   and every job comes back after the hint (with jitter), none FAILED, each with exactly one provider task;
// - a create whose answer is lost ([sim:lost-response]): Kling finds its task by external_task_id, Replicate by
//   listing predictions, and kling-ai (no look-up) ends SUBMIT_UNCERTAIN; never a second provider task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '../../lambdas/workflow/contract.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, noticesOf, startTestStack, statesEntered } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  // An unanswered submission has certainly ended 4 s + 5 s after it was sent (see local/stack.ts).
  process.env.KLINGFLOW_PROVIDER_TIMEOUT_MS = '4000';
  stack = await startTestStack(undefined, {
    KLINGFLOW_SIMULATOR_LATENCY_MS: 400,
    KLINGFLOW_SIMULATOR_LIMITS: { replicate: { createsPerMinute: 2, windowSeconds: 3 } },
  });
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
  delete process.env.KLINGFLOW_PROVIDER_TIMEOUT_MS;
});

const tasksOf = (prompt: string) => stack.simulator!.tasks().filter((task) => task.prompt === prompt);

describe('retries that listen', () => {
  it('a burst over a rate limit waits out the provider’s hint, and every job succeeds with one task', async () => {
    const prompts = Array.from({ length: 6 }, (_, i) => `a lantern festival, shot ${i}`);
    const jobIds = await Promise.all(prompts.map((prompt) => client.createJob({ provider: 'replicate', prompt })));
    const jobs = await Promise.all(jobIds.map((jobId) => client.waitForJob(jobId, 90_000)));
    expect(jobs.map((job) => job.status)).toEqual(jobIds.map(() => 'SUCCEEDED'));
    for (const prompt of prompts) expect(tasksOf(prompt)).toHaveLength(1);
    const refusals = stack.simulator!.rejections().filter((r) => r.dialect === 'replicate');
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((r) => r.rejection.kind === 'rate')).toBe(true);
    // A refused job waited (WaitToResubmit) and came back to Submit.
    const refused = jobs.filter((job) => job.attempts > 1);
    expect(refused.length).toBeGreaterThan(0);
    for (const job of refused) expect(await statesEntered(stack, job.jobId)).toContain(STATES.waitToResubmit);
    // Never more than 2 creates accepted in any 3 s: the hints were obeyed, not raced.
    const accepted = stack
      .simulator!.tasks()
      .filter((task) => prompts.includes(task.prompt ?? ''))
      .map((task) => task.createdAt)
      .sort((a, b) => a - b);
    for (let i = 2; i < accepted.length; i += 1) expect(accepted[i]! - accepted[i - 2]!).toBeGreaterThanOrEqual(2_900);
  });
});

describe.concurrent('a lost answer is never paid twice', () => {
  it.each([
    ['kling', 'SUCCEEDED'],
    ['replicate', 'SUCCEEDED'],
  ])('%s: the look-up finds the task of the lost create, and the job finishes on it', async (provider, status) => {
    const prompt = `a lighthouse keeper (${provider}) [sim:lost-response]`;
    const jobId = await client.createJob({ provider, prompt });
    const job = await client.waitForJob(jobId, 60_000);
    expect(job, JSON.stringify(job.error)).toMatchObject({ status });
    expect(tasksOf(prompt)).toHaveLength(1);
    expect(job.providerTaskId).toContain(provider === 'kling' ? tasksOf(prompt)[0]!.taskId : tasksOf(prompt)[0]!.externalTaskId!);
    expect(await noticesOf(stack, jobId, 2_000)).toHaveLength(1);
  });

  it('kling-ai (no way to look a task up): SUBMIT_UNCERTAIN, naming the provider and the time, and no second task', async () => {
    const prompt = 'a lighthouse keeper (kling-ai) [sim:lost-response]';
    const jobId = await client.createJob({ provider: 'kling-ai', prompt });
    const job = await client.waitForJob(jobId, 60_000);
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'SUBMIT_UNCERTAIN', retryable: false } });
    expect(job.error.message).toMatch(/^kling-ai may have accepted this job at \d{4}-\d\d-\d\dT[\d:.]+Z, but its answer never arrived/);
    expect(tasksOf(prompt)).toHaveLength(1);
    expect(await noticesOf(stack, jobId, 2_000)).toHaveLength(1);
  });
});
