// Gateway errors end to end: with the simulator answering `[sim:http<status>]` as a gateway's HTML page on every
// mount (not the provider's JSON), on the local stack:
// - a 500 page is a refusal (nothing was made): Submit waits and sends again, and the job succeeds with one task;
// - a 502 page is an answer lost behind the gateway (the provider may have made the task): Submit never sends such a
//   job twice. Where the provider lets tasks be looked up the job carries on with what the look-up finds (here none,
//   so it is sent once more); elsewhere it ends SUBMIT_UNCERTAIN and nothing more is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';
import { STATES } from '../../lambdas/workflow/contract.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, finishedExecution, startTestStack } from './local-stack.ts';

const getAdapter = await loadAdapters();

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  // A provider request gives up after 4 s, so an unanswered submission has certainly ended 9 s after its intent
  // (local/stack.ts: the provider timeout and 5 s): the 502 cases wait that long, not the default 25 s.
  process.env.KLINGFLOW_PROVIDER_TIMEOUT_MS = '4000';
  stack = await startTestStack(undefined, { KLINGFLOW_SIMULATOR_LATENCY_MS: 300 });
  client = new Client(stack);
  stack.simulator!.setGatewayErrors('html');
});

afterAll(async () => {
  await stack?.stop();
  delete process.env.KLINGFLOW_PROVIDER_TIMEOUT_MS;
});

/** The simulator's tasks whose prompt carries `tag`. */
function providerSide(tag: string) {
  return { tasks: stack.simulator!.tasks().filter((task) => (task.prompt ?? '').includes(tag)) };
}

describe.concurrent.each(PROVIDER_IDS.map((id) => [id]))('provider %s behind a gateway', (provider) => {
  it('waits after a 500 HTML page at Submit, sends again, and succeeds with one provider task', async () => {
    const tag = `(gw500 ${provider})`;
    const jobId = await client.createJob({ provider, prompt: `a kite over a beach [sim:http500] ${tag}` });
    const job = await client.waitForJob(jobId);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const execution = await finishedExecution(stack, jobId);
    expect(execution.events.filter((e) => e.type === 'StateEntered' && e.stateName === STATES.waitToResubmit)).toHaveLength(1);
    expect(providerSide(tag).tasks).toHaveLength(1);
    const refused = stack.simulator!.rejections().filter((r) => r.dialect === provider && r.rejection.kind === 'http');
    expect(refused.length).toBeGreaterThan(0);
  });

  const canLookUp = getAdapter(provider).findSubmitted !== undefined;
  it(canLookUp
    ? 'after a 502 HTML page, looks the task up before sending again, and succeeds with one provider task'
    : 'after a 502 HTML page, never sends the job again: SUBMIT_UNCERTAIN, naming the provider', async () => {
    const tag = `(gw502 ${provider})`;
    const jobId = await client.createJob({ provider, prompt: `a kite over a beach [sim:http502] ${tag}` });
    const job = await client.waitForJob(jobId, 100_000);
    if (canLookUp) {
      expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
      expect(providerSide(tag).tasks).toHaveLength(1);
    } else {
      expect(job.status).toBe('FAILED');
      expect(job.error).toMatchObject({ code: 'SUBMIT_UNCERTAIN', retryable: false });
      expect(job.error.message).toContain(provider);
      // The only create reached the gateway's refusal: no task was made, and none was sent after it.
      expect(providerSide(tag).tasks).toHaveLength(0);
    }
  }, 120_000);
});
