// The metrics klingflow publishes (CloudWatch embedded metric format, namespace `klingflow`): one catalogue that the
// handlers emit from (lambdas/aws/metrics.ts), the CDK alarms and dashboard read (lib/monitoring.ts, lib/dashboard.ts),
// and the local stack sums (`GET /v1/metrics`). Pure: names, units, dimensions, and the arithmetic of step times.
// docs/architecture.md, "Metrics, alarms and the dashboard", has the table.

/** The CloudWatch namespace of every klingflow metric. */
export const METRICS_NAMESPACE = 'klingflow';

/**
 * The `service` dimension Powertools adds to every metric (POWERTOOLS_SERVICE_NAME); part of every dimension set, so
 * alarms and widgets name it too.
 */
export const METRICS_SERVICE = 'klingflow';

/** Dimension names. Kept few: every metric has `provider`; `status` or `kind` only where the metric needs it. */
export type MetricDimension = 'provider' | 'status' | 'kind';

/** CloudWatch units the catalogue uses (the subset of Powertools' MetricUnit). */
export type MetricUnitName = 'Count' | 'Seconds' | 'None';

export interface MetricSpec {
  unit: MetricUnitName;
  /** Dimensions besides `service`, in the order they are written. */
  dimensions: readonly MetricDimension[];
  /** What one data point means. */
  description: string;
}

/** Every metric, by name. A data point always carries `provider` (`all` where a metric is about every provider). */
export const METRICS = {
  JobsCreated: { unit: 'Count', dimensions: ['provider'], description: 'a job was created (API or upload), once per job' },
  JobsFinished: {
    unit: 'Count',
    dimensions: ['provider', 'status'],
    description: 'a job reached a terminal status (SUCCEEDED, FAILED, CANCELLED, TIMED_OUT), once per job',
  },
  JobsFailed: {
    unit: 'Count',
    dimensions: ['provider'],
    description: 'a job ended FAILED or TIMED_OUT, not cancelled (the failure-rate alarm divides it by JobsFinished)',
  },
  JobsCancelled: {
    unit: 'Count',
    dimensions: ['provider'],
    description: 'a job ended CANCELLED: asked for, not a failure, so neither in JobsFailed nor in the failure rate',
  },
  QueueWaitSeconds: {
    unit: 'Seconds',
    dimensions: ['provider'],
    description: "from the job's creation to its first submission: validation and the wait for a provider slot",
  },
  SubmitSeconds: { unit: 'Seconds', dimensions: ['provider'], description: 'one Submit step that created (or found) the task' },
  GenerationSeconds: {
    unit: 'Seconds',
    dimensions: ['provider'],
    description: 'from the submission to the start of Archive: the provider generating the video',
  },
  ArchiveSeconds: { unit: 'Seconds', dimensions: ['provider'], description: 'one Archive step: the video (and thumbnail) copied to S3' },
  NotifySeconds: { unit: 'Seconds', dimensions: ['provider'], description: 'one Notify step that published a notice' },
  JobSeconds: {
    unit: 'Seconds',
    dimensions: ['provider', 'status'],
    description: 'from creation to the terminal status, once per job',
  },
  ProviderErrors: {
    unit: 'Count',
    dimensions: ['provider', 'kind'],
    description: 'a provider answered with an error of the taxonomy (kind: rate_limited, auth, insufficient_credits, ...)',
  },
  SubmitRetries: { unit: 'Count', dimensions: ['provider'], description: 'Submit was refused for now and will try again' },
  CallbacksReceived: { unit: 'Count', dimensions: ['provider'], description: "a provider's callback was verified and accepted" },
  Polls: { unit: 'Count', dimensions: ['provider'], description: 'PollStatus asked the provider (no callback came in time)' },
  SpendCredits: {
    unit: 'None',
    dimensions: ['provider'],
    description: "credits a succeeded job cost: the provider's reported figure, else the estimate",
  },
  SpendUsd: { unit: 'None', dimensions: ['provider'], description: 'US dollars a succeeded job cost: reported, else the estimate' },
  JobsPastDeadline: {
    unit: 'Count',
    dimensions: ['provider'],
    description: 'reconciler run: jobs not terminal although older than their deadline (a gauge, one point per run)',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

/** The dimension values of one data point; `provider` always, the others where the metric has them. */
export type MetricDimensions = { provider: string } & Partial<Record<Exclude<MetricDimension, 'provider'>, string>>;

/** One data point to emit; `jobId` travels as a property of the EMF line (searchable in logs), never as a dimension. */
export interface MetricPoint {
  name: MetricName;
  value: number;
  dimensions: MetricDimensions;
  jobId?: string;
}

/** The `provider` value of a metric about every provider (the reconciler's gauge). */
export const ALL_PROVIDERS = 'all';

/** Seconds from `from` to `to` (ISO 8601 strings or dates), rounded to milliseconds and never negative; undefined when `from` is missing. */
export function secondsBetween(from: string | Date | undefined, to: string | Date): number | undefined {
  if (from === undefined) return undefined;
  const start = new Date(from).getTime();
  const end = new Date(to).getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  return Math.max(0, Math.round(end - start)) / 1000;
}

/** The terminal statuses JobsFailed counts: the job did not do what was asked. A cancel was asked for. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'TIMED_OUT']);

/**
 * The data points of a job that has just reached its terminal status: JobsFinished, and JobsFailed (FAILED,
 * TIMED_OUT) or JobsCancelled (CANCELLED), JobSeconds from `createdAt` to `finishedAt`, and for a success its spend
 * (credits, USD) where known.
 */
export function finishedJobPoints(job: {
  jobId: string;
  provider: string;
  status: string;
  createdAt: string;
  finishedAt?: string;
  cost?: { credits?: number; usd?: number };
}): MetricPoint[] {
  const dims = { provider: job.provider };
  const points: MetricPoint[] = [{ name: 'JobsFinished', value: 1, dimensions: { ...dims, status: job.status }, jobId: job.jobId }];
  if (FAILED_STATUSES.has(job.status)) points.push({ name: 'JobsFailed', value: 1, dimensions: dims, jobId: job.jobId });
  if (job.status === 'CANCELLED') points.push({ name: 'JobsCancelled', value: 1, dimensions: dims, jobId: job.jobId });
  const seconds = job.finishedAt ? secondsBetween(job.createdAt, job.finishedAt) : undefined;
  if (seconds !== undefined)
    points.push({ name: 'JobSeconds', value: seconds, dimensions: { ...dims, status: job.status }, jobId: job.jobId });
  if (job.status === 'SUCCEEDED' && job.cost) {
    if (job.cost.credits !== undefined) points.push({ name: 'SpendCredits', value: job.cost.credits, dimensions: dims, jobId: job.jobId });
    if (job.cost.usd !== undefined) points.push({ name: 'SpendUsd', value: job.cost.usd, dimensions: dims, jobId: job.jobId });
  }
  return points;
}

/** A metric as one line of embedded metric format reads: its name, unit, dimensions and value(s). */
export interface EmfDataPoint {
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  values: number[];
  /** Properties of the line that are neither dimensions nor metrics (e.g. `jobId`). */
  properties: Record<string, unknown>;
}

/**
 * Reads one line of CloudWatch embedded metric format: every metric it declares with its dimension values and
 * value(s). Anything that is not an EMF object gives `[]` (so a log file can be read line by line).
 */
export function readEmfLine(line: string): EmfDataPoint[] {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return [];
  }
  if (typeof record !== 'object' || record === null) return [];
  const object = record as Record<string, unknown>;
  const aws = object._aws as { CloudWatchMetrics?: { Dimensions?: string[][]; Metrics?: { Name: string; Unit?: string }[] }[] } | undefined;
  const directives = aws?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [];
  const points: EmfDataPoint[] = [];
  for (const directive of directives) {
    const dimensionNames = directive.Dimensions?.[0] ?? [];
    const metricNames = new Set((directive.Metrics ?? []).map((m) => m.Name));
    const dimensions = Object.fromEntries(dimensionNames.map((name) => [name, String(object[name])]));
    const properties = Object.fromEntries(
      Object.entries(object).filter(([key]) => key !== '_aws' && !dimensionNames.includes(key) && !metricNames.has(key)),
    );
    for (const metric of directive.Metrics ?? []) {
      const raw = object[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
      points.push({ name: metric.Name, unit: metric.Unit ?? 'None', dimensions, values, properties });
    }
  }
  return points;
}

/** A metric summed over many EMF lines, per dimension set. */
export interface MetricTotal {
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  /** Number of values. */
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * Running totals of EMF lines, per metric and dimension set (the `service` dimension left out): `add` a line at a time
 * (a line that is not EMF adds nothing), then read `totals()`, sorted by name and dimensions. Memory grows with the
 * number of distinct series, not of lines, so a long metrics file can be summed as a stream.
 */
export class MetricTotals {
  private readonly byKey = new Map<string, MetricTotal>();

  add(line: string): void {
    for (const point of readEmfLine(line)) {
      const { service: _service, ...dimensions } = point.dimensions;
      const key = `${point.name}|${JSON.stringify(Object.entries(dimensions).sort())}`;
      let total = this.byKey.get(key);
      if (!total) {
        total = {
          name: point.name,
          unit: point.unit,
          dimensions,
          count: 0,
          sum: 0,
          min: Number.POSITIVE_INFINITY,
          max: Number.NEGATIVE_INFINITY,
        };
        this.byKey.set(key, total);
      }
      for (const value of point.values) {
        total.count += 1;
        total.sum = Math.round((total.sum + value) * 1e6) / 1e6;
        total.min = Math.min(total.min, value);
        total.max = Math.max(total.max, value);
      }
    }
  }

  totals(): MetricTotal[] {
    return [...this.byKey.values()]
      .filter((t) => t.count > 0)
      .sort((a, b) => a.name.localeCompare(b.name) || JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)));
  }
}

/** Sums EMF lines per metric and dimension set (the `service` dimension left out), sorted by name then dimensions. */
export function sumEmfLines(lines: Iterable<string>): MetricTotal[] {
  const totals = new MetricTotals();
  for (const line of lines) totals.add(line);
  return totals.totals();
}

/** Slack on top of a job's waiting budget: Submit's retries (8 waits of at most 2 min), Archive (up to 15 min), notices. */
export const DEADLINE_SLACK_SECONDS = 3600;

/**
 * Seconds after its creation by which a job should have reached a terminal status, from the workflow's budget: the
 * longest queue wait, the longest deadline of any model (the workflow ends a job TIMED_OUT by its deadline after
 * submission), and {@link DEADLINE_SLACK_SECONDS}. A job older than this and not terminal is stuck (the reconciler
 * counts them: JobsPastDeadline).
 */
export function jobDeadlineSeconds(budget: { longestDeadlineSeconds: number; maxQueueSeconds: number }): number {
  return budget.maxQueueSeconds + budget.longestDeadlineSeconds + DEADLINE_SLACK_SECONDS;
}
