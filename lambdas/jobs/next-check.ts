// Plans a job's next look at its provider's task (lambdas/domain/wait-schedule.ts) from its record and the last
// poll, and converts between provider time (the schedule's seconds) and the workflow's seconds, which a local stack
// runs faster than real time (`timeScale`).
import type { JobRecord } from '../domain/job.ts';
import { type DeadlineSetting, deadlineOf, expectedLatency, nextCheck } from '../domain/wait-schedule.ts';
import type { NextCheckPlan } from '../workflow/contract.ts';

/** The deployment's settings for planning checks. */
export interface CheckPlanSettings {
  deadlines: DeadlineSetting;
  /** Workflow seconds per second of provider time: 1 on AWS; less on a local stack that runs faster. */
  timeScale: number;
  /** Seconds (workflow time) a slot's lease lasts; a wait between polls is at most half of it, so a poll renews it in time. */
  leaseSeconds: number;
}

/** What the last poll told (absent right after Submit). Progress in percent, seconds of provider time. */
export interface PollHints {
  progress?: number;
  etaSeconds?: number;
  queuePosition?: number;
}

/**
 * The next check of `job`'s task at `now` (workflow time): `at` (an ISO time, for WaitForProvider's TimestampPath: exact
 * to the millisecond, so a local stack's scaled waits keep their precision) and `seconds` (the same wait in whole
 * seconds ≥ 1, for AwaitResult's TimeoutSecondsPath), whether the provider calls back, whether the job's deadline (per
 * model) has passed, and `waitMs`/`near` for PollStatus, which makes the next poll itself when it is near.
 */
export function planNextCheck(
  job: JobRecord,
  callbacks: boolean,
  settings: CheckPlanSettings,
  now: Date,
  hints: PollHints = {},
): Omit<NextCheckPlan, 'polls'> & { waitMs: number; near: boolean } {
  const scale = settings.timeScale;
  const submittedAt = Date.parse(job.submittedAt ?? job.createdAt);
  const elapsedSeconds = Math.max(0, (now.getTime() - submittedAt) / 1000 / scale);
  const next = nextCheck({
    elapsedSeconds,
    expected: expectedLatency(job.request),
    deadlineSeconds: deadlineOf(settings.deadlines, job.request.model),
    maxWaitSeconds: Math.max(1, settings.leaseSeconds / 2 / scale),
    callbacks,
    ...(hints.progress !== undefined ? { progress: hints.progress } : {}),
    ...(hints.etaSeconds !== undefined ? { etaSeconds: hints.etaSeconds } : {}),
    ...(hints.queuePosition !== undefined ? { queuePosition: hints.queuePosition } : {}),
  });
  const waitMs = next.deadlinePassed ? 0 : Math.round(next.seconds * scale * 1000);
  return {
    seconds: Math.max(1, Math.ceil(waitMs / 1000)),
    at: new Date(now.getTime() + waitMs).toISOString(),
    callbacks,
    deadlinePassed: next.deadlinePassed,
    waitMs,
    near: next.near,
  };
}
