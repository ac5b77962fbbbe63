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
  it.each<[string, JobRecord, boolean, CheckPlanSettings, number, number]>([
    ['polled 5 s 720p, just submitted: first poll at 60 s', job(), false, settings, 0, 60],
    ['polled 10 s 4K: first poll at 300 s', job({ durationSeconds: 10, resolution: '4k' }), false, settings, 0, 300],
    ['callback 5 s 720p: one safety check at 143 s', job(), true, settings, 0, 143],
    ['at 1/30 time scale: 60 s of provider time is 2 s', job(), false, { ...settings, timeScale: 1 / 30 }, 0, 2],
    ['a short lease bounds every wait to half of it', job(), true, { ...settings, leaseSeconds: 60 }, 0, 30],
  ])('%s', (_name, record, callbacks, planSettings, elapsed, seconds) => {
    expect(planNextCheck(record, callbacks, planSettings, secondsIn(elapsed))).toEqual({ seconds, callbacks, deadlinePassed: false });
  });

  it('uses the model’s own deadline, in provider time', () => {
    expect(planNextCheck(job({ model: 'kling-v2-master' }), false, settings, secondsIn(600)).deadlinePassed).toBe(true);
    expect(planNextCheck(job(), false, settings, secondsIn(600)).deadlinePassed).toBe(false);
    expect(planNextCheck(job(), false, { ...settings, timeScale: 1 / 30 }, secondsIn(60)).deadlinePassed).toBe(true);
  });

  it('takes the last poll’s progress and wait into account', () => {
    // 25 % after 30 s: expected done at 120 s.
    expect(planNextCheck(job(), false, settings, secondsIn(30), { progress: 25, previousProgress: 0 }).seconds).toBe(90);
    // Past the range with progress stalled: backs off from the last wait.
    expect(
      planNextCheck(job(), false, settings, secondsIn(100), { progress: 50, previousProgress: 50, previousWaitSeconds: 20 }).seconds,
    ).toBe(30);
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
