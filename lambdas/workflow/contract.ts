// The contract between the Step Functions workflow (lib/workflow) and the task handlers: what each state sends
// to its Lambda and what it gets back. Both sides import these schemas, so they cannot drift apart.
// The state machine itself is described in docs/workflow.md.
import * as z from '../domain/zod.ts';
import { JobError, StoredObject } from '../domain/job.ts';

/** Names of the Lambda handlers, one file each under lambdas/handlers/. */
export const HANDLERS = [
  'api',
  'callback',
  'validate',
  'await-slot',
  'release-slot',
  'submit',
  'await-result',
  'poll-status',
  'archive',
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
  awaitSlot: 'AwaitSlot',
  submit: 'Submit',
  submitted: 'Submitted',
  waitToResubmit: 'WaitToResubmit',
  countSubmitRetry: 'CountSubmitRetry',
  awaitResult: 'AwaitResult',
  pollStatus: 'PollStatus',
  checkResult: 'CheckResult',
  checkPoll: 'CheckPoll',
  pollBudgetExhausted: 'PollBudgetExhausted',
  deadlinePassed: 'DeadlinePassed',
  waitForProvider: 'WaitForProvider',
  archive: 'Archive',
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

/**
 * Error name of an Archive whose copy into the outputs bucket failed on S3's side in a way that may clear (S3 answered
 * 5xx or throttled, or the connection failed): the workflow retries Archive, from a fresh download. A refusal that
 * will not clear (403, a missing bucket, a KMS error) is `ArchiveStoreFailed`, not retried. Either ends the job
 * INTERNAL, the S3 error's text kept out of the job (lambdas/workflow/failure.ts).
 */
export const ARCHIVE_STORE_UNAVAILABLE = 'ArchiveStoreUnavailable';

/** Error name the workflow raises when the poll budget or the job's deadline runs out (the job becomes TIMED_OUT). */
export const POLL_BUDGET_EXHAUSTED = 'PollBudgetExhausted';

/**
 * Input of an execution (named by `executionNameOf`). `resume` (set by the reconciler only) skips to the notice and
 * webhook of a job that finished without them: `notice-succeeded` to Notify, `notice-failed` to NotifyFailure.
 * `submitRetries` starts Submit's retry count at 0 (CountSubmitRetry adds one per retry), so no state has to.
 */
export const ExecutionInput = z.object({
  jobId: z.string().check(z.minLength(1)),
  resume: z.optional(z.enum(['notice-succeeded', 'notice-failed'])),
  submitRetries: z.object({ count: z.number().check(z.int(), z.gte(0)) }),
  config: z.object({
    /** How many checks (safety checks and polls) before the job is TIMED_OUT: a guard behind the per-model deadline. */
    maxPolls: z.number().check(z.int(), z.gte(1)),
    /** Seconds AwaitSlot waits to be handed a slot before the job checks the queue again (TimeoutSecondsPath). */
    slotWaitSeconds: z.number().check(z.int(), z.gte(1)),
  }),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

/** The input of a job's execution: its id, the workflow's budget, no retries yet, and `resume` where given. */
export const executionInputOf = (jobId: string, config: ExecutionInput['config'], resume?: ExecutionInput['resume']): ExecutionInput => ({
  jobId,
  submitRetries: { count: 0 },
  config,
  ...(resume ? { resume } : {}),
});

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
export const JobRef = z.object({ jobId: z.string().check(z.minLength(1)) });
export type JobRef = z.infer<typeof JobRef>;

/** Payload of PollStatus: the job, and the checks made so far (`$.next.polls`). */
export const PollPayload = z.object({ jobId: z.string().check(z.minLength(1)), polls: z.number().check(z.int(), z.gte(0)) });
export type PollPayload = z.infer<typeof PollPayload>;

/**
 * Payload of AwaitResult (a `.waitForTaskToken` task): the job, the task token, and how long the wait lasts
 * (`$.next.seconds`: the slot's lease is renewed for as long).
 */
export const AwaitPayload = z.object({
  jobId: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1)),
  waitSeconds: z.optional(z.number().check(z.int(), z.gte(1))),
});
export type AwaitPayload = z.infer<typeof AwaitPayload>;

/** Payload of AwaitSlot (a `.waitForTaskToken` task). */
export const SlotWaitPayload = z.object({ jobId: z.string().check(z.minLength(1)), taskToken: z.string().check(z.minLength(1)) });
export type SlotWaitPayload = z.infer<typeof SlotWaitPayload>;

/** What admission control answers (lambdas/jobs/admission.ts): Submit queues a job that is not admitted. */
export const AdmitOutput = z.object({
  admitted: z.boolean(),
  /** The pool of slots the job holds one of, or waits in (absent: its provider is not limited). */
  pool: z.optional(z.string()),
  /** While it waits: its place in the queue, 1 being next. */
  position: z.optional(z.number().check(z.int(), z.positive())),
});
export type AdmitOutput = z.infer<typeof AdmitOutput>;

/**
 * The workflow's next look at a provider's task (`$.next`, planned by lambdas/jobs/next-check.ts): wait for the
 * callback in AwaitResult `seconds` (whole seconds ≥ 1) when the provider `callbacks`, else in WaitForProvider until
 * `at` (an ISO time), then poll; `deadlinePassed`: the job's deadline has passed and it ends TIMED_OUT; `polls`: the
 * checks made so far (CheckResult ends the job TIMED_OUT at `$.config.maxPolls`).
 */
export const NextCheckPlan = z.object({
  polls: z.number().check(z.int(), z.gte(0)),
  seconds: z.number().check(z.int(), z.gte(1)),
  at: z.string().check(z.minLength(1)),
  callbacks: z.boolean(),
  deadlinePassed: z.boolean(),
});
export type NextCheckPlan = z.infer<typeof NextCheckPlan>;

/** Payload of Submit: the job, and how many times Submit was retried already (`$.submitRetries.count`). */
export const SubmitPayload = z.object({ jobId: z.string().check(z.minLength(1)), retries: z.number().check(z.int(), z.gte(0)) });
export type SubmitPayload = z.infer<typeof SubmitPayload>;

/**
 * Result of Submit (`$.next`): the job's provider task with the plan of its first check (and no polls yet); or, when
 * no slot of its provider's pool is free, `queued` (admission control: the job waits in AwaitSlot); or, after a refusal
 * worth another attempt, the seconds to wait first (the provider's hint, with jitter) and why. Submitted routes on
 * `queued`, then `retryInSeconds` being present, then on `callbacks`.
 */
export const SubmitOutput = z.union([
  z.extend(NextCheckPlan, { providerTaskId: z.string(), polls: z.literal(0) }),
  z.extend(AdmitOutput, { queued: z.literal(true) }),
  z.object({ retryInSeconds: z.number().check(z.int(), z.gte(1)), reason: z.string() }),
]);
export type SubmitOutput = z.infer<typeof SubmitOutput>;

/**
 * The provider's view of the task: AwaitResult's result (the callback handler's SendTaskSuccess output, at
 * `$.next.result`), and part of PollStatus's (`$.next`). CheckResult routes on `status`.
 */
export const ProviderResult = z.object({
  providerTaskId: z.string(),
  status: z.enum(['pending', 'processing', 'succeeded', 'failed', 'cancelled']),
  progress: z.optional(z.number().check(z.gte(0), z.lte(100))),
  videoUrl: z.optional(z.string()),
  thumbnailUrl: z.optional(z.string()),
  error: z.optional(JobError),
  cost: z.optional(z.object({ credits: z.optional(z.number()), usd: z.optional(z.number()) })),
  /** `callback` or `poll`: how the result reached the workflow. */
  source: z.enum(['callback', 'poll']),
});
export type ProviderResult = z.infer<typeof ProviderResult>;

/**
 * Result of PollStatus (`$.next`): the plan of the next check (`polls` counted, this one included) with the
 * provider's view of the task (`result`).
 */
export const PollOutput = z.extend(NextCheckPlan, { result: ProviderResult });
export type PollOutput = z.infer<typeof PollOutput>;

/**
 * Payload of Archive: the provider's terminal result merged with the execution input. Archive releases the job's slot,
 * copies the video, and records the job SUCCEEDED with the reported cost.
 */
export const ArchivePayload = z.object({
  jobId: z.string().check(z.minLength(1)),
  videoUrl: z.string().check(z.minLength(1)),
  thumbnailUrl: z.optional(z.string()),
  cost: ProviderResult.shape.cost,
});
export type ArchivePayload = z.infer<typeof ArchivePayload>;

/** Result of Archive. */
export const ArchiveOutput = z.object({ video: StoredObject, thumbnail: z.optional(StoredObject) });
export type ArchiveOutput = z.infer<typeof ArchiveOutput>;

/**
 * Payload of SendWebhook / SendFailureWebhook (`{jobId}`) and of WebhookGaveUp / FailureWebhookGaveUp
 * (`{jobId, gaveUp}`: the caught error after the last retry, recorded on the job).
 */
export const WebhookPayload = z.object({
  jobId: z.string().check(z.minLength(1)),
  gaveUp: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** A caught error as Step Functions puts it in the state (`Catch` with ResultPath `$.error`). */
export const CaughtError = z.object({ Error: z.string(), Cause: z.optional(z.string()) });
export type CaughtError = z.infer<typeof CaughtError>;

/**
 * Payload of MarkFailed: the whole state at the point of failure; the provider's last result is `next.result` (the
 * reconciler's and older executions' `result` is read too).
 */
export const FailurePayload = z.pipe(
  z.object({
    jobId: z.string().check(z.minLength(1)),
    error: z.optional(CaughtError),
    result: z.optional(ProviderResult),
    next: z.optional(z.object({ result: z.optional(ProviderResult) })),
  }),
  z.transform(({ next, ...payload }) => ({
    ...payload,
    ...((payload.result ?? next?.result) ? { result: payload.result ?? next?.result } : {}),
  })),
);
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
