// Submit's use case (lambdas/jobs/submit-job.ts): an intent before the provider call, the task recorded with the
// answer, and after a lost answer a look-up (or SUBMIT_UNCERTAIN) instead of a second task.
import { describe, expect, it } from 'vitest';
import { JobAlreadyFinished, mayHaveCreatedTask, ProviderError, SubmitInFlight, SubmitUncertain } from '../../../lambdas/domain/errors.ts';
import { SUBMIT_SETTLE_SECONDS, submitJob, submitOrRetry, type SubmitJobDeps } from '../../../lambdas/jobs/submit-job.ts';
import type { AdapterContext, ProviderAdapter, SubmitRequest, SubmitResult } from '../../../lambdas/providers/port.ts';
import { SUBMIT_IN_FLIGHT } from '../../../lambdas/workflow/contract.ts';
import { ACME, InMemoryJobs, storedJob } from './in-memory-jobs.ts';

const T0 = Date.parse('2026-11-30T12:00:00Z');

/**
 * A provider whose `submit` does what `next` says (after `whileSending`, if given), recording every call;
 * `findSubmitted` and `cancel` only when given.
 */
function fakeProvider(
  options: {
    lookup?: (since: Date) => SubmitResult[];
    cancel?: (providerTaskId: string) => Promise<void>;
    whileSending?: () => Promise<void>;
  } = {},
) {
  const sent: SubmitRequest[] = [];
  const lookups: Date[] = [];
  const cancelled: string[] = [];
  let next: () => SubmitResult = () => ({ providerTaskId: `task-${sent.length}` });
  const adapter: ProviderAdapter = {
    id: 'acme',
    capabilities: ACME,
    submit: async (input) => {
      sent.push(input);
      await options.whileSending?.();
      return next();
    },
    status: async () => {
      throw new Error('not used');
    },
    ...(options.lookup
      ? {
          findSubmitted: async (_input: SubmitRequest, since: Date) => {
            lookups.push(since);
            return options.lookup!(since);
          },
        }
      : {}),
    ...(options.cancel
      ? {
          cancel: async (providerTaskId: string) => {
            cancelled.push(providerTaskId);
            await options.cancel!(providerTaskId);
          },
        }
      : {}),
  };
  return {
    adapter,
    sent,
    lookups,
    cancelled,
    failWith(make: () => Error) {
      next = () => {
        throw make();
      };
    },
    succeed() {
      next = () => ({ providerTaskId: `task-${sent.length}` });
    },
  };
}

function setup(provider = fakeProvider()) {
  let now = T0;
  const jobs = new InMemoryJobs(() => new Date(now));
  let ids = 0;
  const deps: SubmitJobDeps = {
    store: jobs,
    providerOf: async () => ({ adapter: provider.adapter, context: {} as AdapterContext }),
    prepare: async () => ({ media: {} }),
    now: () => new Date(now),
    newId: () => `intent-${++ids}`,
  };
  return {
    deps,
    jobs,
    provider,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

const timeout = () => new ProviderError('network', 'POST /v1/videos timed out after 20000 ms');

describe('mayHaveCreatedTask', () => {
  it.each([
    ['a crash, not a provider answer', new Error('boom'), true],
    ['a timeout', timeout(), true],
    ['a refused connection (nothing left)', new ProviderError('network', 'refused', { notSent: true }), false],
    ['a gateway timeout (504)', new ProviderError('server', '504', { httpStatus: 504 }), true],
    ['a bad gateway (502)', new ProviderError('server', '502', { httpStatus: 502 }), true],
    ['an unreadable 2xx answer', new ProviderError('server', 'not JSON', { httpStatus: 201 }), true],
    ['an answer that does not fit its schema', new ProviderError('server', 'unexpected shape'), true],
    ['a 500', new ProviderError('server', '500', { httpStatus: 500 }), false],
    ['an overload (503)', new ProviderError('overloaded', '503', { httpStatus: 503 }), false],
    ['a 1303 refusal', new ProviderError('concurrency_limited', '1303', { httpStatus: 429, providerCode: 1303 }), false],
    ['a refusal in a 200 envelope', new ProviderError('invalid', '1201', { httpStatus: 200, providerCode: 1201 }), false],
  ])('%s: %s', (_what, error, expected) => {
    expect(mayHaveCreatedTask(error)).toBe(expected);
  });
});

describe('submitJob', () => {
  it('writes an intent, sends once, and records the task (the intent goes)', async () => {
    const { deps, jobs, provider } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED'));
    expect(await submitJob(deps, 'job_1')).toEqual({ providerTaskId: 'task-1', how: 'sent' });
    expect(await jobs.require('job_1')).toMatchObject({ status: 'SUBMITTED', providerTaskId: 'task-1', attempts: 1 });
    expect((await jobs.require('job_1')).submitIntent).toBeUndefined();
    // A retried or re-driven Submit finds the task recorded.
    expect(await submitJob(deps, 'job_1')).toEqual({ providerTaskId: 'task-1', how: 'recorded' });
    expect(provider.sent).toHaveLength(1);
  });

  it('clears the intent when the provider refused (nothing was made), so the next attempt sends again', async () => {
    const { deps, jobs, provider } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED'));
    provider.failWith(() => new ProviderError('concurrency_limited', '1303', { httpStatus: 429, providerCode: 1303 }));
    await expect(submitJob(deps, 'job_1')).rejects.toMatchObject({ kind: 'concurrency_limited' });
    expect((await jobs.require('job_1')).submitIntent).toBeUndefined();
    provider.succeed();
    expect(await submitJob(deps, 'job_1')).toMatchObject({ how: 'sent' });
    expect(provider.sent).toHaveLength(2);
  });

  it('after a lost answer, waits until the earlier attempt has certainly ended, then ends the job SUBMIT_UNCERTAIN where nothing can be looked up', async () => {
    const { deps, jobs, provider, advance } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED', { provider: 'acme' }));
    provider.failWith(timeout);
    await expect(submitJob(deps, 'job_1')).rejects.toMatchObject({ kind: 'network' });
    expect((await jobs.require('job_1')).submitIntent).toEqual({ id: 'intent-1', at: '2026-11-30T12:00:00.000Z' });

    advance(SUBMIT_SETTLE_SECONDS - 1);
    const inFlight = await submitJob(deps, 'job_1').catch((e: unknown) => e);
    expect(inFlight).toBeInstanceOf(SubmitInFlight);
    expect((inFlight as Error).name).toBe(SUBMIT_IN_FLIGHT);

    advance(1);
    const uncertain = await submitJob(deps, 'job_1').catch((e: unknown) => e);
    expect(uncertain).toBeInstanceOf(SubmitUncertain);
    expect((uncertain as Error).message).toMatch(
      /^acme may have accepted this job at 2026-11-30T12:00:00.000Z, but its answer never arrived and acme offers no way to look tasks up/,
    );
    expect(provider.sent).toHaveLength(1);
  });

  it('after a lost answer, takes the task the look-up finds, and sends nothing again', async () => {
    const provider = fakeProvider({ lookup: () => [{ providerTaskId: 'task-1' }] });
    const { deps, jobs, advance } = setup(provider);
    await jobs.create(storedJob('job_1', 'QUEUED'));
    provider.failWith(timeout);
    await expect(submitJob(deps, 'job_1')).rejects.toThrow(/timed out/);
    advance(SUBMIT_SETTLE_SECONDS);
    provider.succeed();
    expect(await submitJob(deps, 'job_1')).toEqual({ providerTaskId: 'task-1', how: 'found' });
    expect(provider.lookups).toEqual([new Date(T0)]);
    expect(provider.sent).toHaveLength(1);
    expect(await jobs.require('job_1')).toMatchObject({ status: 'SUBMITTED', providerTaskId: 'task-1' });
    expect((await jobs.require('job_1')).submitIntent).toBeUndefined();
  });

  it('sends again when the look-up finds nothing (the lost request never arrived), under a new intent', async () => {
    const provider = fakeProvider({ lookup: () => [] });
    const { deps, jobs, advance } = setup(provider);
    await jobs.create(storedJob('job_1', 'QUEUED'));
    provider.failWith(timeout);
    await expect(submitJob(deps, 'job_1')).rejects.toThrow();
    advance(SUBMIT_SETTLE_SECONDS);
    provider.succeed();
    expect(await submitJob(deps, 'job_1')).toEqual({ providerTaskId: 'task-2', how: 'sent' });
    expect(await jobs.require('job_1')).toMatchObject({ attempts: 2, providerTaskId: 'task-2' });
  });

  it('ends the job SUBMIT_UNCERTAIN when the look-up finds several tasks that cannot be told apart', async () => {
    const provider = fakeProvider({ lookup: () => [{ providerTaskId: 'a' }, { providerTaskId: 'b' }] });
    const { deps, jobs, advance } = setup(provider);
    await jobs.create(storedJob('job_1', 'QUEUED', { submitIntent: { id: 'old', at: '2026-11-30T11:00:00.000Z' } }));
    advance(1);
    await expect(submitJob(deps, 'job_1')).rejects.toThrow(/found 2 tasks \(a, b\) that cannot be told apart/);
    expect(provider.sent).toHaveLength(0);
  });

  it('a second run of the same job never sends a second task while the first is sending', async () => {
    const { deps, jobs, provider } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED'));
    // The other run wrote its intent between this run's read and its own intent.
    const original = jobs.beginSubmit.bind(jobs);
    jobs.beginSubmit = async (jobId, intent, replacing) => {
      await original(jobId, { id: 'other-run', at: new Date(T0).toISOString() });
      return original(jobId, intent, replacing);
    };
    await expect(submitJob(deps, 'job_1')).rejects.toBeInstanceOf(SubmitInFlight);
    expect(provider.sent).toHaveLength(0);
  });
});

describe('submitJob when the job ends while its task is being made (a cancel between the intent and the answer)', () => {
  /** A job cancelled while its provider makes the task, as the cancel use case writes it. */
  async function cancelledWhileSending(cancel?: (providerTaskId: string) => Promise<void>) {
    let jobs: InMemoryJobs | undefined;
    const provider = fakeProvider({
      ...(cancel ? { cancel } : {}),
      whileSending: async () => {
        await jobs!.finish('job_1', 'CANCELLED', { error: { code: 'CANCELLED', message: 'cancelled by the caller', retryable: false } });
      },
    });
    const set = setup(provider);
    jobs = set.jobs;
    await jobs.create(storedJob('job_1', 'QUEUED'));
    const error = await submitJob(set.deps, 'job_1').catch((e: unknown) => e);
    return { ...set, error: error as Error };
  }

  it('cancels the task at the provider, so it neither runs on nor costs more, and ends as a job that has ended', async () => {
    const { error, provider, jobs } = await cancelledWhileSending(async () => undefined);
    expect(error).toBeInstanceOf(JobAlreadyFinished);
    expect(error.message).toBe('job job_1 ended (CANCELLED) while acme was making its task task-1; the task was cancelled at the provider');
    expect(provider.cancelled).toEqual(['task-1']);
    // The cancelled record is left as the cancel wrote it.
    expect(await jobs.require('job_1')).toMatchObject({ status: 'CANCELLED' });
  });

  it('says so when the provider refuses the cancel, and still ends as a job that has ended', async () => {
    const { error, provider } = await cancelledWhileSending(async () => {
      throw new ProviderError('server', 'cancel failed: 500');
    });
    expect(error).toBeInstanceOf(JobAlreadyFinished);
    expect(error.message).toMatch(/its task task-1; the task could not be cancelled at the provider: cancel failed: 500$/);
    expect(provider.cancelled).toEqual(['task-1']);
  });

  it('says the task runs on where the provider has no cancel call', async () => {
    const { error, provider } = await cancelledWhileSending();
    expect(error).toBeInstanceOf(JobAlreadyFinished);
    expect(error.message).toMatch(/its task task-1; the task runs on: acme has no cancel call$/);
    expect(provider.sent).toHaveLength(1);
  });

  it('cancels a task a look-up finds for a job that ended meanwhile', async () => {
    let jobs: InMemoryJobs | undefined;
    const provider = fakeProvider({
      cancel: async () => undefined,
      lookup: () => {
        void jobs!.finish('job_1', 'CANCELLED', {});
        return [{ providerTaskId: 'found-1' }];
      },
    });
    const set = setup(provider);
    jobs = set.jobs;
    await jobs.create(storedJob('job_1', 'QUEUED', { submitIntent: { id: 'old', at: '2026-11-30T11:00:00.000Z' } }));
    await expect(submitJob(set.deps, 'job_1')).rejects.toBeInstanceOf(JobAlreadyFinished);
    expect(provider.cancelled).toEqual(['found-1']);
    expect(provider.sent).toHaveLength(0);
  });
});

describe('submitOrRetry', () => {
  const rateLimited = (retryAfterSeconds?: number) =>
    new ProviderError('rate_limited', 'POST /v1/predictions answered HTTP 429', { httpStatus: 429, retryAfterSeconds });

  it('turns a refusal worth retrying into a wait: the hint plus jitter, and no intent is left behind', async () => {
    const { deps, jobs, provider } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED'));
    provider.failWith(() => rateLimited(7));
    const step = await submitOrRetry({ ...deps, random: () => 0.5 }, 'job_1', 0);
    expect(step).toEqual({ retryInSeconds: 11, reason: 'POST /v1/predictions answered HTTP 429' });
    expect((await jobs.require('job_1')).submitIntent).toBeUndefined();
  });

  it('ends the job once the schedule has no retries left, and at once for what retrying cannot fix', async () => {
    const { deps, jobs, provider } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED'));
    provider.failWith(() => rateLimited());
    await expect(submitOrRetry({ ...deps, random: () => 0 }, 'job_1', 8)).rejects.toMatchObject({ kind: 'rate_limited' });
    provider.failWith(() => new ProviderError('content_policy', 'flagged', { httpStatus: 400 }));
    await expect(submitOrRetry({ ...deps, random: () => 0 }, 'job_1', 0)).rejects.toMatchObject({ kind: 'content_policy' });
  });

  it('keeps waiting for room at the provider past the 8 retries while the job is younger than maxQueueSeconds, then ends it', async () => {
    const { deps, jobs, provider, advance } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED', { createdAt: new Date(T0).toISOString() }));
    provider.failWith(() => new ProviderError('concurrency_limited', '1303', { httpStatus: 429, providerCode: 1303 }));
    const patient = { ...deps, random: () => 0.5, maxQueueSeconds: 3600 };
    expect(await submitOrRetry(patient, 'job_1', 30)).toMatchObject({ retryInSeconds: 60 });
    advance(3590);
    expect(await submitOrRetry(patient, 'job_1', 31)).toMatchObject({ retryInSeconds: 10 });
    advance(10);
    await expect(submitOrRetry(patient, 'job_1', 32)).rejects.toMatchObject({ kind: 'concurrency_limited' });
    // A failure that is not for want of room keeps its 8 retries.
    provider.failWith(() => new ProviderError('server', '500', { httpStatus: 500 }));
    advance(-3600);
    await expect(submitOrRetry(patient, 'job_1', 8)).rejects.toMatchObject({ kind: 'server' });
  });

  it('waits for an earlier submission in flight until it has certainly ended', async () => {
    const { deps, jobs, advance } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED', { submitIntent: { id: 'old', at: new Date(T0).toISOString() } }));
    advance(10);
    expect(await submitOrRetry({ ...deps, random: () => 0 }, 'job_1', 0)).toMatchObject({ retryInSeconds: SUBMIT_SETTLE_SECONDS - 10 });
  });

  it('returns the task when the provider takes the job', async () => {
    const { deps, jobs } = setup();
    await jobs.create(storedJob('job_1', 'QUEUED'));
    expect(await submitOrRetry({ ...deps, random: () => 0 }, 'job_1', 0)).toEqual({ providerTaskId: 'task-1', how: 'sent' });
  });
});
