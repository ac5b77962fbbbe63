// The fuzzing properties (issue 13), run against a real local stack over loopback sockets: never a 5xx, never a
// write for refused input, every error names its field. Shared by the short form in `npm test`
// (test/fuzz/fuzz.test.ts) and the long form (`npm run test:fuzz`, scripts/fuzz.ts), which prints the tallies.
import { readFileSync } from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { providerEnv } from '../../lambdas/aws/env.ts';
import { parseLeniently } from '../../lambdas/domain/job.ts';
import { jobIdForUpload, uploadOptions } from '../../lambdas/domain/uploads.ts';
import { signStandardWebhook } from '../../lambdas/domain/webhooks.ts';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import type { LocalStack } from '../../local/stack.ts';
import { expectDocumented } from '../e2e/contract.ts';
import { countJobs } from '../e2e/local-stack.ts';
import {
  bodyText,
  callbackBody,
  callbackHeaders,
  createBody,
  createHeaders,
  listQuery,
  manifestText,
  pathSegment,
  s3Metadata,
} from './arbitraries.ts';

/** What one property saw. `refusedWrites` is `null` where refused input is recorded by design (uploads). */
export interface Tally {
  property: string;
  cases: number;
  fiveXX: number;
  refusedWrites: number | null;
  unnamedErrors: number;
  /** Requests that were accepted (valid input), where the property counts them. */
  accepted?: number;
  /** fast-check's report of the first counterexample, shrunk, when the property failed. */
  failure?: string;
}

/** The local stack settings fuzzing runs under: nothing polls or finishes while it runs, so refused writes would show. */
export const FUZZ_STACK_SETTINGS = {
  KLINGFLOW_MAX_POLLS: 2,
  KLINGFLOW_SIMULATOR_LATENCY_MS: 3_600_000,
  // The wait schedule ten times slower than provider time: a polled victim's first poll comes after 5 minutes (the
  // longest wait between polls is half a slot lease), a callback victim waits for its callback for hours.
  KLINGFLOW_WAIT_TIME_SCALE: 10,
} as const;

interface Answer {
  status: number;
  text: string;
  body: any;
}

async function send(
  stack: LocalStack,
  method: string,
  path: string,
  init: { body?: string | Buffer; headers?: Record<string, string>; auth?: boolean } = {},
) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(init.auth === false ? {} : { authorization: `Bearer ${stack.token}` }), ...init.headers },
    body: init.body,
  });
  const text = await response.text();
  await expectDocumented(stack.url, { method, path }, { status: response.status, headers: response.headers, text });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, text, body } as Answer;
}

/**
 * Checks one answer against the rules every answer obeys, counting into `tally`: no 5xx; a 4xx is the contract's
 * error with at least one detail, each naming a field; no stack trace anywhere. Returns a reason when broken.
 */
function judge(answer: Answer, tally: Tally): string | undefined {
  if (answer.status >= 500) {
    tally.fiveXX += 1;
    return `a ${answer.status}: ${answer.text.slice(0, 300)}`;
  }
  if (/\n\s+at .+:\d+:\d+/.test(answer.text)) return `a stack trace in the answer: ${answer.text.slice(0, 300)}`;
  if (answer.status >= 400) {
    const details = answer.body?.error?.details;
    const named =
      typeof answer.body?.error?.code === 'string' &&
      Array.isArray(details) &&
      details.length > 0 &&
      details.every(
        (d: { path?: unknown; message?: unknown }) => typeof d.path === 'string' && d.path !== '' && typeof d.message === 'string',
      );
    if (!named) {
      tally.unnamedErrors += 1;
      return `a ${answer.status} that names no field: ${answer.text.slice(0, 300)}`;
    }
  }
  return undefined;
}

const newTally = (property: string): Tally => ({ property, cases: 0, fiveXX: 0, refusedWrites: 0, unnamedErrors: 0 });

/** Runs a property and folds fast-check's verdict into the tally (the run stops at the first counterexample, shrunk). */
async function run<T>(
  tally: Tally,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<string | undefined>,
  numRuns: number,
  seed?: number,
) {
  let lastProblem = '';
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      tally.cases += 1;
      const problem = await check(value);
      if (problem) {
        lastProblem = problem;
        throw new Error(problem);
      }
    }),
    { numRuns, ...(seed !== undefined ? { seed } : {}) },
  );
  // The last problem seen is the shrunk counterexample's.
  if (details.failed) tally.failure = `${fc.defaultReportMessage(details) ?? 'failed'}\nProblem: ${lastProblem}`;
}

/** POST /v1/jobs with fuzzed bodies and headers. Refused writes: jobs in the table beyond the accepted ones. */
export async function fuzzCreate(stack: LocalStack, numRuns: number, seed?: number): Promise<Tally> {
  const tally = newTally('POST /v1/jobs (create body, content type, Idempotency-Key)');
  const accepted = new Set<string>();
  const before = await countJobs();
  await run(
    tally,
    fc.tuple(createBody, createHeaders),
    async ([body, headers]) => {
      const answer = await send(stack, 'POST', '/v1/jobs', { body: bodyText(body), headers });
      const broken = judge(answer, tally);
      if (broken) return broken;
      if (answer.status === 202) accepted.add(answer.body.jobId);
      else if (answer.status < 400) return `an unexpected ${answer.status}`;
      return undefined;
    },
    numRuns,
    seed,
  );
  tally.refusedWrites = (await countJobs()) - before - accepted.size;
  tally.accepted = accepted.size;
  return tally;
}

/** A job fuzzed requests aim at. */
export interface Victim {
  provider: string;
  jobId: string;
  providerTaskId: string;
}

/** Jobs that fuzzed requests aim at: two per provider, submitted and then quiet (no callbacks, no polls). */
export interface Victims {
  all: Victim[];
  /** Each victim as GET answered it. */
  snapshot(): Promise<Record<string, string>>;
}

export async function makeVictims(stack: LocalStack): Promise<Victims> {
  const all: Victim[] = [];
  for (const provider of PROVIDER_IDS) {
    for (const n of [1, 2]) {
      const created = await send(stack, 'POST', '/v1/jobs', {
        body: JSON.stringify({ provider, prompt: `victim ${n} of ${provider} [sim:no-callback]` }),
        headers: { 'content-type': 'application/json' },
      });
      if (created.status !== 202) throw new Error(`victim for ${provider}: ${created.status} ${created.text}`);
      const jobId: string = created.body.jobId;
      for (let i = 0; ; i++) {
        const job = await send(stack, 'GET', `/v1/jobs/${jobId}`);
        if (job.body?.providerTaskId) {
          all.push({ provider, jobId, providerTaskId: job.body.providerTaskId });
          break;
        }
        if (i > 200) throw new Error(`victim for ${provider} never submitted: ${job.text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  const snapshot = async () =>
    Object.fromEntries(
      await Promise.all(all.map(async ({ jobId }) => [jobId, (await send(stack, 'GET', `/v1/jobs/${jobId}`)).text] as const)),
    );
  return { all, snapshot };
}

/** Refused writes of a property that may write nothing at all: new jobs, plus victims that changed. */
async function writesSince(before: { count: number; victims: Record<string, string> }, victims: Victims): Promise<number> {
  const now = await victims.snapshot();
  const changed = Object.entries(before.victims).filter(([jobId, text]) => now[jobId] !== text).length;
  return (await countJobs()) - before.count + changed;
}

/**
 * Every id route with fuzzed path parameters, and the share links (open to anyone) with fuzzed ids, objects, expiry
 * and signatures, some aimed at a victim's real id. Nothing may be written (DELETE included), nothing opened.
 */
export async function fuzzPaths(stack: LocalStack, victims: Victims, numRuns: number, seed?: number): Promise<Tally> {
  const tally = newTally('/v1/jobs/{jobId}[/video|/thumbnail], /v1/share/{jobId}/{object} (path parameters, forged links)');
  const before = { count: await countJobs(), victims: await victims.snapshot() };
  const jobRoute = fc
    .tuple(fc.constantFrom('GET', 'DELETE'), fc.constantFrom('', '/video', '/thumbnail'), pathSegment)
    .map(([method, suffix, segment]) => ({
      method: method === 'DELETE' && suffix ? 'GET' : method,
      path: `/v1/jobs/${segment}${suffix}`,
      auth: true,
    }));
  const shareRoute = fc
    .tuple(
      fc.oneof(fc.constantFrom(...victims.all.map((v) => v.jobId)), pathSegment),
      fc.oneof(fc.constantFrom('video', 'thumbnail', 'video.mp4', ''), pathSegment),
      fc.array(
        fc.tuple(
          fc.constantFrom('expires', 'sig', 'x'),
          fc.oneof(fc.integer({ min: -1, max: 2 ** 34 }).map(String), fc.base64String({ maxLength: 60 }), fc.string({ maxLength: 20 })),
        ),
        { maxLength: 3 },
      ),
      fc.boolean(),
    )
    .map(([jobId, object, query, auth]) => ({
      method: 'GET',
      path: `/v1/share/${jobId}/${object}?${new URLSearchParams(query).toString()}`,
      auth,
    }));
  await run(
    tally,
    fc.oneof({ weight: 3, arbitrary: jobRoute }, { weight: 1, arbitrary: shareRoute }),
    async ({ method, path, auth }) => {
      const answer = await send(stack, method, path, { auth });
      return judge(answer, tally) ?? (answer.status < 400 ? `${method} ${path.slice(0, 200)} answered ${answer.status}` : undefined);
    },
    numRuns,
    seed,
  );
  tally.refusedWrites = await writesSince(before, victims);
  return tally;
}

/** GET /v1/jobs with fuzzed parameters and forged cursors: 200 or a 400 naming the parameter. */
export async function fuzzList(stack: LocalStack, victims: Victims, numRuns: number, seed?: number): Promise<Tally> {
  const tally = newTally('GET /v1/jobs (query parameters, forged cursors)');
  const before = { count: await countJobs(), victims: await victims.snapshot() };
  await run(
    tally,
    listQuery,
    async (query) => {
      const answer = await send(stack, 'GET', `/v1/jobs?${new URLSearchParams(query).toString()}`);
      return judge(answer, tally) ?? (answer.status !== 200 && answer.status !== 400 ? `answered ${answer.status}` : undefined);
    },
    numRuns,
    seed,
  );
  tally.refusedWrites = await writesSince(before, victims);
  return tally;
}

/**
 * A genuine-looking callback about `other`'s task, as `provider` sends them, addressed to `target` (its URL and, for
 * Kling, its signed `external_task_id` naming either job): what a holder of one job's callback would try on another.
 */
function misdirected(target: Victim, other: Victim, externalNamesTarget: boolean): { body: string; query: Record<string, string> } {
  const bare = other.providerTaskId.split(':').at(-1) ?? other.providerTaskId;
  const video = 'https://cdn.example.com/stolen.mp4';
  if (target.provider === 'kling') {
    const body = {
      task_id: bare,
      task_status: 'succeed',
      task_info: { external_task_id: externalNamesTarget ? target.jobId : other.jobId },
      task_result: { videos: [{ id: 'v', url: video, duration: '5' }] },
      created_at: 1,
      updated_at: 2,
    };
    return { body: JSON.stringify(body), query: {} };
  }
  // Replicate's prediction object; the job in its webhook URL is the target's.
  return { body: JSON.stringify({ id: bare, status: 'succeeded', output: video }), query: { job_id: target.jobId } };
}

/**
 * POST /v1/callbacks/{provider}/{jobId} for every provider: fuzzed headers, bodies and queries, some signed with the
 * provider's real secret; and, for the providers that sign with Standard Webhooks, genuine-looking signed callbacks
 * about another job's task sent to a victim's own URL. None may be believed; nothing may be written.
 */
export async function fuzzCallbacks(stack: LocalStack, victims: Victims, numRuns: number, seed?: number): Promise<Tally> {
  const tally = newTally('POST /v1/callbacks/{provider}/{jobId} (every provider; forged, signed and misdirected)');
  const before = { count: await countJobs(), victims: await victims.snapshot() };
  const secretOf = (provider: string) => process.env[providerEnv(provider, 'WEBHOOK_SECRET')];
  const signing = victims.all.filter((v) => ['kling', 'replicate'].includes(v.provider) && secretOf(v.provider));
  const sign = (provider: string, body: string, headers: Record<string, string>) => ({
    ...headers,
    'content-type': 'application/json',
    ...signStandardWebhook(secretOf(provider) ?? '', { id: 'msg_fuzz', timestamp: new Date(), body }),
  });

  const fuzzed = fc.record({
    kind: fc.constant('fuzzed' as const),
    provider: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PROVIDER_IDS) }, { weight: 1, arbitrary: pathSegment }),
    jobId: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...victims.all.map((v) => v.jobId)) }, { weight: 1, arbitrary: pathSegment }),
    signed: fc.boolean(),
    query: fc.array(fc.tuple(fc.constantFrom('job_id', 'token', 'fal_job_tag', 'x'), fc.string({ maxLength: 50 })), { maxLength: 2 }),
    headers: callbackHeaders,
    body: callbackBody,
  });
  const aimed = fc.record({
    kind: fc.constant('misdirected' as const),
    target: fc.constantFrom(...signing),
    externalNamesTarget: fc.boolean(),
  });

  await run(
    tally,
    fc.oneof({ weight: 3, arbitrary: fuzzed }, { weight: 1, arbitrary: aimed }),
    async (scenario) => {
      let path: string;
      let body: string;
      let headers: Record<string, string>;
      if (scenario.kind === 'misdirected') {
        // The target's own URL; the body about the other victim of the same provider.
        const { target } = scenario;
        const source = signing.find((v) => v.provider === target.provider && v.jobId !== target.jobId);
        if (!source) return `no second ${target.provider} victim`;
        const forged = misdirected(target, source, scenario.externalNamesTarget);
        body = forged.body;
        headers = sign(target.provider, body, {});
        path = `/v1/callbacks/${target.provider}/${target.jobId}?${new URLSearchParams(forged.query).toString()}`;
      } else {
        body = scenario.body;
        headers = scenario.signed && secretOf(scenario.provider) ? sign(scenario.provider, body, scenario.headers) : scenario.headers;
        const search = scenario.query.length ? `?${new URLSearchParams(scenario.query).toString()}` : '';
        path = `/v1/callbacks/${scenario.provider}/${scenario.jobId}${search}`;
      }
      const answer = await send(stack, 'POST', path, { body, headers, auth: false });
      return (
        judge(answer, tally) ?? (answer.status < 400 ? `a ${scenario.kind} callback was believed (${answer.status}): ${body}` : undefined)
      );
    },
    numRuns,
    seed,
  );
  tally.refusedWrites = await writesSince(before, victims);
  return tally;
}

/**
 * S3 uploads with fuzzed user metadata and manifests, through the S3 emulator and the upload trigger. An upload is
 * never dropped: every one becomes a job (options that cannot be read are recorded, and the job fails in Validate
 * naming them), so refused input is recorded by design and `refusedWrites` does not apply.
 */
export async function fuzzUploads(stack: LocalStack, numRuns: number, seed?: number): Promise<Tally> {
  const tally = { ...newTally('S3 uploads (user metadata and manifests, through the upload trigger)'), refusedWrites: null };
  const image = readFileSync(new URL('../fixtures/tiny-120x120.png', import.meta.url));
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: stack.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  let n = 0;
  try {
    await run(
      tally,
      fc.tuple(s3Metadata, manifestText),
      async ([metadata, manifest]) => {
        const key = `uploads/fuzz-${process.pid}-${Date.now()}-${n++}.png`;
        if (manifest !== undefined)
          await s3.send(new PutObjectCommand({ Bucket: stack.inputsBucket, Key: `${key}.json`, Body: Buffer.from(manifest) }));
        const put = await s3.send(
          new PutObjectCommand({ Bucket: stack.inputsBucket, Key: key, Body: image, ContentType: 'image/png', Metadata: metadata }),
        );
        const jobId = jobIdForUpload({ bucket: stack.inputsBucket, key, versionId: put.VersionId, eTag: put.ETag });
        for (let i = 0; i < 100; i++) {
          const answer = await send(stack, 'GET', `/v1/jobs/${jobId}`);
          const broken = answer.status === 404 ? undefined : judge(answer, tally);
          if (broken) return broken;
          if (answer.status === 200) return undefined;
          await new Promise((r) => setTimeout(r, 50));
        }
        return `the upload ${key} never became a job (metadata ${JSON.stringify(metadata)})`;
      },
      numRuns,
      seed,
    );
  } finally {
    s3.destroy();
  }
  return tally;
}

/**
 * The same options in the domain alone, with what S3 cannot carry (any Unicode, lone surrogates, every name):
 * reading them never throws, and every problem names its field.
 */
export async function fuzzUploadOptions(numRuns: number, seed?: number): Promise<Tally> {
  const tally = { ...newTally('upload options in the domain (any Unicode metadata, any manifest text)'), refusedWrites: null };
  await run(
    tally,
    fc.tuple(
      fc.dictionary(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 }), {
        maxKeys: 5,
        noNullPrototype: true,
      }),
      manifestText,
    ),
    async ([metadata, manifest]) => {
      const options = uploadOptions('uploads/cat.png', metadata, manifest);
      const parsed = parseLeniently(options.request);
      const unnamed = [...options.problems, ...parsed.problems].filter((p) => !p.path || !p.message);
      if (unnamed.length) {
        tally.unnamedErrors += unnamed.length;
        return `problems without a field: ${JSON.stringify(unnamed)}`;
      }
      return undefined;
    },
    numRuns,
    seed,
  );
  return tally;
}

/** How many cases each property gets out of a total, in proportion to how much ground it covers. */
export function planCases(total: number): Record<'create' | 'paths' | 'list' | 'callbacks' | 'uploads' | 'uploadOptions', number> {
  const share = { create: 0.4, paths: 0.12, list: 0.12, callbacks: 0.2, uploads: 0.03, uploadOptions: 0.13 };
  return Object.fromEntries(Object.entries(share).map(([k, v]) => [k, Math.max(5, Math.round(total * v))])) as ReturnType<typeof planCases>;
}

/** Every property in turn, on one stack; the victims are made before the properties that aim at them. */
export async function fuzzAll(stack: LocalStack, total: number, seed?: number, onTally?: (tally: Tally) => void): Promise<Tally[]> {
  const cases = planCases(total);
  const tallies: Tally[] = [];
  const record = (tally: Tally) => {
    tallies.push(tally);
    onTally?.(tally);
  };
  record(await fuzzCreate(stack, cases.create, seed));
  const victims = await makeVictims(stack);
  record(await fuzzPaths(stack, victims, cases.paths, seed));
  record(await fuzzList(stack, victims, cases.list, seed));
  record(await fuzzCallbacks(stack, victims, cases.callbacks, seed));
  record(await fuzzUploads(stack, cases.uploads, seed));
  record(await fuzzUploadOptions(cases.uploadOptions, seed));
  return tallies;
}
