// What the CLI prints about jobs, for people (aligned lines, a table) — `--json` prints the API's JSON instead.
import type { Catalog, JobView, MetricTotalView } from './api-client.ts';
import { counted } from '../lambdas/domain/counted.ts';

/** Statuses after which a job never changes. */
export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/**
 * Text that others wrote (a prompt, a provider's failure reason) as one line that cannot steer the terminal: white
 * space (line breaks too) as one space, and control characters (C0, DEL, C1: an ESC that starts a colour or cursor
 * sequence) and the bidirectional embedding, override and isolate controls (which reorder what is shown) as U+FFFD.
 * An admin's `jobs` lists other callers' prompts.
 */
export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, '\ufffd');

/** `2026-11-30 21:30:35 UTC` of an ISO 8601 time (the API's are UTC). */
const utcTime = (iso: string): string => `${iso.replace('T', ' ').slice(0, 19)} UTC`;

/**
 * One job, a line per fact: job, status, provider/model, what was asked (mode, seconds, aspect ratio, quality; the
 * prompt on one line, whole), when (created, finished and how long it took in seconds), submissions when more than
 * one, video, thumbnail where the provider gave one, cost, reason.
 */
export function describeJob(job: JobView): string[] {
  const lines = [`job      ${job.jobId}`, `status   ${job.status}`, `provider ${job.provider} / ${job.model}`];
  const { request } = job;
  lines.push(`asked    ${[job.mode, `${request.durationSeconds} s`, request.aspectRatio, request.quality].join(', ')}`);
  if (request.prompt) lines.push(`prompt   ${oneLine(request.prompt)}`);
  const took = job.finishedAt ? Math.round((Date.parse(job.finishedAt) - Date.parse(job.createdAt)) / 1000) : undefined;
  lines.push(
    `created  ${utcTime(job.createdAt)}${job.finishedAt ? `; finished ${utcTime(job.finishedAt)}, after ${counted(took ?? 0, 'second')}` : ''}`,
  );
  if (job.attempts > 1) lines.push(`attempts ${job.attempts} submissions`);
  if (job.outputs) {
    const v = job.outputs.video;
    lines.push(`video    s3://${v.bucket}/${v.key} (${v.bytes} bytes, sha256 ${v.sha256})`);
    const t = job.outputs.thumbnail;
    if (t) lines.push(`thumb    s3://${t.bucket}/${t.key} (${t.bytes} bytes; klingflow download ${job.jobId} --thumbnail)`);
  }
  const cost = costOf(job);
  if (cost) lines.push(`cost     ${cost}`);
  if (job.error) lines.push(`reason   ${oneLine(job.error.message)} (${oneLine(job.error.code)})`);
  return lines;
}

/** `12 credits / $1.40 (estimated)` (`1 credit`), or '' when the job has no cost. */
export function costOf(job: JobView): string {
  if (!job.cost || (job.cost.credits === undefined && job.cost.usd === undefined)) return '';
  const { credits, usd } = job.cost;
  const parts = [credits !== undefined ? counted(credits, 'credit') : '', usd !== undefined ? `$${usd}` : ''];
  return `${parts.filter(Boolean).join(' / ')}${job.cost.estimated ? ' (estimated)' : ''}`;
}

/**
 * What makes jobs take alike long, as the key of `watch`'s typical times: the provider and model, and the request's
 * duration, resolution, quality and audio (a 10 s 4K clip takes several times a 5 s 720p one). Example:
 * `kling/kling-v3 5s 720p std`.
 */
export function typicalKeyOf(job: Pick<JobView, 'provider' | 'model' | 'request'>): string {
  const { durationSeconds, resolution, quality, audio } = (job.request ?? {}) as Partial<Record<string, unknown>>;
  const shape = [durationSeconds !== undefined ? `${durationSeconds}s` : '', resolution ?? '', quality ?? '', audio ? 'audio' : '']
    .filter(Boolean)
    .join(' ');
  return `${job.provider}/${job.model}${shape ? ` ${shape}` : ''}`;
}

/** Past this many times the typical time, a job is said to take longer than usual (not "any moment now"). */
const LONGER_THAN_USUAL_FACTOR = 1.5;

/**
 * A job's progress on one line: `job_…  PROCESSING 40%  12 s  ~18 s left  retries 1  queue #3`. The estimate of
 * the time left comes from the progress the provider reports where there is one, else from `typicalSeconds` (how
 * long recent jobs of the same shape took, {@link typicalKeyOf}): `any moment now` once that has passed, `longer
 * than usual (typically N s)` past 1.5 times it. It is left out for a finished job or when neither is known.
 * `retries`: submissions beyond the first (`attempts` − 1). While the job waits for a provider slot (admission
 * control) its place in the queue is shown, 1 being next; the time waited is the elapsed time so far.
 */
export function progressLine(job: JobView, now = Date.now(), typicalSeconds?: number): string {
  const pct = job.progress !== undefined ? ` ${Math.round(job.progress)}%` : '';
  const since = job.createdAt ? Date.parse(job.createdAt) : Number.NaN;
  const until = job.finishedAt ? Date.parse(job.finishedAt) : now;
  const seconds = Number.isFinite(since) ? Math.max(0, Math.round((until - since) / 1000)) : undefined;
  const parts = [`${job.jobId}  ${job.status}${pct}`];
  if (seconds !== undefined) parts.push(`${seconds} s`);
  if (!TERMINAL.has(job.status) && seconds !== undefined) {
    const fromProgress = job.progress && job.progress > 0 && job.progress < 100 ? (seconds * 100) / job.progress - seconds : undefined;
    const fromTypical = typicalSeconds !== undefined ? typicalSeconds - seconds : undefined;
    const left = fromProgress ?? fromTypical;
    if (left !== undefined && left > 0) parts.push(`~${Math.round(left)} s left`);
    else if (left !== undefined && typicalSeconds !== undefined && seconds > typicalSeconds * LONGER_THAN_USUAL_FACTOR) {
      parts.push(`longer than usual (typically ${Math.round(typicalSeconds)} s)`);
    } else if (left !== undefined) parts.push('any moment now');
  }
  if (job.attempts > 1) parts.push(`retries ${job.attempts - 1}`);
  if (job.queuePosition !== undefined) parts.push(`waiting for a slot: queue #${job.queuePosition}`);
  return parts.join('  ');
}

/**
 * Rows as an aligned table (the first row is the header), columns two spaces apart. A row of one cell is a heading
 * line: printed as it is, and not counted in the widths.
 */
function table(rows: string[][]): string[] {
  const cells = rows.filter((row) => row.length > 1);
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

type CatalogProvider = Catalog['providers'][number];
type PriceRow = CatalogProvider['models'][number]['prices'][number];

/**
 * One price line: quality, resolution, audio, and the modes it is for when not all of the model's (`modelModes`), so
 * two lines of the same quality read apart (`std (shots): 20 cr per s` beside `std: 36 cr per s`).
 */
const priceOf = (row: PriceRow, modelModes: readonly string[]): string => {
  const money = (m: { credits?: number; usd?: number }) =>
    [m.credits !== undefined ? `${m.credits} cr` : '', m.usd !== undefined ? `$${m.usd}` : ''].filter(Boolean).join(' / ');
  const allModes = modelModes.every((mode) => (row.modes as readonly string[]).includes(mode));
  const modes = allModes ? '' : `(${row.modes.map((mode) => MODE_SHORT[mode] ?? mode).join(',')})`;
  const what = [row.quality, row.resolution, row.audio ? 'audio' : '', modes].filter(Boolean).join(' ');
  if (row.perSecond) return `${what}: ${money(row.perSecond)} per s`;
  // Consecutive lengths of the same price as one range: `3–15 s 360 cr`, not thirteen entries.
  const runs: { from: number; to: number; price: string }[] = [];
  for (const d of row.byDuration ?? []) {
    const last = runs.at(-1);
    const price = money(d);
    if (last && last.price === price && d.durationSeconds === last.to + 1) last.to = d.durationSeconds;
    else runs.push({ from: d.durationSeconds, to: d.durationSeconds, price });
  }
  return `${what}: ${runs.map((r) => `${r.from === r.to ? r.from : `${r.from}–${r.to}`} s ${r.price}`).join(', ')}`;
};

const ranges = (values: readonly number[]): string => {
  if (values.length > 3 && values.every((v, i) => i === 0 || v === (values[i - 1] ?? 0) + 1)) return `${values[0]}–${values.at(-1)}`;
  return values.join(',');
};

/** How `klingflow providers` abbreviates a mode (the legend under the table spells them out). */
const MODE_SHORT: Record<string, string> = {
  'text-to-video': 't2v',
  'image-to-video': 'i2v',
  'reference-to-video': 'ref',
  'video-edit': 'edit',
  'multi-shot': 'shots',
};

/** The widest the FEATURES column gets, in characters: longer lists go on on the next lines. */
const FEATURES_WIDTH = 24;

/**
 * `words` joined with commas into lines of at most `width` characters, each line but the last ending in its comma (a
 * longer word has a line of its own); `['–']` for none.
 */
function commaLines(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  words.forEach((word, i) => {
    const last = lines.at(-1);
    // The line, this word and the comma after it unless it is the last word.
    if (last !== undefined && last.length + word.length + (i < words.length - 1 ? 1 : 0) <= width)
      lines[lines.length - 1] = `${last}${word},`;
    else lines.push(`${word},`);
  });
  return lines.length ? [...lines.slice(0, -1), (lines.at(-1) ?? '').slice(0, -1)] : ['–'];
}

/**
 * What each provider and model allows and costs, to fit about 120 columns: a heading line per provider (the
 * stack's default provider marked there, once), then a row per model: modes (abbreviated), durations (seconds, the
 * default marked with *), qualities, resolutions and the optional features it takes (wrapped), and under it its
 * prices, one a line (per second or per length; none where the provider publishes no table). The default model is
 * marked `*`; a legend ends the table.
 */
export function providersTable(providers: readonly CatalogProvider[]): string[] {
  const rows = [['MODEL', 'MODES', 'SECONDS', 'QUALITY', 'RESOLUTION', 'FEATURES']];
  for (const provider of providers) {
    rows.push([`${provider.id}${provider.isDefault ? ' (the default provider)' : ''}`]);
    for (const model of provider.models) {
      const features = Object.entries(model.features)
        .filter(([, on]) => on)
        .map(([name]) => name);
      const [firstFeatures = '–', ...moreFeatures] = commaLines(features, FEATURES_WIDTH);
      rows.push([
        `  ${model.id}${model.id === provider.defaultModel ? ' *' : ''}`,
        model.modes.map((mode) => MODE_SHORT[mode] ?? mode).join(','),
        `${ranges(model.durationsSeconds)} (${model.defaultDurationSeconds}*)`,
        model.qualities.join(','),
        model.resolutions?.join(',') ?? '–',
        firstFeatures,
      ]);
      for (const more of moreFeatures) rows.push(['', '', '', '', '', more]);
      model.prices.forEach((price, i) => {
        rows.push([`    ${i === 0 ? 'price' : '     '}  ${priceOf(price, model.modes)}`]);
      });
    }
  }
  return [
    ...table(rows),
    '',
    "* the provider's default model; (5*) its default length. Modes: t2v text-to-video, i2v image-to-video,",
    'ref reference-to-video, edit video-edit, shots multi-shot. No price line: the provider publishes no table.',
  ];
}

/** Spend of one provider on one day (UTC), or a provider's total (`day` absent). */
export interface SpendRow {
  day?: string;
  provider: string;
  jobs: number;
  credits: number;
  usd: number;
  /** Whether any job in the row counts an estimate (no reported cost). */
  estimated: boolean;
}

/**
 * The cost recorded on `jobs` summed by provider and day of creation (UTC), newest day first, and per provider.
 * Jobs without a cost count as jobs with nothing to add (their provider publishes no price).
 */
export function spendByProviderAndDay(jobs: readonly JobView[]): { rows: SpendRow[]; totals: SpendRow[] } {
  const add = (map: Map<string, SpendRow>, key: string, seed: Omit<SpendRow, 'jobs' | 'credits' | 'usd' | 'estimated'>, job: JobView) => {
    const row = map.get(key) ?? { ...seed, jobs: 0, credits: 0, usd: 0, estimated: false };
    row.jobs += 1;
    row.credits = Math.round((row.credits + (job.cost?.credits ?? 0)) * 1e6) / 1e6;
    row.usd = Math.round((row.usd + (job.cost?.usd ?? 0)) * 1e6) / 1e6;
    row.estimated ||= job.cost?.estimated ?? false;
    map.set(key, row);
  };
  const byDay = new Map<string, SpendRow>();
  const byProvider = new Map<string, SpendRow>();
  for (const job of jobs) {
    const day = job.createdAt.slice(0, 10);
    add(byDay, `${day}\n${job.provider}`, { day, provider: job.provider }, job);
    add(byProvider, job.provider, { provider: job.provider }, job);
  }
  const rows = [...byDay.values()].sort((a, b) => (b.day ?? '').localeCompare(a.day ?? '') || a.provider.localeCompare(b.provider));
  const totals = [...byProvider.values()].sort((a, b) => a.provider.localeCompare(b.provider));
  return { rows, totals };
}

/**
 * The spend as a table: a row per day and provider, then the totals per provider. The ESTIMATED column (`yes` where a
 * job of the row counts an estimate, else `no`) is there only when some row has an estimate.
 */
export function costTable(spend: { rows: SpendRow[]; totals: SpendRow[] }): string[] {
  if (!spend.rows.length) return ['no SUCCEEDED jobs in that time'];
  const anyEstimate = spend.rows.some((row) => row.estimated);
  const cells = (row: SpendRow) => [
    row.day ?? 'total',
    row.provider,
    String(row.jobs),
    row.credits ? String(row.credits) : '–',
    row.usd ? `$${row.usd}` : '–',
    ...(anyEstimate ? [row.estimated ? 'yes' : 'no'] : []),
  ];
  const header = ['DAY', 'PROVIDER', 'JOBS', 'CREDITS', 'USD', ...(anyEstimate ? ['ESTIMATED'] : [])];
  return table([header, ...spend.rows.map(cells), ...spend.totals.map(cells)]);
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
    oneLine(job.request?.prompt ?? (job.mode ? `(${job.mode})` : '')).slice(0, 40),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Metric sums as an aligned table: metric, dimensions, count, sum, and for times the mean and max in seconds. A sum
 * whose every data point was 0 (min and max 0: the JobsPastDeadline gauge, one point per provider and reconciler run,
 * while no job is late) says nothing and is left out, with a last line counting what was left out (`--json` keeps it).
 */
export function metricsTable(all: MetricTotalView[]): string[] {
  const metrics = all.filter((m) => m.min !== 0 || m.max !== 0);
  const zeros = all.length - metrics.length;
  const footnote = zeros
    ? [`(${counted(zeros, 'sum')} of only 0s left out, e.g. JobsPastDeadline while no job is late; --json lists them)`]
    : [];
  if (!metrics.length) return [`no data point above 0 yet ${footnote[0] ?? ''}`.trimEnd()];
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
  return [...table([header, ...rows]), ...footnote];
}
