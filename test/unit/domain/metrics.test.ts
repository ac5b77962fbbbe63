// The metric catalogue's pure parts (lambdas/domain/metrics.ts): the points of a finished job, step times, the
// deadline, and reading and summing EMF lines as the local stack does for `GET /v1/metrics`.
import { describe, expect, it } from 'vitest';
import {
  finishedJobPoints,
  jobDeadlineSeconds,
  METRICS,
  readEmfLine,
  secondsBetween,
  sumEmfLines,
} from '../../../lambdas/domain/metrics.ts';

const line = (metric: string, value: number | number[], dims: Record<string, string>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: 1,
      CloudWatchMetrics: [
        { Namespace: 'klingflow', Dimensions: [['service', ...Object.keys(dims)]], Metrics: [{ Name: metric, Unit: 'Count' }] },
      ],
    },
    service: 'klingflow',
    ...dims,
    ...extra,
    [metric]: value,
  });

describe('finished-job points', () => {
  const base = { jobId: 'job_1', provider: 'kling', createdAt: '2026-11-30T12:00:00.000Z', finishedAt: '2026-11-30T12:01:30.500Z' };

  it('a success: JobsFinished by status, its duration, and its spend in credits and USD', () => {
    const points = finishedJobPoints({ ...base, status: 'SUCCEEDED', cost: { credits: 10, usd: 0.7 } });
    expect(points).toEqual([
      { name: 'JobsFinished', value: 1, dimensions: { provider: 'kling', status: 'SUCCEEDED' }, jobId: 'job_1' },
      { name: 'JobSeconds', value: 90.5, dimensions: { provider: 'kling', status: 'SUCCEEDED' }, jobId: 'job_1' },
      { name: 'SpendCredits', value: 10, dimensions: { provider: 'kling' }, jobId: 'job_1' },
      { name: 'SpendUsd', value: 0.7, dimensions: { provider: 'kling' }, jobId: 'job_1' },
    ]);
  });

  it('a failure counts in JobsFailed too, and spends nothing', () => {
    const names = finishedJobPoints({ ...base, status: 'FAILED', cost: { credits: 10 } }).map((p) => p.name);
    expect(names).toEqual(['JobsFinished', 'JobsFailed', 'JobSeconds']);
  });

  it('a timeout is a failure too; a cancel is counted as cancelled, not failed', () => {
    const names = (status: string) => finishedJobPoints({ ...base, status }).map((p) => p.name);
    expect(names('TIMED_OUT')).toEqual(['JobsFinished', 'JobsFailed', 'JobSeconds']);
    expect(names('CANCELLED')).toEqual(['JobsFinished', 'JobsCancelled', 'JobSeconds']);
    expect(finishedJobPoints({ ...base, status: 'CANCELLED' })[1]).toEqual({
      name: 'JobsCancelled',
      value: 1,
      dimensions: { provider: 'kling' },
      jobId: 'job_1',
    });
  });

  it('every point names only dimensions its metric has', () => {
    for (const point of finishedJobPoints({ ...base, status: 'TIMED_OUT' })) {
      expect(Object.keys(point.dimensions).sort()).toEqual([...METRICS[point.name].dimensions].sort());
    }
  });
});

describe('times', () => {
  it('seconds between two instants, never negative, undefined without a start', () => {
    expect(secondsBetween('2026-11-30T12:00:00.000Z', '2026-11-30T12:00:02.250Z')).toBe(2.25);
    expect(secondsBetween('2026-11-30T12:00:05.000Z', '2026-11-30T12:00:00.000Z')).toBe(0);
    expect(secondsBetween(undefined, new Date())).toBeUndefined();
    expect(secondsBetween('not a date', new Date())).toBeUndefined();
  });

  it("a job's deadline is its longest queue wait, every round, and an hour", () => {
    expect(jobDeadlineSeconds({ longestDeadlineSeconds: 1800, maxQueueSeconds: 21_600 })).toBe(21_600 + 1800 + 3600);
    expect(jobDeadlineSeconds({ longestDeadlineSeconds: 3600, maxQueueSeconds: 600 })).toBe(600 + 3600 + 3600);
  });
});

describe('EMF lines', () => {
  it('reads dimensions, values and the other properties of a line; anything else is no metric', () => {
    expect(readEmfLine(line('Polls', 1, { provider: 'fal' }, { jobId: 'job_9' }))).toEqual([
      { name: 'Polls', unit: 'Count', dimensions: { service: 'klingflow', provider: 'fal' }, values: [1], properties: { jobId: 'job_9' } },
    ]);
    expect(readEmfLine('{"level":"INFO","message":"hello"}')).toEqual([]);
    expect(readEmfLine('not json')).toEqual([]);
  });

  it('sums per metric and dimension set, service left out', () => {
    const totals = sumEmfLines([
      line('Polls', 1, { provider: 'fal' }),
      line('Polls', [1, 1], { provider: 'fal' }),
      line('Polls', 1, { provider: 'kling' }),
      'garbage',
    ]);
    expect(totals).toEqual([
      { name: 'Polls', unit: 'Count', dimensions: { provider: 'fal' }, count: 3, sum: 3, min: 1, max: 1 },
      { name: 'Polls', unit: 'Count', dimensions: { provider: 'kling' }, count: 1, sum: 1, min: 1, max: 1 },
    ]);
  });
});
