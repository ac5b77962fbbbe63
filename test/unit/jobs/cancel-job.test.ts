// cancelJob through its injected dependencies: one conditional write, the provider asked, the wait woken.
import { describe, expect, it } from 'vitest';
import { cancelJob, type CancelJobDeps } from '../../../lambdas/jobs/cancel-job.ts';
import { InMemoryJobs, storedJob } from './in-memory-jobs.ts';

function deps(store: InMemoryJobs, provider: 'cancels' | 'cannot' | 'fails' = 'cancels') {
  const providerCalls: string[] = [];
  const woken: { taskToken: string; error: string; cause: string }[] = [];
  const value: CancelJobDeps = {
    store,
    cancelProviderTask: async (providerId, taskId) => {
      providerCalls.push(`${providerId}:${taskId}`);
      if (provider === 'fails') throw new Error('HTTP 502 from the provider');
      return provider === 'cancels';
    },
    failWait: async (taskToken, error, cause) => void woken.push({ taskToken, error, cause }),
  };
  return { deps: value, providerCalls, woken };
}

describe('cancelJob', () => {
  it('cancels a waiting job, asks the provider, and wakes the wait with JobAlreadyFinished', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'PROCESSING', { providerTaskId: 'task-9', taskToken: 'token-1' }));
    const { deps: d, providerCalls, woken } = deps(store);
    const outcome = await cancelJob(d, 'job_1');
    expect(outcome).toMatchObject({
      kind: 'cancelled',
      providerCancel: 'requested',
      job: { status: 'CANCELLED', error: { code: 'CANCELLED' } },
    });
    expect((await store.require('job_1')).status).toBe('CANCELLED');
    // The record keeps the token of the wait it ended (a finished job's token is never used again).
    expect((await store.require('job_1')).taskToken).toBe('token-1');
    expect(providerCalls).toEqual(['acme:task-9']);
    expect(woken).toEqual([{ taskToken: 'token-1', error: 'JobAlreadyFinished', cause: 'cancelled by the caller' }]);
  });

  it('ends the wait whose token was stored between its read and its write, and cancels the task Submit recorded then', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'SUBMITTED'));
    // The cancel reads the job before AwaitResult stores its token and Submit its task; it writes after.
    const stale = await store.require('job_1');
    await store.updateActive('job_1', { taskToken: 'token-2', providerTaskId: 'task-7' });
    const racing = Object.assign(Object.create(store) as InMemoryJobs, { get: async () => stale });
    const { deps: d, providerCalls, woken } = deps(racing);
    expect(await cancelJob(d, 'job_1')).toMatchObject({ kind: 'cancelled', providerCancel: 'requested' });
    expect(woken).toEqual([{ taskToken: 'token-2', error: 'JobAlreadyFinished', cause: 'cancelled by the caller' }]);
    expect(providerCalls).toEqual(['acme:task-7']);
  });

  it('cancels a job that has no provider task yet without calling the provider', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'QUEUED'));
    const { deps: d, providerCalls, woken } = deps(store);
    expect(await cancelJob(d, 'job_1')).toMatchObject({ kind: 'cancelled', providerCancel: 'no-task' });
    expect(providerCalls).toEqual([]);
    expect(woken).toEqual([]);
  });

  it('still cancels when the provider has no cancel call, or its cancel fails', async () => {
    for (const [provider, expected] of [
      ['cannot', 'unsupported'],
      ['fails', { failed: 'HTTP 502 from the provider' }],
    ] as const) {
      const store = new InMemoryJobs();
      await store.create(storedJob('job_1', 'SUBMITTED', { providerTaskId: 'task-9' }));
      const outcome = await cancelJob(deps(store, provider).deps, 'job_1');
      expect(outcome).toMatchObject({ kind: 'cancelled', providerCancel: expected });
      expect((await store.require('job_1')).status).toBe('CANCELLED');
    }
  });

  it('refuses a finished job and changes nothing', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'SUCCEEDED', { providerTaskId: 'task-9' }));
    const { deps: d, providerCalls } = deps(store);
    expect(await cancelJob(d, 'job_1')).toEqual({ kind: 'already-finished', status: 'SUCCEEDED' });
    expect((await store.require('job_1')).status).toBe('SUCCEEDED');
    expect(providerCalls).toEqual([]);
  });

  it('answers not-found for an unknown job', async () => {
    expect(await cancelJob(deps(new InMemoryJobs()).deps, 'job_nope')).toEqual({ kind: 'not-found' });
  });

  it('reports the status a job reached between the read and the write', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'ARCHIVING'));
    // The job finishes as the cancel reads it.
    const racing = Object.assign(Object.create(Object.getPrototypeOf(store)), store) as InMemoryJobs;
    racing.get = async (jobId) => {
      const seen = await store.get(jobId);
      await store.finish(jobId, 'SUCCEEDED', {});
      return seen;
    };
    expect(await cancelJob(deps(racing).deps, 'job_1')).toEqual({ kind: 'already-finished', status: 'SUCCEEDED' });
  });
});
