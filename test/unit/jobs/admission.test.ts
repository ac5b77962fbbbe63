// Admission control's use cases (lambdas/jobs/admission.ts) and pure rules (lambdas/domain/admission.ts), on
// in-memory fakes of the jobs and admission tables with their conditional semantics.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admissionTimings,
  freeSlots,
  parseConcurrencySetting,
  poolOf,
  waitKey,
  type ConcurrencyLimits,
} from '../../../lambdas/domain/admission.ts';
import { JobAlreadyFinished, QueueWaitExpired } from '../../../lambdas/domain/errors.ts';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { admit, awaitSlot, releaseSlot, renewLease, SLOT_GRANTED, type AdmissionDeps } from '../../../lambdas/jobs/admission.ts';
import { InMemoryAdmission, waitRecorder } from './in-memory-admission.ts';
import { InMemoryJobs, storedJob } from './in-memory-jobs.ts';

const T0 = Date.parse('2026-11-30T12:00:00Z');
const TIMINGS = admissionTimings({ slotWaitSeconds: 10, leaseSeconds: 300, maxQueueSeconds: 3600 });

/** The jobs of provider `acme` wait in a pool of `limits` (null: acme has no limit). */
function setup(limits: ConcurrencyLimits | null = { account: 2, models: {} }) {
  let now = T0;
  const jobs = new InMemoryJobs(() => new Date(now));
  const slots = new InMemoryAdmission();
  const waits = waitRecorder();
  const deps: AdmissionDeps = {
    jobs,
    slots,
    resumeWait: waits.resumeWait,
    failWait: waits.failWait,
    limitsOf: (id) => (id === 'acme' ? (limits ?? undefined) : undefined),
    timings: TIMINGS,
    now: () => new Date(now),
  };
  /** Adds a QUEUED job created `minute` minutes after 11:00 (older jobs come first in the queue). */
  const job = async (jobId: string, minute = 0, extra: Partial<JobRecord> = {}) => {
    const createdAt = new Date(Date.parse('2026-11-30T11:00:00Z') + minute * 60_000).toISOString();
    await jobs.create(storedJob(jobId, 'QUEUED', { createdAt, ...extra }));
    return jobId;
  };
  const advance = (seconds: number) => {
    now += seconds * 1000;
  };
  return { deps, jobs, slots, waits, job, advance };
}

describe('concurrency settings (domain)', () => {
  it('reads a count, a plan preset and per-model entries; empty means no limit', () => {
    expect(parseConcurrencySetting('3')).toEqual({ account: 3, models: {} });
    expect(parseConcurrencySetting('kling-free')).toEqual({ account: 3, models: {} });
    expect(parseConcurrencySetting('kling-standard')).toEqual({ account: 10, models: {} });
    expect(parseConcurrencySetting(' 4, kling-v3=2 ,kwaivgi/kling-v2.5-turbo-pro=kling-free')).toEqual({
      account: 4,
      models: { 'kling-v3': 2, 'kwaivgi/kling-v2.5-turbo-pro': 3 },
    });
    expect(parseConcurrencySetting(undefined)).toBeUndefined();
    expect(parseConcurrencySetting('  ')).toBeUndefined();
  });

  it.each([
    ['0', /0 is not a number of slots/],
    ['1001', /1001 is not a number of slots/],
    ['gold', /"gold" is neither a number nor a known plan/],
    ['3,4', /account limit is given twice/],
    ['kling-v3=2,kling-v3=1', /model kling-v3 is given twice/],
    ['=3', /is not <count>, <plan> or <model>=<count>/],
  ])('refuses %j, naming the setting', (value, message) => {
    expect(() => parseConcurrencySetting(value, 'KLINGFLOW_ACME_MAX_CONCURRENCY')).toThrow(message);
    expect(() => parseConcurrencySetting(value, 'KLINGFLOW_ACME_MAX_CONCURRENCY')).toThrow(/KLINGFLOW_ACME_MAX_CONCURRENCY/);
  });

  it('puts a job in its model pool where the model has one, else in the account pool', () => {
    const limits = { account: 5, models: { 'kling-v3': 2 } };
    expect(poolOf(limits, 'kling', 'kling-v3')).toEqual({ id: 'kling/kling-v3', size: 2 });
    expect(poolOf(limits, 'kling', 'kling-v2-6')).toEqual({ id: 'kling', size: 5 });
    expect(poolOf({ models: { 'kling-v3': 2 } }, 'kling', 'kling-v2-6')).toBeUndefined();
    expect(poolOf(undefined, 'kling', 'kling-v3')).toBeUndefined();
  });

  it('counts a slot free when unheld or when its lease ran out, and never past the pool size', () => {
    const stored = [
      { index: 0, holder: 'a', leaseUntil: T0 + 1 },
      { index: 1, holder: 'b', leaseUntil: T0 },
      { index: 3, holder: 'c', leaseUntil: T0 - 5 },
    ];
    expect(freeSlots(stored, 3, T0).map((slot) => slot.index)).toEqual([1, 2]);
    expect(freeSlots(stored, 3, T0)[0]).toEqual({ index: 1, holder: 'b', leaseUntil: T0 });
  });

  it('orders the queue by creation time, then id', () => {
    const keys = [
      waitKey('2026-11-30T11:00:01.000Z', 'job_b'),
      waitKey('2026-11-30T11:00:00.000Z', 'job_z'),
      waitKey('2026-11-30T11:00:01.000Z', 'job_a'),
    ];
    expect([...keys].sort()).toEqual([keys[1], keys[2], keys[0]]);
  });
});

describe('admit', () => {
  it('lets every job through when its provider has no limit, and stores nothing', async () => {
    const { deps, slots, job } = setup(null);
    expect(await admit(deps, await job('job_a'))).toEqual({ admitted: true });
    expect(slots.items.size).toBe(0);
  });

  it('admits up to the pool size, then queues with a visible position', async () => {
    const { deps, jobs, slots, job } = setup();
    expect(await admit(deps, await job('job_a', 0))).toEqual({ admitted: true, pool: 'acme' });
    expect(await admit(deps, await job('job_b', 1))).toEqual({ admitted: true, pool: 'acme' });
    expect(await admit(deps, await job('job_c', 2))).toEqual({ admitted: false, pool: 'acme', position: 1 });
    expect(await admit(deps, await job('job_d', 3))).toEqual({ admitted: false, pool: 'acme', position: 2 });
    expect(slots.holders('acme')).toEqual({ 0: 'job_a', 1: 'job_b' });
    expect((await jobs.require('job_c')).queuePosition).toBe(1);
    expect((await jobs.require('job_d')).queuePosition).toBe(2);
    // Asking again changes nothing, and a holder asking again keeps its slot.
    expect(await admit(deps, 'job_d')).toEqual({ admitted: false, pool: 'acme', position: 2 });
    expect(await admit(deps, 'job_a')).toEqual({ admitted: true, pool: 'acme' });
    expect(slots.holders('acme')).toEqual({ 0: 'job_a', 1: 'job_b' });
  });

  it('serves the oldest job first, even one that queued later, and no newcomer jumps the queue', async () => {
    const { deps, slots, job, waits } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_holder', 0));
    // job_young queues before job_old, but job_old was created first.
    expect(await admit(deps, await job('job_young', 20))).toMatchObject({ admitted: false, position: 1 });
    expect(await admit(deps, await job('job_old', 10))).toMatchObject({ admitted: false, position: 1 });
    await awaitSlot(deps, 'job_old', 'token-old');
    await awaitSlot(deps, 'job_young', 'token-young');

    expect(await releaseSlot(deps, 'job_holder')).toEqual({ released: 1, granted: ['job_old'] });
    expect(slots.holders('acme')).toEqual({ 0: 'job_old' });
    expect(waits.resumed).toEqual([{ token: 'token-old', output: SLOT_GRANTED }]);
    // A newcomer finds the slot taken and the queue ahead of it.
    expect(await admit(deps, await job('job_new', 30))).toMatchObject({ admitted: false, position: 2 });
    expect(await admit(deps, 'job_old')).toEqual({ admitted: true, pool: 'acme' });
  });

  it('fails a job that waited longer than maxQueueSeconds, and takes it out of the queue', async () => {
    const { deps, slots, job, jobs, advance } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_a'));
    await admit(deps, await job('job_b', 1));
    // job_a's task runs for over an hour, renewing its lease every round; job_b checks in every round.
    for (let elapsed = 0; elapsed < 3400; elapsed += 200) {
      advance(200);
      expect(await renewLease(deps, await jobs.require('job_a'))).toBe('renewed');
      expect(await admit(deps, 'job_b')).toMatchObject({ admitted: false });
    }
    advance(199);
    expect(await admit(deps, 'job_b')).toMatchObject({ admitted: false });
    advance(1);
    const error = await admit(deps, 'job_b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueWaitExpired);
    expect((error as Error).message).toMatch(/no acme slot \(1 at once\) came free within 3600 s; waiting since 2026-11-30T12:00:00.000Z/);
    expect(await slots.waiters('acme')).toEqual([]);
  });

  it('refuses a job that has ended', async () => {
    const { deps, job } = setup();
    await job('job_done', 0, { status: 'CANCELLED' });
    await expect(admit(deps, 'job_done')).rejects.toBeInstanceOf(JobAlreadyFinished);
  });

  it('keeps a pool per model where the provider counts per model', async () => {
    const { deps, slots, job } = setup({ account: 1, models: { 'model-b': 1 } });
    expect(await admit(deps, await job('job_a', 0))).toMatchObject({ admitted: true, pool: 'acme' });
    expect(await admit(deps, await job('job_b', 1, { model: 'model-b' }))).toMatchObject({ admitted: true, pool: 'acme/model-b' });
    expect(await admit(deps, await job('job_c', 2, { model: 'model-b' }))).toMatchObject({ admitted: false, pool: 'acme/model-b' });
    expect(slots.holders('acme')).toEqual({ 0: 'job_a' });
    expect(slots.holders('acme/model-b')).toEqual({ 0: 'job_b' });
  });
});

describe('awaitSlot', () => {
  it('puts the wait’s token on the job (a cancel wakes it) and on the queue entry', async () => {
    const { deps, jobs, slots, job } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_a'));
    await admit(deps, await job('job_b', 1));
    expect(await awaitSlot(deps, 'job_b', 'token-b')).toEqual({ admitted: false });
    expect((await jobs.require('job_b')).taskToken).toBe('token-b');
    expect((await slots.waiters('acme')).map((w) => w.token)).toEqual(['token-b']);
  });

  it('wakes its own wait at once when the job got a slot before it stored the token', async () => {
    const { deps, job, waits } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_a'));
    await admit(deps, await job('job_b', 1));
    // job_a frees its slot while job_b is between Admit and AwaitSlot: the handover cannot wake anyone yet.
    await releaseSlot(deps, 'job_a');
    expect(waits.resumed).toEqual([]);
    expect(await awaitSlot(deps, 'job_b', 'token-b')).toEqual({ admitted: true });
    expect(waits.resumed).toEqual([{ token: 'token-b', output: SLOT_GRANTED }]);
    expect(await admit(deps, 'job_b')).toEqual({ admitted: true, pool: 'acme' });
  });

  it('fails the wait of a job that ended (cancelled while queued)', async () => {
    const { deps, job, waits } = setup();
    await job('job_gone', 0, { status: 'CANCELLED' });
    expect(await awaitSlot(deps, 'job_gone', 'token-x')).toEqual({ admitted: false, ended: true });
    expect(waits.failed).toEqual([{ token: 'token-x', error: 'JobAlreadyFinished' }]);
  });
});

describe('leases', () => {
  it('a dead holder’s slot is free once its lease runs out; a live holder renews it', async () => {
    const { deps, slots, job, jobs, advance } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_live'));
    advance(200);
    expect(await renewLease(deps, await jobs.require('job_live'))).toBe('renewed');
    advance(200);
    // 400 s after it was admitted, but renewed at 200 s: still held.
    expect(await admit(deps, await job('job_next', 1))).toMatchObject({ admitted: false });
    advance(301);
    // No renewal for 301 s: the lease ran out, and the oldest waiter gets the slot.
    expect(await admit(deps, 'job_next')).toEqual({ admitted: true, pool: 'acme' });
    expect(slots.holders('acme')).toEqual({ 0: 'job_next' });
    expect(await renewLease(deps, await jobs.require('job_live'))).toBe('lost');
    expect(await renewLease(deps, await jobs.require(await job('job_other', 2, { provider: 'other' })))).toBe('unlimited');
  });

  it('a slot handed to a waiter that never claims it goes to the next waiter after the grant runs out', async () => {
    const { deps, slots, job, advance, waits } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_a'));
    await admit(deps, await job('job_dead', 1));
    await admit(deps, await job('job_c', 2));
    await awaitSlot(deps, 'job_c', 'token-c');
    await releaseSlot(deps, 'job_a');
    expect(slots.holders('acme')).toEqual({ 0: 'job_dead' });
    // job_dead's execution is gone; job_c checks in every round (10 s) and is served once the grant (90 s) has run out.
    for (let round = 0; round < 8; round += 1) {
      advance(10);
      expect(await admit(deps, 'job_c'), `round ${round}`).toMatchObject({ admitted: false });
    }
    advance(15);
    expect(await admit(deps, 'job_c')).toEqual({ admitted: true, pool: 'acme' });
    expect(slots.holders('acme')).toEqual({ 0: 'job_c' });
    expect(waits.resumed.map((r) => r.token)).toEqual([]);
  });

  it('passes over a waiter that stopped checking in, and drops its entry', async () => {
    const { deps, slots, job, advance, waits } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_a'));
    await admit(deps, await job('job_gone', 1));
    advance(60);
    await awaitSlot(deps, await job('job_c', 2), 'token-c');
    advance(40); // job_gone last checked in 100 s ago (liveness 90 s); job_c 40 s ago.
    expect(await releaseSlot(deps, 'job_a')).toEqual({ released: 1, granted: ['job_c'] });
    expect(waits.resumed).toEqual([{ token: 'token-c', output: SLOT_GRANTED }]);
    expect((await slots.waiters('acme')).map((w) => w.jobId)).toEqual([]);
  });

  it('a woken wait whose token went stale is picked up at the job’s next check', async () => {
    const { deps, job, waits } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_a'));
    await awaitSlot(deps, await job('job_b', 1), 'token-old');
    waits.stale.add('token-old');
    await releaseSlot(deps, 'job_a');
    expect(waits.resumed).toEqual([]);
    expect(await admit(deps, 'job_b')).toEqual({ admitted: true, pool: 'acme' });
  });
});

describe('releaseSlot', () => {
  it('frees the slot when nobody waits, takes a failed job out of the queue, and is safe to repeat', async () => {
    const { deps, slots, job } = setup({ account: 1, models: {} });
    await admit(deps, await job('job_a'));
    await admit(deps, await job('job_b', 1));
    expect(await releaseSlot(deps, 'job_b')).toEqual({ released: 0, granted: [] });
    expect(await slots.waiters('acme')).toEqual([]);
    expect(await releaseSlot(deps, 'job_a')).toEqual({ released: 1, granted: [] });
    expect(slots.holders('acme')).toEqual({});
    expect(await releaseSlot(deps, 'job_a')).toEqual({ released: 0, granted: [] });
    expect(await releaseSlot(deps, 'job_unknown')).toEqual({ released: 0, granted: [] });
  });
});

describe('admission under any interleaving (fast-check)', () => {
  it('never lets more jobs hold slots than the pool has, serves the oldest waiter first, and admits every job in the end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.constantFrom('admit', 'await', 'release', 'tick'), { minLength: 5, maxLength: 60 }),
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        async (size, steps, picks) => {
          const { deps, slots, job, advance } = setup({ account: size, models: {} });
          const ids = Array.from({ length: 6 }, (_, i) => `job_${i}`);
          for (const [i, id] of ids.entries()) await job(id, i);
          const admitted = new Set<string>();
          const done = new Set<string>();
          for (const [i, step] of steps.entries()) {
            const live = ids.filter((id) => !done.has(id));
            const id = live[(picks[i] ?? 0) % Math.max(live.length, 1)];
            if (!id) break;
            if (step === 'tick') advance(5);
            else if (step === 'release' && admitted.has(id)) {
              await releaseSlot(deps, id);
              done.add(id);
            } else if (step === 'admit' || step === 'release') {
              if ((await admit(deps, id)).admitted) admitted.add(id);
            } else if ((await awaitSlot(deps, id, `token-${id}-${i}`)).admitted) admitted.add(id);
            const holders = Object.values(slots.holders('acme'));
            expect(new Set(holders).size).toBe(holders.length);
            expect(holders.length).toBeLessThanOrEqual(size);
          }
          // Drain: every job still waiting checks in (as live waiters do each round), then the holders finish one by
          // one; the waiters get their slots oldest first, and all of them get one.
          const order: string[] = [];
          const checkIn = async () => {
            for (const id of ids.filter((j) => !done.has(j) && !admitted.has(j))) {
              if ((await admit(deps, id)).admitted) {
                admitted.add(id);
                order.push(id);
              }
            }
          };
          // Jobs handed a slot during the steps hold it already (they were served before the drain began).
          for (const holder of Object.values(slots.holders('acme'))) if (!done.has(holder)) admitted.add(holder);
          await checkIn();
          for (let guard = 0; guard < 20 && done.size < ids.length; guard += 1) {
            const holder = ids.find((id) => admitted.has(id) && !done.has(id));
            if (holder) {
              await releaseSlot(deps, holder);
              done.add(holder);
            }
            await checkIn();
          }
          expect(done.size).toBe(ids.length);
          expect(order).toEqual([...order].sort());
        },
      ),
      { numRuns: 150 },
    );
  });
});
