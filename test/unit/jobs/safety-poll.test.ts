// The safety poll of a callback job (lambdas/jobs/safety-poll.ts): the reconciler's look for a lost callback polls
// only a callback job that waits for its callback past the end of its expected range, records what the provider says,
// and wakes the wait with a terminal result, as the callback would have.
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { checkLostCallback, type LostCallbackDeps } from '../../../lambdas/jobs/safety-poll.ts';
import type { AdapterContext, ProviderAdapter, ProviderStatus } from '../../../lambdas/providers/port.ts';
import type { ProviderResult } from '../../../lambdas/workflow/contract.ts';
import { ACME, InMemoryJobs, storedJob } from './in-memory-jobs.ts';

const SUBMITTED_AT = Date.parse('2026-11-30T12:00:00Z');
// A 5 s 720p job (the stored job's request): expected 60–90 s, so overdue from 135 s after submission.
const OVERDUE_AFTER_SECONDS = 135;

function setup(options: { callbacks?: boolean; status?: () => ProviderStatus; resumes?: boolean; timeScale?: number } = {}) {
  const polled: string[] = [];
  const resumed: Array<{ taskToken: string; result: ProviderResult }> = [];
  let elapsedSeconds = OVERDUE_AFTER_SECONDS;
  const store = new InMemoryJobs(() => new Date(SUBMITTED_AT + elapsedSeconds * 1000));
  const adapter: ProviderAdapter = {
    id: 'acme',
    capabilities: { ...ACME, callbacks: options.callbacks ?? true },
    submit: async () => {
      throw new Error('not used');
    },
    status: async (providerTaskId) => {
      polled.push(providerTaskId);
      return (options.status ?? (() => ({ providerTaskId, status: 'succeeded', videoUrl: 'https://cdn.example/v.mp4' })))();
    },
  };
  const deps: LostCallbackDeps = {
    store,
    providerOf: async () => ({ adapter, context: {} as AdapterContext }),
    resume: async (taskToken, result) => {
      resumed.push({ taskToken, result });
      return options.resumes ?? true;
    },
    now: () => new Date(SUBMITTED_AT + elapsedSeconds * 1000),
    timeScale: options.timeScale ?? 1,
  };
  const waiting = (extra: Partial<JobRecord> = {}) =>
    storedJob('job_1', 'SUBMITTED', {
      providerTaskId: 'task-1',
      taskToken: 'token-1',
      submittedAt: new Date(SUBMITTED_AT).toISOString(),
      ...extra,
    });
  return {
    deps,
    store,
    polled,
    resumed,
    waiting,
    at: (seconds: number) => {
      elapsedSeconds = seconds;
    },
  };
}

describe('checkLostCallback', () => {
  it('wakes the wait of an overdue callback job whose task has ended, with the result recorded on the job', async () => {
    const { deps, store, polled, resumed, waiting } = setup();
    await store.create(waiting());
    expect(await checkLostCallback(deps, await store.require('job_1'))).toBe('resumed');
    expect(polled).toEqual(['task-1']);
    expect(resumed).toEqual([
      {
        taskToken: 'token-1',
        result: { providerTaskId: 'task-1', status: 'succeeded', videoUrl: 'https://cdn.example/v.mp4', source: 'poll' },
      },
    ]);
    expect((await store.require('job_1')).providerResult).toMatchObject({ status: 'succeeded', source: 'poll' });
  });

  it('polls no earlier than the end of the expected range × 1.5, in provider time (the local stack runs faster)', async () => {
    const { deps, store, polled, waiting, at } = setup();
    await store.create(waiting());
    at(OVERDUE_AFTER_SECONDS - 1);
    expect(await checkLostCallback(deps, await store.require('job_1'))).toBe('skipped');
    // At 1/30 time scale, 5 real seconds are 150 s of provider time.
    const fast = setup({ timeScale: 1 / 30 });
    await fast.store.create(fast.waiting());
    fast.at(5);
    expect(await checkLostCallback(fast.deps, await fast.store.require('job_1'))).toBe('resumed');
    expect(polled).toEqual([]);
  });

  it('records progress and leaves the wait alone while the task still runs', async () => {
    const { deps, store, resumed, waiting } = setup({ status: () => ({ providerTaskId: 'task-1', status: 'processing', progress: 50 }) });
    await store.create(waiting());
    expect(await checkLostCallback(deps, await store.require('job_1'))).toBe('running');
    expect(resumed).toEqual([]);
    expect(await store.require('job_1')).toMatchObject({ status: 'PROCESSING', progress: 50 });
  });

  it.each<[string, Partial<JobRecord>, boolean]>([
    ['a polled provider (the workflow polls it)', {}, false],
    ['no task token (not waiting for a callback)', { taskToken: undefined }, true],
    ['no task yet', { providerTaskId: undefined }, true],
    ['a result recorded already (the workflow will pick it up)', { providerResult: { status: 'succeeded' } }, true],
    ['a job that has ended', { status: 'CANCELLED' }, true],
  ])('leaves alone %s', async (_name, extra, callbacks) => {
    const { deps, store, polled, resumed, waiting } = setup({ callbacks });
    await store.create(waiting(extra));
    expect(await checkLostCallback(deps, await store.require('job_1'))).toBe('skipped');
    expect(polled).toEqual([]);
    expect(resumed).toEqual([]);
  });

  it('says so when the wait had already ended, and when the poll failed (nothing thrown: the next pass looks again)', async () => {
    const stale = setup({ resumes: false });
    await stale.store.create(stale.waiting());
    expect(await checkLostCallback(stale.deps, await stale.store.require('job_1'))).toBe('stale-wait');
    const failing = setup({
      status: () => {
        throw new Error('503 from the provider');
      },
    });
    await failing.store.create(failing.waiting());
    expect(await checkLostCallback(failing.deps, await failing.store.require('job_1'))).toBe('poll-failed');
    expect(failing.resumed).toEqual([]);
    // A provider that cannot be loaded (no longer enabled) fails the look too, without throwing.
    const gone = { ...failing.deps, providerOf: async () => Promise.reject(new Error('provider acme is not enabled')) };
    expect(await checkLostCallback(gone, await failing.store.require('job_1'))).toBe('poll-failed');
  });
});
