// Admission control (docs/architecture.md, "Admission control"): a job holds one of its provider's slots from
// Submit until the provider's task ends, so klingflow never sends a provider more tasks than its plan runs at once.
// Jobs that find the pool full wait in a queue, oldest job first; the job that frees a slot hands it to the oldest
// live waiter and wakes that waiter's workflow wait (no polling). Slots are leases that their holders renew every
// round, so a dead execution frees its slot when the lease runs out. The pure rules are in domain/admission.ts.
//
// Ordering that keeps a wake-up from being lost: a waiter writes its entry (and task token) before it reads the
// slots, and a releaser writes the slot before it reads the waiter's entry; with consistent reads one of the two
// always sees the other's write.
import {
  freeSlots,
  isFree,
  isLive,
  poolOf,
  queueWaitExpired,
  waitKey,
  type AdmissionTimings,
  type ConcurrencyLimits,
  type Slot,
  type SlotPool,
  type Waiter,
} from '../domain/admission.ts';
import { JobAlreadyFinished, QueueWaitExpired } from '../domain/errors.ts';
import { isTerminal, type JobRecord } from '../domain/job.ts';
import { requireActiveJob } from './active-job.ts';
import type { AdmissionStore, FailWait, JobRepository, ResumeWait, SlotExpectation } from './ports.ts';

/** What admission control needs. */
export interface AdmissionDeps {
  jobs: JobRepository;
  slots: AdmissionStore;
  resumeWait: ResumeWait;
  failWait: FailWait;
  /** A provider's concurrency limits, or undefined when nothing limits it. */
  limitsOf(providerId: string): ConcurrencyLimits | undefined;
  timings: AdmissionTimings;
  now: () => Date;
}

/** Whether a job may go on to Submit; if not, where it waits (`position` 1 is next). */
export type AdmitOutcome = { admitted: true; pool?: string } | { admitted: false; pool: string; position: number };

/** What the output of a wait woken by a handed-over slot says. */
export const SLOT_GRANTED = { admitted: true } as const;

/** How many waiting entries one look at the head of the queue reads. */
const HEAD_PAGE = 25;

const expectationOf = (slot: Slot): SlotExpectation =>
  slot.holder === undefined ? {} : { holder: slot.holder, ...(slot.leaseUntil !== undefined ? { leaseUntil: slot.leaseUntil } : {}) };

const poolOfJob = (deps: AdmissionDeps, job: Pick<JobRecord, 'provider' | 'model'>): SlotPool | undefined =>
  poolOf(deps.limitsOf(job.provider), job.provider, job.model);

/**
 * Lets job `jobId` through to Submit when it holds a slot of its pool, or can take a free one without passing an
 * older live waiter; otherwise queues it (or checks it in, storing `options.token` to be woken with) and records its
 * queue position on the job. A job whose provider has no limit is always admitted. Throws `JobAlreadyFinished` for a
 * job that has ended, and `QueueWaitExpired` once it has waited longer than `timings.maxQueueSeconds`.
 */
export async function admit(deps: AdmissionDeps, jobId: string, options: { token?: string } = {}): Promise<AdmitOutcome> {
  const job = await requireActiveJob(deps.jobs, jobId);
  const pool = poolOfJob(deps, job);
  if (!pool) return { admitted: true };
  const key = waitKey(job.createdAt, jobId);
  const nowMs = deps.now().getTime();
  const lease = nowMs + deps.timings.leaseSeconds * 1000;

  // Granted while it waited, or a re-driven job that held a slot before: renew and go.
  if (await renewHeld(deps, pool, jobId, await deps.slots.slots(pool.id), lease)) return admitted(deps, job, pool, key);

  // Check in first, then look: a slot freed (or handed over) before this point is seen below.
  const entry = await deps.slots.enqueue(pool.id, {
    jobId,
    key,
    seenAt: nowMs,
    since: new Date(nowMs).toISOString(),
    ...(options.token ? { token: options.token } : {}),
  });
  const slots = await deps.slots.slots(pool.id);
  if (await renewHeld(deps, pool, jobId, slots, lease)) return admitted(deps, job, pool, key);

  const older = await deps.slots.countWaiters(pool.id, { before: key, seenAfter: nowMs - deps.timings.waiterLivenessSeconds * 1000 });
  const free = freeSlots(slots, pool.size, nowMs);
  if (older === 0) {
    for (const slot of free) {
      if (await deps.slots.claim(pool.id, slot.index, jobId, lease, expectationOf(slot))) return admitted(deps, job, pool, key);
    }
  } else if (free.length > 0) {
    // Slots nobody handed over (their holder's lease ran out): they go to the oldest waiters, not to this one.
    await grantFreeSlots(deps, pool, nowMs);
  }

  if (queueWaitExpired(entry.since, nowMs, deps.timings)) {
    await deps.slots.dequeue(pool.id, key);
    throw new QueueWaitExpired(
      `no ${pool.id} slot (${pool.size} at once) came free within ${deps.timings.maxQueueSeconds} s; waiting since ${entry.since}`,
    );
  }
  const position = older + 1;
  if (job.queuePosition !== position) await deps.jobs.updateActive(jobId, { queuePosition: position });
  return { admitted: false, pool: pool.id, position };
}

/**
 * The AwaitSlot step: stores the wait's task token on the job (so a cancel wakes it) and on its queue entry (so a
 * releaser wakes it), then looks once more, cheaply (Admit has just counted the queue): if the job holds a slot, or
 * one is free and no live waiter is older, the job takes it and the wait ends at once. A job that has ended gets its
 * wait failed with `JobAlreadyFinished` (the workflow leaves through its failure path). Returns whether it woke itself.
 */
export async function awaitSlot(deps: AdmissionDeps, jobId: string, token: string): Promise<{ admitted: boolean; ended?: true }> {
  const job = await deps.jobs.updateActive(jobId, { taskToken: token });
  if (!job) {
    await deps.failWait(token, new JobAlreadyFinished().name, `job ${jobId} ended while it waited for a slot`);
    return { admitted: false, ended: true };
  }
  const pool = poolOfJob(deps, job);
  const nowMs = deps.now().getTime();
  let admitted = !pool;
  if (pool) {
    const key = waitKey(job.createdAt, jobId);
    await deps.slots.enqueue(pool.id, { jobId, key, seenAt: nowMs, since: new Date(nowMs).toISOString(), token });
    const slots = await deps.slots.slots(pool.id);
    admitted = slots.some((slot) => slot.holder === jobId);
    const free = admitted ? [] : freeSlots(slots, pool.size, nowMs);
    if (free.length) {
      const ahead = await deps.slots.waiters(pool.id, { before: key, limit: HEAD_PAGE });
      const first = ahead.length < HEAD_PAGE && !ahead.some((waiter) => isLive(waiter, nowMs, deps.timings));
      const lease = nowMs + deps.timings.leaseSeconds * 1000;
      for (const slot of first ? free : []) {
        admitted = await deps.slots.claim(pool.id, slot.index, jobId, lease, expectationOf(slot));
        if (admitted) break;
      }
    }
  }
  // The wait ends with {admitted: true}: the workflow goes on to Submit (which clears the position); AwaitResult
  // renews the lease from then on.
  if (admitted) {
    if (pool) await deps.slots.dequeue(pool.id, waitKey(job.createdAt, jobId));
    await deps.resumeWait(token, SLOT_GRANTED);
  }
  return { admitted };
}

/**
 * Renews the lease of the slot `job` holds (every round while its provider task runs): `renewed`; `unlimited`
 * when its provider has no limit; `lost` when it holds none (its lease ran out and the slot went to another job, so
 * the pool runs one task more than its size until this one ends; the caller logs it). `waitSeconds`: the holder is
 * about to wait that long without renewing (AwaitResult's wait for a callback), so the lease lasts the wait plus a
 * lease.
 */
export async function renewLease(
  deps: AdmissionDeps,
  job: Pick<JobRecord, 'jobId' | 'provider' | 'model'>,
  waitSeconds = 0,
): Promise<'renewed' | 'unlimited' | 'lost'> {
  const pool = poolOfJob(deps, job);
  if (!pool) return 'unlimited';
  const lease = deps.now().getTime() + (waitSeconds + deps.timings.leaseSeconds) * 1000;
  return (await renewHeld(deps, pool, job.jobId, await deps.slots.slots(pool.id), lease)) ? 'renewed' : 'lost';
}

/**
 * Takes job `jobId` out of its pool: out of the queue, and every slot it holds handed to the oldest live waiter (whose
 * wait is woken) or freed. Safe to repeat, and for a job that never queued. Returns the jobs that were handed a slot.
 */
export async function releaseSlot(deps: AdmissionDeps, jobId: string): Promise<{ released: number; granted: string[] }> {
  const job = await deps.jobs.get(jobId);
  const pool = job && poolOfJob(deps, job);
  if (!job || !pool) return { released: 0, granted: [] };
  await deps.slots.dequeue(pool.id, waitKey(job.createdAt, jobId));
  const nowMs = deps.now().getTime();
  const granted: string[] = [];
  const slots = await deps.slots.slots(pool.id);
  const mine = slots.filter((slot) => slot.holder === jobId);
  // A waiter that holds a slot already (handed one a moment ago) is not handed a second.
  const holding = new Set(slots.flatMap((slot) => (slot.holder !== undefined && !isFree(slot, nowMs) ? [slot.holder] : [])));
  for (const slot of mine) {
    const to = await handOver(deps, pool, slot, jobId, nowMs, holding);
    if (to) holding.add(to);
    if (to) granted.push(to);
  }
  // A waiter that queued while this job looked, or a slot whose lease ran out: serve them too.
  granted.push(...(await grantFreeSlots(deps, pool, nowMs)));
  return { released: mine.length, granted };
}

/**
 * For the reconciler: in the pools of `providerIds`, frees the slots held by jobs that have ended (their run died
 * before releasing them) or no longer exist, handing them to the waiting jobs, and serves the queues from slots whose
 * leases ran out. Returns the jobs whose slots were freed.
 */
export async function sweepPools(deps: AdmissionDeps, providerIds: readonly string[]): Promise<string[]> {
  const freed: string[] = [];
  for (const providerId of providerIds) {
    const limits = deps.limitsOf(providerId);
    if (!limits) continue;
    const pools = [
      ...(limits.account !== undefined ? [{ id: providerId, size: limits.account }] : []),
      ...Object.entries(limits.models).map(([model, size]) => ({ id: `${providerId}/${model}`, size })),
    ];
    for (const pool of pools) {
      for (const slot of await deps.slots.slots(pool.id)) {
        if (slot.holder === undefined) continue;
        const holder = await deps.jobs.get(slot.holder);
        if (holder && !isTerminal(holder.status)) continue;
        if (holder) await releaseSlot(deps, holder.jobId);
        else await deps.slots.free(pool.id, slot.index, slot.holder);
        freed.push(slot.holder);
      }
      await grantFreeSlots(deps, pool, deps.now().getTime());
    }
  }
  return freed;
}

async function admitted(deps: AdmissionDeps, job: JobRecord, pool: SlotPool, key: string): Promise<AdmitOutcome> {
  await deps.slots.dequeue(pool.id, key);
  if (job.queuePosition !== undefined) await deps.jobs.updateActive(job.jobId, { queuePosition: undefined });
  return { admitted: true, pool: pool.id };
}

/** Renews the first slot `jobId` holds (even one whose lease ran out, if nobody took it over); frees any others. */
async function renewHeld(deps: AdmissionDeps, pool: SlotPool, jobId: string, slots: readonly Slot[], leaseUntil: number): Promise<boolean> {
  const mine = slots.filter((slot) => slot.holder === jobId);
  let kept = false;
  for (const slot of mine) {
    if (kept) await deps.slots.free(pool.id, slot.index, jobId);
    else kept = await deps.slots.claim(pool.id, slot.index, jobId, leaseUntil, { holder: jobId });
  }
  return kept;
}

/** Live waiters oldest first, at most `max`; entries of waiters that stopped checking in are removed on the way. */
async function liveWaiters(deps: AdmissionDeps, pool: SlotPool, nowMs: number, max: number): Promise<Waiter[]> {
  const live: Waiter[] = [];
  let after: string | undefined;
  while (live.length < max) {
    const page = await deps.slots.waiters(pool.id, { limit: HEAD_PAGE, ...(after ? { after } : {}) });
    for (const waiter of page) {
      if (isLive(waiter, nowMs, deps.timings)) live.push(waiter);
      else await deps.slots.dequeue(pool.id, waiter.key);
    }
    if (page.length < HEAD_PAGE) break;
    after = page.at(-1)?.key;
  }
  return live.slice(0, max);
}

/** Hands `slot`, held by `from`, to the oldest live waiter, or frees it when nobody waits. Returns the new holder. */
async function handOver(
  deps: AdmissionDeps,
  pool: SlotPool,
  slot: Slot,
  from: string,
  nowMs: number,
  holding: ReadonlySet<string>,
): Promise<string | undefined> {
  const grantUntil = nowMs + deps.timings.grantSeconds * 1000;
  const [next] = (await liveWaiters(deps, pool, nowMs, holding.size + 2)).filter(
    (waiter) => waiter.jobId !== from && !holding.has(waiter.jobId),
  );
  if (!next) {
    await deps.slots.free(pool.id, slot.index, from);
    return undefined;
  }
  if (!(await deps.slots.claim(pool.id, slot.index, next.jobId, grantUntil, { holder: from }))) return undefined;
  await wake(deps, pool, next);
  return next.jobId;
}

/** Gives each free slot of the pool to the next live waiter that holds none, and wakes it. Returns who was served. */
async function grantFreeSlots(deps: AdmissionDeps, pool: SlotPool, nowMs: number): Promise<string[]> {
  const slots = await deps.slots.slots(pool.id);
  const free = freeSlots(slots, pool.size, nowMs);
  if (free.length === 0) return [];
  // Jobs holding a live slot are not served twice.
  const holders = new Set(slots.flatMap((slot) => (slot.holder !== undefined && !isFree(slot, nowMs) ? [slot.holder] : [])));
  const waiting = (await liveWaiters(deps, pool, nowMs, free.length + holders.size)).filter((waiter) => !holders.has(waiter.jobId));
  const grantUntil = nowMs + deps.timings.grantSeconds * 1000;
  const served: string[] = [];
  for (const [i, slot] of free.entries()) {
    const waiter = waiting[i];
    if (!waiter) break;
    if (await deps.slots.claim(pool.id, slot.index, waiter.jobId, grantUntil, expectationOf(slot))) {
      await wake(deps, pool, waiter);
      served.push(waiter.jobId);
    }
  }
  return served;
}

/** Wakes a waiter that was handed a slot: its freshest token (read after the slot was written), then its entry goes. */
async function wake(deps: AdmissionDeps, pool: SlotPool, waiter: Waiter): Promise<void> {
  const current = await deps.slots.waiter(pool.id, waiter.key);
  const token = current?.token ?? waiter.token;
  if (token) await deps.resumeWait(token, SLOT_GRANTED);
  await deps.slots.dequeue(pool.id, waiter.key);
}
