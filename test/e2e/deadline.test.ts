// A job's deadline (KLINGFLOW_DEADLINE_SECONDS, per model) ends a task that never finishes as TIMED_OUT, with a
// notice, long before the poll budget; a polled job waits in WaitForProvider (a Wait state), never in AwaitResult; a
// callback job waits in AwaitResult, twice, and is checked at its deadline.
import { expect, it } from 'vitest';
import { STATES } from '../../lambdas/workflow/contract.ts';
import { Client, finishedExecution, noticesOf, statesEntered, useTestStack } from './local-stack.ts';

// 240 s of provider time at the local 1/30 time scale: 8 s. The polled job's first poll comes at 60 s of provider
// time (2 s), so a loaded machine that starts it a few seconds late still polls before the deadline, then at it.
const stack = useTestStack({
  KLINGFLOW_DEADLINE_SECONDS: '240',
  KLINGFLOW_WAIT_TIME_SCALE: 1 / 30,
  KLINGFLOW_MAX_POLLS: 50,
});

it('times a polled job out at its deadline, polling between Wait states', async () => {
  const client = new Client(stack());
  const jobId = await client.createJob({ prompt: 'a task that never ends [sim:stuck]', provider: 'kling-v3-rest' });
  const job = await client.waitForJob(jobId, 30_000);
  expect(job).toMatchObject({ status: 'TIMED_OUT', error: { code: 'TIMED_OUT' } });
  expect(job.error.message).toMatch(/deadline/);
  const states = await statesEntered(stack(), jobId);
  expect(states).not.toContain(STATES.awaitResult);
  expect(states).toContain(STATES.deadlinePassed);
  const polls = states.filter((s) => s === STATES.pollStatus).length;
  expect(polls).toBeGreaterThanOrEqual(2);
  expect(polls).toBeLessThan(50);
  expect(states.filter((s) => s === STATES.waitForProvider)).toHaveLength(polls);
  expect(states.at(-1)).toBe(STATES.failed);
  expect((await noticesOf(stack(), jobId)).map((n) => n.subject)).toEqual([`klingflow job ${jobId} TIMED_OUT`]);
});

it('times a callback job out at its deadline: two waits for the callback (the second after a safety poll), then one check', async () => {
  const client = new Client(stack());
  const jobId = await client.createJob({ prompt: 'a task that never ends [sim:stuck]', provider: 'kling' });
  const job = await client.waitForJob(jobId, 30_000);
  expect(job).toMatchObject({ status: 'TIMED_OUT', error: { code: 'TIMED_OUT' } });
  expect(job.error.message).toMatch(/deadline/);
  const history = (await finishedExecution(stack(), jobId)).events;
  // AwaitResult entered once and retried once on its timeout: one safety check, however long the job ran.
  expect(history.filter((e) => e.type === 'StateEntered' && e.stateName === STATES.awaitResult)).toHaveLength(1);
  expect(history.filter((e) => e.type === 'StateRetried' && e.stateName === STATES.awaitResult)).toHaveLength(1);
  const states = await statesEntered(stack(), jobId);
  expect(states.filter((s) => s === STATES.pollStatus)).toHaveLength(1);
  expect(states).toContain(STATES.deadlinePassed);
  expect(states).not.toContain(STATES.waitForProvider);
  expect(states.at(-1)).toBe(STATES.failed);
  expect((await noticesOf(stack(), jobId)).map((n) => n.subject)).toEqual([`klingflow job ${jobId} TIMED_OUT`]);
});
