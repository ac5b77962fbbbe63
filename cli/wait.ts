// Waiting for jobs to finish, with live progress, and saving what they made.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiRequestFailed, type JobView, type KlingflowApi } from './api-client.ts';
import { describeJob, progressLine, TERMINAL } from './format.ts';

/** Seconds between two looks at a job (the API is cheap to ask; the provider is not asked by this). */
const POLL_SECONDS = 1;

/**
 * Waits until every job is finished, printing a progress line whenever one changes (rewritten in place on a
 * terminal). A job that does not exist yet (an upload's, before S3 has told the trigger) is waited for too.
 */
export async function waitForJobs(api: KlingflowApi, jobIds: string[], say: (line: string) => void, quiet = false): Promise<JobView[]> {
  const tty = process.stdout.isTTY && !quiet;
  const last = new Map<string, string>();
  const done = new Map<string, JobView>();
  for (;;) {
    for (const jobId of jobIds.filter((id) => !done.has(id))) {
      const job = await api.getJob(jobId).catch((error: unknown) => {
        if (error instanceof ApiRequestFailed && error.status === 404) return undefined;
        throw error;
      });
      if (!job) continue;
      const line = progressLine(job);
      if (!quiet && last.get(jobId) !== line.replace(/\s+\d+ s$/, '')) {
        if (tty) process.stdout.write(`\r\x1b[2K${line}${TERMINAL.has(job.status) ? '\n' : ''}`);
        else say(line);
        last.set(jobId, line.replace(/\s+\d+ s$/, ''));
      }
      if (TERMINAL.has(job.status)) done.set(jobId, job);
    }
    if (done.size === jobIds.length) return jobIds.map((id) => done.get(id) as JobView);
    await new Promise((r) => setTimeout(r, POLL_SECONDS * 1000));
  }
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
  writeFileSync(out, bytes);
  return resolve(out);
}

/** Prints a finished job and saves its video to `out` when given; the exit code: 0 when it SUCCEEDED, else 1. */
export async function report(api: KlingflowApi, job: JobView, out: string | undefined, say: (line: string) => void): Promise<number> {
  for (const line of describeJob(job)) say(line);
  if (job.status !== 'SUCCEEDED') return 1;
  if (out) say(`saved    ${await saveOutput(api, job, out)}`);
  return 0;
}
