// The spend guard on the real local stack (docs/api.md, "Spend caps"): a daily cap of two jobs' worth of credits on
// kling-v3-rest (its price table: kling-v3, 720p, 5 s is 10 credits). The first two jobs run; the third create is
// refused with 429 naming the cap and today's spend, and nothing is written. A cap in jobs holds the default provider
// (which has no price table) just the same, and a low provider balance stops a submission before the provider would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { Client, countJobs, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack(undefined, {
    KLINGFLOW_SPEND_CAPS: { daily: { 'kling-v3-rest': { credits: 20 }, klinggenerator: { jobs: 1 } } },
  });
  client = new Client(stack);
});

afterAll(async () => {
  await stack?.stop();
});

const job = (prompt: string) => ({ provider: 'kling-v3-rest', model: 'kling-v3', resolution: '720p', durationSeconds: 5, prompt });

describe('spend caps', () => {
  it('stops a submission while the provider balance is below the reserve: the job fails LOW_BALANCE, never sent, not counted', async () => {
    // The simulated kling-v3-rest account starts with 10,000 credits; a reserve above that stops every submission.
    process.env.KLINGFLOW_KLING_V3_REST_MIN_BALANCE_CREDITS = '20000';
    try {
      const tasksBefore = stack.simulator!.tasks().length;
      const failed = await client.waitForJob(await client.createJob(job('a kite at night')));
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toEqual({
        code: 'LOW_BALANCE',
        message: expect.stringMatching(
          /^the kling-v3-rest account holds 10000 credits; this job needs about 10, which would leave less than the 20000 credits/,
        ),
        retryable: true,
      });
      expect(stack.simulator!.tasks().length).toBe(tasksBefore);
      // The operators' alarm on account errors counts it (ProviderErrors kind low_balance, lib/monitoring.ts).
      const errors = await client.request('GET', `/v1/metrics?jobId=${failed.jobId}&name=ProviderErrors`);
      expect(errors.body.metrics).toContainEqual(
        expect.objectContaining({ dimensions: { provider: 'kling-v3-rest', kind: 'low_balance' } }),
      );
    } finally {
      delete process.env.KLINGFLOW_KLING_V3_REST_MIN_BALANCE_CREDITS;
    }
  });

  it('admits two jobs worth 10 credits each under a daily cap of 20, then refuses the third with the cap in the message, writing nothing', async () => {
    for (const prompt of ['a red kite', 'a blue kite']) {
      const done = await client.waitForJob(await client.createJob(job(prompt)));
      expect(done.status).toBe('SUCCEEDED');
      expect(done.cost).toMatchObject({ credits: 10 });
    }
    const before = await countJobs();
    const refused = await client.request('POST', '/v1/jobs', job('a green kite'));
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('SPEND_CAP_REACHED');
    expect(refused.body.error.message).toMatch(
      /^the daily cap of 20 credits for provider kling-v3-rest is reached: today's spend is 2 jobs, 20 credits, \$0\.\d\d; this job would add 10 credits\. The cap resets at \d{4}-\d\d-\d\dT00:00:00\.000Z$/,
    );
    expect(refused.body.error.details).toEqual([{ path: 'provider', message: refused.body.error.message }]);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await countJobs()).toBe(before);

    // Another provider is not held by kling-v3-rest's cap.
    expect((await client.request('POST', '/v1/jobs', { prompt: 'a paper kite' })).status).toBe(202);
  });

  it('holds a provider without a price table by a cap in jobs', async () => {
    const first = await client.createJob({ provider: 'klinggenerator', prompt: 'a lantern' });
    expect((await client.waitForJob(first)).status).toBe('SUCCEEDED');
    const refused = await client.request('POST', '/v1/jobs', { provider: 'klinggenerator', prompt: 'a second lantern' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/^the daily cap of 1 job for provider klinggenerator is reached: today's spend is 1 job, /);
  });
});
