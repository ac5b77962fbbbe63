// The local stack's metrics: the handlers append their CloudWatch EMF lines to `<data dir>/logs/metrics.jsonl`
// (KLINGFLOW_METRICS_FILE), the same lines they print on AWS; `GET /v1/metrics` on the local front door (and
// `npx klingflow metrics`) sums them per metric and dimension set, as a CloudWatch graph would.
//
// Retention: a stack that runs for days must not grow a file without end, nor read all of it per request. The stack
// rotates the file once it passes METRICS_FILE_MAX_BYTES (the full file becomes `metrics.jsonl.1`, replacing the one
// before), and sums stream both files line by line: at most twice that size is kept, and memory does not grow with it.
import { createReadStream, existsSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type MetricTotal, MetricTotals, readEmfLine } from '../lambdas/domain/metrics.ts';

/** Where the local stack's handlers write their EMF lines. */
export const metricsFileOf = (dataDir: string): string => join(dataDir, 'logs', 'metrics.jsonl');

/** The rotated file: the lines before the current file's. */
export const previousMetricsFileOf = (file: string): string => `${file}.1`;

/**
 * Bytes past which the metrics file is rotated (16 MiB: about 60,000 EMF lines, some 4,000 jobs with the
 * reconciler's gauges; the sums then cover between one and two such files).
 */
export const METRICS_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** Seconds between the local stack's looks at the metrics file's size. */
export const METRICS_ROTATE_CHECK_SECONDS = 60;

/**
 * Rotates `file` if it is larger than `maxBytes`: it becomes `<file>.1` (replacing the one before), and the next
 * line written starts a new file (the handlers open the file per line). Returns whether it rotated. Throws what the
 * file system throws, except for a missing file (nothing to rotate).
 */
export function rotateMetricsFile(file: string, maxBytes: number = METRICS_FILE_MAX_BYTES): boolean {
  if (!existsSync(file) || statSync(file).size <= maxBytes) return false;
  renameSync(file, previousMetricsFileOf(file));
  return true;
}

/** What to sum: only lines of this job, only this metric, only this provider (each optional). */
export interface MetricsFilter {
  jobId?: string;
  name?: string;
  provider?: string;
}

/** The query parameters `GET /v1/metrics` takes. */
export const METRICS_QUERY: readonly (keyof MetricsFilter)[] = ['jobId', 'name', 'provider'];

/**
 * Sums the EMF lines of `file` (and of its rotated predecessor, `<file>.1`, first) that pass `filter`: `{metrics}`
 * per metric and dimension set (count, sum, min, max; seconds for the *Seconds metrics), `lines` the number of EMF
 * lines that passed. Read as a stream: memory grows with the number of series, not of lines. Missing files sum to
 * nothing.
 */
export async function sumLocalMetrics(file: string, filter: MetricsFilter = {}): Promise<{ metrics: MetricTotal[]; lines: number }> {
  const totals = new MetricTotals();
  let lines = 0;
  for (const path of [previousMetricsFileOf(file), file]) {
    if (!existsSync(path)) continue;
    for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
      if (!passes(line, filter)) continue;
      totals.add(line);
      lines += 1;
    }
  }
  return { metrics: totals.totals(), lines };
}

/** Whether an EMF line has a point that passes `filter` (a line that is not EMF never does). */
function passes(line: string, filter: MetricsFilter): boolean {
  return readEmfLine(line).some(
    (p) =>
      (filter.jobId === undefined || p.properties.jobId === filter.jobId) &&
      (filter.name === undefined || p.name === filter.name) &&
      (filter.provider === undefined || p.dimensions.provider === filter.provider),
  );
}
