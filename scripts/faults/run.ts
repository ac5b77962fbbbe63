// The fault run behind `npm run test:faults` (scripts/faults.ts) and its short form in `npm test`
// (test/e2e/faults.test.ts): many jobs across every provider dialect through the real local stack, run as a child
// process so it can be killed with kill -9 and started again on the same data folder, while the built-in simulator
// injects 5xx answers, 429/1303 at the slot limit, slow and lost answers, dropped, duplicated and reordered callbacks,
// and uploads go through the S3 trigger. It counts what a paying user cares about: jobs lost, jobs stuck, provider
// tasks made twice, jobs told never or twice (a repeat across a kill is counted apart), webhook events not delivered
// exactly once. Loopback only.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jobIdForUpload } from '../../lambdas/domain/uploads.ts';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { loadWorkflow } from '../../local/workflow/definition.ts';
import { Journal } from '../../simulator/journal.ts';
import { fixtureBytes } from '../../simulator/media.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

/** The few fields of the API's answers (a job, or a create's answer) the run reads. */
interface ApiBody {
  jobId: string;
  status: string;
  finishedAt?: string;
  updatedAt: string;
  error?: { code: string };
  outputs?: { video: { bucket: string; key: string; sha256: string } };
}

/** What a run does. Times in milliseconds. */
export interface FaultRunOptions {
  /** `mixed`: every fault, every dialect; `slots`: a burst on a small Kling plan; `crash`: kill -9 with jobs in flight. */
  scenario: 'mixed' | 'slots' | 'crash';
  /** Jobs per provider dialect (mixed), or in all (slots: Kling only; crash: round the dialects). */
  jobs: number;
  /** Images uploaded to S3 (mixed), each one job through the upload trigger. */
  uploads: number;
  /** How long the simulator takes per video. */
  latencyMs: number;
  /** How many times the stack is killed with kill -9 and started again while jobs run. */
  kills: number;
  /** Kling's slots (KLINGFLOW_KLING_MAX_CONCURRENCY); the simulator's plan may be smaller (mixed: one less). */
  klingSlots: number;
  /** The whole run gives up after this long; jobs unfinished then count as stuck. */
  deadlineMs: number;
  /** A shared folder for the synthesized workflow (synthesizing takes seconds). */
  cacheDir?: string;
  log: (line: string) => void;
}

/** What a run found. */
export interface FaultReport {
  scenario: FaultRunOptions['scenario'];
  submitted: number;
  /** Creates that never got a 202 despite their retries. */
  notAccepted: number;
  byStatus: Record<string, number>;
  /** Error codes of the jobs that did not succeed. */
  failures: Record<string, number>;
  /** Accepted jobs that no longer exist. */
  lost: number;
  /** Jobs not finished when the run ended. */
  stuck: number;
  /** Jobs for which the provider (simulator) holds more than one task. */
  duplicateProviderTasks: number;
  /** Finished jobs with no notice at all. */
  withoutNotice: number;
  /**
   * Finished jobs told more than once with no kill -9 between the copies: a notice sent twice by a running stack.
   */
  noticeRepeated: number;
  /**
   * Finished jobs told again after a kill -9 that came between publishing the notice and recording it: a notice is
   * sent at least once, and SNS (standard topics, which e-mail needs) cannot take a repeat back. Printed, not failed.
   */
  noticeRepeatedAcrossKill: number;
  /** Finished jobs with a callbackUrl whose webhook event was not delivered (or came as more than one event). */
  withoutOneWebhook: number;
  /** Succeeded jobs whose archived video's SHA-256 (read back from S3) differs from the provider's bytes or the job's record. */
  archiveMismatches: number;
  kills: number;
  /** Create attempts the simulator refused (limits and directives), over the whole run. */
  refusals: number;
  /** The most tasks each dialect ran at once after the simulator's last start. */
  peakInFlight: Record<string, number>;
  /** From the first create to the last job's end, and the ideal for the slots scenario (⌈jobs/slots⌉ × latency). */
  makespanSeconds: number;
  idealSeconds?: number;
}

/** The faults each dialect's jobs take in turn (every directive below is one the dialect documents or the simulator's own). */
const FAULTS: Record<string, string[]> = {
  kling: [
    '',
    '[sim:1303]',
    '[sim:http503]',
    '[sim:no-callback]',
    '[sim:duplicate-callback]',
    '[sim:reorder-callbacks]',
    '[sim:lost-response]',
    '[sim:delay=1500]',
    '[sim:truncated-downloadx1]',
  ],
  'kling-v3-rest': [
    '',
    '[sim:RATE_LIMIT_EXCEEDED]',
    '[sim:http500x2]',
    '[sim:delay=1500]',
    '[sim:lost-response]',
    '[sim:download-errorx1]',
  ],
  'kling-ai': ['', '[sim:RATE_LIMIT_EXCEEDED]', '[sim:http500]', '[sim:delay=1500]', '[sim:lost-response]', '[sim:truncated-downloadx2]'],
  klinggenerator: ['', '[sim:429]', '[sim:http500]', '[sim:delay=1500]', '[sim:lost-response]', '[sim:download-errorx2]'],
  kling3api: ['', '[sim:RATE_LIMITED]', '[sim:http503]', '[sim:delay=1500]', '[sim:lost-response]'],
  fal: ['', '[sim:RATE_LIMITED]', '[sim:http503]', '[sim:delay=1500]', '[sim:lost-response]'],
  replicate: ['', '[sim:duplicate-callback]', '[sim:reorder-callbacks]', '[sim:http500]', '[sim:lost-response]', '[sim:delay=1500]'],
};

/**
 * Reads every succeeded job's archived video back from the local S3 and counts those whose SHA-256 differs from the
 * bytes the provider (the simulator's fixture) served, or from the SHA-256 recorded on the job.
 */
async function countArchiveMismatches(dataDir: string, jobs: ApiBody[]): Promise<number> {
  const { s3Endpoint } = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as { s3Endpoint: string };
  const s3 = localS3(s3Endpoint);
  const expected = sha256(fixtureBytes('video'));
  let mismatches = 0;
  for (const job of jobs) {
    const video = job.status === 'SUCCEEDED' ? job.outputs?.video : undefined;
    if (job.status === 'SUCCEEDED' && !video) mismatches += 1;
    if (!video) continue;
    const object = await s3.send(new GetObjectCommand({ Bucket: video.bucket, Key: video.key }));
    const body = await object.Body?.transformToByteArray();
    const actual = body ? sha256(Buffer.from(body)) : 'no body';
    if (actual !== expected || actual !== video.sha256) mismatches += 1;
  }
  s3.destroy();
  return mismatches;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** An S3 client for the local stack's S3 (s3rver's fixed credentials). */
const localS3 = (endpoint: string) =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const freePort = (): Promise<number> =>
  new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });

/** The local stack as a child process (`local/main.ts`), on a fixed port and data folder, so it can be killed and started again. */
class StackProcess {
  private child: ChildProcess | undefined;
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', 'local/main.ts'], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`the local stack did not start within 90 s: ${stderr}`)), 90_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('local stack ready at')) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`the local stack exited (${code}) before it was ready: ${stderr}`));
      });
    });
    child.removeAllListeners('exit');
  }

  /** kill -9: no shutdown, no flushing; what is not on disk is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    this.log(`  kill -9 (pid ${child.pid})`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  }
}

/** Receives webhooks on loopback: distinct events (webhook-id) and deliveries per path. */
async function startReceiver(): Promise<{ url: string; events: Map<string, Set<string>>; close(): Promise<void> }> {
  const events = new Map<string, Set<string>>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      const path = req.url ?? '/';
      const seen = events.get(path) ?? new Set<string>();
      seen.add(id);
      events.set(path, seen);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Lines of a JSON-lines file, skipping a line torn by a kill. */
function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line ? [JSON.parse(line) as T] : [];
      } catch {
        return [];
      }
    });
}

/** Runs one fault run and reports; throws only when the stack cannot be started at all. */
export async function runFaults(options: FaultRunOptions): Promise<FaultReport> {
  const { log } = options;
  const dataDir = mkdtempSync(join(tmpdir(), `klingflow-faults-${options.scenario}-`));
  // Synthesized once here (or taken from a shared cache), so the stack starts in seconds every time.
  await loadWorkflow(options.cacheDir ?? join(dataDir, 'cache'));
  if (options.cacheDir) {
    mkdirSync(join(dataDir, 'cache'), { recursive: true });
    copyFileSync(join(options.cacheDir, 'workflow.json'), join(dataDir, 'cache', 'workflow.json'));
  }
  const port = await freePort();
  const token = randomBytes(18).toString('base64url');
  const receiver = await startReceiver();
  const klingSlots = options.klingSlots;
  const simulatorLimits =
    options.scenario === 'slots'
      ? { kling: { maxConcurrent: klingSlots } }
      : {
          // One slot fewer at the provider than klingflow believes: some creates meet a real 1303 at the limit.
          kling: { maxConcurrent: Math.max(1, klingSlots - 1) },
          replicate: { createsPerMinute: 4, windowSeconds: 5 },
        };
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KLINGFLOW_'))),
    KLINGFLOW_DATA_DIR: dataDir,
    KLINGFLOW_PORT: String(port),
    KLINGFLOW_API_TOKEN: token,
    KLINGFLOW_MAX_POLLS: '200',
    KLINGFLOW_SIMULATOR_LATENCY_MS: String(options.latencyMs),
    KLINGFLOW_SIMULATOR_LIMITS: JSON.stringify(simulatorLimits),
    KLINGFLOW_KLING_MAX_CONCURRENCY: String(klingSlots),
    KLINGFLOW_SLOT_WAIT_SECONDS: '20',
    KLINGFLOW_PROVIDER_TIMEOUT_MS: '4000',
    KLINGFLOW_RECONCILE_SECONDS: '15',
    KLINGFLOW_RECONCILE_GRACE_SECONDS: '20',
    // S3 delivers at least once: every upload's event comes twice, and must make one job.
    KLINGFLOW_S3_EVENT_DELIVERIES: '2',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  const stack = new StackProcess(env, log);
  await stack.start();
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  /** An API call that rides out a restart (connection refused while the stack is down). */
  const api = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: { ...headers, ...extra },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        return { status: response.status, body: text ? (JSON.parse(text) as ApiBody) : undefined };
      } catch (error) {
        if (attempt >= 60) throw error;
        await sleep(500);
      }
    }
  };

  // --- the jobs -------------------------------------------------------------------------------------------------
  type Planned = { tag: string; provider: string; prompt: string; callback: boolean };
  const planned: Planned[] = [];
  // slots: `jobs` Kling jobs; crash: `jobs` in all, round the dialects; mixed: `jobs` per dialect, each with its faults.
  const providers = options.scenario === 'slots' ? ['kling'] : [...PROVIDER_IDS];
  const total = options.scenario === 'mixed' ? options.jobs * providers.length : options.jobs;
  for (let n = 0; n < total; n += 1) {
    const provider = providers[n % providers.length] ?? 'kling';
    const i = Math.floor(n / providers.length);
    const tag = `#k${n}`;
    const faults = options.scenario === 'mixed' ? (FAULTS[provider]?.[i % (FAULTS[provider]?.length ?? 1)] ?? '') : '';
    planned.push({ tag, provider, prompt: `a paper boat on a river ${tag} ${faults}`.trim(), callback: n % 3 === 0 });
  }
  const started = Date.now();
  const accepted = new Map<string, Planned>();
  let notAccepted = 0;
  const runId = randomBytes(4).toString('hex');
  await Promise.all(
    planned.map(async (job) => {
      const body = {
        provider: job.provider,
        prompt: job.prompt,
        ...(job.callback ? { callbackUrl: `${receiver.url}/hook/${job.tag.slice(1)}` } : {}),
      };
      // The same Idempotency-Key on every try: a create the stack answered just before dying is not made twice.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const created = await api('POST', '/v1/jobs', body, { 'idempotency-key': `faults-${runId}-${job.tag}` });
        if (created.status === 202 && created.body) {
          accepted.set(created.body.jobId, job);
          return;
        }
        await sleep(1000);
      }
      notAccepted += 1;
    }),
  );

  // Uploads: each one a new object version, so a new job (the trigger's job id names the version, as on AWS). An S3
  // event delivered twice is test/e2e/uploads.test.ts's; here the upload's job lives through the kill like the rest.
  if (options.scenario === 'mixed' && options.uploads > 0) {
    const stackInfo = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as { s3Endpoint: string; inputsBucket: string };
    const s3 = localS3(stackInfo.s3Endpoint);
    const image = readFileSync(join(ROOT, 'test/fixtures/cat-640x360.png'));
    for (let i = 0; i < options.uploads; i += 1) {
      const tag = `#u${i}`;
      const key = `uploads/faults-${runId}-${i}.png`;
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: stackInfo.inputsBucket,
          Key: key,
          Body: image,
          ContentType: 'image/png',
          Metadata: { prompt: `the cat looks up ${tag}` },
        }),
      );
      accepted.set(jobIdForUpload({ bucket: stackInfo.inputsBucket, key, eTag: put.ETag ?? '', versionId: put.VersionId }), {
        tag,
        provider: 'kling',
        prompt: `the cat looks up ${tag}`,
        callback: false,
      });
    }
    s3.destroy();
  }
  log(`  ${accepted.size} jobs accepted in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // --- kill -9 and restart while jobs run ------------------------------------------------------------------------
  let kills = 0;
  const killedAt: number[] = [];
  for (let k = 0; k < options.kills; k += 1) {
    await sleep(options.scenario === 'crash' ? Math.max(1500, options.latencyMs / 2) : 2000 + options.latencyMs / 2);
    if (accepted.size <= 100) {
      const statuses: Record<string, number> = {};
      for (const jobId of accepted.keys()) {
        const status = (await api('GET', `/v1/jobs/${jobId}`)).body?.status ?? 'MISSING';
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      log(`  at the kill: ${JSON.stringify(statuses)}`);
    }
    await stack.kill9();
    killedAt.push(Date.now());
    kills += 1;
    await sleep(300);
    await stack.start();
    log('  started again');
  }

  // --- wait for every job, gently: the notices say which ones to look at --------------------------------------
  const finished = new Map<string, ApiBody>();
  const outboxFile = join(dataDir, 'outbox', 'notices.jsonl');
  const deadline = started + options.deadlineMs;
  while (finished.size < accepted.size && Date.now() < deadline) {
    await sleep(2000);
    const notified = new Set(jsonLines<{ subject?: string }>(outboxFile).map((n) => n.subject?.split(' ')[2] ?? ''));
    const candidates = [...accepted.keys()].filter((id) => !finished.has(id) && notified.has(id));
    for (const jobId of candidates) {
      const { body } = await api('GET', `/v1/jobs/${jobId}`);
      if (body && TERMINAL.includes(body.status)) finished.set(jobId, body);
    }
  }
  // Everything else, once more, directly.
  const lostJobs: string[] = [];
  for (const jobId of accepted.keys()) {
    if (finished.has(jobId)) continue;
    const { status, body } = await api('GET', `/v1/jobs/${jobId}`);
    if (status === 404) lostJobs.push(jobId);
    else if (body && TERMINAL.includes(body.status)) finished.set(jobId, body);
  }
  await sleep(3000); // a duplicate notice or webhook would come now

  // --- count ---------------------------------------------------------------------------------------------------
  const simulatorPort = Number(readFileSync(join(dataDir, 'simulator', 'port'), 'utf8'));
  const sim = `http://127.0.0.1:${simulatorPort}`;
  const rejections = (await (await fetch(`${sim}/_sim/rejections`)).json()) as unknown[];
  const peakInFlight = (await (await fetch(`${sim}/_sim/peak-in-flight`)).json()) as Record<string, number>;
  const archiveMismatches = await countArchiveMismatches(dataDir, [...finished.values()]);
  await stack.stop();
  await receiver.close();

  const tasks = new Journal(join(dataDir, 'simulator', 'tasks.jsonl')).read().tasks.map(({ task }) => task);
  const tasksOf = (tag: string) => tasks.filter((task) => (task.prompt ?? '').split(' ').includes(tag));
  const notices = jsonLines<{ subject?: string; publishedAt?: string }>(outboxFile).map((n) => ({
    jobId: n.subject?.split(' ')[2] ?? '',
    at: Date.parse(n.publishedAt ?? ''),
  }));
  const byStatus: Record<string, number> = {};
  const failures: Record<string, number> = {};
  let withoutNotice = 0;
  let noticeRepeated = 0;
  let noticeRepeatedAcrossKill = 0;
  let withoutOneWebhook = 0;
  let duplicateProviderTasks = 0;
  for (const [jobId, job] of accepted) {
    if (tasksOf(job.tag).length > 1) duplicateProviderTasks += 1;
    const record = finished.get(jobId);
    if (!record) continue;
    byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
    if (record.status !== 'SUCCEEDED') failures[record.error?.code ?? 'NONE'] = (failures[record.error?.code ?? 'NONE'] ?? 0) + 1;
    const told = notices
      .filter((notice) => notice.jobId === jobId)
      .map((notice) => notice.at)
      .sort((a, b) => a - b);
    if (told.length === 0) withoutNotice += 1;
    const repeats = told.slice(1).map((at, i) => killedAt.some((kill) => kill > (told[i] ?? 0) && kill < at));
    if (repeats.includes(false)) noticeRepeated += 1;
    else if (repeats.length) noticeRepeatedAcrossKill += 1;
    if (job.callback && receiver.events.get(`/hook/${job.tag.slice(1)}`)?.size !== 1) withoutOneWebhook += 1;
  }
  const lastEnd = Math.max(...[...finished.values()].map((job) => Date.parse(job.finishedAt ?? job.updatedAt)));
  return {
    scenario: options.scenario,
    submitted: planned.length + options.uploads * (options.scenario === 'mixed' ? 1 : 0),
    notAccepted,
    byStatus,
    failures,
    lost: lostJobs.length,
    stuck: accepted.size - finished.size - lostJobs.length,
    duplicateProviderTasks,
    withoutNotice,
    noticeRepeated,
    noticeRepeatedAcrossKill,
    withoutOneWebhook,
    archiveMismatches,
    kills,
    refusals: rejections.length,
    peakInFlight,
    makespanSeconds: Number.isFinite(lastEnd) ? (lastEnd - started) / 1000 : Number.NaN,
    ...(options.scenario === 'slots' ? { idealSeconds: (Math.ceil(options.jobs / klingSlots) * options.latencyMs) / 1000 } : {}),
  };
}

/** The report as the lines `npm run test:faults` prints. */
export function formatReport(report: FaultReport): string[] {
  const statuses = Object.entries(report.byStatus)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  const failures = Object.entries(report.failures)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  return [
    `scenario ${report.scenario}: ${report.submitted} jobs submitted (${report.notAccepted} not accepted), ${report.kills} kill -9 and restart`,
    `  terminal by status:             ${statuses || 'none'}`,
    ...(failures ? [`  reasons of the others:          ${failures}`] : []),
    `  lost:                           ${report.lost}`,
    `  stuck:                          ${report.stuck}`,
    `  duplicate provider tasks:       ${report.duplicateProviderTasks}`,
    `  jobs without a notice:          ${report.withoutNotice}`,
    `  notices sent twice:             ${report.noticeRepeated}`,
    `  notices sent again after a kill between publishing and recording: ${report.noticeRepeatedAcrossKill}`,
    `  webhooks not exactly one event: ${report.withoutOneWebhook}`,
    `  archives unlike the provider's: ${report.archiveMismatches}`,
    `  refusals seen by the provider:  ${report.refusals}`,
    `  most tasks in flight at once:   ${JSON.stringify(report.peakInFlight)} (since its last start)`,
    `  makespan:                       ${report.makespanSeconds.toFixed(1)} s${
      report.idealSeconds
        ? ` (ideal ${report.idealSeconds.toFixed(1)} s, ratio ${(report.makespanSeconds / report.idealSeconds).toFixed(3)})`
        : ''
    }`,
  ];
}
