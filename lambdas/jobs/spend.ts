// The spend guard's use cases (docs/api.md, "Spend caps"): refuse a create that would cross a cap (nothing written),
// count a job's estimate when it is submitted (atomically, never past a cap), correct it with the provider's
// reported charge, and stop submissions while a provider account's balance is below the deployment's reserve.
import { LowBalance, SpendCapReached } from '../domain/errors.ts';
import type { JobRecord } from '../domain/job.ts';
import {
  breachMessage,
  breachOf,
  correctionOf,
  countersOf,
  periodEnd,
  type SpendAmount,
  type SpendBreach,
  spendOfEstimate,
} from '../domain/spend.ts';
import type { AdapterContext, ProviderAdapter } from '../providers/port.ts';
import type { JobRepository, SpendGuard } from './ports.ts';

/** A create the caps refuse: the cap crossed and the message that names it (for a 429). */
export interface SpendRefusal {
  breach: SpendBreach;
  message: string;
  /** When the period of the cap ends (ISO 8601, UTC). */
  resetsAt: string;
}

/**
 * Whether a new job of `providerId` costing `cost` (its estimate; one job in any case) fits under the caps now.
 * Read-only: the counting happens at submit, where it is atomic; this check spares a job that cannot run.
 */
export async function checkSpend(
  guard: SpendGuard,
  providerId: string,
  cost: { credits?: number; usd?: number } | undefined,
  now: Date,
): Promise<SpendRefusal | undefined> {
  const caps = await guard.caps();
  if (!caps.daily && !caps.monthly) return undefined;
  const counters = countersOf(providerId, now);
  const spent = await guard.ledger.read(counters);
  const amount = spendOfEstimate(cost);
  for (const [i, counter] of counters.entries()) {
    const breach = breachOf(caps, counter, spent[i] ?? { jobs: 0, credits: 0, usd: 0 }, amount);
    if (breach) return { breach, message: breachMessage(breach, now), resetsAt: periodEnd(counter.kind, now).toISOString() };
  }
  return undefined;
}

/**
 * Counts job `job` against the caps once, at submit: its estimate goes to its UTC day's and month's counters (overall
 * and for its provider), atomically refused past a cap. Throws `SpendCapReached` naming the cap when it does not fit
 * (nothing is counted; the job ends SPEND_CAP, never sent). A job already counted is left alone. The record on the job
 * is written after the counters: a run that dies in between counts the job again on its retry (over, never under).
 */
export async function recordSpend(guard: SpendGuard, store: JobRepository, job: JobRecord, now: Date): Promise<void> {
  if (job.spendRecord) return;
  const amount = spendOfEstimate(job.cost);
  const breach = await guard.ledger.reserve(countersOf(job.provider, now), amount, await guard.caps());
  if (breach) throw new SpendCapReached(breachMessage(breach, now));
  await store.updateActive(job.jobId, { spendRecord: { at: now.toISOString(), ...amount } });
}

/**
 * Gives back what job `jobId` counted (a submission the provider refused for good made no task and costs nothing),
 * and clears its record. Nothing for a job never counted.
 */
export async function releaseSpend(guard: Pick<SpendGuard, 'ledger'>, store: JobRepository, jobId: string): Promise<void> {
  const job = await store.get(jobId);
  const record = job?.spendRecord;
  if (!job || !record) return;
  await guard.ledger.add(countersOf(job.provider, new Date(record.at)), { jobs: -record.jobs, credits: -record.credits, usd: -record.usd });
  await store.updateActive(jobId, { spendRecord: undefined });
}

/**
 * After success: replaces the job's counted estimate with what the provider reported (the counters of the day and
 * month it was submitted in). Nothing for a job never counted, or a charge the provider did not report.
 */
export async function correctSpend(
  guard: Pick<SpendGuard, 'ledger'>,
  job: JobRecord,
  reported: { credits?: number; usd?: number },
): Promise<SpendAmount | undefined> {
  if (!job.spendRecord) return undefined;
  const delta = correctionOf(job.spendRecord, reported);
  if (delta.credits === 0 && delta.usd === 0) return undefined;
  await guard.ledger.add(countersOf(job.provider, new Date(job.spendRecord.at)), delta);
  return delta;
}

/**
 * Stops a submission while the provider account holds less than `minCredits` (plus this job's estimate): throws
 * `LowBalance` naming the balance and the reserve. Nothing to check for a provider without a balance call, or without
 * a reserve configured.
 */
export async function checkBalance(
  adapter: ProviderAdapter,
  context: AdapterContext,
  minCredits: number | undefined,
  job: Pick<JobRecord, 'provider' | 'cost'>,
): Promise<void> {
  if (minCredits === undefined || !adapter.accountBalance) return;
  const balance = await adapter.accountBalance(context);
  if (balance.credits === undefined) return;
  const needed = job.cost?.credits ?? 0;
  if (balance.credits - needed < minCredits) {
    throw new LowBalance(
      `the ${job.provider} account holds ${balance.credits} credits` +
        `${needed ? `; this job needs about ${needed}` : ''}, which would leave less than the ${minCredits} credits ` +
        `this deployment keeps in reserve (MIN_BALANCE_CREDITS); submissions stop until the account is topped up`,
    );
  }
}
