// createJob through its injected dependencies: validation, the conditional create, idempotency and the execution.
import { describe, expect, it } from 'vitest';
import { createJob, type CreateJobDeps } from '../../../lambdas/jobs/create-job.ts';
import type { ResolvedRequest } from '../../../lambdas/domain/job.ts';
import { acmeLookup, ACME, executionRecorder, InMemoryJobs } from './in-memory-jobs.ts';

const notUsed = async (): Promise<never> => {
  throw new Error('not used by createJob');
};
/** The adapter createJob sees: capabilities for validation, and a price of 2 credits a second. */
const acmeAdapter = {
  id: 'acme',
  capabilities: ACME,
  submit: notUsed,
  status: notUsed,
  estimateCost: (request: ResolvedRequest) => ({ credits: 2 * request.durationSeconds }),
};

function deps(store = new InMemoryJobs()) {
  const executions = executionRecorder();
  const value: CreateJobDeps = {
    store,
    providers: { ...acmeLookup, adapterOf: () => acmeAdapter },
    startExecution: executions.start,
    workflowConfig: { maxPolls: 10, slotWaitSeconds: 30 },
    now: () => new Date('2026-11-30T12:00:00Z'),
  };
  return { deps: value, store, executions };
}

describe('createJob', () => {
  it('writes a QUEUED job with defaults from the capability map and the estimate, and starts its execution', async () => {
    const { deps: d, store, executions } = deps();
    const outcome = await createJob(d, { prompt: 'a fox in the snow' }, { caller: 'alice' });
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind !== 'accepted') return;
    expect(outcome.created).toBe(true);
    const stored = await store.require(outcome.job.jobId);
    expect(stored).toMatchObject({
      status: 'QUEUED',
      provider: 'acme',
      model: 'model-a',
      mode: 'text-to-video',
      request: { durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
      cost: { credits: 10, estimated: true },
      createdAt: '2026-11-30T12:00:00.000Z',
    });
    expect(executions.started).toEqual([
      { jobId: outcome.job.jobId, submitRetries: { count: 0 }, config: { maxPolls: 10, slotWaitSeconds: 30 } },
    ]);
  });

  it('refuses what the model does not allow, naming every field, and writes nothing', async () => {
    const { deps: d, store, executions } = deps();
    const outcome = await createJob(d, { prompt: 'a fox', durationSeconds: 7, aspectRatio: '1:1', colour: 'red' }, { caller: 'alice' });
    expect(outcome.kind).toBe('invalid');
    if (outcome.kind !== 'invalid') return;
    const paths = outcome.details.map((d) => d.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['aspectRatio', 'durationSeconds']));
    expect(outcome.details.find((d) => d.path === 'durationSeconds')?.message).toMatch(/5, 10/);
    expect(outcome.details.some((d) => /colour/.test(`${d.path} ${d.message}`))).toBe(true);
    expect(store.jobs.size).toBe(0);
    expect(executions.started).toEqual([]);
  });

  it('finds the same job for a retried create with the same Idempotency-Key and body, and starts it again', async () => {
    const { deps: d, store, executions } = deps();
    const first = await createJob(d, { prompt: 'a fox' }, { caller: 'alice', idempotencyKey: 'k-1' });
    const again = await createJob(d, { prompt: 'a fox' }, { caller: 'alice', idempotencyKey: 'k-1' });
    expect(first.kind === 'accepted' && again.kind === 'accepted').toBe(true);
    if (first.kind !== 'accepted' || again.kind !== 'accepted') return;
    expect(again.job.jobId).toBe(first.job.jobId);
    expect(again.created).toBe(false);
    expect(store.jobs.size).toBe(1);
    // The first attempt may have died between the write and the start: the execution is started again (by name,
    // so Step Functions runs it once).
    expect(executions.started.map((e) => e.jobId)).toEqual([first.job.jobId, first.job.jobId]);
  });

  it('answers a conflict when the key comes back with another body', async () => {
    const { deps: d } = deps();
    const first = await createJob(d, { prompt: 'a fox' }, { caller: 'alice', idempotencyKey: 'k-1' });
    const other = await createJob(d, { prompt: 'a wolf' }, { caller: 'alice', idempotencyKey: 'k-1' });
    expect(other).toEqual({ kind: 'conflict', jobId: first.kind === 'accepted' ? first.job.jobId : '' });
  });

  it('finds the same job when the retry spells out the defaults the first create left out', async () => {
    const { deps: d, store } = deps();
    const first = await createJob(d, { prompt: 'a fox' }, { caller: 'alice', idempotencyKey: 'k-1' });
    if (first.kind !== 'accepted') throw new Error(`not accepted: ${first.kind}`);
    const { provider, model, durationSeconds, aspectRatio, quality } = first.job.request;
    const spelled = { prompt: 'a fox', provider, model, durationSeconds, aspectRatio, quality };
    const again = await createJob(d, spelled, { caller: 'alice', idempotencyKey: 'k-1' });
    expect(again).toMatchObject({ kind: 'accepted', created: false, job: { jobId: first.job.jobId } });
    expect(store.jobs.size).toBe(1);
    const longer = await createJob(
      d,
      { ...spelled, durationSeconds: durationSeconds === 5 ? 10 : 5 },
      { caller: 'alice', idempotencyKey: 'k-1' },
    );
    expect(longer).toEqual({ kind: 'conflict', jobId: first.job.jobId });
  });

  it('keeps idempotency keys per caller', async () => {
    const { deps: d, store } = deps();
    await createJob(d, { prompt: 'a fox' }, { caller: 'alice', idempotencyKey: 'k-1' });
    const bob = await createJob(d, { prompt: 'a wolf' }, { caller: 'bob', idempotencyKey: 'k-1' });
    expect(bob.kind).toBe('accepted');
    expect(store.jobs.size).toBe(2);
  });
});
