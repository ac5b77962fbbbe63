// The wait schedule (lambdas/domain/wait-schedule.ts): when the workflow looks at a provider's task next, from the
// seed's latency table, the provider's hints and how the last polls moved. Figures are seconds of provider time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedLatency, nextCheck, type ScheduleInput, WAIT_SCHEDULE } from '../../../lambdas/domain/wait-schedule.ts';

const base: ScheduleInput = {
  elapsedSeconds: 0,
  expected: { low: 60, high: 90 },
  deadlineSeconds: 1800,
  maxWaitSeconds: 450,
  callbacks: false,
};

/** Runs a job that completes `generation` seconds after submission; returns the checks made until one saw it done. */
function checksUntilDone(generation: number, input: Partial<ScheduleInput> = {}): number[] {
  const checks: number[] = [];
  let elapsed = 0;
  let previousWaitSeconds = 0;
  for (;;) {
    const next = nextCheck({ ...base, ...input, elapsedSeconds: elapsed, previousWaitSeconds });
    if (next.deadlinePassed) return checks;
    elapsed += next.seconds;
    previousWaitSeconds = next.seconds;
    checks.push(elapsed);
    if (elapsed >= generation) return checks;
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
  it.each<[string, Partial<ScheduleInput>, number]>([
    ['polled, just submitted: first poll at the low end of the range', {}, 60],
    ['polled, inside the range: short interval', { elapsedSeconds: 60 }, WAIT_SCHEDULE.nearSeconds],
    ['polled, just before the low end: short interval, not a tiny wait', { elapsedSeconds: 57 }, WAIT_SCHEDULE.nearSeconds],
    ['polled, past the range: backs off from the last wait', { elapsedSeconds: 100, previousWaitSeconds: 6 }, 9],
    ['polled, far past the range: capped by the longest wait', { elapsedSeconds: 1000, previousWaitSeconds: 400 }, 450],
    ['polled, provider ETA of 40 s', { elapsedSeconds: 10, etaSeconds: 40 }, 40],
    ['polled, 25 % after 30 s: done at 120 s', { elapsedSeconds: 30, progress: 25, previousProgress: 0 }, 90],
    [
      'polled, progress stalled past the estimate: backs off',
      { elapsedSeconds: 130, progress: 50, previousProgress: 50, previousWaitSeconds: 20 },
      30,
    ],
    ['polled, 2nd in the queue: two generations ahead, then its own', { queuePosition: 2 }, 210],
    ['polled, near the deadline: the last check comes at the deadline', { elapsedSeconds: 1798, previousWaitSeconds: 300 }, 2],
    ['callback, just submitted: one safety check after the high end plus a margin', { callbacks: true }, 143],
    ['callback, after the first check: waits as long again', { callbacks: true, elapsedSeconds: 143 }, 143],
    ['callback, late: capped by the longest wait', { callbacks: true, elapsedSeconds: 1000 }, 450],
  ])('%s', (_name, input, seconds) => {
    expect(nextCheck({ ...base, ...input })).toEqual({ seconds, deadlinePassed: false });
  });

  it('ends the job at its deadline', () => {
    expect(nextCheck({ ...base, elapsedSeconds: 1800 })).toEqual({ seconds: 0, deadlinePassed: true });
    expect(nextCheck({ ...base, callbacks: true, elapsedSeconds: 5000 })).toEqual({ seconds: 0, deadlinePassed: true });
  });

  it('polls every 6 s through the expected range, then backs off: a 300 s job is polled 13 times', () => {
    expect(checksUntilDone(90)).toEqual([60, 66, 72, 78, 84, 90]);
    expect(checksUntilDone(62).length).toBe(2);
    expect(checksUntilDone(300).length).toBe(13);
  });

  it('makes few safety checks for a callback job, whatever its generation time', () => {
    expect(checksUntilDone(120, { callbacks: true })).toEqual([143]);
    expect(checksUntilDone(1800, { callbacks: true }).length).toBeLessThanOrEqual(6);
  });

  it('always waits a whole number of seconds within [1, maxWait], never past the deadline', () => {
    fc.assert(
      fc.property(
        fc.record({
          elapsedSeconds: fc.integer({ min: 0, max: 1799 }),
          callbacks: fc.boolean(),
          progress: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
          previousProgress: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
          etaSeconds: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
          queuePosition: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
          previousWaitSeconds: fc.option(fc.integer({ min: 0, max: 450 }), { nil: undefined }),
        }),
        (input) => {
          const next = nextCheck({ ...base, ...input });
          expect(next.deadlinePassed).toBe(false);
          expect(Number.isInteger(next.seconds)).toBe(true);
          expect(next.seconds).toBeGreaterThanOrEqual(1);
          expect(next.seconds).toBeLessThanOrEqual(base.maxWaitSeconds);
          expect(input.elapsedSeconds + next.seconds).toBeLessThanOrEqual(base.deadlineSeconds);
        },
      ),
    );
  });
});
