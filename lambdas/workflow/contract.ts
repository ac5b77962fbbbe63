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
  'submit',
  'await-result',
  'poll-status',
  'archive',
  'complete',
  'mark-failed',
  'notify',
  'webhook',
  's3-upload',
] as const;
export type HandlerName = (typeof HANDLERS)[number];

/** State names of the workflow, as they appear in the definition and its history. */
export const STATES = {
  validate: 'Validate',
  submit: 'Submit',
  startPolling: 'StartPolling',
  awaitResult: 'AwaitResult',
  pollStatus: 'PollStatus',
  checkResult: 'CheckResult',
  countPoll: 'CountPoll',
  pollBudgetLeft: 'PollBudgetLeft',
  pollBudgetExhausted: 'PollBudgetExhausted',
  archive: 'Archive',
  complete: 'Complete',
  notify: 'Notify',
  sendWebhook: 'SendWebhook',
  webhookGaveUp: 'WebhookGaveUp',
  succeeded: 'Done',
  markFailed: 'MarkFailed',
  notifyFailure: 'NotifyFailure',
  sendFailureWebhook: 'SendFailureWebhook',
  failureWebhookGaveUp: 'FailureWebhookGaveUp',
  failed: 'JobFailed',
} as const;

/** Error name of a webhook delivery that did not get a 2xx (retried by the workflow with backoff). */
export const WEBHOOK_DELIVERY_FAILED = 'WebhookDeliveryFailed';

/** Error name the workflow raises when the poll budget runs out (the job becomes TIMED_OUT). */
export const POLL_BUDGET_EXHAUSTED = 'PollBudgetExhausted';

/** Input of an execution (named after the job id). */
export const ExecutionInput = z.object({
  jobId: z.string().min(1),
  config: z.object({
    /** Seconds AwaitResult waits for a callback before one poll (TimeoutSecondsPath). */
    awaitSeconds: z.number().int().min(1),
    /** How many AwaitResult ⇄ PollStatus rounds before the job is TIMED_OUT. */
    maxPolls: z.number().int().min(1),
  }),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

/** Payload of Validate, Submit, PollStatus, Notify and NotifyFailure. */
export const JobRef = z.object({ jobId: z.string().min(1) });
export type JobRef = z.infer<typeof JobRef>;

/** Payload of AwaitResult (a `.waitForTaskToken` task). */
export const AwaitPayload = z.object({ jobId: z.string().min(1), taskToken: z.string().min(1) });
export type AwaitPayload = z.infer<typeof AwaitPayload>;

/** Result of Submit. */
export const SubmitOutput = z.object({ providerTaskId: z.string() });
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
