// Callbacks bound to their job (issue 13): verification before any read, one refusal for every kind of stranger,
// and a genuine signed callback accepted only for the job whose task it names. The real Replicate and Kling
// adapters verify real Standard Webhooks signatures; the store is the in-memory one, counting its reads.
import { describe, expect, it } from 'vitest';
import { callbackToken } from '../../../lambdas/domain/callback-token.ts';
import { ProviderError } from '../../../lambdas/domain/errors.ts';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { signStandardWebhook } from '../../../lambdas/domain/webhooks.ts';
import { namesRecordedTask, receiveCallback, type CallbackDeps, type IncomingCallback } from '../../../lambdas/jobs/receive-callback.ts';
import type { ProviderAdapter, ProviderStatus } from '../../../lambdas/providers/port.ts';
import { KlingLegacyAdapter } from '../../../lambdas/providers/kling/adapter.ts';
import { REPLICATE_JOB_QUERY_PARAM, ReplicateAdapter } from '../../../lambdas/providers/replicate/adapter.ts';
import type { ProviderResult } from '../../../lambdas/workflow/contract.ts';
import { contextWith, FIXED_NOW } from '../providers/fake-fetch.ts';
import { ACME, InMemoryJobs, storedJob } from './in-memory-jobs.ts';

const WEBHOOK_SECRET = `whsec_${Buffer.from('a-provider-signing-secret-32byte').toString('base64')}`;
const CALLBACK_SECRET = 'deployment-callback-secret';
const noFetch = (async () => {
  throw new Error('no network in this test');
}) as unknown as typeof fetch;

/** A store that counts its reads, over the in-memory one. */
class CountingJobs extends InMemoryJobs {
  reads = 0;
  override async get(jobId: string) {
    this.reads += 1;
    return super.get(jobId);
  }
}

function setup(adapter: ProviderAdapter, jobs: JobRecord[]) {
  const store = new CountingJobs(() => FIXED_NOW);
  for (const job of jobs) store.jobs.set(job.jobId, job);
  const resumed: { token: string; result: ProviderResult }[] = [];
  const deps: CallbackDeps = {
    store,
    adapter,
    context: contextWith(noFetch, { credentials: { apiKey: 'k', webhookSecret: WEBHOOK_SECRET } }),
    callbackSecret: async () => CALLBACK_SECRET,
    resume: async (token, result) => {
      resumed.push({ token, result });
      return true;
    },
  };
  return { store, deps, resumed };
}

/** A Replicate webhook for a prediction, signed with the provider's secret, posted to job `jobId`'s callback URL. */
function replicateCallback(jobId: string, prediction: Record<string, unknown>, secret = WEBHOOK_SECRET): IncomingCallback {
  const rawBody = JSON.stringify(prediction);
  const headers = signStandardWebhook(secret, { id: `msg_${prediction.id}`, timestamp: FIXED_NOW, body: rawBody });
  // The query names the job the URL is for; that is not signed, which is why it proves nothing on its own.
  return { providerId: 'replicate', jobId, headers, query: { [REPLICATE_JOB_QUERY_PARAM]: jobId }, rawBody };
}

const replicateJob = (jobId: string, predictionId: string, extra: Partial<JobRecord> = {}) =>
  storedJob(jobId, 'SUBMITTED', { provider: 'replicate', providerTaskId: predictionId, taskToken: `token-${jobId}`, ...extra });
const succeeded = (id: string) => ({ id, status: 'succeeded', output: `https://replicate.delivery/${id}/out.mp4` });

describe('receiveCallback', () => {
  it("accepts a signed callback about the job's own task, records it and wakes the wait", async () => {
    const { deps, store, resumed } = setup(new ReplicateAdapter(), [replicateJob('job_a', 'pred_a')]);
    const outcome = await receiveCallback(deps, replicateCallback('job_a', succeeded('pred_a')));
    expect(outcome).toEqual({ kind: 'accepted', status: 'succeeded', recorded: true, resumed: true });
    expect((await store.get('job_a'))?.providerResult).toMatchObject({ providerTaskId: 'pred_a', status: 'succeeded' });
    expect(resumed.map((r) => r.token)).toEqual(['token-job_a']);
  });

  it("refuses a genuine signed callback for job A posted to job B's URL: B is untouched (issue 13)", async () => {
    const { deps, store, resumed } = setup(new ReplicateAdapter(), [replicateJob('job_a', 'pred_a'), replicateJob('job_b', 'pred_b')]);
    const before = await store.get('job_b');
    const outcome = await receiveCallback(deps, replicateCallback('job_b', succeeded('pred_a')));
    expect(outcome).toEqual({ kind: 'refused', reason: "the callback is about task pred_a, not the job's task pred_b" });
    expect(await store.get('job_b')).toEqual(before);
    expect(resumed).toEqual([]);
  });

  it.each([
    [
      'a reserved key',
      `{"id":"pred_a","status":"succeeded","output":"https://replicate.delivery/a.mp4","__proto__":{"x":1}}`,
      '__proto__ is a reserved name',
    ],
    ['a lone surrogate', `{"id":"pred_a","status":"failed","error":"bad \\ud800 thing"}`, 'error is not well-formed Unicode'],
    ['nesting past 8 levels', `{"id":"pred_a","status":"processing","logs":${'['.repeat(20)}${']'.repeat(20)}}`, 'is nested too deeply'],
  ])('refuses a signed callback holding %s, reading and writing nothing', async (_what, rawBody, said) => {
    const { deps, store, resumed } = setup(new ReplicateAdapter(), [replicateJob('job_a', 'pred_a')]);
    const before = await store.get('job_a');
    store.reads = 0;
    const headers = signStandardWebhook(WEBHOOK_SECRET, { id: 'msg_h', timestamp: FIXED_NOW, body: rawBody });
    const outcome = await receiveCallback(deps, {
      providerId: 'replicate',
      jobId: 'job_a',
      headers,
      query: { [REPLICATE_JOB_QUERY_PARAM]: 'job_a' },
      rawBody,
    });
    expect(outcome.kind).toBe('refused');
    expect((outcome as { reason: string }).reason).toContain(said);
    expect(store.reads).toBe(0);
    expect(await store.get('job_a')).toEqual(before);
    expect(resumed).toEqual([]);
  });

  it('reads nothing before the signature verifies', async () => {
    const { deps, store } = setup(new ReplicateAdapter(), [replicateJob('job_a', 'pred_a')]);
    const forged = replicateCallback(
      'job_a',
      succeeded('pred_a'),
      `whsec_${Buffer.from('not-the-providers-secret-32bytes').toString('base64')}`,
    );
    expect((await receiveCallback(deps, forged)).kind).toBe('refused');
    expect(store.reads).toBe(0);
  });

  it('gives an unknown job, another provider’s job and a job without a task the same outcome as a bad signature', async () => {
    const { deps } = setup(new ReplicateAdapter(), [
      storedJob('job_kling', 'SUBMITTED', { provider: 'kling', providerTaskId: 'pred_a' }),
      replicateJob('job_new', 'x', { providerTaskId: undefined }),
    ]);
    for (const jobId of ['job_missing', 'job_kling', 'job_new']) {
      expect((await receiveCallback(deps, replicateCallback(jobId, succeeded('pred_a')))).kind).toBe('refused');
    }
  });

  it('records nothing on a job that has already ended, and says so', async () => {
    const { deps, resumed } = setup(new ReplicateAdapter(), [replicateJob('job_done', 'pred_d', { status: 'SUCCEEDED' })]);
    expect(await receiveCallback(deps, replicateCallback('job_done', succeeded('pred_d')))).toEqual({
      kind: 'accepted',
      status: 'succeeded',
      recorded: false,
      resumed: false,
    });
    expect(resumed).toEqual([]);
  });

  it('says a job that ended before a task was recorded has ended, not that its task is still to come', async () => {
    const { deps, store, resumed } = setup(new ReplicateAdapter(), [
      replicateJob('job_cancelled', 'x', { status: 'CANCELLED', providerTaskId: undefined }),
      replicateJob('job_queued', 'x', { status: 'QUEUED', providerTaskId: undefined }),
    ]);
    const before = await store.get('job_cancelled');
    expect(await receiveCallback(deps, replicateCallback('job_cancelled', succeeded('pred_c')))).toEqual({
      kind: 'refused',
      reason: 'the job has ended (CANCELLED) with no provider task recorded: nothing to bind the callback to',
    });
    expect(await store.get('job_cancelled')).toEqual(before);
    expect(await receiveCallback(deps, replicateCallback('job_queued', succeeded('pred_q')))).toEqual({
      kind: 'refused',
      reason: 'the job has no provider task recorded yet',
    });
    expect(resumed).toEqual([]);
  });

  it('binds Kling callbacks by the signed external_task_id and the recorded task id', async () => {
    const task = (taskId: string, external: string) => ({
      task_id: taskId,
      task_status: 'succeed',
      task_info: { external_task_id: external },
      task_result: { videos: [{ id: 'v', url: 'https://cdn.example.com/v.mp4', duration: '5' }] },
      created_at: 1,
      updated_at: 2,
    });
    const signed = (jobId: string, body: object): IncomingCallback => {
      const rawBody = JSON.stringify(body);
      return {
        providerId: 'kling',
        jobId,
        query: {},
        rawBody,
        headers: signStandardWebhook(WEBHOOK_SECRET, { id: 'm', timestamp: FIXED_NOW, body: rawBody }),
      };
    };
    const kling = (jobId: string, taskId: string) =>
      storedJob(jobId, 'SUBMITTED', { provider: 'kling', providerTaskId: `text2video:${taskId}`, taskToken: 't' });
    const { deps } = setup(new KlingLegacyAdapter(), [kling('job_a', '111'), kling('job_b', '222')]);
    expect((await receiveCallback(deps, signed('job_a', task('111', 'job_a')))).kind).toBe('accepted');
    // Job A's signed callback posted to job B: its external_task_id names A.
    expect((await receiveCallback(deps, signed('job_b', task('111', 'job_a')))).kind).toBe('refused');
    // A signed callback naming B but about another task.
    expect(await receiveCallback(deps, signed('job_b', task('111', 'job_b')))).toEqual({
      kind: 'refused',
      reason: "the callback is about task 111, not the job's task text2video:222",
    });
  });

  describe('url-token providers', () => {
    const tokenAdapter = (status: ProviderStatus): ProviderAdapter => ({
      id: 'acme',
      capabilities: { ...ACME, callbacks: true, callbackAuth: 'url-token' },
      submit: async () => ({ providerTaskId: 'x' }),
      status: async () => status,
      parseCallback: async () => status,
    });
    const acmeJob = storedJob('job_t', 'SUBMITTED', { providerTaskId: 'task_t' });
    const call = (token: string | undefined): IncomingCallback => ({
      providerId: 'acme',
      jobId: 'job_t',
      headers: {},
      query: { token },
      rawBody: '{}',
    });

    it("accepts the job's own token and task, and refuses another job's token without reading", async () => {
      const { deps, store } = setup(tokenAdapter({ providerTaskId: 'task_t', status: 'processing', progress: 40 }), [acmeJob]);
      expect(await receiveCallback(deps, call(callbackToken(CALLBACK_SECRET, 'acme', 'job_t')))).toMatchObject({
        kind: 'accepted',
        progress: 40,
      });
      const reads = store.reads;
      expect((await receiveCallback(deps, call(callbackToken(CALLBACK_SECRET, 'acme', 'job_other')))).kind).toBe('refused');
      expect((await receiveCallback(deps, call(undefined))).kind).toBe('refused');
      expect(store.reads).toBe(reads);
    });

    it('still requires the task to be the job’s', async () => {
      const { deps } = setup(tokenAdapter({ providerTaskId: 'task_other', status: 'succeeded', videoUrl: 'https://x.example/v.mp4' }), [
        acmeJob,
      ]);
      expect((await receiveCallback(deps, call(callbackToken(CALLBACK_SECRET, 'acme', 'job_t')))).kind).toBe('refused');
    });
  });

  it('refuses whatever an adapter throws on a hostile body, and asks for a retry only when verification could not run', async () => {
    const throwing = (error: Error): ProviderAdapter => ({
      id: 'acme',
      capabilities: { ...ACME, callbacks: true, callbackAuth: 'signature' },
      submit: async () => ({ providerTaskId: 'x' }),
      status: async () => ({ providerTaskId: 'x', status: 'pending' }),
      parseCallback: async () => {
        throw error;
      },
    });
    const call: IncomingCallback = { providerId: 'acme', jobId: 'job_t', headers: {}, query: {}, rawBody: '{' };
    expect(await receiveCallback(setup(throwing(new TypeError('x is undefined')), []).deps, call)).toEqual({
      kind: 'refused',
      reason: 'verification failed: TypeError',
    });
    expect((await receiveCallback(setup(throwing(new ProviderError('network', 'JWKS unreachable')), []).deps, call)).kind).toBe(
      'unverifiable',
    );
    // A verified body the adapter cannot use ("succeeded" without a video) is not worth a retry: refused.
    const unusable = new ProviderError('server', 'succeeded without a video');
    expect((await receiveCallback(setup(throwing(unusable), []).deps, call)).kind).toBe('refused');
  });
});

describe('namesRecordedTask', () => {
  it.each([
    ['pred_a', 'pred_a', true],
    ['text2video:123', '123', true],
    ['fal-ai/kling-video/v3/pro/text-to-video:req-1', 'req-1', true],
    ['text2video:123', '23', false],
    ['text2video:123', 'image2video:123', false],
    ['pred_a', 'pred_b', false],
    ['pred_a', '', false],
  ])('%s named by %j: %s', (recorded, reported, expected) => {
    expect(namesRecordedTask(recorded, reported)).toBe(expected);
  });
});
