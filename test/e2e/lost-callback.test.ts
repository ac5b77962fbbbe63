// A lost callback through the real local stack: the provider simulator never calls back, and the reconciler (on a
// 1 s timer here) polls the overdue job and wakes its wait with the result, long before the workflow's own safety
// check at half the deadline (900 s of provider time, 30 s here at 1/30) would have found it.
import { expect, it } from 'vitest';
import { STATES } from '../../lambdas/workflow/contract.ts';
import { Client, finishedExecution, noticesOf, statesEntered, useTestStack } from './local-stack.ts';

const stack = useTestStack({ KLINGFLOW_RECONCILE_SECONDS: 1 });

it('the reconciler wakes the wait of a callback job whose callback never came, without a second wait', async () => {
  const client = new Client(stack());
  const jobId = await client.createJob({ prompt: 'a lighthouse at dusk [sim:no-callback]', provider: 'kling' });
  // Well before the half-deadline safety check (30 s here): overdue from 135 s of provider time (4.5 s here).
  const job = await client.waitForJob(jobId, 25_000);
  expect(job).toMatchObject({ status: 'SUCCEEDED', progress: 100 });
  expect(
    stack()
      .simulator!.tasks()
      .find((t) => t.externalTaskId === jobId)?.callbacksSent,
  ).toBe(0);
  const history = (await finishedExecution(stack(), jobId)).events;
  // One wait for the callback, woken from outside: AwaitResult was neither retried (its own safety check) nor polled.
  expect(history.filter((e) => e.type === 'StateEntered' && e.stateName === STATES.awaitResult)).toHaveLength(1);
  expect(history.filter((e) => e.type === 'StateRetried' && e.stateName === STATES.awaitResult)).toHaveLength(0);
  const states = await statesEntered(stack(), jobId);
  expect(states).not.toContain(STATES.pollStatus);
  expect(states.at(-1)).toBe(STATES.sendWebhook);
  expect(await noticesOf(stack(), jobId)).toHaveLength(1);
});
