// klingflow's command line. `generate` submits a text-to-video job, shows progress while it waits, and
// prints where the archived video is (optionally saving it). It talks to `--api`, or to the local stack
// serving the data folder, or starts an embedded local stack for the run.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  encodeMetadataValue,
  IMAGE_SUFFIXES,
  isUploadImage,
  jobIdForUpload,
  type SourceObject,
  UPLOAD_PREFIX,
} from '../lambdas/domain/uploads.ts';
import { parseArgs } from 'node:util';
import { ApiRequestFailed, KlingflowApi, type JobView } from './api-client.ts';

const USAGE = `Usage:
  klingflow generate "<prompt>" [options]   generate a video and wait for it
  klingflow upload <image> [options]        image-to-video: put the image under uploads/ and wait for its video
  klingflow status <jobId> [options]        show a job

Options:
  --provider <id>        provider (default: the stack's default, kling)
  --model <id>           model of that provider
  --duration <seconds>   video length
  --resolution <r>       720p | 1080p | 4k
  --aspect-ratio <r>     16:9 | 9:16 | 1:1
  --quality <q>          std | pro
  --negative-prompt <t>  what to keep out of the video
  --prompt <text>        (upload) what should happen in the video
  --key <key>            (upload) object key (default: uploads/<file name>)
  --bucket <name>        (upload, with --api) the deployment's inputs bucket
  --out <file.mp4>       save the archived video there (checked against its sha256)
  --no-wait              print the job id and return at once
  --api <url>            a klingflow API (default: the local stack; one is started if none runs)
  --token <token>        bearer token (default: KLINGFLOW_API_TOKEN, or the local stack's)
  --data-dir <dir>       the local stack's data folder (default: KLINGFLOW_DATA_DIR or .klingflow)
  -h, --help             this help`;

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

class UsageError extends Error {}

interface Target {
  api: KlingflowApi;
  /** Where uploads go: the local stack's S3 emulator, or (with --api) the deployment's bucket. */
  inputs?: { bucket: string; endpoint?: string };
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/v1/jobs?limit=1`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

async function connect(
  options: { api?: string; token?: string; dataDir: string; bucket?: string },
  say: (line: string) => void,
): Promise<Target> {
  const none = async () => undefined;
  if (options.api) {
    const token = options.token || process.env.KLINGFLOW_API_TOKEN;
    if (!token) throw new UsageError('--api needs a token: --token or KLINGFLOW_API_TOKEN');
    return {
      api: new KlingflowApi(options.api.replace(/\/+$/, ''), token),
      inputs: options.bucket ? { bucket: options.bucket } : undefined,
      stop: none,
    };
  }
  const { runningStack, startLocalStack } = await import('../local/stack.ts');
  const running = runningStack(options.dataDir);
  const savedToken = () => {
    const file = join(options.dataDir, 'api-token');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  };
  if (running && (await reachable(running.url))) {
    const token = options.token || process.env.KLINGFLOW_API_TOKEN || savedToken();
    if (!token) throw new UsageError(`the local stack at ${running.url} needs its token: --token or KLINGFLOW_API_TOKEN`);
    const inputs = running.s3Endpoint && running.inputsBucket ? { bucket: running.inputsBucket, endpoint: running.s3Endpoint } : undefined;
    return { api: new KlingflowApi(running.url, token), inputs, stop: none };
  }
  say('No local stack is running: starting an embedded one for this run...');
  const stack = await startLocalStack({ settings: { KLINGFLOW_PORT: 0, KLINGFLOW_DATA_DIR: options.dataDir }, log: () => undefined });
  return {
    api: new KlingflowApi(stack.url, stack.token),
    inputs: { bucket: stack.inputsBucket, endpoint: stack.s3Endpoint },
    stop: stack.stop,
  };
}

function progressLine(job: JobView): string {
  const pct = job.progress !== undefined ? ` ${Math.round(job.progress)}%` : '';
  return `${job.jobId}  ${job.status}${pct}`;
}

async function waitForJob(api: KlingflowApi, jobId: string, say: (line: string) => void): Promise<JobView> {
  const tty = process.stdout.isTTY;
  let last = '';
  for (;;) {
    const job = await api.getJob(jobId).catch((error: unknown) => {
      // An upload's job appears once S3 has told the trigger about the object.
      if (error instanceof ApiRequestFailed && error.status === 404) return undefined;
      throw error;
    });
    if (!job) {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    const line = progressLine(job);
    if (line !== last) {
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else say(line);
      last = line;
    }
    if (TERMINAL.has(job.status)) {
      if (tty) process.stdout.write('\n');
      return job;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function describeResult(job: JobView): string[] {
  const lines = [`job      ${job.jobId}`, `status   ${job.status}`, `provider ${job.provider} / ${job.model}`];
  if (job.outputs) {
    const v = job.outputs.video;
    lines.push(`video    s3://${v.bucket}/${v.key} (${v.bytes} bytes, sha256 ${v.sha256})`);
  }
  if (job.cost && (job.cost.credits !== undefined || job.cost.usd !== undefined)) {
    lines.push(
      `cost     ${[job.cost.credits !== undefined ? `${job.cost.credits} credits` : '', job.cost.usd !== undefined ? `$${job.cost.usd}` : ''].filter(Boolean).join(' / ')}${job.cost.estimated ? ' (estimated)' : ''}`,
    );
  }
  if (job.error) lines.push(`reason   ${job.error.message} (${job.error.code})`);
  return lines;
}

/** Waits for the job, prints the outcome, saves the video when asked; the exit code says whether it succeeded. */
async function finish(api: KlingflowApi, jobId: string, out: string | undefined, say: (line: string) => void): Promise<number> {
  return report(api, await waitForJob(api, jobId, say), out, say);
}

/** Prints a finished job and saves its video to `out` (checked against its sha256); 0 when it succeeded. */
async function report(api: KlingflowApi, job: JobView, out: string | undefined, say: (line: string) => void): Promise<number> {
  const jobId = job.jobId;
  for (const line of describeResult(job)) say(line);
  if (job.status !== 'SUCCEEDED') return 1;
  if (out) {
    const bytes = await api.downloadVideo(jobId);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== job.outputs?.video.sha256) throw new Error(`the download's sha256 ${sha256} does not match the archive's`);
    writeFileSync(out, bytes);
    say(`saved    ${resolve(out)}`);
  }
  return 0;
}

/** Puts an image under uploads/ with its options as user metadata (S3 starts the job). */
async function putUpload(
  inputs: NonNullable<Target['inputs']>,
  key: string,
  body: Buffer,
  metadata: Record<string, string>,
): Promise<SourceObject> {
  const { PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const local = inputs.endpoint !== undefined;
  const client = new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(local
      ? { endpoint: inputs.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const contentType = /\.png$/i.test(key) ? 'image/png' : /\.webp$/i.test(key) ? 'image/webp' : 'image/jpeg';
  const put = await client.send(
    new PutObjectCommand({ Bucket: inputs.bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata }),
  );
  client.destroy();
  return { bucket: inputs.bucket, key, ...(put.VersionId ? { versionId: put.VersionId } : {}), ...(put.ETag ? { eTag: put.ETag } : {}) };
}

/**
 * The data folder of the project the CLI runs in: the nearest `.klingflow` folder in this directory or above it
 * (so `klingflow status` works from a subfolder, as `git` does), else `./.klingflow`.
 */
function nearestDataDir(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.klingflow'))) return join(dir, '.klingflow');
    if (dirname(dir) === dir) return join(resolve(from), '.klingflow');
  }
}

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

export async function main(argv: string[], say: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      provider: { type: 'string' },
      model: { type: 'string' },
      duration: { type: 'string' },
      resolution: { type: 'string' },
      'aspect-ratio': { type: 'string' },
      quality: { type: 'string' },
      'negative-prompt': { type: 'string' },
      out: { type: 'string' },
      'no-wait': { type: 'boolean' },
      api: { type: 'string' },
      token: { type: 'string' },
      'data-dir': { type: 'string' },
      prompt: { type: 'string' },
      key: { type: 'string' },
      bucket: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    say(USAGE);
    return values.help ? 0 : 2;
  }
  const dataDir = resolve(values['data-dir'] ?? process.env.KLINGFLOW_DATA_DIR ?? nearestDataDir(process.cwd()));

  if (command === 'generate') {
    const prompt = rest.join(' ').trim();
    if (!prompt) throw new UsageError('generate needs a prompt: klingflow generate "a red fox running through snow"');
    const request = Object.fromEntries(
      Object.entries({
        prompt,
        provider: values.provider,
        model: values.model,
        durationSeconds: numberOption('duration', values.duration),
        resolution: values.resolution,
        aspectRatio: values['aspect-ratio'],
        quality: values.quality,
        negativePrompt: values['negative-prompt'],
      }).filter(([, v]) => v !== undefined),
    );
    const target = await connect({ api: values.api, token: values.token, dataDir }, say);
    try {
      const { jobId } = await target.api.createJob(request);
      say(`submitted ${jobId}`);
      return values['no-wait'] ? 0 : await finish(target.api, jobId, values.out, say);
    } finally {
      await target.stop();
    }
  }

  if (command === 'upload') {
    const file = rest[0];
    if (!file) throw new UsageError('upload needs an image file: klingflow upload cat.png --prompt "the cat yawns"');
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    const key = values.key ?? `${UPLOAD_PREFIX}${basename(file)}`;
    // Refused here, before anything is uploaded: S3 would store it and no job would ever start.
    if (!isUploadImage(key)) {
      throw new UsageError(
        `${key} would start no job: uploads start image-to-video jobs for keys under ${UPLOAD_PREFIX} ending in ${IMAGE_SUFFIXES.join(', ')} (all lower or all upper case)`,
      );
    }
    const metadata = Object.fromEntries(
      Object.entries({
        prompt: values.prompt,
        'negative-prompt': values['negative-prompt'],
        provider: values.provider,
        model: values.model,
        duration: values.duration,
        resolution: values.resolution,
        'aspect-ratio': values['aspect-ratio'],
        quality: values.quality,
      })
        .filter((entry): entry is [string, string] => entry[1] !== undefined)
        // S3 takes ASCII header values only: a Chinese prompt travels RFC 2047-encoded and is decoded by the trigger.
        .map(([name, value]) => [name, encodeMetadataValue(value)]),
    );
    const target = await connect({ api: values.api, token: values.token, dataDir, bucket: values.bucket }, say);
    try {
      if (!target.inputs) throw new UsageError("upload with --api needs --bucket (the deployment's inputs bucket)");
      const source = await putUpload(target.inputs, key, readFileSync(file), metadata);
      const jobId = jobIdForUpload(source);
      say(`uploaded s3://${source.bucket}/${source.key} → job ${jobId}`);
      return values['no-wait'] ? 0 : await finish(target.api, jobId, values.out, say);
    } finally {
      await target.stop();
    }
  }

  if (command === 'status') {
    const jobId = rest[0];
    if (!jobId) throw new UsageError('status needs a job id');
    const target = await connect({ api: values.api, token: values.token, dataDir }, say);
    try {
      const job = await target.api.getJob(jobId);
      if (TERMINAL.has(job.status)) return await report(target.api, job, values.out, say);
      for (const line of describeResult(job)) say(line);
      if (values.out) say(`not saved: the job is ${job.status}; its video can be saved once it has SUCCEEDED`);
      return 0;
    } finally {
      await target.stop();
    }
  }

  throw new UsageError(`unknown command '${command}'`);
}

/** Runs the CLI and exits with its code; errors become one readable line (and field details), no stack. */
export async function run(argv: string[]): Promise<never> {
  try {
    process.exit(await main(argv));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`klingflow: ${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof ApiRequestFailed && (error.status === 401 || error.status === 403)) {
      process.stderr.write(
        `klingflow: the API refused the credentials (${error.status}): ${error.error.message}\n` +
          '  check --token / KLINGFLOW_API_TOKEN (the local stack prints its token at start and keeps it in <data dir>/api-token)\n',
      );
      process.exit(1);
    }
    if (error instanceof ApiRequestFailed) {
      process.stderr.write(`klingflow: ${error.error.message} (${error.status} ${error.error.code})\n`);
      for (const d of error.error.details ?? []) process.stderr.write(`  ${d.path}: ${d.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`klingflow: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
