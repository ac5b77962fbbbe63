// Test helpers: a real local stack (emulators on loopback, the synthesized workflow, the simulator) in a
// fresh data folder, and an HTTP client that talks to it as a user would.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { LOCAL_NAMES, startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.ts';
import { expectDocumented } from './contract.ts';

/** One synthesis cache for every test file (synthesizing takes seconds; the hash keeps it honest). */
export const SHARED_CACHE = resolve('.vitest-tmp/cache');

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'klingflow-test-'));
}

export async function startTestStack(dataDir = freshDataDir(), settings: LocalStackOptions['settings'] = {}): Promise<LocalStack> {
  return startLocalStack({
    cacheDir: SHARED_CACHE,
    log: () => undefined,
    settings: {
      KLINGFLOW_DATA_DIR: dataDir,
      KLINGFLOW_PORT: 0,
      KLINGFLOW_MAX_POLLS: 20,
      KLINGFLOW_SIMULATOR_LATENCY_MS: 600,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...settings,
    },
  });
}

/**
 * A test stack for the calling file: started (with `settings`, as {@link startTestStack}) before its tests and stopped
 * after them. Answers the stack; throws when asked before it has started.
 */
export function useTestStack(settings: LocalStackOptions['settings'] = {}): () => LocalStack {
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await startTestStack(undefined, settings);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the test stack has not started');
    return stack;
  };
}

export class Client {
  constructor(private readonly stack: Pick<LocalStack, 'url' | 'token'>) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${this.stack.url}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        authorization: `Bearer ${this.stack.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    // Every answer must be one the stack's own OpenAPI document describes (test/e2e/contract.ts).
    await expectDocumented(this.stack.url, { method, path }, { status: response.status, headers: response.headers, text });
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  async createJob(body: unknown, headers: Record<string, string> = {}): Promise<string> {
    const response = await this.request('POST', '/v1/jobs', body, headers);
    if (response.status !== 202) throw new Error(`create answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body.jobId as string;
  }

  /** Polls the job until it reaches a terminal status. */
  async waitForJob(jobId: string, timeoutMs = 45_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.request('GET', `/v1/jobs/${jobId}`);
      if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${body.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Follows the video link as a browser would: 302 to a signed URL, then the bytes. */
  async downloadVideo(jobId: string): Promise<{ link: string; bytes: Buffer }> {
    const link = await this.request('GET', `/v1/jobs/${jobId}/video`);
    if (link.status !== 302) throw new Error(`video link answered ${link.status}: ${JSON.stringify(link.body)}`);
    const location = link.headers.get('location')!;
    const response = await fetch(location);
    if (!response.ok) throw new Error(`signed URL answered ${response.status}`);
    return { link: location, bytes: Buffer.from(await response.arrayBuffer()) };
  }
}

/** The execution of a job once it has ended (its last states run just after the job's final write). */
export async function finishedExecution(stack: LocalStack, jobId: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = stack.runtime.list().find((e) => e.name === jobId);
    if (execution && execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`execution ${jobId} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** States entered by a job's execution, in order, once it has ended. */
export async function statesEntered(stack: LocalStack, jobId: string): Promise<string[]> {
  const execution = await finishedExecution(stack, jobId);
  return execution.events.filter((e) => e.type === 'StateEntered').map((e) => e.stateName ?? '');
}

/**
 * The notices of a job once its Notify state has run (it runs just after the job's final write), waiting a
 * little longer so that a duplicate would be seen too.
 */
export async function noticesOf(stack: LocalStack, jobId: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const read = () => stack.outbox.read().filter((n) => n.subject?.startsWith(`klingflow job ${jobId} `));
  while (read().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  return read();
}

/**
 * How many jobs the stack's table holds, read straight from the DynamoDB emulator (a consistent scan): the proof
 * that a refused request wrote nothing.
 */
export async function countJobs(): Promise<number> {
  // The running stack points the SDK at its emulator through AWS_ENDPOINT_URL_DYNAMODB.
  const db = new DynamoDBClient({});
  try {
    let count = 0;
    let start: Record<string, any> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({ TableName: LOCAL_NAMES.table, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey: start }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  } finally {
    db.destroy();
  }
}
