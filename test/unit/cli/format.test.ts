// What the CLI prints for people: the watch line (elapsed, estimate, retries, queue), the provider table and the
// spend by provider and day.
import { describe, expect, it } from 'vitest';
import type { Catalog, JobView, MetricTotalView } from '../../../cli/api-client.ts';
import {
  costOf,
  costTable,
  describeJob,
  metricsTable,
  progressLine,
  providersTable,
  spendByProviderAndDay,
  typicalKeyOf,
} from '../../../cli/format.ts';
import { providerCatalog } from '../../../lambdas/domain/catalog.ts';
import { loadAdapters } from '../../../lambdas/providers/registry.ts';

const getAdapter = await loadAdapters();
type CatalogModel = Catalog['providers'][number]['models'][number];

const T0 = Date.parse('2026-11-30T10:00:00Z');
const job = (over: Partial<JobView> & Record<string, unknown> = {}): JobView =>
  ({
    jobId: 'job_1',
    status: 'PROCESSING',
    provider: 'kling',
    model: 'kling-v3',
    mode: 'text-to-video',
    request: { provider: 'kling', model: 'kling-v3', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
    attempts: 1,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    ...over,
  }) as JobView;

describe('progressLine (klingflow watch)', () => {
  it('shows elapsed time and estimates what is left from the progress the provider reports', () => {
    expect(progressLine(job({ progress: 25 }), T0 + 10_000)).toBe('job_1  PROCESSING 25%  10 s  ~30 s left');
  });

  it("falls back to the typical time of the job's shape, and says so when that has passed, then when it is long past", () => {
    expect(progressLine(job(), T0 + 10_000, 45)).toBe('job_1  PROCESSING  10 s  ~35 s left');
    expect(progressLine(job(), T0 + 60_000, 45)).toBe('job_1  PROCESSING  60 s  any moment now');
    expect(progressLine(job(), T0 + 67_000, 45)).toBe('job_1  PROCESSING  67 s  any moment now');
    expect(progressLine(job(), T0 + 68_000, 45)).toBe('job_1  PROCESSING  68 s  longer than usual (typically 45 s)');
    expect(progressLine(job(), T0 + 10_000)).toBe('job_1  PROCESSING  10 s');
  });

  it('keys typical times by what makes jobs take alike long: provider, model, duration, resolution, quality, audio', () => {
    expect(typicalKeyOf(job())).toBe('kling/kling-v3 5s std');
    const long4k = job({ request: { durationSeconds: 10, resolution: '4k', audio: true } as JobView['request'] });
    expect(typicalKeyOf(long4k)).toBe('kling/kling-v3 10s 4k audio');
    expect(typicalKeyOf(job({ request: {} as JobView['request'] }))).toBe('kling/kling-v3');
  });

  it('shows retries and the queue position while the job waits for a slot; no estimate once finished', () => {
    const waiting = job({ status: 'QUEUED', attempts: 3, queuePosition: 2 });
    expect(progressLine(waiting, T0 + 10_000)).toBe('job_1  QUEUED  10 s  retries 2  waiting for a slot: queue #2');
    const done = job({ status: 'SUCCEEDED', finishedAt: new Date(T0 + 42_000).toISOString() });
    expect(progressLine(done, T0 + 99_000, 30)).toBe('job_1  SUCCEEDED  42 s');
  });
});

describe('providersTable (klingflow providers)', () => {
  const catalog: Catalog = providerCatalog(
    ['kling', 'kling-v3-rest'].map((id) => ({
      id,
      capabilities: getAdapter(id).capabilities,
      ...(getAdapter(id).estimateCost ? { estimateCost: (r: any, m: any) => getAdapter(id).estimateCost?.(r, m) } : {}),
    })),
    'kling',
  );

  it('has a heading per provider (the default marked once), a row per model, and its prices under it, within 120 columns', () => {
    const lines = providersTable(catalog.providers);
    expect(lines[0]).toMatch(/^MODEL\s+MODES\s+SECONDS\s+QUALITY\s+RESOLUTION\s+FEATURES$/);
    expect(lines.filter((l) => l.includes('default provider'))).toEqual(['kling (the default provider)']);
    expect(lines).toContain('kling-v3-rest');
    expect(lines.find((l) => /^ {2}kling-v3 \*/.test(l))).toMatch(
      /^ {2}kling-v3 \*\s+t2v,i2v,shots\s+3–15 \(5\*\)\s+std,pro\s+–\s+audio,endImage,$/,
    );
    // Features go on on the next line; kling-v3-rest prices by length (its table is per job, not per second).
    const rest = lines.indexOf('kling-v3-rest');
    expect(lines.slice(rest).some((l) => /^\s+negativePrompt$/.test(l))).toBe(true);
    expect(lines.slice(rest)).toContain('    price  std 720p: 2 cr / $0.02 per s');
    expect(lines.slice(rest)).toContain('           std 720p audio: 5 s 13 cr / $0.13, 10 s 23 cr / $0.23');
    // kling publishes no table: no price line in its block.
    expect(lines.slice(0, rest).some((l) => l.includes('price'))).toBe(false);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(lines.at(-1)).toMatch(/shots multi-shot/);
  });

  it('says a run of lengths of one price as a range', () => {
    const model = { ...(catalog.providers[1]?.models[0] as CatalogModel) };
    const byDuration = [3, 4, 5, 10].map((durationSeconds) => ({ durationSeconds, credits: durationSeconds === 10 ? 500 : 360 }));
    const provider = {
      ...(catalog.providers[1] as Catalog['providers'][number]),
      models: [{ ...model, prices: [{ modes: model.modes, quality: 'std', byDuration }] }],
    };
    expect(providersTable([provider] as Catalog['providers'])).toContain('    price  std: 3–5 s 360 cr, 10 s 500 cr');
  });

  it('names the modes of a price that is not for all of the model’s, so two lines of one quality read apart', () => {
    const model = { ...(catalog.providers[1]?.models[0] as CatalogModel), modes: ['text-to-video', 'image-to-video', 'multi-shot'] };
    const provider = {
      ...(catalog.providers[1] as Catalog['providers'][number]),
      models: [
        {
          ...model,
          prices: [
            { modes: ['text-to-video', 'image-to-video'], quality: 'std', audio: false, perSecond: { credits: 36 } },
            { modes: ['multi-shot'], quality: 'std', audio: false, perSecond: { credits: 20 } },
          ],
        },
      ],
    };
    const lines = providersTable([provider] as Catalog['providers']);
    expect(lines).toContain('    price  std (t2v,i2v): 36 cr per s');
    expect(lines).toContain('           std (shots): 20 cr per s');
  });
});

describe('spendByProviderAndDay (klingflow cost)', () => {
  it('sums credits and dollars by provider and day, newest day first, with totals per provider', () => {
    const jobs = [
      job({ provider: 'kling-ai', createdAt: '2026-11-29T23:00:00Z', cost: { credits: 30, usd: 0.12, estimated: true } }),
      job({ provider: 'kling-ai', createdAt: '2026-11-30T01:00:00Z', cost: { credits: 40, usd: 0.16, estimated: false } }),
      job({ provider: 'kling-ai', createdAt: '2026-11-30T02:00:00Z', cost: { credits: 40, usd: 0.16, estimated: false } }),
      job({ provider: 'kling', createdAt: '2026-11-30T03:00:00Z' }),
    ];
    const spend = spendByProviderAndDay(jobs);
    expect(spend.rows).toEqual([
      { day: '2026-11-30', provider: 'kling', jobs: 1, credits: 0, usd: 0, estimated: false },
      { day: '2026-11-30', provider: 'kling-ai', jobs: 2, credits: 80, usd: 0.32, estimated: false },
      { day: '2026-11-29', provider: 'kling-ai', jobs: 1, credits: 30, usd: 0.12, estimated: true },
    ]);
    expect(spend.totals).toEqual([
      { provider: 'kling', jobs: 1, credits: 0, usd: 0, estimated: false },
      { provider: 'kling-ai', jobs: 3, credits: 110, usd: 0.44, estimated: true },
    ]);
    const lines = costTable(spend);
    expect(lines).toContain('total       kling-ai  3     110      $0.44  yes');
    expect(lines).toContain('total       kling     1     –        –      no');
    expect(costTable({ rows: [], totals: [] })).toEqual(['no SUCCEEDED jobs in that time']);
  });

  it('has no ESTIMATED column when no job counts an estimate', () => {
    const lines = costTable(
      spendByProviderAndDay([job({ provider: 'kling-ai', createdAt: '2026-11-30T01:00:00Z', cost: { credits: 1, estimated: false } })]),
    );
    expect(lines[0]).toMatch(/^DAY\s+PROVIDER\s+JOBS\s+CREDITS\s+USD$/);
    expect(lines.every((line) => !/yes|no$/.test(line))).toBe(true);
  });
});

describe('costOf (klingflow show, jobs)', () => {
  it('says credit for one, credits for more', () => {
    expect(costOf(job({ cost: { credits: 1, estimated: false } }))).toBe('1 credit');
    expect(costOf(job({ cost: { credits: 2, usd: 0.5, estimated: true } }))).toBe('2 credits / $0.5 (estimated)');
    expect(costOf(job({ cost: { credits: 0, estimated: false } }))).toBe('0 credits');
  });
});

describe('metricsTable (klingflow metrics)', () => {
  const total = (name: string, provider: string, values: number[]): MetricTotalView => ({
    name,
    unit: 'Count',
    dimensions: { provider },
    count: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    min: Math.min(...values),
    max: Math.max(...values),
  });

  it('leaves out sums of only 0s (the JobsPastDeadline gauge while no job is late) and says how many', () => {
    const lines = metricsTable([
      total('JobsCreated', 'kling', [1, 1]),
      ...['kling', 'fal', 'all'].map((p) => total('JobsPastDeadline', p, [0, 0, 0])),
      total('JobsPastDeadline', 'replicate', [0, 2, 0]),
    ]);
    expect(lines.filter((l) => l.startsWith('JobsPastDeadline'))).toEqual([expect.stringMatching(/provider=replicate\s+3\s+2$/)]);
    expect(lines.at(-1)).toBe('(3 sums of only 0s left out, e.g. JobsPastDeadline while no job is late; --json lists them)');
    expect(metricsTable([total('JobsCreated', 'kling', [1])]).at(-1)).toMatch(/^JobsCreated/);
    expect(metricsTable([total('JobsPastDeadline', 'all', [0])])).toEqual([
      'no data point above 0 yet (1 sum of only 0s left out, e.g. JobsPastDeadline while no job is late; --json lists them)',
    ]);
  });
});

describe('describeJob (klingflow show, and the end of generate)', () => {
  it('says what was asked, the prompt on one line, and when it was created and finished', () => {
    const finished = job({
      status: 'SUCCEEDED',
      request: { ...job().request, prompt: 'a red fox\nrunning   through snow' },
      finishedAt: new Date(T0 + 95_000).toISOString(),
      cost: { credits: 1, estimated: false },
    });
    expect(describeJob(finished)).toEqual([
      'job      job_1',
      'status   SUCCEEDED',
      'provider kling / kling-v3',
      'asked    text-to-video, 5 s, 16:9, std',
      'prompt   a red fox running through snow',
      'created  2026-11-30 10:00:00 UTC; finished 2026-11-30 10:01:35 UTC, after 95 seconds',
      'cost     1 credit',
    ]);
  });

  it('a job with no prompt of its own (multi-shot), still running, submitted three times, has no prompt line', () => {
    const lines = describeJob(job({ mode: 'multi-shot', attempts: 3 }));
    expect(lines).toContain('asked    multi-shot, 5 s, 16:9, std');
    expect(lines).toContain('created  2026-11-30 10:00:00 UTC');
    expect(lines).toContain('attempts 3 submissions');
    expect(lines.some((line) => line.startsWith('prompt'))).toBe(false);
  });

  it('cannot be steered by a prompt or a reason: escape sequences and bidi controls are shown as U+FFFD, on one line', () => {
    const hostile = job({
      status: 'FAILED',
      request: { ...job().request, prompt: 'fox\nstatus   SUCCEEDED\rvideo \u001b[31mRED\u001b[0m \u202eesrever\u0085' },
      error: { code: 'PROVIDER_FAILED', message: 'bad \u001b]0;title\u0007 \u2066x\u2069', retryable: false },
    });
    const lines = describeJob(hostile);
    expect(lines).toContain('prompt   fox status SUCCEEDED video \ufffd[31mRED\ufffd[0m \ufffdesrever\ufffd');
    expect(lines).toContain('reason   bad \ufffd]0;title\ufffd \ufffdx\ufffd (PROVIDER_FAILED)');
    for (const line of lines) expect(line).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
  });

  it('names the thumbnail where the provider gave one, and how to download it', () => {
    const stored = (key: string, bytes: number) => ({ bucket: 'out', key, bytes, sha256: 'a'.repeat(64), contentType: 'x' });
    const lines = describeJob(job({ status: 'SUCCEEDED', outputs: { video: stored('v.mp4', 10), thumbnail: stored('t.jpg', 3) } }));
    expect(lines).toContain('thumb    s3://out/t.jpg (3 bytes; klingflow download job_1 --thumbnail)');
  });
});
