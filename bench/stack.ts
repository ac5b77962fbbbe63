// The bench's local stack: the real one (emulators, synthesized workflow, simulator, handlers), in this process,
// in a fresh data folder, with every notice seen the moment the outbox takes it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import type { Settings } from '../local/settings.ts';

/** An API answer's JSON body (the bench reads `jobId` and reports the rest when something is refused). */
export type ApiBody = Record<string, unknown> & { jobId?: unknown };

export interface BenchStack extends LocalStack {
  /** When each job's notice was published (ms since the epoch), by job id. */
  notices: Map<string, number>;
  /** Resolves once every one of `jobIds` has a notice. */
  noticed(jobIds: readonly string[], timeoutMs: number): Promise<void>;
  post(path: string, body: unknown): Promise<{ status: number; body: ApiBody }>;
  get(path: string): Promise<{ status: number; body: ApiBody }>;
  close(): Promise<void>;
}

const SUBJECT = /^klingflow job (\S+) /;

/** Puts the environment back as it was: a stack writes its endpoints there, and the next one would reuse them. */
function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
}

export async function startBenchStack(settings: Partial<Settings> = {}): Promise<BenchStack> {
  const savedEnv = { ...process.env };
  const dataDir = mkdtempSync(join(tmpdir(), 'klingflow-bench-'));
  const stack = await startLocalStack({
    cacheDir: resolve('.vitest-tmp/cache'),
    log: () => undefined,
    settings: {
      KLINGFLOW_DATA_DIR: dataDir,
      KLINGFLOW_PORT: 0,
      KLINGFLOW_MAX_POLLS: 20,
      KLINGFLOW_SIMULATOR_LATENCY_MS: 0,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...settings,
    },
  });
  const notices = new Map<string, number>();
  let waiters: (() => void)[] = [];
  const append = stack.outbox.append.bind(stack.outbox);
  stack.outbox.append = (notice) => {
    const jobId = SUBJECT.exec(notice.subject ?? '')?.[1];
    if (jobId && !notices.has(jobId)) notices.set(jobId, Date.now());
    append(notice);
    for (const wake of waiters) wake();
    waiters = [];
  };
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as ApiBody };
  };
  return {
    ...stack,
    notices,
    async noticed(jobIds, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (jobIds.some((id) => !notices.has(id))) {
        if (Date.now() > deadline) {
          const missing = jobIds.filter((id) => !notices.has(id));
          throw new Error(`${missing.length} of ${jobIds.length} jobs have no notice after ${timeoutMs} ms (e.g. ${missing[0]})`);
        }
        await new Promise<void>((wake) => {
          waiters.push(wake);
          setTimeout(wake, 500).unref();
        });
      }
    },
    post: (path, body) => request('POST', path, body),
    get: (path) => request('GET', path),
    async close() {
      await stack.stop();
      restoreEnv(savedEnv);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates jobs, at most `concurrency` requests at a time; the job ids in order. */
export async function createJobs(stack: BenchStack, bodies: unknown[], concurrency: number): Promise<string[]> {
  const ids: string[] = new Array(bodies.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const response = await stack.post('/v1/jobs', bodies[i]);
      if (response.status !== 202) throw new Error(`create answered ${response.status}: ${JSON.stringify(response.body)}`);
      ids[i] = response.body.jobId as string;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
  return ids;
}

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Resident set size in MB after a full garbage collection (the bench runs with --expose-gc). */
export function settledRssMb(): number {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc) for (let i = 0; i < 3; i++) gc();
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

/**
 * Resident set size in MB after a memory-reducing garbage collection: what V8 does by itself once the process has
 * been quiet for a few seconds (its memory reducer), and on memory pressure. A plain full GC under load leaves the
 * pages V8 keeps for speed resident: free pages in its pool, a grown young generation, compiled code and caches. So
 * {@link settledRssMb} rises with the load and the time the process has been busy, while this one follows what the
 * stack really holds.
 */
export function reducedRssMb(): number {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}
