// The reconciler (docs/architecture.md, "Recovery"): no job is left stuck or silent. It reads every job from the base
// table (an index can lag or lose an entry) and, for each one:
// - unfinished, with no live execution: starts its execution again, under a new name (Step Functions keeps a closed
//   execution's name for 90 days), or under its current name if that was never started; after `maxRedrives` runs
//   that ended without finishing it, it ends the job FAILED with STALLED (a reason, never silence) and frees its slot;
// - unfinished, a callback job whose callback is overdue: polls its provider once and, if the task has ended, wakes
//   the wait with the result (jobs/safety-poll.ts), so a lost callback is noticed within a pass, not at half the deadline;
// - finished, without its notice (or with a webhook neither delivered nor given up): starts an execution that only
//   sends them (`resume`), at most `maxRedrives` times.
// Every step the workflow runs is idempotent (the recorded task, the outputs, conditional terminal writes, the claimed
// notice), so re-running one from the top is safe. The local stack runs it at start and on a timer; AWS on a schedule.
import { isTerminal, type JobRecord } from '../domain/job.ts';
import {
  executionInputOf,
  executionNameOf,
  noticeExecutionNameOf,
  NOTICE_CLAIM_STALE_SECONDS,
  type ExecutionInput,
} from '../workflow/contract.ts';
import type { DescribeExecution, ExecutionState, JobRepository, StartExecution } from './ports.ts';
import type { LostCallbackOutcome } from './safety-poll.ts';

/** What the reconciler needs. */
export interface ReconcileDeps {
  store: JobRepository;
  startExecution: StartExecution;
  describeExecution: DescribeExecution;
  /** Takes a job out of its provider's pool (lambdas/jobs/admission.ts, releaseSlot). */
  releaseSlot(jobId: string): Promise<unknown>;
  config: ExecutionInput['config'];
  now: () => Date;
  /** Seconds a job is left alone after its last change (its execution may be starting, or sending its notice). */
  graceSeconds: number;
  /** Executions started again per job before the reconciler ends it (and notice executions per finished job). */
  maxRedrives: number;
  /**
   * Seconds after creation by which a job should be terminal (lambdas/domain/metrics.ts, jobDeadlineSeconds); unfinished
   * jobs older than this are counted in the report's `pastDeadline`. Unset: not counted.
   */
  deadlineSeconds?: number;
  /**
   * Notice claims made before this moment belong to a process that has ended (the local stack passes its own start
   * at its first pass: every run before it is gone), so they are stale whatever their age. Unset: a claim is stale
   * after NOTICE_CLAIM_STALE_SECONDS, as on AWS, where the claimer may still be running.
   */
  claimsStaleBefore?: Date;
  /** Looks for a lost callback of an unfinished job (jobs/safety-poll.ts, checkLostCallback). Unset: not looked for. */
  checkLostCallback?(job: JobRecord): Promise<LostCallbackOutcome>;
}

/** What one pass did, by job id. */
export interface ReconcileReport {
  /** Jobs read from the table. */
  scanned: number;
  /** Unfinished jobs whose execution was started again. */
  redriven: string[];
  /** Unfinished jobs ended STALLED after `maxRedrives` runs. */
  ended: string[];
  /** Finished jobs whose notice or webhook is being sent again. */
  renotified: string[];
  /** Callback jobs whose overdue callback the reconciler's safety poll stood in for: their wait was woken. */
  lostCallbacks: string[];
  /** Callback jobs whose overdue callback could not be checked: the provider's status call failed (next pass). */
  safetyPollsFailed: string[];
  /** Unfinished jobs older than `deadlineSeconds`, counted per provider (before any re-drive of this pass). */
  pastDeadline: Record<string, number>;
}

/** Defaults on AWS: leave a job 10 minutes after its last change; three re-drives. */
export const RECONCILE_DEFAULTS = { graceSeconds: 600, maxRedrives: 3 } as const;

/**
 * One pass over every job. Throws what the store or Step Functions throw (a job that was being handled is simply
 * looked at again on the next pass).
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    scanned: 0,
    redriven: [],
    ended: [],
    renotified: [],
    lostCallbacks: [],
    safetyPollsFailed: [],
    pastDeadline: {},
  };
  let cursor: string | undefined;
  do {
    const page = await deps.store.scan(cursor);
    for (const job of page.items) {
      report.scanned += 1;
      if (pastDeadline(deps, job)) report.pastDeadline[job.provider] = (report.pastDeadline[job.provider] ?? 0) + 1;
      // Whatever the grace: a job waiting quietly for its callback has not changed since it was submitted.
      const lost = deps.checkLostCallback ? await deps.checkLostCallback(job) : 'skipped';
      if (lost === 'poll-failed') report.safetyPollsFailed.push(job.jobId);
      if (lost === 'resumed') {
        report.lostCallbacks.push(job.jobId);
        continue;
      }
      if (changedRecently(deps, job)) continue;
      if (isTerminal(job.status)) {
        if (await resendNotice(deps, job)) report.renotified.push(job.jobId);
        continue;
      }
      const outcome = await redrive(deps, job);
      if (outcome === 'redriven') report.redriven.push(job.jobId);
      if (outcome === 'ended') report.ended.push(job.jobId);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return report;
}

const pastDeadline = (deps: ReconcileDeps, job: JobRecord): boolean =>
  deps.deadlineSeconds !== undefined &&
  !isTerminal(job.status) &&
  Date.parse(job.createdAt) < deps.now().getTime() - deps.deadlineSeconds * 1000;

const changedRecently = (deps: ReconcileDeps, job: JobRecord): boolean =>
  Date.parse(job.updatedAt) > deps.now().getTime() - deps.graceSeconds * 1000;

/** Re-drives (or ends) an unfinished job without a live execution. */
async function redrive(deps: ReconcileDeps, job: JobRecord): Promise<'live' | 'redriven' | 'ended' | 'raced'> {
  const name = executionNameOf(job);
  const state = await deps.describeExecution(name);
  if (state.status === 'RUNNING') return 'live';
  const input: ExecutionInput = executionInputOf(job.jobId, deps.config);
  // Never started (the create died between the put and the start; or the local stack restarted): its own name.
  if (state.status === 'MISSING') {
    await deps.startExecution(input, name);
    return 'redriven';
  }
  const redrives = job.redrives ?? 0;
  if (redrives >= deps.maxRedrives) {
    const ended = await deps.store.finish(job.jobId, 'FAILED', {
      error: {
        code: 'STALLED',
        message:
          `the job's workflow ended ${redrives + 1} times without finishing it (last: execution ${name} ` +
          `${describeClosed(state)}); it was not started again`,
        retryable: true,
      },
    });
    if (!ended) return 'raced';
    await deps.releaseSlot(job.jobId);
    await sendNotice(deps, { ...ended, noticeRedrives: job.noticeRedrives });
    return 'ended';
  }
  // Only the caller that counts the re-drive starts it (two passes at once start one execution).
  if (!(await deps.store.countRedrive(job.jobId, 'redrives', redrives))) return 'raced';
  await deps.startExecution(input, executionNameOf({ jobId: job.jobId, redrives: redrives + 1 }));
  return 'redriven';
}

function describeClosed(state: Extract<ExecutionState, { status: 'CLOSED' }>): string {
  const why = [state.error, state.cause].filter(Boolean).join(': ');
  return why ? `${state.result}, ${why.slice(0, 300)}` : state.result;
}

/**
 * Whether a finished job still owes its notice (unclaimed, or claimed by a run that died: a claim older than
 * NOTICE_CLAIM_STALE_SECONDS, or made before `claimsStaleBefore`) or its webhook.
 */
export function owesNotice(job: JobRecord, now: Date, claimsStaleBefore?: Date): boolean {
  const staleAfterAge = now.getTime() - NOTICE_CLAIM_STALE_SECONDS * 1000;
  const staleBefore = new Date(Math.max(staleAfterAge, claimsStaleBefore?.getTime() ?? 0)).toISOString();
  const notice = !job.notifiedAt && (!job.noticeClaimedAt || job.noticeClaimedAt < staleBefore);
  const webhook = job.request.callbackUrl !== undefined && job.webhook?.status !== 'delivered' && job.webhook?.status !== 'failed';
  return notice || webhook;
}

/** Starts the notice-only execution of a finished job that owes one and has no live execution. */
async function resendNotice(deps: ReconcileDeps, job: JobRecord): Promise<boolean> {
  if (!owesNotice(job, deps.now(), deps.claimsStaleBefore)) return false;
  if ((await deps.describeExecution(executionNameOf(job))).status === 'RUNNING') return false;
  const sent = job.noticeRedrives ?? 0;
  if (sent > 0 && (await deps.describeExecution(noticeExecutionNameOf(job.jobId, sent))).status === 'RUNNING') return false;
  // A claim stale only because its run has ended (claimsStaleBefore) is still fresh by age to Notify's own check:
  // it is released, so the notice run can claim the notice again.
  const claimedAt = job.noticeClaimedAt;
  if (claimedAt && !job.notifiedAt && deps.claimsStaleBefore && claimedAt < deps.claimsStaleBefore.toISOString()) {
    await deps.store.releaseNotice(job.jobId);
  }
  return sendNotice(deps, job);
}

async function sendNotice(deps: ReconcileDeps, job: JobRecord): Promise<boolean> {
  const sent = job.noticeRedrives ?? 0;
  if (sent >= deps.maxRedrives) return false;
  if (!(await deps.store.countRedrive(job.jobId, 'noticeRedrives', sent))) return false;
  const resume = job.status === 'SUCCEEDED' ? 'notice-succeeded' : 'notice-failed';
  await deps.startExecution(executionInputOf(job.jobId, deps.config, resume), noticeExecutionNameOf(job.jobId, sent + 1));
  return true;
}
