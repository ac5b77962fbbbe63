// Waiting for jobs to finish, with live progress, and saving what they made.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiRequestFailed, type JobView, type KlingflowApi } from './api-client.ts';
import { describeJob, progressLine, TERMINAL, typicalKeyOf } from './format.ts';

/** Seconds between two looks at a job (the API is cheap to ask; the provider is not asked by this). */
const POLL_SECONDS = 1;

/** How long a wait gives a job the API does not know yet to appear, by default (`watch --appear-timeout`). */
export const DEFAULT_APPEAR_TIMEOUT_SECONDS = 60;

/** The longest `watch --appear-timeout` takes, in seconds: an hour (an upload's job appears within seconds). */
export const MAX_APPEAR_TIMEOUT_SECONDS = 3600;

/** How a wait treats a job id the API does not know (yet): an upload's job appears once S3 has told the trigger. */
export interface MissingJobs {
  /** Seconds a job may stay unknown before the wait gives up with a {@link JobNotFound} (default 60). */
  appearTimeoutSeconds?: number;
  /** Told once per unknown job that it does not exist yet and is waited for (stderr); silent when absent. */
  note?: (line: string) => void;
  /** How to wait longer, for the error at the timeout (e.g. `--appear-timeout <seconds> waits longer`). */
  longer?: string;
}

/** A waited-for job that the API still did not know after the appear timeout. */
export class JobNotFound extends Error {
  constructor(
    readonly jobId: string,
    readonly seconds: number,
    longer?: string,
  ) {
    super(
      `job ${jobId} does not exist: the API did not know it for ${seconds} s${longer ? ` (${longer})` : ''}; ` +
        'check the id (klingflow jobs lists the latest)',
    );
  }
}

/**
 * Waits until every job is finished, printing a progress line whenever one changes (for one job on a terminal,
 * rewritten in place with the clock; several jobs get a line each time one of them changes, so none hides another).
 * A job that does not exist yet (an upload's, before S3 has told the trigger) is waited for, up to
 * `missing.appearTimeoutSeconds`. `typical`: seconds jobs of a `provider/model` usually take
 * ({@link typicalSeconds}), for the estimate. Answers the finished jobs in the order of `jobIds`; throws what the API
 * throws, but a 404, and a {@link JobNotFound} for a job still unknown at the timeout.
 */
export async function waitForJobs(
  api: KlingflowApi,
  jobIds: string[],
  say: (line: string) => void,
  quiet = false,
  typical: ReadonlyMap<string, number> = new Map(),
  missing: MissingJobs = {},
): Promise<JobView[]> {
  // One line rewritten in place suits one job: several would overwrite one another on it.
  const tty = process.stdout.isTTY && !quiet && jobIds.length === 1;
  const last = new Map<string, string>();
  const done = new Map<string, JobView>();
  const appearSeconds = missing.appearTimeoutSeconds ?? DEFAULT_APPEAR_TIMEOUT_SECONDS;
  const started = Date.now();
  const seen = new Set<string>();
  const noted = new Set<string>();
  for (;;) {
    for (const jobId of jobIds.filter((id) => !done.has(id))) {
      const job = await api.getJob(jobId).catch((error: unknown) => {
        if (error instanceof ApiRequestFailed && error.status === 404) return undefined;
        throw error;
      });
      if (!job) {
        if (seen.has(jobId)) continue; // it was there: a 404 now is the API's, not a job yet to come
        if (Date.now() - started >= appearSeconds * 1000) throw new JobNotFound(jobId, appearSeconds, missing.longer);
        if (missing.note && !noted.has(jobId)) {
          noted.add(jobId);
          missing.note(`job ${jobId} does not exist (yet): waiting up to ${appearSeconds} s for it to appear`);
        }
        continue;
      }
      seen.add(jobId);
      const line = progressLine(job, Date.now(), typical.get(typicalKeyOf(job)));
      // A line is printed again when something other than the clock changed (a terminal rewrites it in place): what
      // the line shows of the job besides the elapsed time and the estimate.
      const facts = JSON.stringify([job.status, job.progress, job.attempts, job.queuePosition]);
      if (!quiet && (tty || last.get(jobId) !== facts)) {
        if (tty) process.stdout.write(`\r\x1b[2K${line}${TERMINAL.has(job.status) ? '\n' : ''}`);
        else say(line);
        last.set(jobId, facts);
      }
      if (TERMINAL.has(job.status)) done.set(jobId, job);
    }
    if (done.size === jobIds.length) return jobIds.map((id) => done.get(id) as JobView);
    await new Promise((r) => setTimeout(r, POLL_SECONDS * 1000));
  }
}

/**
 * How long jobs of each shape took lately (median seconds from creation to finish over the last 100 SUCCEEDED jobs),
 * keyed by {@link typicalKeyOf}: the estimate `watch` shows before a provider reports progress.
 */
export async function typicalSeconds(api: KlingflowApi): Promise<Map<string, number>> {
  const { items } = await api.listJobs({ status: 'SUCCEEDED', limit: 100 });
  const durations = new Map<string, number[]>();
  for (const job of items) {
    if (!job.finishedAt) continue;
    const key = typicalKeyOf(job);
    durations.set(key, [...(durations.get(key) ?? []), (Date.parse(job.finishedAt) - Date.parse(job.createdAt)) / 1000]);
  }
  return new Map(
    [...durations].map(([key, values]) => {
      const sorted = values.sort((a, b) => a - b);
      return [key, sorted[Math.floor(sorted.length / 2)] ?? 0];
    }),
  );
}

/**
 * Downloads a SUCCEEDED job's video (or thumbnail) to `out`, checked against the sha256 on the job. Throws when
 * the bytes do not match.
 */
export async function saveOutput(api: KlingflowApi, job: JobView, out: string, output: 'video' | 'thumbnail' = 'video'): Promise<string> {
  const stored = job.outputs?.[output];
  if (!stored) throw new Error(`job ${job.jobId} has no ${output}`);
  const bytes = await api.downloadVideo(job.jobId, output);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== stored.sha256) throw new Error(`the download's sha256 ${sha256} does not match the archive's ${stored.sha256}`);
  try {
    writeFileSync(out, bytes);
  } catch (error) {
    throw new Error(`could not save to ${out} (--out): ${writeProblem(error as NodeJS.ErrnoException)}`);
  }
  return resolve(out);
}

/** Why a file could not be written, in words (the error code after them). */
function writeProblem(error: NodeJS.ErrnoException): string {
  const said: Record<string, string> = {
    ENOENT: 'its folder does not exist',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EISDIR: 'it is a folder; name a file in it',
    EACCES: 'not allowed to write there',
    EPERM: 'not allowed to write there',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
  };
  return `${(error.code && said[error.code]) ?? error.message} (${error.code ?? 'error'})`;
}

/**
 * Prints a finished job and saves its video to `out` when given (else says how to save it); the exit code: 0 when
 * it SUCCEEDED, else 1.
 */
export async function report(api: KlingflowApi, job: JobView, out: string | undefined, say: (line: string) => void): Promise<number> {
  for (const line of describeJob(job)) say(line);
  if (job.status !== 'SUCCEEDED') return 1;
  say(out ? `saved    ${await saveOutput(api, job, out)}` : `save it  klingflow download ${job.jobId} (or --out <file.mp4> next time)`);
  return 0;
}
