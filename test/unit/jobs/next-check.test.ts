// Planning a job's next check (lambdas/jobs/next-check.ts): the schedule in provider time, converted to the
// workflow's seconds by the time scale, bounded by half a slot lease, and the per-model deadline.
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { deadlineOf, parseDeadlineSetting } from '../../../lambdas/domain/wait-schedule.ts';
import { type CheckPlanSettings, planNextCheck } from '../../../lambdas/jobs/next-check.ts';

const submittedAt = '2026-01-01T00:00:00.000Z';
const job = (request: Partial<JobRecord['request']> = {}) =>
  ({
    jobId: 'job_1',
    createdAt: submittedAt,
    submittedAt,
    request: { model: 'kling-v3', durationSeconds: 5, resolution: '720p', ...request },
  }) as unknown as JobRecord;
const secondsIn = (seconds: number) => new Date(Date.parse(submittedAt) + seconds * 1000);
const settings: CheckPlanSettings = {
  deadlines: parseDeadlineSetting('1800,kling-v2-master=600', 'test'),
  timeScale: 1,
  leaseSeconds: 900,
};

describe('planNextCheck', () => {
  it.each<[string, JobRecord, boolean, CheckPlanSettings, number, number, number]>([
    ['polled 5 s 720p, just submitted: first poll at 60 s', job(), false, settings, 0, 60, 60_000],
    ['polled 10 s 4K: first poll at 300 s', job({ durationSeconds: 10, resolution: '4k' }), false, settings, 0, 300, 300_000],
    ['callback 5 s 720p: waits half the time to the deadline', job(), true, settings, 0, 901, 901_000],
    ['at 1/30 time scale: 60 s of provider time is 2 s', job(), false, { ...settings, timeScale: 1 / 30 }, 0, 2, 2000],
    [
      'at 1/45 time scale: 60 s of provider time is 1.333 s; `at` keeps it exact',
      job(),
      false,
      { ...settings, timeScale: 1 / 45 },
      0,
      2,
      1333,
    ],
    ['a short lease bounds a polled wait to half of it', job(), false, { ...settings, leaseSeconds: 60 }, 0, 30, 30_000],
    [
      'a callback wait is not bounded by the lease (AwaitResult renews it for the wait)',
      job(),
      true,
      { ...settings, leaseSeconds: 60 },
      0,
      901,
      901_000,
    ],
  ])('%s', (_name, record, callbacks, planSettings, elapsed, seconds, waitMs) => {
    const now = secondsIn(elapsed);
    expect(planNextCheck(record, callbacks, planSettings, now)).toEqual({
      seconds,
      at: new Date(now.getTime() + waitMs).toISOString(),
      callbacks,
      deadlinePassed: false,
      waitMs,
      near: false,
    });
  });

  it('uses the model’s own deadline, in provider time', () => {
    expect(planNextCheck(job({ model: 'kling-v2-master' }), false, settings, secondsIn(600)).deadlinePassed).toBe(true);
    expect(planNextCheck(job(), false, settings, secondsIn(600)).deadlinePassed).toBe(false);
    expect(planNextCheck(job(), false, { ...settings, timeScale: 1 / 30 }, secondsIn(60)).deadlinePassed).toBe(true);
  });

  it('takes the last poll’s progress into account, and says when the next poll is near', () => {
    // 50 % after 20 s: done by 40 s, before the seed's range (60–90 s): the next poll at 40 s.
    expect(planNextCheck(job(), false, settings, secondsIn(20), { progress: 50 }).seconds).toBe(20);
    // Inside the expected range: the next poll is near (PollStatus makes it itself), nearSeconds away.
    expect(planNextCheck(job(), false, settings, secondsIn(70))).toMatchObject({ seconds: 3, waitMs: 3000, near: true });
    // Past the near window (the range's high end × 1.5): waits half the time elapsed.
    expect(planNextCheck(job(), false, settings, secondsIn(140), { progress: 75 })).toMatchObject({ seconds: 70, near: false });
  });
});

describe('parseDeadlineSetting', () => {
  it.each([
    [undefined, 1800, {}],
    ['', 1800, {}],
    ['3600', 3600, {}],
    ['1800, kling-v3=3600', 1800, { 'kling-v3': 3600 }],
    ['kling-v3=3600', 1800, { 'kling-v3': 3600 }],
  ])('%s', (raw, defaultSeconds, byModel) => {
    expect(parseDeadlineSetting(raw, 'X')).toEqual({ defaultSeconds, byModel });
  });

  it.each(['soon', '0', '-5', '=60', 'kling-v3=', '1.5'])('refuses %s, naming the setting', (raw) => {
    expect(() => parseDeadlineSetting(raw, 'KLINGFLOW_DEADLINE_SECONDS')).toThrow(/KLINGFLOW_DEADLINE_SECONDS/);
  });

  it('gives a model its own deadline, others the default', () => {
    const setting = parseDeadlineSetting('1200,kling-v3=2400', 'X');
    expect(deadlineOf(setting, 'kling-v3')).toBe(2400);
    expect(deadlineOf(setting, 'kling-v2-1')).toBe(1200);
  });
});
