// Gateway errors end to end: with the simulator answering `[sim:http<status>]` as a gateway's HTML page on every
// mount (not the provider's JSON), each provider's job is still retried at Submit into success, on the local stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { STATES } from '../../lambdas/workflow/contract.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, finishedExecution, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack(undefined, { KLINGFLOW_SIMULATOR_LATENCY_MS: 300 });
  client = new Client(stack);
  stack.simulator!.setGatewayErrors('html');
});

afterAll(async () => {
  await stack?.stop();
});

describe.concurrent.each(PROVIDER_IDS.map((id) => [id]))('provider %s behind a gateway', (provider) => {
  it('retries a 502 HTML page at Submit and succeeds', async () => {
    const jobId = await client.createJob({ provider, prompt: `a kite over a beach [sim:http502] (${provider})` });
    const job = await client.waitForJob(jobId);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const execution = await finishedExecution(stack, jobId);
    expect(execution.events.filter((e) => e.type === 'StateRetried' && e.stateName === STATES.submit)).toHaveLength(1);
    const refused = stack.simulator!.rejections().filter((r) => r.dialect === provider && r.rejection.kind === 'http');
    expect(refused.length).toBeGreaterThan(0);
  });
});
