// Waiting for jobs (cli/wait.ts) against a fake API: a job the API does not know yet is waited for a bounded time,
// said once, and then refused by name; one that appears in time is followed to its end.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestFailed, type JobView, type KlingflowApi } from '../../../cli/api-client.ts';
import { JobNotFound, report, saveOutput, waitForJobs } from '../../../cli/wait.ts';

const notFound = () => new ApiRequestFailed(404, { code: 'NOT_FOUND', message: 'no such job' });

/** An API whose job is unknown for its first `unknownFor` reads, then SUCCEEDED. */
function fakeApi(unknownFor: number): KlingflowApi {
  let reads = 0;
  return {
    getJob: async (jobId: string) => {
      reads += 1;
      if (reads <= unknownFor) throw notFound();
      return { jobId, status: 'SUCCEEDED', provider: 'kling', model: 'kling-v1', createdAt: new Date().toISOString() } as JobView;
    },
  } as unknown as KlingflowApi;
}

describe('waitForJobs and a job the API does not know', () => {
  it('says once that it waits, then gives up after the appear timeout, naming the job and how to wait longer', async () => {
    const notes: string[] = [];
    const waiting = waitForJobs(fakeApi(Number.POSITIVE_INFINITY), ['job_gone'], () => undefined, true, new Map(), {
      appearTimeoutSeconds: 1,
      note: (line) => notes.push(line),
      longer: '--appear-timeout <seconds> waits longer',
    });
    await expect(waiting).rejects.toBeInstanceOf(JobNotFound);
    await expect(waiting).rejects.toThrow(
      'job job_gone does not exist: the API did not know it for 1 s (--appear-timeout <seconds> waits longer); check the id',
    );
    expect(notes).toEqual(['job job_gone does not exist (yet): waiting up to 1 s for it to appear']);
  });

  it('names no option it was not given (upload waits with the default bound and no --appear-timeout)', async () => {
    const waiting = waitForJobs(fakeApi(Number.POSITIVE_INFINITY), ['job_up'], () => undefined, true, new Map(), {
      appearTimeoutSeconds: 0.5,
    });
    await expect(waiting).rejects.toThrow(/^job job_up does not exist: the API did not know it for 0\.5 s; check the id/);
  });

  it('follows a job that appears within the bound', async () => {
    const [job] = await waitForJobs(fakeApi(1), ['job_late'], () => undefined, true, new Map(), { appearTimeoutSeconds: 5 });
    expect(job).toMatchObject({ jobId: 'job_late', status: 'SUCCEEDED' });
  });
});

describe('waitForJobs on a terminal', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** An API whose jobs are PROCESSING for `reads` reads each, at 50 % then, then SUCCEEDED. */
  function progressingApi(reads: number): KlingflowApi {
    const seen = new Map<string, number>();
    return {
      getJob: async (jobId: string) => {
        const n = (seen.get(jobId) ?? 0) + 1;
        seen.set(jobId, n);
        const status = n > reads ? 'SUCCEEDED' : 'PROCESSING';
        return {
          jobId,
          status,
          progress: n > reads ? 100 : 50,
          provider: 'kling',
          model: 'kling-v1',
          createdAt: new Date().toISOString(),
        } as JobView;
      },
    } as unknown as KlingflowApi;
  }

  it('gives several jobs a line each (none rewrites another in place), and rewrites a single job in place', async () => {
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      const said: string[] = [];
      await waitForJobs(progressingApi(1), ['job_a', 'job_b'], (line) => said.push(line));
      expect(written.filter((chunk) => chunk.includes('\r'))).toEqual([]);
      expect(said.map((line) => line.split('  ').slice(0, 2).join(' '))).toEqual([
        'job_a PROCESSING 50%',
        'job_b PROCESSING 50%',
        'job_a SUCCEEDED 100%',
        'job_b SUCCEEDED 100%',
      ]);

      const alone: string[] = [];
      await waitForJobs(progressingApi(1), ['job_c'], (line) => alone.push(line));
      expect(alone).toEqual([]);
      expect(written.filter((chunk) => chunk.startsWith('\r\x1b[2Kjob_c'))).toHaveLength(2);
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
  });
});

describe('saveOutput and where it cannot write', () => {
  const bytes = Buffer.from('video bytes');
  const job = {
    jobId: 'job_w',
    outputs: { video: { bucket: 'b', key: 'k', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } },
  } as unknown as JobView;
  const api = { downloadVideo: async () => bytes } as unknown as KlingflowApi;

  it('writes the checked bytes and answers the full path', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'klingflow-save-')), 'fox.mp4');
    expect(await saveOutput(api, job, out)).toBe(out);
    expect(readFileSync(out)).toEqual(bytes);
  });

  it.each([
    ['a folder that does not exist', () => '/no/such/folder/fox.mp4', 'its folder does not exist (ENOENT)'],
    ['a path through a file', () => `${writtenFile()}/fox.mp4`, 'a part of the path is a file, not a folder (ENOTDIR)'],
    ['a folder', () => mkdtempSync(join(tmpdir(), 'klingflow-save-')), 'it is a folder; name a file in it (EISDIR)'],
  ])('says why for %s, naming --out', async (_what, out, why) => {
    const path = out();
    await expect(saveOutput(api, job, path)).rejects.toThrow(`could not save to ${path} (--out): ${why}`);
  });
});

describe('report (the end of generate and show)', () => {
  const finished = {
    jobId: 'job_r',
    status: 'SUCCEEDED',
    provider: 'kling',
    model: 'kling-v3',
    mode: 'text-to-video',
    request: { durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
    attempts: 1,
    createdAt: '2026-12-01T00:00:00.000Z',
    finishedAt: '2026-12-01T00:01:00.000Z',
    outputs: { video: { bucket: 'b', key: 'k', bytes: 3, sha256: createHash('sha256').update('abc').digest('hex') } },
  } as unknown as JobView;
  const api = { downloadVideo: async () => Buffer.from('abc') } as unknown as KlingflowApi;

  it('says how to save the video when no --out was given', async () => {
    const lines: string[] = [];
    expect(await report(api, finished, undefined, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toBe('save it  klingflow download job_r (or --out <file.mp4> next time)');
  });

  it('saves it with --out, and says nothing of saving for a job that did not succeed', async () => {
    const lines: string[] = [];
    const out = join(mkdtempSync(join(tmpdir(), 'klingflow-report-')), 'v.mp4');
    expect(await report(api, finished, out, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toBe(`saved    ${out}`);
    const failed: string[] = [];
    expect(await report(api, { ...finished, status: 'FAILED', outputs: undefined } as JobView, undefined, (l) => failed.push(l))).toBe(1);
    expect(failed.some((l) => l.startsWith('save'))).toBe(false);
  });
});

function writtenFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'klingflow-save-')), 'a-file');
  writeFileSync(file, 'x');
  return file;
}
