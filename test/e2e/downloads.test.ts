// Archive's download through the real local stack: the simulator declares the video's full Content-Length and hangs
// up halfway ([sim:truncated-download]). The download is a retryable network error on every attempt, the workflow
// retries it, and the job then fails with how much arrived; the stack itself keeps serving (an unhandled stream
// error used to take the whole process down).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '../../lambdas/workflow/contract.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, finishedExecution, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack();
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('a download cut short', () => {
  it('fails the job after the retries with "the download was truncated (N of M bytes)", and the stack keeps serving', async () => {
    const jobId = await client.createJob({ prompt: 'a fox [sim:truncated-download] [sim:latency=100]' });
    const job = await client.waitForJob(jobId, 80_000);
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'NETWORK', retryable: true } });
    const [, received, declared] =
      /^the download was truncated \((\d+) of (\d+) bytes\) \(gave up after retrying\)$/.exec(job.error.message) ?? [];
    expect(Number(received)).toBeGreaterThan(0);
    expect(Number(received)).toBeLessThan(Number(declared));
    // Every attempt of Archive hit the cut, and was retried.
    const execution = await finishedExecution(stack, jobId);
    expect(execution.events.filter((e) => e.type === 'StateRetried' && e.stateName === STATES.archive).length).toBeGreaterThan(0);
    expect(job.outputs).toBeUndefined();

    // Still alive: another job goes all the way through.
    const next = await client.createJob({ prompt: 'a fox after the cut [sim:latency=100]' });
    expect((await client.waitForJob(next)).status).toBe('SUCCEEDED');
  }, 120_000);
});
