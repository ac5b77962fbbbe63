// The spend guard (domain/spend.ts, jobs/spend.ts, the submit path): caps read and refused by name, an estimate
// counted once at submit and never past a cap, a refusal that sends nothing, corrections, and the low-balance stop.
import { describe, expect, it } from 'vitest';
import { LowBalance, ProviderError, SpendCapReached } from '../../../lambdas/domain/errors.ts';
import {
  breachMessage,
  breachOf,
  correctionOf,
  countersOf,
  limitOf,
  parseSpendCaps,
  periodEnd,
  periodsOf,
  SPEND_UNITS,
  type SpendAmount,
  type SpendCaps,
  type SpendCounter,
} from '../../../lambdas/domain/spend.ts';
import type { SpendGuard, SpendLedger } from '../../../lambdas/jobs/ports.ts';
import { checkBalance, checkSpend, correctSpend, recordSpend } from '../../../lambdas/jobs/spend.ts';
import { submitJob, type SubmitJobDeps } from '../../../lambdas/jobs/submit-job.ts';
import type { AdapterContext, ProviderAdapter } from '../../../lambdas/providers/port.ts';
import { failureOf } from '../../../lambdas/workflow/failure.ts';
import { ACME, InMemoryJobs, storedJob } from './in-memory-jobs.ts';

const NOW = new Date('2026-11-30T12:00:00Z');

/** The ledger's semantics in memory: each counter refuses an addition that would cross its cap; nothing is half-added. */
class InMemoryLedger implements SpendLedger {
  readonly counters = new Map<string, SpendAmount>();
  private key = (c: SpendCounter) => `${c.period}|${c.scope}`;
  get(c: SpendCounter): SpendAmount {
    return this.counters.get(this.key(c)) ?? { jobs: 0, credits: 0, usd: 0 };
  }
  async read(counters: readonly SpendCounter[]) {
    return counters.map((c) => this.get(c));
  }
  async reserve(counters: readonly SpendCounter[], amount: SpendAmount, caps: SpendCaps) {
    for (const c of counters) {
      const breach = breachOf(caps, c, this.get(c), amount);
      if (breach) return breach;
    }
    await this.add(counters, amount);
    return undefined;
  }
  async add(counters: readonly SpendCounter[], delta: SpendAmount) {
    for (const c of counters) {
      const now = this.get(c);
      this.counters.set(this.key(c), { jobs: now.jobs + delta.jobs, credits: now.credits + delta.credits, usd: now.usd + delta.usd });
    }
  }
}

const guardWith = (caps: SpendCaps, ledger = new InMemoryLedger()): SpendGuard & { ledger: InMemoryLedger } => ({
  ledger,
  caps: async () => caps,
});

describe('parseSpendCaps', () => {
  it('reads daily and monthly caps per provider and overall', () => {
    expect(parseSpendCaps('{"daily": {"total": {"usd": 5}, "kling": {"jobs": 2}}, "monthly": {"total": {"credits": 900}}}', 'X')).toEqual({
      daily: { total: { usd: 5 }, kling: { jobs: 2 } },
      monthly: { total: { credits: 900 } },
    });
    expect(parseSpendCaps('{}', 'X')).toEqual({});
  });

  it('refuses what it cannot read, naming the source, the path and the shape', () => {
    expect(() => parseSpendCaps('{', 'KLINGFLOW_SPEND_CAPS')).toThrow(/^KLINGFLOW_SPEND_CAPS: not valid JSON/);
    expect(() => parseSpendCaps('{"weekly": {}}', 'X')).toThrow(/^X: .*expected \{"daily"\|"monthly"/);
    expect(() => parseSpendCaps('{"daily": {"kling": {"usd": -1}}}', 'X')).toThrow(/^X: daily\.kling\.usd/);
    expect(() => parseSpendCaps('{"daily": {"kling": {"euros": 1}}}', 'X')).toThrow(/^X: daily\.kling/);
  });
});

describe('periods and caps', () => {
  it('counts a job in its UTC day and month, overall and for its provider', () => {
    expect(periodsOf(new Date('2026-12-31T23:59:59Z'))).toEqual({ day: '2026-12-31', month: '2026-12' });
    expect(periodEnd('daily', NOW).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(periodEnd('monthly', new Date('2026-12-15T00:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(countersOf('kling', NOW).map((c) => `${c.period} ${c.scope}`)).toEqual([
      'day#2026-11-30 total',
      'day#2026-11-30 kling',
      'month#2026-11 total',
      'month#2026-11 kling',
    ]);
  });

  it('admits up to the cap and refuses past it, in each unit; a unit the job does not spend is never refused', () => {
    const [dayTotal] = countersOf('kling', NOW);
    const caps: SpendCaps = { daily: { total: { jobs: 2, usd: 0.28 } } };
    expect(limitOf(caps, dayTotal!)).toEqual({ jobs: 2, usd: 0.28 });
    expect(breachOf(caps, dayTotal!, { jobs: 1, credits: 0, usd: 0.14 }, { jobs: 1, credits: 0, usd: 0.14 })).toBeUndefined();
    expect(breachOf(caps, dayTotal!, { jobs: 2, credits: 0, usd: 0.28 }, { jobs: 1, credits: 0, usd: 0 })).toMatchObject({
      unit: 'jobs',
      cap: 2,
    });
    expect(
      breachOf({ daily: { total: { usd: 0.28 } } }, dayTotal!, { jobs: 5, credits: 0, usd: 0.28 }, { jobs: 1, credits: 0, usd: 0 }),
    ).toBeUndefined();
    expect(SPEND_UNITS).toEqual(['jobs', 'credits', 'usd']);
  });

  it('says which cap, what was spent, what the job adds and when it resets', () => {
    const [, dayKling] = countersOf('kling', NOW);
    const breach = breachOf(
      { daily: { kling: { usd: 0.5 } } },
      dayKling!,
      { jobs: 3, credits: 30, usd: 0.42 },
      { jobs: 1, credits: 10, usd: 0.14 },
    )!;
    expect(breachMessage(breach, NOW)).toBe(
      "the daily cap of $0.50 for provider kling is reached: today's spend is 3 jobs, 30 credits, $0.42; this job would add $0.14. The cap resets at 2026-12-01T00:00:00.000Z",
    );
  });

  it('corrects by the difference between reported and recorded, per reported unit', () => {
    expect(correctionOf({ jobs: 1, credits: 10, usd: 0.1 }, { credits: 12 })).toEqual({ jobs: 0, credits: 2, usd: 0 });
    expect(correctionOf({ jobs: 1, credits: 10, usd: 0.1 }, { usd: 0.07 })).toEqual({ jobs: 0, credits: 0, usd: -0.03 });
  });
});

describe('checkSpend (at create)', () => {
  it('reads the counters only, refusing the job that would cross a cap', async () => {
    const guard = guardWith({ daily: { kling: { jobs: 1 } } });
    expect(await checkSpend(guard, 'kling', undefined, NOW)).toBeUndefined();
    await guard.ledger.add(countersOf('kling', NOW), { jobs: 1, credits: 0, usd: 0 });
    const refusal = await checkSpend(guard, 'kling', undefined, NOW);
    expect(refusal).toMatchObject({ resetsAt: '2026-12-01T00:00:00.000Z', breach: { unit: 'jobs', cap: 1 } });
    expect(await checkSpend(guard, 'fal', undefined, NOW)).toBeUndefined();
  });
});

function submitSetup(caps: SpendCaps, balance?: number) {
  const jobs = new InMemoryJobs(() => NOW);
  const sent: string[] = [];
  const adapter: ProviderAdapter = {
    id: 'acme',
    capabilities: ACME,
    submit: async (input) => {
      sent.push(input.jobId);
      return { providerTaskId: `task-${sent.length}` };
    },
    status: async () => {
      throw new Error('not used');
    },
    ...(balance !== undefined ? { accountBalance: async () => ({ credits: balance }) } : {}),
  };
  const guard = guardWith(caps);
  const deps: SubmitJobDeps = {
    store: jobs,
    providerOf: async () => ({ adapter, context: {} as AdapterContext }),
    prepare: async () => ({ media: {} }),
    now: () => NOW,
    newId: () => 'intent',
    spend: guard,
    minBalanceCredits: () => 100,
  };
  return { jobs, sent, guard, deps, adapter };
}

describe('at submit', () => {
  it('counts the estimate once, before sending; a retried Submit does not count again', async () => {
    const { jobs, sent, guard, deps } = submitSetup({ daily: { acme: { credits: 25 } } });
    await jobs.create(storedJob('job_1', 'QUEUED', { cost: { credits: 10, usd: 0.1, estimated: true } }));
    await submitJob(deps, 'job_1');
    await submitJob(deps, 'job_1');
    expect(sent).toEqual(['job_1']);
    expect(guard.ledger.get(countersOf('acme', NOW)[1]!)).toEqual({ jobs: 1, credits: 10, usd: 0.1 });
    expect((await jobs.require('job_1')).spendRecord).toEqual({ at: NOW.toISOString(), jobs: 1, credits: 10, usd: 0.1 });
  });

  it('refuses a job that no longer fits (others were counted since its create): SpendCapReached, nothing sent or counted', async () => {
    const { jobs, sent, guard, deps } = submitSetup({ daily: { acme: { credits: 25 } } });
    for (const id of ['job_1', 'job_2', 'job_3']) await jobs.create(storedJob(id, 'QUEUED', { cost: { credits: 10, estimated: true } }));
    await submitJob(deps, 'job_1');
    await submitJob(deps, 'job_2');
    const error = await submitJob(deps, 'job_3').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpendCapReached);
    expect((error as Error).message).toMatch(
      /^the daily cap of 25 credits for provider acme is reached: today's spend is 2 jobs, 20 credits/,
    );
    expect(sent).toEqual(['job_1', 'job_2']);
    expect(guard.ledger.get(countersOf('acme', NOW)[1]!).credits).toBe(20);
    expect(failureOf({ jobId: 'job_3', error: { Error: 'SpendCapReached', Cause: (error as Error).message } } as never)).toEqual({
      status: 'FAILED',
      error: { code: 'SPEND_CAP', message: (error as Error).message, retryable: true },
    });
  });

  it('gives the estimate back when the provider refuses the job for good (no task, no charge)', async () => {
    const { jobs, guard, deps, adapter } = submitSetup({});
    adapter.submit = async () => {
      throw new ProviderError('content_policy', 'refused');
    };
    await jobs.create(storedJob('job_1', 'QUEUED', { cost: { credits: 10, estimated: true } }));
    await expect(submitJob(deps, 'job_1')).rejects.toBeInstanceOf(ProviderError);
    expect(guard.ledger.get(countersOf('acme', NOW)[0]!)).toEqual({ jobs: 0, credits: 0, usd: 0 });
    expect((await jobs.require('job_1')).spendRecord).toBeUndefined();
  });

  it('stops while the balance less the estimate is below the reserve: LowBalance, nothing sent or counted', async () => {
    const { jobs, sent, guard, deps } = submitSetup({}, 105);
    await jobs.create(storedJob('job_1', 'QUEUED', { cost: { credits: 10, estimated: true } }));
    const error = await submitJob(deps, 'job_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LowBalance);
    expect((error as Error).message).toBe(
      'the acme account holds 105 credits; this job needs about 10, which would leave less than the 100 credits this deployment keeps in reserve (MIN_BALANCE_CREDITS); submissions stop until the account is topped up',
    );
    expect(sent).toEqual([]);
    expect(guard.ledger.counters.size).toBe(0);
    expect(failureOf({ jobId: 'job_1', error: { Error: 'LowBalance', Cause: 'x' } } as never).error.code).toBe('LOW_BALANCE');
  });

  it('checks nothing for a provider without a balance call, or without a reserve', async () => {
    const { adapter } = submitSetup({});
    await expect(checkBalance(adapter, {} as AdapterContext, 100, { provider: 'acme' })).resolves.toBeUndefined();
    const withBalance = submitSetup({}, 0).adapter;
    await expect(checkBalance(withBalance, {} as AdapterContext, undefined, { provider: 'acme' })).resolves.toBeUndefined();
  });
});

describe('correctSpend (at completion)', () => {
  it("replaces the counted estimate with the provider's charge in the submit day's counters", async () => {
    const guard = guardWith({});
    const jobs = new InMemoryJobs(() => NOW);
    await jobs.create(storedJob('job_1', 'QUEUED', { cost: { credits: 10, estimated: true } }));
    await recordSpend(guard, jobs, await jobs.require('job_1'), NOW);
    const delta = await correctSpend(guard, await jobs.require('job_1'), { credits: 7 });
    expect(delta).toEqual({ jobs: 0, credits: -3, usd: 0 });
    expect(guard.ledger.get(countersOf('acme', NOW)[3]!)).toEqual({ jobs: 1, credits: 7, usd: 0 });
    // A job never counted is left alone.
    expect(await correctSpend(guard, storedJob('job_2', 'SUCCEEDED'), { credits: 7 })).toBeUndefined();
  });
});
