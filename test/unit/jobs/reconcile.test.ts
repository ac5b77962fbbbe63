// The reconciler (lambdas/jobs/reconcile.ts) on in-memory fakes: it reads every job from the base table, re-drives
// unfinished jobs without a live execution under a new name, ends the ones that keep stalling with a reason, and sends
// missing notices and webhooks; never twice at once, never for a job whose execution still runs.
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import type { ExecutionState } from '../../../lambdas/jobs/ports.ts';
import { owesNotice, reconcile, type ReconcileDeps } from '../../../lambdas/jobs/reconcile.ts';
import { executionRecorder, InMemoryJobs, storedJob } from './in-memory-jobs.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const LONG_AGO = '2026-11-30T10:00:00.000Z';
const JUST_NOW = '2026-11-30T11:59:30.000Z';

function setup(executions: Record<string, ExecutionState> = {}) {
  const store = new InMemoryJobs(() => NOW);
  const started = executionRecorder();
  const released: string[] = [];
  const deps: ReconcileDeps = {
    store,
    startExecution: started.start,
    describeExecution: async (name) => executions[name] ?? { status: 'MISSING' },
    releaseSlot: async (jobId) => void released.push(jobId),
    config: { maxPolls: 10, slotWaitSeconds: 30 },
    now: () => NOW,
    graceSeconds: 600,
    maxRedrives: 3,
  };
  const job = (jobId: string, status: JobRecord['status'], extra: Partial<JobRecord> = {}) =>
    store.create(storedJob(jobId, status, { updatedAt: LONG_AGO, ...extra }));
  return { deps, store, started, released, job, executions };
}

const closed = (result: string, error?: string): ExecutionState => ({ status: 'CLOSED', result, ...(error ? { error } : {}) });

describe('reconcile: jobs past their deadline', () => {
  it('counts unfinished jobs older than their deadline per provider, and nothing without a deadline', async () => {
    const { deps, job } = setup({ job_old: { status: 'RUNNING' }, job_fal: { status: 'RUNNING' } });
    await job('job_old', 'PROCESSING', { createdAt: '2026-11-30T09:00:00.000Z' });
    await job('job_fal', 'SUBMITTED', { createdAt: '2026-11-30T08:00:00.000Z', provider: 'fal' });
    await job('job_young', 'QUEUED', { createdAt: '2026-11-30T11:30:00.000Z' });
    await job('job_done', 'SUCCEEDED', { createdAt: '2026-11-30T01:00:00.000Z', notifiedAt: LONG_AGO });
    expect((await reconcile({ ...deps, deadlineSeconds: 3600 })).pastDeadline).toEqual({ acme: 1, fal: 1 });
    expect((await reconcile(deps)).pastDeadline).toEqual({});
  });
});

describe('reconcile: unfinished jobs', () => {
  it('re-drives every unfinished job without a live execution, across pages of the base table', async () => {
    const { deps, started, job } = setup({ job_live: { status: 'RUNNING' } });
    for (const status of ['QUEUED', 'SUBMITTED', 'PROCESSING', 'ARCHIVING'] as const) await job(`job_${status.toLowerCase()}`, status);
    await job('job_live', 'PROCESSING');
    const report = await reconcile(deps);
    expect(report.scanned).toBe(5);
    expect(report.redriven.sort()).toEqual(['job_archiving', 'job_processing', 'job_queued', 'job_submitted']);
    // Never started (or the local stack restarted): under its own name.
    expect(started.names.sort()).toEqual(['job_archiving', 'job_processing', 'job_queued', 'job_submitted']);
    expect(started.started.every((input) => input.config.maxPolls === 10 && input.resume === undefined)).toBe(true);
  });

  it('starts a job whose execution closed under a new name (a closed name is taken for 90 days), counted once', async () => {
    const { deps, store, started, job } = setup({ job_1: closed('FAILED', 'States.Runtime') });
    await job('job_1', 'SUBMITTED');
    expect((await reconcile(deps)).redriven).toEqual(['job_1']);
    expect(started.names).toEqual(['job_1-r1']);
    expect((await store.require('job_1')).redrives).toBe(1);
  });

  it('leaves a job alone while its last change is recent (its execution may be starting)', async () => {
    const { deps, started, job } = setup();
    await job('job_new', 'QUEUED', { updatedAt: JUST_NOW });
    expect((await reconcile(deps)).redriven).toEqual([]);
    expect(started.names).toEqual([]);
    expect((await reconcile({ ...deps, graceSeconds: 0 })).redriven).toEqual(['job_new']);
  });

  it('ends a job whose runs keep stalling: FAILED with STALLED and why, its slot freed, its notice sent', async () => {
    const { deps, store, started, released, job } = setup({ 'job_1-r3': closed('FAILED', 'JobStranded') });
    await job('job_1', 'PROCESSING', { redrives: 3 });
    const report = await reconcile(deps);
    expect(report.ended).toEqual(['job_1']);
    const ended = await store.require('job_1');
    expect(ended).toMatchObject({ status: 'FAILED', error: { code: 'STALLED', retryable: true } });
    expect(ended.error!.message).toBe(
      "the job's workflow ended 4 times without finishing it (last: execution job_1-r3 FAILED, JobStranded); it was not started again",
    );
    expect(released).toEqual(['job_1']);
    expect(started.names).toEqual(['job_1-n1']);
    expect(started.started[0]).toMatchObject({ jobId: 'job_1', resume: 'notice-failed' });
  });

  it('two passes at once start one execution: only the one that counts the re-drive starts it', async () => {
    const { deps, store, started, job } = setup({ job_1: closed('ABORTED') });
    await job('job_1', 'SUBMITTED');
    const stale = await store.require('job_1');
    await store.countRedrive('job_1', 'redrives', 0); // the other pass won
    const original = store.scan.bind(store);
    store.scan = async () => ({ items: [stale] });
    expect((await reconcile(deps)).redriven).toEqual([]);
    expect(started.names).toEqual([]);
    store.scan = original;
  });
});

describe('reconcile: finished jobs', () => {
  it('sends the notice of a job that finished without one (a crash between Complete and Notify)', async () => {
    const { deps, started, job } = setup({ job_ok: closed('FAILED') });
    await job('job_ok', 'SUCCEEDED');
    await job('job_failed', 'FAILED', { error: { code: 'PROVIDER_FAILED', message: 'x', retryable: false } });
    await job('job_told', 'SUCCEEDED', { notifiedAt: LONG_AGO });
    const report = await reconcile(deps);
    expect(report.renotified.sort()).toEqual(['job_failed', 'job_ok']);
    expect(started.started.map((input) => [input.jobId, input.resume]).sort()).toEqual([
      ['job_failed', 'notice-failed'],
      ['job_ok', 'notice-succeeded'],
    ]);
    expect(started.names.sort()).toEqual(['job_failed-n1', 'job_ok-n1']);
  });

  it('sends a webhook neither delivered nor given up, even when the notice went out', async () => {
    const { deps, started, job } = setup();
    const request = {
      provider: 'acme',
      model: 'model-a',
      prompt: 'a fox',
      durationSeconds: 5,
      aspectRatio: '16:9',
      quality: 'std',
      callbackUrl: 'https://hooks.example.com/k',
    } as const;
    await job('job_pending', 'SUCCEEDED', { notifiedAt: LONG_AGO, request, webhook: { id: 'msg', status: 'pending', attempts: 1 } });
    await job('job_delivered', 'SUCCEEDED', { notifiedAt: LONG_AGO, request, webhook: { id: 'msg', status: 'delivered', attempts: 1 } });
    await job('job_gave_up', 'SUCCEEDED', { notifiedAt: LONG_AGO, request, webhook: { id: 'msg', status: 'failed', attempts: 4 } });
    expect((await reconcile(deps)).renotified).toEqual(['job_pending']);
    expect(started.names).toEqual(['job_pending-n1']);
  });

  it('does not send while an execution of the job runs, nor past maxRedrives notice runs', async () => {
    const { deps, started, job } = setup({ job_running: { status: 'RUNNING' }, 'job_sending-n1': { status: 'RUNNING' } });
    await job('job_running', 'SUCCEEDED');
    await job('job_sending', 'SUCCEEDED', { noticeRedrives: 1 });
    await job('job_tried', 'FAILED', { noticeRedrives: 3 });
    expect((await reconcile(deps)).renotified).toEqual([]);
    expect(started.names).toEqual([]);
  });

  it('owes a notice claimed by a run that died (the claim is stale), not one being sent now', () => {
    const job = storedJob('job_1', 'SUCCEEDED');
    expect(owesNotice({ ...job, noticeClaimedAt: '2026-11-30T11:50:00.000Z' }, NOW)).toBe(true);
    expect(owesNotice({ ...job, noticeClaimedAt: '2026-11-30T11:59:30.000Z' }, NOW)).toBe(false);
    expect(owesNotice({ ...job, notifiedAt: LONG_AGO }, NOW)).toBe(false);
  });

  it('owes a fresh claim made before claimsStaleBefore (a local stack that restarted: its claimer is gone)', async () => {
    const job = { ...storedJob('job_1', 'CANCELLED'), noticeClaimedAt: '2026-11-30T11:59:30.000Z' };
    const restartedAt = new Date('2026-11-30T11:59:45.000Z');
    expect(owesNotice(job, NOW, restartedAt)).toBe(true);
    expect(owesNotice({ ...job, noticeClaimedAt: '2026-11-30T11:59:50.000Z' }, NOW, restartedAt)).toBe(false);
    const { deps, started, job: put } = setup({});
    await put('job_claimed', 'CANCELLED', { noticeClaimedAt: '2026-11-30T11:59:30.000Z' });
    expect((await reconcile({ ...deps, graceSeconds: 0 })).renotified).toEqual([]);
    expect((await reconcile({ ...deps, graceSeconds: 0, claimsStaleBefore: restartedAt })).renotified).toEqual(['job_claimed']);
    expect(started.names).toEqual(['job_claimed-n1']);
    // Released, so the notice run's own claim (which goes by age) can take it.
    expect((await deps.store.get('job_claimed'))?.noticeClaimedAt).toBeUndefined();
  });
});

describe('reconcile: lost callbacks', () => {
  it('asks about every unfinished job, whatever its last change, and reports the waits it woke and the polls that failed', async () => {
    const { deps, started, job } = setup({
      job_lost: { status: 'RUNNING' },
      job_down: { status: 'RUNNING' },
      job_quiet: { status: 'RUNNING' },
    });
    await job('job_lost', 'SUBMITTED', { updatedAt: JUST_NOW });
    await job('job_down', 'SUBMITTED');
    await job('job_quiet', 'PROCESSING');
    await job('job_done', 'SUCCEEDED', { notifiedAt: LONG_AGO });
    const asked: string[] = [];
    const outcomes = { job_lost: 'resumed', job_down: 'poll-failed', job_quiet: 'running' } as const;
    const report = await reconcile({
      ...deps,
      checkLostCallback: async (j) => {
        asked.push(j.jobId);
        return outcomes[j.jobId as keyof typeof outcomes] ?? 'skipped';
      },
    });
    expect(asked.sort()).toEqual(['job_done', 'job_down', 'job_lost', 'job_quiet']);
    expect(report.lostCallbacks).toEqual(['job_lost']);
    expect(report.safetyPollsFailed).toEqual(['job_down']);
    // Their executions run: nothing is re-driven.
    expect(report.redriven).toEqual([]);
    expect(started.names).toEqual([]);
  });
});
