// When to try a refused submission again (docs/architecture.md, "Retries that listen"): the provider's own hint
// first (Retry-After, retry_after, X-RateLimit-Reset, read by each adapter into `retryAfterSeconds`), else a backoff
// fitted to the kind of refusal. Every delay has jitter, so jobs refused together do not come back together. Pure.
import type { ErrorKind } from './errors.ts';

/** A retry schedule, all in seconds. */
export interface RetryPolicy {
  /** Retries after the first attempt; the next refusal past them ends the job. */
  maxRetries: number;
  /** First backoff without a hint; it doubles with every retry (full jitter: a uniform draw from 0 to it). */
  baseSeconds: number;
  /** The longest backoff drawn without a hint. */
  maxBackoffSeconds: number;
  /** The most jitter added on top of a provider's hint (the hint itself is always waited out). */
  maxHintJitterSeconds: number;
  /** The longest wait a hint may ask for; a longer one is cut to this (the next attempt may be refused again). */
  maxHintSeconds: number;
  /**
   * A wait for an overloaded provider that gives no hint: Kling's documents answer a 503 overload with "retry after
   * 30–60 s" (the kling-v3-rest MODEL_OVERLOADED text), so this is the hint's floor (30), jittered up to twice it.
   */
  overloadedSeconds: number;
}

/**
 * Submit's schedule: 8 retries. Without a hint, 2 s doubling up to 120 s with full jitter (Kling recommends an
 * exponential backoff starting at 1 s or more for 1303, "Rate Limits: Concurrency Rules"); an overload waits 30–60 s;
 * a hint is waited out plus up to 30 s, at most 15 min. Worst case about 40 min of waiting before the job fails.
 */
export const SUBMIT_RETRY: RetryPolicy = {
  maxRetries: 8,
  baseSeconds: 2,
  maxBackoffSeconds: 120,
  maxHintJitterSeconds: 30,
  maxHintSeconds: 900,
  overloadedSeconds: 30,
};

/**
 * Refusals that say the provider has no room for the job now (its account's concurrency, its request rate, its
 * capacity), not that something is wrong. A job refused so may be waited for as long as it may wait for a slot of
 * admission control (`capacitySecondsLeft` below), not just `maxRetries` times: the account can be full for a long
 * time (tasks klingflow no longer watches, such as one that timed out on a provider without a cancel call, or another
 * user's), and failing the job after a few minutes of refusals would only make its caller send it again.
 */
export const CAPACITY_REFUSALS: ReadonlySet<ErrorKind> = new Set(['concurrency_limited', 'rate_limited', 'overloaded']);

/** What a refused attempt said about itself. */
export interface Refusal {
  kind: ErrorKind;
  /** The provider's hint, in seconds from now, if it gave one. */
  retryAfterSeconds?: number;
}

/**
 * Seconds to wait before retry number `retries + 1` (0-based `retries` already made), or undefined when no more are
 * allowed: past `policy.maxRetries`, except for a {@link CAPACITY_REFUSALS} refusal when `capacitySecondsLeft` is
 * given (seconds the job may still wait, e.g. for a slot): then as long as some are left, each wait at most that.
 * `random` draws from [0, 1). The result is a whole number of seconds, at least 1.
 */
export function retryDelaySeconds(
  policy: RetryPolicy,
  retries: number,
  refusal: Refusal,
  random: () => number,
  capacitySecondsLeft?: number,
): number | undefined {
  const waitsForCapacity = capacitySecondsLeft !== undefined && CAPACITY_REFUSALS.has(refusal.kind);
  if (waitsForCapacity ? capacitySecondsLeft < 1 : retries >= policy.maxRetries) return undefined;
  const delay = backoffSeconds(policy, Math.min(retries, policy.maxRetries), refusal, random);
  return waitsForCapacity ? Math.max(1, Math.min(delay, Math.floor(capacitySecondsLeft))) : delay;
}

/** The wait before a retry: the provider's hint with jitter, or full-jitter exponential backoff. Whole seconds, ≥ 1. */
function backoffSeconds(policy: RetryPolicy, retries: number, refusal: Refusal, random: () => number): number {
  const hint = refusal.retryAfterSeconds ?? (refusal.kind === 'overloaded' ? policy.overloadedSeconds : undefined);
  let seconds: number;
  if (hint !== undefined) {
    // Never earlier than asked; spread over up to the hint again (at most maxHintJitterSeconds).
    seconds = Math.min(hint + random() * Math.min(Math.max(hint, 1), policy.maxHintJitterSeconds), policy.maxHintSeconds);
  } else {
    seconds = random() * Math.min(policy.maxBackoffSeconds, policy.baseSeconds * 2 ** retries);
  }
  return Math.max(1, Math.ceil(seconds));
}
