// The local stack's metrics file (local/metrics.ts): rotated once it passes its size limit, and summed as a stream
// over the rotated file and the current one, so a stack that runs for days keeps a bounded file.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emfLineOf } from '../../../lambdas/aws/metrics.ts';
import { previousMetricsFileOf, rotateMetricsFile, sumLocalMetrics } from '../../../local/metrics.ts';

const fileIn = () => join(mkdtempSync(join(tmpdir(), 'klingflow-metrics-')), 'metrics.jsonl');
const polls = (jobId: string, provider = 'kling') => emfLineOf({ name: 'Polls', value: 1, dimensions: { provider }, jobId });

describe('rotateMetricsFile', () => {
  it('leaves a file at or under the limit, and a missing one, alone', () => {
    const file = fileIn();
    expect(rotateMetricsFile(file, 10)).toBe(false);
    writeFileSync(file, '0123456789');
    expect(rotateMetricsFile(file, 10)).toBe(false);
    expect(existsSync(previousMetricsFileOf(file))).toBe(false);
  });

  it('moves a larger file to <file>.1, replacing the one before; the next line starts a new file', () => {
    const file = fileIn();
    writeFileSync(previousMetricsFileOf(file), 'older\n');
    writeFileSync(file, 'x'.repeat(11));
    expect(rotateMetricsFile(file, 10)).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(previousMetricsFileOf(file), 'utf8')).toBe('x'.repeat(11));
  });
});

describe('sumLocalMetrics', () => {
  it('sums the rotated file and the current one, line by line, with the filter, ignoring lines that are not EMF', async () => {
    const file = fileIn();
    appendFileSync(previousMetricsFileOf(file), `${polls('job_a')}\n${polls('job_b', 'fal')}\nnot json\n`);
    appendFileSync(file, `${polls('job_a')}\n\n${polls('job_a')}\n`);
    const all = await sumLocalMetrics(file);
    expect(all.lines).toBe(4);
    expect(all.metrics.map((m) => [m.name, m.dimensions.provider, m.count])).toEqual([
      ['Polls', 'fal', 1],
      ['Polls', 'kling', 3],
    ]);
    expect((await sumLocalMetrics(file, { jobId: 'job_a' })).lines).toBe(3);
    expect((await sumLocalMetrics(file, { provider: 'fal' })).metrics).toMatchObject([{ name: 'Polls', count: 1, sum: 1 }]);
  });

  it('sums to nothing where there is no file yet', async () => {
    expect(await sumLocalMetrics(fileIn())).toEqual({ metrics: [], lines: 0 });
  });
});
