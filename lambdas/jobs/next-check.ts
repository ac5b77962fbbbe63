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
  /** Seconds (workflow time) a slot's lease lasts; every wait is at most half of it, so a check renews it in time. */
  leaseSeconds: number;
}

/** What the last poll told (absent right after Submit). Progress in percent, seconds of provider time. */
export interface PollHints {
  progress?: number;
  previousProgress?: number;
  etaSeconds?: number;
  queuePosition?: number;
  /** The wait before this poll, in workflow seconds (`$.next.seconds`). */
  previousWaitSeconds?: number;
}

/**
 * The next check of `job`'s task at `now`: `seconds` to wait (workflow seconds, a whole number ≥ 1), whether the
 * provider calls back (wait for the callback, with the check as a safety net) and whether the job's deadline (per
 * model) has passed.
 */
export function planNextCheck(
  job: JobRecord,
  callbacks: boolean,
  settings: CheckPlanSettings,
  now: Date,
  hints: PollHints = {},
): NextCheckPlan {
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
    ...(hints.previousProgress !== undefined ? { previousProgress: hints.previousProgress } : {}),
    ...(hints.etaSeconds !== undefined ? { etaSeconds: hints.etaSeconds } : {}),
    ...(hints.queuePosition !== undefined ? { queuePosition: hints.queuePosition } : {}),
    ...(hints.previousWaitSeconds !== undefined ? { previousWaitSeconds: hints.previousWaitSeconds / scale } : {}),
  });
  return {
    seconds: next.deadlinePassed ? 1 : Math.max(1, Math.ceil(next.seconds * scale)),
    callbacks,
    deadlinePassed: next.deadlinePassed,
  };
}
