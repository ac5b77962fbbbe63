// Every provider dialect end to end on the local stack: its adapter talks real HTTP to the simulator's
// implementation of that provider's documented API. Per provider: a job succeeds and is archived; a retryable
// provider failure is retried into success; a content-policy failure ends FAILED with the canonical code; where
// the provider calls back, the callback finishes the job without a poll; a forged callback is refused.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import { STATES } from '../../lambdas/workflow/contract.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, startTestStack, statesEntered } from './local-stack.ts';

const getAdapter = await loadAdapters();

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack(undefined, { KLINGFLOW_SIMULATOR_LATENCY_MS: 300 });
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe.concurrent.each(PROVIDER_IDS.map((id) => [id]))('provider %s', (provider) => {
  const { callbacks } = getAdapter(provider).capabilities;

  it('generates a video and archives it', async () => {
    const jobId = await client.createJob({ provider, prompt: `a red fox running through snow (${provider})` });
    const job = await client.waitForJob(jobId);
    expect(job, JSON.stringify(job.error)).toMatchObject({ status: 'SUCCEEDED', provider });
    const { bytes } = await client.downloadVideo(jobId);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(job.outputs.video.sha256);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const states = await statesEntered(stack, jobId);
    // A provider that calls back finishes on the callback; the others by polling.
    if (callbacks) expect(states).not.toContain(STATES.pollStatus);
    else expect(states).toContain(STATES.pollStatus);
  });

  it('retries a provider server error (500) after a jittered wait, and succeeds', async () => {
    const jobId = await client.createJob({ provider, prompt: `a kite over a beach [sim:http500] (${provider})` });
    const job = await client.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    const states = await statesEntered(stack, jobId);
    expect(states.filter((name) => name === STATES.submit)).toHaveLength(2);
    expect(states.filter((name) => name === STATES.waitToResubmit)).toHaveLength(1);
  });

  it('maps a content-policy failure to CONTENT_POLICY, not retried', async () => {
    const jobId = await client.createJob({ provider, prompt: `something refused [sim:content-policy] (${provider})` });
    const job = await client.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'CONTENT_POLICY', retryable: false } });
  });

  it('refuses a forged callback', async () => {
    const jobId = await client.createJob({ provider, prompt: `a slow one [sim:latency=4000] (${provider})` });
    const forged = await fetch(`${stack.url}/v1/callbacks/${provider}/${jobId}?token=forged`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,Zm9yZ2Vk',
        'x-fal-webhook-request-id': 'forged',
        'x-fal-webhook-user-id': 'forged',
        'x-fal-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-fal-webhook-signature': '00'.repeat(64),
      },
      body: JSON.stringify({ status: 'succeeded', task_status: 'succeed', output: 'https://evil.example/x.mp4' }),
    });
    expect(forged.status).toBe(401);
    const job = await client.waitForJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.outputs.video.key).toBe(`jobs/${jobId}/video.mp4`);
  });
});
