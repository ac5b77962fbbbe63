// The wait schedule (lambdas/domain/wait-schedule.ts): when the workflow looks at a provider's task next, from the
// seed's latency table, the provider's hints and how the last polls moved. Figures are seconds of provider time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callbackOverdue, expectedLatency, nextCheck, type ScheduleInput, WAIT_SCHEDULE } from '../../../lambdas/domain/wait-schedule.ts';

const base: ScheduleInput = {
  elapsedSeconds: 0,
  expected: { low: 60, high: 90 },
  deadlineSeconds: 1800,
  maxWaitSeconds: 450,
  callbacks: false,
};

/** PollStatus's own polling while the completion is near, in seconds (lambdas/handlers/poll-status.ts, NEAR_POLLING_SECONDS). */
const NEAR_POLLING_SECONDS = 80;

/**
 * Runs a polled job that completes `generation` seconds after submission as the workflow and PollStatus do: each round
 * is a wait (WaitForProvider) then one PollStatus, which polls again itself every `nearSeconds` while the schedule says
 * `near`, for at most NEAR_POLLING_SECONDS. Returns the rounds (each costs three transitions) and when the completion
 * was seen.
 */
function pollUntilDone(generation: number, input: Partial<ScheduleInput> = {}): { rounds: number; seenAt: number; polls: number } {
  let elapsed = 0;
  let rounds = 0;
  let polls = 0;
  let next = nextCheck({ ...base, ...input, elapsedSeconds: elapsed });
  for (;;) {
    if (next.deadlinePassed) return { rounds, seenAt: Number.NaN, polls };
    elapsed += next.seconds;
    rounds += 1;
    const started = elapsed;
    for (;;) {
      polls += 1;
      if (elapsed >= generation) return { rounds, seenAt: elapsed, polls };
      next = nextCheck({ ...base, ...input, elapsedSeconds: elapsed });
      if (!next.near || elapsed - started + next.seconds > NEAR_POLLING_SECONDS) break;
      elapsed += next.seconds;
    }
  }
}

describe('expectedLatency', () => {
  it.each([
    [{}, { low: 60, high: 90 }],
    [
      { durationSeconds: 5, resolution: '720p' as const },
      { low: 60, high: 90 },
    ],
    [
      { durationSeconds: 10, resolution: '1080p' as const },
      { low: 180, high: 240 },
    ],
    [
      { durationSeconds: 5, resolution: '4k' as const },
      { low: 150, high: 210 },
    ],
    [
      { durationSeconds: 10, resolution: '4k' as const },
      { low: 300, high: 420 },
    ],
    [
      { durationSeconds: 15, resolution: '720p' as const },
      { low: 180, high: 270 },
    ],
    [
      { durationSeconds: 5, resolution: '720p' as const, audio: true },
      { low: 75, high: 115 },
    ],
    [
      { durationSeconds: 1, resolution: '720p' as const },
      { low: 30, high: 45 },
    ],
  ])('%o → %o (seed 000)', (shape, expected) => {
    expect(expectedLatency(shape)).toEqual(expected);
  });
});

describe('nextCheck', () => {
  it.each<[string, Partial<ScheduleInput>, number, boolean]>([
    ['polled, just submitted: first poll at the low end of the range', {}, 60, false],
    ['polled, inside the range: a near poll', { elapsedSeconds: 60 }, WAIT_SCHEDULE.nearSeconds, true],
    ['polled, just before the low end: a near poll, not a tiny wait', { elapsedSeconds: 58 }, WAIT_SCHEDULE.nearSeconds, true],
    ['polled, past the range but within half its high end again: still near', { elapsedSeconds: 130 }, WAIT_SCHEDULE.nearSeconds, true],
    ['polled, past the near window: waits half the time elapsed', { elapsedSeconds: 140 }, 70, false],
    ['polled, far past the range: capped by the longest wait', { elapsedSeconds: 1000 }, 450, false],
    ['polled, provider ETA of 40 s', { elapsedSeconds: 10, etaSeconds: 40 }, 40, false],
    ["polled, 25 % after 30 s: done by 120 s, so no sooner than the range's low end", { elapsedSeconds: 30, progress: 25 }, 30, false],
    ['polled, 50 % after 20 s: done by 40 s, before the range: polls then', { elapsedSeconds: 20, progress: 50 }, 20, false],
    ['polled, 75 % after 90 s (reached maybe long before): still near', { elapsedSeconds: 90, progress: 75 }, 3, true],
    ['polled, 90 % after 54 s: done by 60 s: polls then', { elapsedSeconds: 54, progress: 90 }, 6, false],
    ['polled, 2nd in the queue: two generations ahead, then its own', { queuePosition: 2 }, 210, false],
    ['polled, near the deadline: the last check comes at the deadline', { elapsedSeconds: 1798 }, 2, false],
    ['callback, just submitted: half the time to the deadline, and a second', { callbacks: true }, 901, false],
    ['callback, later: half of what is left, and a second', { callbacks: true, elapsedSeconds: 1000 }, 401, false],
    ['callback, a second before the deadline: the deadline', { callbacks: true, elapsedSeconds: 1799 }, 1, false],
  ])('%s', (_name, input, seconds, near) => {
    expect(nextCheck({ ...base, ...input })).toEqual({ seconds, near, deadlinePassed: false });
  });

  it('ends the job at its deadline', () => {
    expect(nextCheck({ ...base, elapsedSeconds: 1800 })).toEqual({ seconds: 0, near: false, deadlinePassed: true });
    expect(nextCheck({ ...base, callbacks: true, elapsedSeconds: 5000 })).toEqual({ seconds: 0, near: false, deadlinePassed: true });
  });

  it.each<[generation: number, rounds: number, seenWithin: number]>([
    [55, 1, 5],
    [60, 1, 0],
    [75, 1, 3],
    [90, 1, 3],
    [100, 1, 3],
    [120, 1, 3],
    [135, 1, 3],
    [150, 2, 0.5 * 150],
    [300, 3, 0.5 * 300],
    [1200, 7, 0.5 * 1200],
  ])('a polled 5 s 720p job done after %i s: %i round(s) of the workflow, seen within %i s', (generation, rounds, seenWithin) => {
    const run = pollUntilDone(generation);
    expect(run.rounds).toBe(rounds);
    expect(run.seenAt - generation).toBeGreaterThanOrEqual(0);
    expect(run.seenAt - generation).toBeLessThanOrEqual(seenWithin);
  });

  it('a polled job lands within nearSeconds of its completion anywhere in its near window (60–135 s), in one round', () => {
    for (let generation = 60; generation <= 135; generation += 1) {
      const run = pollUntilDone(generation);
      expect(run.rounds, `${generation} s`).toBe(1);
      expect(run.seenAt - generation, `${generation} s`).toBeLessThanOrEqual(WAIT_SCHEDULE.nearSeconds);
    }
  });

  it('a callback job has one safety check before its deadline, whatever its generation time', () => {
    // AwaitResult waits `seconds`, then once more as long (its one retry, which polls), then the deadline's check.
    const first = nextCheck({ ...base, callbacks: true });
    expect(first.seconds).toBeGreaterThan(base.deadlineSeconds / 2);
    expect(2 * first.seconds).toBeGreaterThanOrEqual(base.deadlineSeconds);
    expect(2 * first.seconds).toBeLessThanOrEqual(base.deadlineSeconds + 3);
  });

  it('always waits at least a second within [1, maxWait] (polled), never past the deadline', () => {
    fc.assert(
      fc.property(
        fc.record({
          elapsedSeconds: fc.integer({ min: 0, max: 1799 }),
          callbacks: fc.boolean(),
          progress: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
          etaSeconds: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
          queuePosition: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        }),
        (input) => {
          const next = nextCheck({ ...base, ...input });
          expect(next.deadlinePassed).toBe(false);
          expect(next.seconds).toBeGreaterThanOrEqual(Math.min(1, base.deadlineSeconds - input.elapsedSeconds));
          if (!input.callbacks) expect(next.seconds).toBeLessThanOrEqual(base.maxWaitSeconds);
          expect(input.elapsedSeconds + next.seconds).toBeLessThanOrEqual(base.deadlineSeconds);
          if (next.near) expect(next.seconds).toBe(WAIT_SCHEDULE.nearSeconds);
        },
      ),
    );
  });
});

describe('callbackOverdue', () => {
  it.each([
    // 5 s 720p: expected 60–90 s, overdue from 135 s; 10 s 4K: 300–420 s, overdue from 630 s.
    [{}, 134, false],
    [{}, 135, true],
    [{ durationSeconds: 10, resolution: '4k' as const }, 629, false],
    [{ durationSeconds: 10, resolution: '4k' as const }, 630, true],
  ])('%o after %d s: %s', (shape, elapsed, overdue) => {
    expect(callbackOverdue(expectedLatency(shape), elapsed)).toBe(overdue);
  });
});
