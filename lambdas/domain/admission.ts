// Admission control, the pure part (docs/architecture.md, "Admission control"): how many tasks a provider account
// may run at once, which pool of slots a job waits in, how slots and waiting entries are named and ordered, and
// when a lease or a waiter counts as dead. No I/O: the use cases in lambdas/jobs/admission.ts act on it.

/**
 * Known plans, by preset name, with the number of concurrent tasks each allows. Kling's API reference ("Rate
 * Limits: Concurrency Rules") says concurrency is counted per account and set by the resource pack, that a task holds
 * one from `submitted` until it ends (failures included), and that a create over the limit gets 1303 "parallel task
 * over resource pack limit". The preset figures are the ones reported for the free and standard video packs
 * (klingflow issue 12); the authoritative number is your pack's concurrency in the Kling console. Resellers publish
 * no figures: give them a number.
 */
export const PLAN_PRESETS: Readonly<Record<string, number>> = {
  'kling-free': 3,
  'kling-standard': 10,
};

/**
 * A provider's concurrency limits: `account` tasks at once across its models, and `models` for the models the
 * provider counts on their own (a job of such a model waits in that model's pool instead of the account's). Absent
 * numbers mean no limit.
 */
export interface ConcurrencyLimits {
  account?: number;
  models: Readonly<Record<string, number>>;
}

/** A pool of slots a job must hold one of while its provider task runs. */
export interface SlotPool {
  /** `<provider>` for the account pool, `<provider>/<model>` for a model's own. */
  id: string;
  /** How many slots the pool has (1 or more). */
  size: number;
}

const ENTRY = /^(?:(?<model>[A-Za-z0-9][A-Za-z0-9._/-]*)=)?(?<value>[A-Za-z0-9-]+)$/;

function slotCount(value: string, setting: string): number {
  if (/^\d+$/.test(value)) {
    const count = Number(value);
    if (count < 1 || count > 1000) throw new Error(`${setting}: ${value} is not a number of slots from 1 to 1000`);
    return count;
  }
  const preset = PLAN_PRESETS[value];
  if (preset === undefined) {
    throw new Error(`${setting}: "${value}" is neither a number nor a known plan (${Object.keys(PLAN_PRESETS).join(', ')})`);
  }
  return preset;
}

/**
 * Reads a concurrency setting (`KLINGFLOW_<ID>_MAX_CONCURRENCY` locally, the `maxConcurrency` context key on AWS):
 * comma-separated entries, each a slot count or a plan preset for the whole account (`3`, `kling-free`), or
 * `<model>=<count or preset>` for a model counted on its own (`kling-v3=2`). Empty or absent: no limit. Throws
 * `Error` naming `setting` and the entry that does not fit.
 */
export function parseConcurrencySetting(value: string | undefined, setting = 'concurrency setting'): ConcurrencyLimits | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const limits: { account?: number; models: Record<string, number> } = { models: {} };
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const match = ENTRY.exec(entry);
    if (!match?.groups) throw new Error(`${setting}: "${entry}" is not <count>, <plan> or <model>=<count>`);
    const { model, value: given } = match.groups as { model?: string; value: string };
    const count = slotCount(given, setting);
    if (model === undefined) {
      if (limits.account !== undefined) throw new Error(`${setting}: the account limit is given twice`);
      limits.account = count;
    } else {
      if (limits.models[model] !== undefined) throw new Error(`${setting}: model ${model} is given twice`);
      limits.models[model] = count;
    }
  }
  return limits;
}

/** The pool a job of `providerId` and `model` waits in, or undefined when nothing limits it. */
export function poolOf(limits: ConcurrencyLimits | undefined, providerId: string, model: string): SlotPool | undefined {
  if (!limits) return undefined;
  const own = limits.models[model];
  if (own !== undefined) return { id: `${providerId}/${model}`, size: own };
  if (limits.account !== undefined) return { id: providerId, size: limits.account };
  return undefined;
}

/** Sort key of slot `index` within its pool (`slot#007`). */
export const slotKey = (index: number): string => `slot#${String(index).padStart(3, '0')}`;

/** Prefix of every slot key. */
export const SLOT_PREFIX = 'slot#';

/** Prefix of every waiting entry's key. */
export const WAIT_PREFIX = 'wait#';

/**
 * Sort key of a job's waiting entry: its creation time, then its id, so the queue is oldest job first and a job
 * that comes back (a re-driven execution) takes its old place again.
 */
export const waitKey = (createdAt: string, jobId: string): string => `${WAIT_PREFIX}${createdAt}#${jobId}`;

/** One slot as stored: who holds it and until when (epoch milliseconds). An unheld slot has neither. */
export interface Slot {
  index: number;
  holder?: string;
  leaseUntil?: number;
}

/** One waiting entry as stored. `seenAt` (epoch ms) is when its job last checked in; `token` wakes its wait. */
export interface Waiter {
  jobId: string;
  key: string;
  /** ISO time it first entered the queue (the bounded wait counts from here). */
  since: string;
  seenAt: number;
  token?: string;
}

/** Whether `slot` may be taken now: nobody holds it, or its holder's lease ran out. */
export const isFree = (slot: Slot, nowMs: number): boolean => slot.holder === undefined || (slot.leaseUntil ?? 0) <= nowMs;

/**
 * The slots of a pool of `size` that may be taken now, lowest index first, as stored (so a conditional write can
 * name what it saw). Slots at `size` or above (left from a larger setting) are never handed out.
 */
export function freeSlots(stored: readonly Slot[], size: number, nowMs: number): Slot[] {
  const byIndex = new Map(stored.map((slot) => [slot.index, slot]));
  const free: Slot[] = [];
  for (let index = 0; index < size; index += 1) {
    const slot = byIndex.get(index) ?? { index };
    if (isFree(slot, nowMs)) free.push(slot);
  }
  return free;
}

/** The slots `jobId` holds with a lease still running. */
export const heldBy = (stored: readonly Slot[], jobId: string, nowMs: number): Slot[] =>
  stored.filter((slot) => slot.holder === jobId && (slot.leaseUntil ?? 0) > nowMs);

/** How long things last in the queue, all in seconds (derived from the workflow's settings by `admissionTimings`). */
export interface AdmissionTimings {
  /** A held slot's lease; renewed by its job every round, so a dead execution frees it after this long. */
  leaseSeconds: number;
  /** The lease a slot handed to a waiter starts with, until the waiter claims it (a dead waiter loses it then). */
  grantSeconds: number;
  /** A waiter that has not checked in for this long counts as gone: it is passed over (and keeps no place). */
  waiterLivenessSeconds: number;
  /** The longest a job may wait for a slot; then it fails with QUEUE_TIMEOUT. */
  maxQueueSeconds: number;
}

/**
 * The queue's timings from the workflow's: a waiter checks in every `slotWaitSeconds` (the AwaitSlot round), so it
 * is given three rounds (and a minute) before it counts as gone, and a handed-over slot waits as long for it.
 */
export function admissionTimings(settings: { slotWaitSeconds: number; leaseSeconds: number; maxQueueSeconds: number }): AdmissionTimings {
  const threeRounds = 3 * settings.slotWaitSeconds + 60;
  return {
    leaseSeconds: settings.leaseSeconds,
    grantSeconds: threeRounds,
    waiterLivenessSeconds: threeRounds,
    maxQueueSeconds: settings.maxQueueSeconds,
  };
}

/** Whether a waiter has checked in recently enough to be served. */
export const isLive = (waiter: Waiter, nowMs: number, timings: AdmissionTimings): boolean =>
  waiter.seenAt > nowMs - timings.waiterLivenessSeconds * 1000;

/** Whether a job waiting since `since` (ISO) has waited longer than allowed. */
export const queueWaitExpired = (since: string, nowMs: number, timings: AdmissionTimings): boolean =>
  Date.parse(since) + timings.maxQueueSeconds * 1000 <= nowMs;
