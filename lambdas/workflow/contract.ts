// The contract between the Step Functions workflow (lib/workflow) and the task handlers: what each state sends
// to its Lambda and what it gets back. Both sides import these schemas, so they cannot drift apart.
// The state machine itself is described in docs/workflow.md.
import * as z from 'zod';
import { JobError, StoredObject } from '../domain/job.ts';

/** Names of the Lambda handlers, one file each under lambdas/handlers/. */
export const HANDLERS = [
  'api',
  'callback',
  'validate',
  'admit',
  'await-slot',
  'release-slot',
  'submit',
  'await-result',
  'poll-status',
  'archive',
  'complete',
  'mark-failed',
  'notify',
  'webhook',
  's3-upload',
  'reconcile',
] as const;
export type HandlerName = (typeof HANDLERS)[number];

/** State names of the workflow, as they appear in the definition and its history. */
export const STATES = {
  begin: 'Begin',
  resumeNotice: 'ResumeNotice',
  validate: 'Validate',
  admit: 'Admit',
  admitted: 'Admitted',
  awaitSlot: 'AwaitSlot',
  slotGranted: 'SlotGranted',
  startSubmitting: 'StartSubmitting',
  submit: 'Submit',
  submitted: 'Submitted',
  waitToResubmit: 'WaitToResubmit',
  countSubmitRetry: 'CountSubmitRetry',
  awaitResult: 'AwaitResult',
  pollStatus: 'PollStatus',
  checkResult: 'CheckResult',
  countPoll: 'CountPoll',
  countCheckWithoutPlan: 'CountCheckWithoutPlan',
  pollBudgetLeft: 'PollBudgetLeft',
  pollBudgetExhausted: 'PollBudgetExhausted',
  deadlinePassed: 'DeadlinePassed',
  waitForProvider: 'WaitForProvider',
  releaseSlot: 'ReleaseSlot',
  archive: 'Archive',
  complete: 'Complete',
  notify: 'Notify',
  sendWebhook: 'SendWebhook',
  webhookGaveUp: 'WebhookGaveUp',
  succeeded: 'Done',
  markFailed: 'MarkFailed',
  markFailedLastResort: 'MarkFailedLastResort',
  stranded: 'Stranded',
  releaseSlotAfterFailure: 'ReleaseSlotAfterFailure',
  notifyFailure: 'NotifyFailure',
  sendFailureWebhook: 'SendFailureWebhook',
  failureWebhookGaveUp: 'FailureWebhookGaveUp',
  failed: 'JobFailed',
} as const;

/** Error name of a webhook delivery that did not get a 2xx (retried by the workflow with backoff). */
export const WEBHOOK_DELIVERY_FAILED = 'WebhookDeliveryFailed';

/**
 * Error name of a Submit that found an earlier submission still possibly waiting for its answer
 * (lambdas/domain/errors.ts, SubmitInFlight): retried after a while, when that attempt has certainly ended.
 */
export const SUBMIT_IN_FLIGHT = 'SubmitInFlight';

/** Error name the workflow raises when the poll budget or the job's deadline runs out (the job becomes TIMED_OUT). */
export const POLL_BUDGET_EXHAUSTED = 'PollBudgetExhausted';

/**
 * Input of an execution (named by `executionNameOf`). `resume` (set by the reconciler only) skips to the notice and
 * webhook of a job that finished without them: `notice-succeeded` to Notify, `notice-failed` to NotifyFailure.
 */
export const ExecutionInput = z.object({
  jobId: z.string().min(1),
  resume: z.enum(['notice-succeeded', 'notice-failed']).optional(),
  config: z.object({
    /** Kept in the input for compatibility; the workflow no longer reads it (the wait of each check is `$.next.seconds`). */
    awaitSeconds: z.number().int().min(1),
    /** How many checks (safety checks and polls) before the job is TIMED_OUT: a guard behind the per-model deadline. */
    maxPolls: z.number().int().min(1),
    /** Seconds AwaitSlot waits to be handed a slot before the job checks the queue again (TimeoutSecondsPath). */
    slotWaitSeconds: z.number().int().min(1),
  }),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

/**
 * The name of a job's current execution: the job id for the first, `<jobId>-r<n>` after the reconciler started it
 * again n times (Step Functions keeps a closed execution's name taken for 90 days, so a re-drive needs a new one).
 * Job ids are at most 45 characters, so the name stays within the 80 Step Functions allows.
 */
export const executionNameOf = (job: { jobId: string; redrives?: number }): string =>
  job.redrives ? `${job.jobId}-r${job.redrives}` : job.jobId;

/** The name of the `n`th execution started to send a finished job's missing notice: `<jobId>-n<n>`. */
export const noticeExecutionNameOf = (jobId: string, n: number): string => `${jobId}-n${n}`;

/**
 * Seconds after which a notice claimed but not marked sent counts as lost (its run died between the claim and the
 * publish): Notify takes the claim over, and the reconciler sends it. Longer than one Notify Task (the notify Lambda's
 * 30 s timeout and the workflow's margin); a Notify that fails gives its claim back before it is retried.
 */
export const NOTICE_CLAIM_STALE_SECONDS = 60;

/** Payload of Validate, Submit, PollStatus, Notify and NotifyFailure. */
export const JobRef = z.object({ jobId: z.string().min(1) });
export type JobRef = z.infer<typeof JobRef>;

/** Payload of PollStatus: the job, and the seconds the workflow waited before this poll (`$.next.seconds`). */
export const PollPayload = z.object({ jobId: z.string().min(1), waitedSeconds: z.number().int().min(1).optional() });
export type PollPayload = z.infer<typeof PollPayload>;

/** Payload of AwaitResult (a `.waitForTaskToken` task). */
export const AwaitPayload = z.object({ jobId: z.string().min(1), taskToken: z.string().min(1) });
export type AwaitPayload = z.infer<typeof AwaitPayload>;

/** Payload of AwaitSlot (a `.waitForTaskToken` task). */
export const SlotWaitPayload = z.object({ jobId: z.string().min(1), taskToken: z.string().min(1) });
export type SlotWaitPayload = z.infer<typeof SlotWaitPayload>;

/** Result of Admit (`$.admission`): Admitted routes on `admitted`. */
export const AdmitOutput = z.object({
  admitted: z.boolean(),
  /** The pool of slots the job holds one of, or waits in (absent: its provider is not limited). */
  pool: z.string().optional(),
  /** While it waits: its place in the queue, 1 being next. */
  position: z.number().int().positive().optional(),
});
export type AdmitOutput = z.infer<typeof AdmitOutput>;

/**
 * The workflow's next look at a provider's task (`$.next`, planned by lambdas/jobs/next-check.ts): wait `seconds`
 * (whole seconds ≥ 1) in AwaitResult for the callback when the provider `callbacks`, else in WaitForProvider, then
 * poll; `deadlinePassed`: the job's deadline has passed and it ends TIMED_OUT.
 */
export const NextCheckPlan = z.object({
  seconds: z.number().int().min(1),
  callbacks: z.boolean(),
  deadlinePassed: z.boolean(),
});
export type NextCheckPlan = z.infer<typeof NextCheckPlan>;

/** Payload of Submit: the job, and how many times Submit was retried already (`$.submitRetries.count`). */
export const SubmitPayload = z.object({ jobId: z.string().min(1), retries: z.number().int().min(0) });
export type SubmitPayload = z.infer<typeof SubmitPayload>;

/**
 * Result of Submit (`$.next`): the job's provider task with the plan of its first check (and no polls yet), or, after a refusal worth another attempt, the seconds
 * to wait first (the provider's hint, with jitter) and why. Submitted routes on `retryInSeconds` being present, then on
 * `callbacks`.
 */
export const SubmitOutput = z.union([
  NextCheckPlan.extend({ providerTaskId: z.string(), polls: z.literal(0) }),
  z.object({ retryInSeconds: z.number().int().min(1), reason: z.string() }),
]);
export type SubmitOutput = z.infer<typeof SubmitOutput>;

/**
 * What AwaitResult (the callback handler's SendTaskSuccess output) and PollStatus return: the provider's view
 * of the task. CheckResult routes on `status`.
 */
export const ProviderResult = z.object({
  providerTaskId: z.string(),
  status: z.enum(['pending', 'processing', 'succeeded', 'failed', 'cancelled']),
  progress: z.number().min(0).max(100).optional(),
  videoUrl: z.string().optional(),
  thumbnailUrl: z.string().optional(),
  error: JobError.optional(),
  cost: z.object({ credits: z.number().optional(), usd: z.number().optional() }).optional(),
  /** `callback` or `poll`: how the result reached the workflow. */
  source: z.enum(['callback', 'poll']),
  /** From PollStatus: the plan of the next check, which CountPoll copies to `$.next` while the task runs. */
  next: NextCheckPlan.optional(),
});
export type ProviderResult = z.infer<typeof ProviderResult>;

/** Payload of Archive. */
export const ArchivePayload = z.object({
  jobId: z.string().min(1),
  videoUrl: z.string().min(1),
  thumbnailUrl: z.string().optional(),
});
export type ArchivePayload = z.infer<typeof ArchivePayload>;

/** Result of Archive. */
export const ArchiveOutput = z.object({ video: StoredObject, thumbnail: StoredObject.optional() });
export type ArchiveOutput = z.infer<typeof ArchiveOutput>;

/** Payload of Complete. */
export const CompletePayload = z.object({ jobId: z.string().min(1), outputs: ArchiveOutput, result: ProviderResult });
export type CompletePayload = z.infer<typeof CompletePayload>;

/**
 * Payload of SendWebhook / SendFailureWebhook (`{jobId}`) and of WebhookGaveUp / FailureWebhookGaveUp
 * (`{jobId, gaveUp}`: the caught error after the last retry, recorded on the job).
 */
export const WebhookPayload = z.object({
  jobId: z.string().min(1),
  gaveUp: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** A caught error as Step Functions puts it in the state (`Catch` with ResultPath `$.error`). */
export const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof CaughtError>;

/** Payload of MarkFailed: the whole state at the point of failure. */
export const FailurePayload = z.object({
  jobId: z.string().min(1),
  error: CaughtError.optional(),
  result: ProviderResult.optional(),
});
export type FailurePayload = z.infer<typeof FailurePayload>;

/**
 * Parse a caught error's Cause. On AWS a Lambda error's Cause is JSON `{errorType, errorMessage, trace}`; the
 * local runtime produces the same shape. A plain string is kept as the message.
 */
export function causeMessage(error: CaughtError): string {
  if (!error.Cause) return error.Error;
  try {
    const parsed = JSON.parse(error.Cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message
  }
  return error.Cause;
}
