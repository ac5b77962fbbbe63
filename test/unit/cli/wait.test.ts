// Waiting for jobs (cli/wait.ts) against a fake API: a job the API does not know yet is waited for a bounded time,
// said once, and then refused by name; one that appears in time is followed to its end.
import { describe, expect, it } from 'vitest';
import { ApiRequestFailed, type JobView, type KlingflowApi } from '../../../cli/api-client.ts';
import { JobNotFound, waitForJobs } from '../../../cli/wait.ts';

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
