// The other use cases through their injected dependencies: a job per uploaded image, recording a provider's report,
// and the active-job guard every acting step starts with. (Re-driving unfinished jobs: reconcile.test.ts.)
import { describe, expect, it } from 'vitest';
import type { ResolvedRequest } from '../../../lambdas/domain/job.ts';
import { requireActiveJob } from '../../../lambdas/jobs/active-job.ts';
import type { CreateJobDeps } from '../../../lambdas/jobs/create-job.ts';
import { createUploadJob } from '../../../lambdas/jobs/create-upload-job.ts';
import { recordProviderResult, toProviderResult } from '../../../lambdas/jobs/provider-result.ts';
import { ACME, acmeLookup, executionRecorder, InMemoryJobs, storedJob } from './in-memory-jobs.ts';

const notUsed = async (): Promise<never> => {
  throw new Error('not used');
};
const acmeAdapter = {
  id: 'acme',
  capabilities: ACME,
  submit: notUsed,
  status: notUsed,
  estimateCost: (r: ResolvedRequest) => ({ credits: r.durationSeconds }),
};

function uploadDeps(store = new InMemoryJobs()) {
  const executions = executionRecorder();
  const deps: CreateJobDeps = {
    store,
    providers: { ...acmeLookup, adapterOf: () => acmeAdapter },
    startExecution: executions.start,
    workflowConfig: { maxPolls: 10, slotWaitSeconds: 30 },
    now: () => new Date('2026-11-30T12:00:00Z'),
  };
  return { deps, store, executions };
}

const source = { bucket: 'inputs', key: 'uploads/cat.png', versionId: 'v1' };

describe('createUploadJob', () => {
  it('makes an image-to-video job of the upload, options from metadata, and starts it', async () => {
    const { deps, store, executions } = uploadDeps();
    const result = await createUploadJob(deps, { source, metadata: { prompt: 'the cat runs', duration: '10' } });
    expect(result).toMatchObject({ created: true, problems: 0 });
    const job = await store.require(result.jobId);
    expect(job).toMatchObject({
      status: 'QUEUED',
      mode: 'image-to-video',
      source,
      request: { prompt: 'the cat runs', durationSeconds: 10, image: { s3Key: 'uploads/cat.png' } },
      cost: { credits: 10, estimated: true },
    });
    expect(job.intakeProblems).toBeUndefined();
    expect(executions.started.map((e) => e.jobId)).toEqual([result.jobId]);
  });

  it('records options that do not fit as intake problems instead of dropping the upload', async () => {
    const { deps, store } = uploadDeps();
    const result = await createUploadJob(deps, { source, metadata: { duration: 'soon', colour: 'red' }, manifest: '{not json' });
    expect(result.created).toBe(true);
    const paths = ((await store.require(result.jobId)).intakeProblems ?? []).map((p) => p.path).sort();
    expect(paths).toEqual(['manifest', 'metadata.colour', 'metadata.duration']);
  });

  it('gives a redelivered event the same job and no second record', async () => {
    const { deps, store, executions } = uploadDeps();
    const first = await createUploadJob(deps, { source, metadata: { prompt: 'a cat' } });
    const again = await createUploadJob(deps, { source, metadata: { prompt: 'a cat' } });
    expect(again).toEqual({ jobId: first.jobId, provider: first.provider, created: false, problems: 0 });
    expect(store.jobs.size).toBe(1);
    expect(executions.started.map((e) => e.jobId)).toEqual([first.jobId, first.jobId]);
  });

  it('gives another version of the same key another job', async () => {
    const { deps } = uploadDeps();
    const v1 = await createUploadJob(deps, { source, metadata: {} });
    const v2 = await createUploadJob(deps, { source: { ...source, versionId: 'v2' }, metadata: {} });
    expect(v2.jobId).not.toBe(v1.jobId);
  });
});

describe('recordProviderResult', () => {
  it('moves a job to PROCESSING with its progress', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'SUBMITTED'));
    const result = toProviderResult({ providerTaskId: 't', status: 'processing', progress: 40 }, 'poll');
    expect(await recordProviderResult(store, 'job_1', result)).toMatchObject({ status: 'PROCESSING', progress: 40 });
  });

  it('records a terminal result on the job without ending it (the workflow does that)', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'PROCESSING', { providerTaskId: 'task-1' }));
    const result = toProviderResult(
      { providerTaskId: 'short', status: 'succeeded', videoUrl: 'https://cdn.example/v.mp4' },
      'callback',
      'task-1',
    );
    expect(result).toEqual({ providerTaskId: 'task-1', status: 'succeeded', videoUrl: 'https://cdn.example/v.mp4', source: 'callback' });
    const updated = await recordProviderResult(store, 'job_1', result);
    expect(updated).toMatchObject({ status: 'PROCESSING', providerResult: result });
  });

  it('changes nothing on a job that has ended', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_1', 'CANCELLED'));
    const result = toProviderResult({ providerTaskId: 't', status: 'processing', progress: 90 }, 'poll');
    expect(await recordProviderResult(store, 'job_1', result)).toBeUndefined();
    expect((await store.require('job_1')).progress).toBeUndefined();
  });
});

describe('requireActiveJob', () => {
  it('returns an active job and refuses an ended one with JobAlreadyFinished', async () => {
    const store = new InMemoryJobs();
    await store.create(storedJob('job_on', 'SUBMITTED'));
    await store.create(storedJob('job_off', 'CANCELLED'));
    expect((await requireActiveJob(store, 'job_on')).jobId).toBe('job_on');
    await expect(requireActiveJob(store, 'job_off')).rejects.toMatchObject({ name: 'JobAlreadyFinished' });
  });
});
