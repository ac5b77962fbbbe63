// A provider that never finishes: the checks are bounded by maxPolls (a guard behind the deadline), the job ends
// TIMED_OUT with a notice, and the execution does not hang.
import { expect, it } from 'vitest';
import { STATES } from '../../lambdas/workflow/contract.ts';
import { Client, noticesOf, statesEntered, useTestStack } from './local-stack.ts';

const stack = useTestStack({ KLINGFLOW_MAX_POLLS: 3 });

it('times a polled job out after maxPolls checks, long before its deadline', async () => {
  const client = new Client(stack());
  const jobId = await client.createJob({ prompt: 'a task that never ends [sim:stuck]', provider: 'kling-v3-rest' });
  const job = await client.waitForJob(jobId, 30_000);
  expect(job).toMatchObject({ status: 'TIMED_OUT', error: { code: 'TIMED_OUT' } });
  expect(job.error.message).toMatch(/within the checks allowed \(checks made: 3\)/);
  const states = await statesEntered(stack(), jobId);
  expect(states.filter((s) => s === STATES.pollStatus)).toHaveLength(3);
  expect(states).toContain(STATES.pollBudgetExhausted);
  expect(states.at(-1)).toBe(STATES.failed);
  expect((await noticesOf(stack(), jobId)).map((n) => n.subject)).toEqual([`klingflow job ${jobId} TIMED_OUT`]);
});
