// The local stack's metrics: the handlers append their CloudWatch EMF lines to `<data dir>/logs/metrics.jsonl`
// (KLINGFLOW_METRICS_FILE), the same lines they print on AWS; `GET /v1/metrics` on the local front door (and
// `npx klingflow metrics`) sums them per metric and dimension set, as a CloudWatch graph would.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MetricTotal, readEmfLine, sumEmfLines } from '../lambdas/domain/metrics.ts';

/** Where the local stack's handlers write their EMF lines. */
export const metricsFileOf = (dataDir: string): string => join(dataDir, 'logs', 'metrics.jsonl');

/** What to sum: only lines of this job, only this metric, only this provider (each optional). */
export interface MetricsFilter {
  jobId?: string;
  name?: string;
  provider?: string;
}

/** The query parameters `GET /v1/metrics` takes. */
export const METRICS_QUERY: readonly (keyof MetricsFilter)[] = ['jobId', 'name', 'provider'];

/**
 * Sums the EMF lines of `file` that pass `filter`: `{metrics}` per metric and dimension set (count, sum, min, max;
 * seconds for the *Seconds metrics), `lines` the number of EMF lines that passed. A missing file sums to nothing.
 */
export function sumLocalMetrics(file: string, filter: MetricsFilter = {}): { metrics: MetricTotal[]; lines: number } {
  if (!existsSync(file)) return { metrics: [], lines: 0 };
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      const points = readEmfLine(line);
      if (points.length === 0) return false;
      return points.some(
        (p) =>
          (filter.jobId === undefined || p.properties.jobId === filter.jobId) &&
          (filter.name === undefined || p.name === filter.name) &&
          (filter.provider === undefined || p.dimensions.provider === filter.provider),
      );
    });
  return { metrics: sumEmfLines(kept), lines: kept.length };
}
