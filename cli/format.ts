// What the CLI prints about jobs, for people (aligned lines, a table) — `--json` prints the API's JSON instead.
import type { JobView, MetricTotalView } from './api-client.ts';

/** Statuses after which a job never changes. */
export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/** One job, a line per fact: job, status, provider/model, video, cost, reason. */
export function describeJob(job: JobView): string[] {
  const lines = [`job      ${job.jobId}`, `status   ${job.status}`, `provider ${job.provider} / ${job.model}`];
  if (job.outputs) {
    const v = job.outputs.video;
    lines.push(`video    s3://${v.bucket}/${v.key} (${v.bytes} bytes, sha256 ${v.sha256})`);
  }
  const cost = costOf(job);
  if (cost) lines.push(`cost     ${cost}`);
  if (job.error) lines.push(`reason   ${job.error.message} (${job.error.code})`);
  return lines;
}

/** `12 credits / $1.40 (estimated)`, or '' when the job has no cost. */
export function costOf(job: JobView): string {
  if (!job.cost || (job.cost.credits === undefined && job.cost.usd === undefined)) return '';
  const parts = [job.cost.credits !== undefined ? `${job.cost.credits} credits` : '', job.cost.usd !== undefined ? `$${job.cost.usd}` : ''];
  return `${parts.filter(Boolean).join(' / ')}${job.cost.estimated ? ' (estimated)' : ''}`;
}

/** `job_…  PROCESSING 40%  12 s`: a job's progress on one line. */
export function progressLine(job: JobView, now = Date.now()): string {
  const pct = job.progress !== undefined ? ` ${Math.round(job.progress)}%` : '';
  const since = job.createdAt ? Date.parse(job.createdAt) : Number.NaN;
  const until = job.finishedAt ? Date.parse(job.finishedAt) : now;
  const elapsed = Number.isFinite(since) ? `  ${Math.max(0, Math.round((until - since) / 1000))} s` : '';
  return `${job.jobId}  ${job.status}${pct}${elapsed}`;
}

/** Jobs as an aligned table: id, status, progress, provider/model, created, cost, prompt (cut to fit). */
export function jobsTable(jobs: JobView[]): string[] {
  const header = ['JOB', 'STATUS', '%', 'PROVIDER/MODEL', 'CREATED', 'COST', 'PROMPT'];
  const rows = jobs.map((job) => [
    job.jobId,
    job.status,
    job.progress !== undefined ? String(Math.round(job.progress)) : '',
    `${job.provider}/${job.model}`,
    job.createdAt ? job.createdAt.replace('T', ' ').slice(0, 19) : '',
    costOf(job),
    (job.request?.prompt ?? (job.mode ? `(${job.mode})` : '')).replace(/\s+/g, ' ').slice(0, 40),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** Metric sums as an aligned table: metric, dimensions, count, sum, and for times the mean and max in seconds. */
export function metricsTable(metrics: MetricTotalView[]): string[] {
  const header = ['METRIC', 'DIMENSIONS', 'COUNT', 'SUM', 'MEAN', 'MAX'];
  const round = (n: number) => String(Math.round(n * 1000) / 1000);
  const rows = metrics.map((m) => [
    m.name,
    Object.entries(m.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    String(m.count),
    round(m.sum),
    m.unit === 'Seconds' ? `${round(m.sum / m.count)} s` : '',
    m.unit === 'Seconds' ? `${round(m.max)} s` : '',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
