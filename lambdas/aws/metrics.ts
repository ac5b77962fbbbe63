// Metrics in CloudWatch embedded metric format (EMF), through Powertools Metrics: one JSON line per data point, which
// CloudWatch Logs turns into metrics in the `klingflow` namespace (no cloudwatch:PutMetricData, no extra call). The
// catalogue (names, units, dimensions) is lambdas/domain/metrics.ts. Handlers call `emitMetric`/`emitMetrics`;
// emitting never throws (a metric is never worth failing a job for).
//
// Where the lines go: stdout on AWS (the function's log group); on the local stack a file (KLINGFLOW_METRICS_FILE,
// `<data dir>/logs/metrics.jsonl`), which `GET /v1/metrics` and `npx klingflow metrics` sum.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  METRICS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  type MetricDimensions,
  type MetricName,
  type MetricPoint,
} from '../domain/metrics.ts';
import { config } from './env.ts';
import { currentInvocation } from './invocation.ts';
import { logger } from './logger.ts';

/** Where EMF lines are written: one call per line (without its newline). */
export type MetricsSink = (line: string) => void;

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, None: MetricUnit.NoUnit } as const;

const defaultSink: MetricsSink = (line) => {
  const file = config.metricsFile();
  if (!file) {
    process.stdout.write(`${line}\n`);
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${line}\n`);
};

let sink: MetricsSink = defaultSink;

/** Replaces where metric lines go (tests); `undefined` restores the default (stdout, or the local metrics file). */
export function setMetricsSink(replacement: MetricsSink | undefined): void {
  sink = replacement ?? defaultSink;
}

/**
 * One EMF line for one data point: namespace `klingflow`, dimensions `service` plus the point's own (only those its
 * catalogue entry names), and the job id as a property when given. Returns the line.
 */
export function emfLineOf(point: MetricPoint, timestamp: Date = new Date()): string {
  const spec = METRICS[point.name];
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  const dimensions: Record<string, string> = {};
  for (const name of spec.dimensions) {
    const value = point.dimensions[name];
    if (value !== undefined && value !== '') dimensions[name] = value;
  }
  metrics.addDimensions(dimensions);
  if (point.jobId) metrics.addMetadata('jobId', point.jobId);
  metrics.setTimestamp(timestamp);
  metrics.addMetric(point.name, UNITS[spec.unit], point.value);
  return JSON.stringify(metrics.serializeMetrics());
}

/** Emits data points, one EMF line each. Never throws: a failure is logged and the points are dropped. */
export function emitMetrics(points: readonly MetricPoint[]): void {
  for (const point of points) {
    try {
      if (!Number.isFinite(point.value)) continue;
      sink(emfLineOf(point));
    } catch (error) {
      logger.warn('metric not emitted', { metric: point.name, error: (error as Error).message });
    }
  }
}

/** Emits one data point (see {@link emitMetrics}). */
export function emitMetric(point: MetricPoint): void {
  emitMetrics([point]);
}

/**
 * Emits one data point about the current invocation's job (lambdas/aws/invocation.ts): its id as a property, its
 * provider as the `provider` dimension (`unknown` when not known yet) unless `dimensions.provider` says otherwise.
 */
export function emitJobMetric(name: MetricName, value: number, dimensions: Partial<MetricDimensions> = {}): void {
  const { jobId, provider } = currentInvocation();
  emitMetric({
    name,
    value,
    dimensions: { ...dimensions, provider: dimensions.provider ?? provider ?? 'unknown' },
    ...(jobId ? { jobId } : {}),
  });
}
