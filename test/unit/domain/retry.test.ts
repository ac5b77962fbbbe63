// Submit's retry schedule (lambdas/domain/retry.ts): the provider's hint first, always with jitter, a 30–60 s wait for
// an overload without a hint, exponential backoff with full jitter otherwise, and a budget.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPACITY_REFUSALS, retryDelaySeconds, SUBMIT_RETRY } from '../../../lambdas/domain/retry.ts';

const at = (value: number) => () => value;

describe('retryDelaySeconds (SUBMIT_RETRY)', () => {
  it('waits out a provider hint, plus up to the hint again (at most 30 s) of jitter', () => {
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'rate_limited', retryAfterSeconds: 10 }, at(0))).toBe(10);
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'rate_limited', retryAfterSeconds: 10 }, at(0.999))).toBe(20);
    expect(retryDelaySeconds(SUBMIT_RETRY, 3, { kind: 'rate_limited', retryAfterSeconds: 120 }, at(0.5))).toBe(135);
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'rate_limited', retryAfterSeconds: 0 }, at(0.5))).toBe(1);
    // A hint longer than 15 minutes is cut to 15 minutes.
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'rate_limited', retryAfterSeconds: 7200 }, at(0.5))).toBe(900);
  });

  it('gives an overloaded provider without a hint 30–60 s (Kling: "retry after 30-60s")', () => {
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'overloaded' }, at(0))).toBe(30);
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'overloaded' }, at(0.999))).toBe(60);
  });

  it('backs off exponentially with full jitter without a hint: 2 s doubling, at most 120 s, never under 1 s', () => {
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'concurrency_limited' }, at(0.999))).toBe(2);
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'concurrency_limited' }, at(0))).toBe(1);
    expect(retryDelaySeconds(SUBMIT_RETRY, 4, { kind: 'server' }, at(0.999))).toBe(32);
    expect(retryDelaySeconds(SUBMIT_RETRY, 7, { kind: 'network' }, at(0.999))).toBe(120);
  });

  it('allows 8 retries, then none', () => {
    expect(retryDelaySeconds(SUBMIT_RETRY, 7, { kind: 'rate_limited', retryAfterSeconds: 5 }, at(0))).toBe(5);
    expect(retryDelaySeconds(SUBMIT_RETRY, 8, { kind: 'rate_limited', retryAfterSeconds: 5 }, at(0))).toBeUndefined();
  });

  it('never retries before the hint, always within the budget (any hint, any draw)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 900 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (retries, hint, draw) => {
          const delay = retryDelaySeconds(SUBMIT_RETRY, retries, { kind: 'rate_limited', retryAfterSeconds: hint }, () => draw)!;
          expect(delay).toBeGreaterThanOrEqual(Math.max(1, hint));
          expect(delay).toBeLessThanOrEqual(Math.min(SUBMIT_RETRY.maxHintSeconds, hint + SUBMIT_RETRY.maxHintJitterSeconds + 1));
        },
      ),
    );
  });

  it('spreads jobs refused together: six jobs told "retry after 10 s" come back at different times', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const delays = Array.from({ length: 6 }, () =>
      retryDelaySeconds(SUBMIT_RETRY, 0, { kind: 'rate_limited', retryAfterSeconds: 10 }, random),
    );
    expect(new Set(delays).size).toBeGreaterThan(3);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(10);
  });
});

describe('retryDelaySeconds for a refusal for want of capacity, with the time the job may still wait', () => {
  const at = (x: number) => () => x;

  it.each([...CAPACITY_REFUSALS])('retries a %s refusal past maxRetries while time is left, never longer than that time', (kind) => {
    const far = SUBMIT_RETRY.maxRetries + 40;
    expect(retryDelaySeconds(SUBMIT_RETRY, far, { kind }, at(0.999), 3600)).toBeGreaterThanOrEqual(SUBMIT_RETRY.overloadedSeconds / 2);
    expect(retryDelaySeconds(SUBMIT_RETRY, far, { kind }, at(0.999), 3600)).toBeLessThanOrEqual(
      Math.max(SUBMIT_RETRY.maxBackoffSeconds, 2 * SUBMIT_RETRY.overloadedSeconds),
    );
    expect(retryDelaySeconds(SUBMIT_RETRY, far, { kind }, at(0.999), 5.5)).toBe(5);
    expect(retryDelaySeconds(SUBMIT_RETRY, far, { kind }, at(0.999), 0.5)).toBeUndefined();
    expect(retryDelaySeconds(SUBMIT_RETRY, 0, { kind }, at(0.5), -10)).toBeUndefined();
  });

  it.each(['server', 'network'] as const)('keeps maxRetries for a %s failure, whatever time is left', (kind) => {
    expect(retryDelaySeconds(SUBMIT_RETRY, SUBMIT_RETRY.maxRetries, { kind }, at(0.5), 3600)).toBeUndefined();
    expect(retryDelaySeconds(SUBMIT_RETRY, SUBMIT_RETRY.maxRetries - 1, { kind }, at(0.5), 3600)).toBeGreaterThanOrEqual(1);
  });
});
