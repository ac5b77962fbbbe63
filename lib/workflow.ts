// The job workflow (docs/workflow.md), a Step Functions Standard state machine. The same synthesized definition
// runs on AWS and in the local stack (aws-local-stepfunctions), so it stays within what that interpreter executes:
// JSONPath only (no JSONata, Variables/Assign or Distributed Map), Lambda tasks that return the handler's own
// result (`payloadResponseOnly`), and an explicit timeout on every Task (the interpreter defaults to 60 s).
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ERROR_NAMES, RETRYABLE_ERROR_NAMES } from '../lambdas/domain/errors.ts';
import { ARCHIVE_STORE_UNAVAILABLE, POLL_BUDGET_EXHAUSTED, STATES, WEBHOOK_DELIVERY_FAILED } from '../lambdas/workflow/contract.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';
import { HANDLER_SIZING } from './functions.ts';

/** Errors of the Lambda service itself (not of the handler): always worth another attempt. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

/** Last guard: no execution outlives this, whatever the deadlines and `maxPolls` say. */
export const EXECUTION_TIMEOUT = Duration.hours(26);

/** Slack between a handler's Lambda timeout and its Task timeout, so a slow handler fails as a Lambda error. */
const TASK_TIMEOUT_MARGIN = Duration.seconds(10);

/**
 * Redelivery of a webhook the receiver did not take (WebhookDeliveryFailed): within 1, 2 and 4 s (full jitter), so one
 * delivery plus three retries; no wait longer than 30 s.
 */
export const WEBHOOK_RETRY = {
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 3,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

const jobRef = () => sfn.TaskInput.fromObject({ jobId: sfn.JsonPath.stringAt('$.jobId') });

export interface WorkflowProps {
  functions: Readonly<Record<HandlerName, IFunction>>;
}

export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { functions } = props;

    /** A Lambda task that hands the state machine the handler's return value as is. */
    const invoke = (stateName: string, handler: HandlerName, options: Omit<tasks.LambdaInvokeProps, 'lambdaFunction'>) => {
      const task = new tasks.LambdaInvoke(this, stateName, {
        lambdaFunction: functions[handler],
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(HANDLER_SIZING[handler].timeout.plus(TASK_TIMEOUT_MARGIN)),
        ...options,
      });
      return task;
    };

    const retryLambdaService = (task: tasks.LambdaInvoke) =>
      task.addRetry({
        errors: LAMBDA_SERVICE_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 6,
        jitterStrategy: sfn.JitterType.FULL,
      });
    const retryTransientProvider = (task: tasks.LambdaInvoke, errors: readonly string[] = RETRYABLE_ERROR_NAMES.transient) =>
      task.addRetry({
        errors: [...errors],
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 5,
        jitterStrategy: sfn.JitterType.FULL,
      });

    /**
     * SendWebhook → `end` (a state, or the execution's end), or after the last failed attempt WebhookGaveUp (records
     * that on the job) → the same; if even that fails, `end` again (`ifGiveUpFails`, a state, on the success path). A
     * webhook never changes the outcome: the caught error lives at `$.webhookError` only on the way to the give-up task.
     */
    const sendWebhook = (stateName: string, gaveUpStateName: string, end: sfn.IChainable | 'end', ifGiveUpFails: sfn.IChainable) => {
      const send = invoke(stateName, 'webhook', { payload: jobRef(), resultPath: sfn.JsonPath.DISCARD });
      send.addRetry({ errors: [WEBHOOK_DELIVERY_FAILED], ...WEBHOOK_RETRY });
      retryLambdaService(send);
      const gaveUp = invoke(gaveUpStateName, 'webhook', {
        payload: sfn.TaskInput.fromObject({
          jobId: sfn.JsonPath.stringAt('$.jobId'),
          gaveUp: sfn.JsonPath.objectAt('$.webhookError'),
        }),
        resultPath: sfn.JsonPath.DISCARD,
      });
      retryLambdaService(gaveUp);
      send.addCatch(gaveUp, { errors: [sfn.Errors.ALL], resultPath: '$.webhookError' });
      gaveUp.addCatch(ifGiveUpFails, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
      if (end !== 'end') {
        gaveUp.next(end);
        send.next(end);
      }
      return send;
    };

    // --- failure path -----------------------------------------------------------------------------------------
    const jobFailed = new sfn.Fail(this, STATES.failed, {
      error: 'JobFailed',
      cause: 'The job ended without a video; the job record holds the reason.',
    });

    const sendFailureWebhook = sendWebhook(STATES.sendFailureWebhook, STATES.failureWebhookGaveUp, jobFailed, jobFailed);

    const notifyFailure = invoke(STATES.notifyFailure, 'notify', { payload: jobRef(), resultPath: sfn.JsonPath.DISCARD });
    retryLambdaService(notifyFailure);
    notifyFailure.addRetry({
      errors: [sfn.Errors.TASKS_FAILED],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: sfn.JitterType.FULL,
    });
    // A failed notice still sends the webhook.
    notifyFailure.addCatch(sendFailureWebhook, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });

    // The job leaves its provider's pool (admission control): its slot goes to the next waiting job. A release that
    // fails changes nothing for this job; the slot's lease runs out instead.
    const releaseSlotAfterFailure = invoke(STATES.releaseSlotAfterFailure, 'release-slot', {
      payload: jobRef(),
      resultPath: sfn.JsonPath.DISCARD,
    });
    retryLambdaService(releaseSlotAfterFailure);
    releaseSlotAfterFailure.addCatch(notifyFailure, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });

    // No payload: MarkFailed gets the whole state at the point of failure ({jobId, error?, result?, ...}).
    const markFailed = invoke(STATES.markFailed, 'mark-failed', { resultPath: sfn.JsonPath.DISCARD });
    retryLambdaService(markFailed);
    markFailed.next(releaseSlotAfterFailure).next(notifyFailure).next(sendFailureWebhook);

    // The last resort when MarkFailed itself fails (the table unavailable, a state its payload schema refuses): the
    // same handler with a minimal payload and patient retries. If even that fails, the execution ends in Stranded with
    // the job unfinished, and the reconciler ends it (STALLED) and sends its notice: never stuck, never silent.
    const stranded = new sfn.Fail(this, STATES.stranded, {
      error: 'JobStranded',
      cause: 'The job could not be marked as ended; the reconciler ends it and sends its notice.',
    });
    const markFailedLastResort = invoke(STATES.markFailedLastResort, 'mark-failed', {
      payload: sfn.TaskInput.fromObject({
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        error: sfn.JsonPath.objectAt('$.markFailedError'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    markFailedLastResort.addRetry({
      errors: [sfn.Errors.TASKS_FAILED],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 5,
      maxDelay: Duration.seconds(120),
      jitterStrategy: sfn.JitterType.FULL,
    });
    retryLambdaService(markFailedLastResort);
    markFailedLastResort.addCatch(stranded, { errors: [sfn.Errors.ALL], resultPath: '$.lastResortError' });
    markFailedLastResort.next(releaseSlotAfterFailure);
    markFailed.addCatch(markFailedLastResort, { errors: [sfn.Errors.ALL], resultPath: '$.markFailedError' });

    const catchIntoMarkFailed = (task: tasks.LambdaInvoke) =>
      task.addCatch(markFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    // --- success path -----------------------------------------------------------------------------------------
    // The execution ends with the webhook (delivered or given up): no Succeed state to enter on the way. Done is
    // entered only when recording a given-up webhook fails too.
    const done = new sfn.Succeed(this, STATES.succeeded);
    const sendSuccessWebhook = sendWebhook(STATES.sendWebhook, STATES.webhookGaveUp, 'end', done);

    const notify = invoke(STATES.notify, 'notify', { payload: jobRef(), resultPath: sfn.JsonPath.DISCARD });
    retryLambdaService(notify);
    notify.addRetry({
      errors: [sfn.Errors.TASKS_FAILED],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: sfn.JitterType.FULL,
    });
    // A notice never changes the outcome, and a failed one still sends the webhook.
    notify.addCatch(sendSuccessWebhook, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });

    // Archive releases the job's slot (the provider's task has ended: the next waiting job starts), copies the video
    // into S3, and records the job SUCCEEDED with its outputs and reported cost. It takes {jobId, videoUrl,
    // thumbnailUrl?, cost?}. A JSONPath Parameters block cannot leave out a field that is absent (thumbnailUrl often
    // is: it fails with States.Runtime), so the payload is the provider result merged with the execution input
    // ({jobId, config}); the handler's schema keeps the fields it reads. An intrinsic can only fill `Payload`, not a
    // payloadResponseOnly task's whole input, so this one task uses the lambda:invoke integration.
    const archive = new tasks.LambdaInvoke(this, STATES.archive, {
      lambdaFunction: functions.archive,
      payload: sfn.TaskInput.fromJsonPathAt(
        sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.next.result'), sfn.JsonPath.objectAt('$$.Execution.Input')),
      ),
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(HANDLER_SIZING.archive.timeout.plus(TASK_TIMEOUT_MARGIN)),
    });
    retryTransientProvider(archive, [ERROR_NAMES.network, ERROR_NAMES.server, ARCHIVE_STORE_UNAVAILABLE]);
    retryLambdaService(archive);
    catchIntoMarkFailed(archive);
    archive.next(notify).next(sendSuccessWebhook);

    // --- waiting for the result: the next check follows the provider (lambdas/domain/wait-schedule.ts) ------------
    // `$.next` carries the plan of the next check ({polls, seconds, at, callbacks, deadlinePassed}), made by Submit
    // and by every PollStatus (which counts the check and adds the provider's view of the task, `$.next.result`;
    // AwaitResult puts the callback's result there too). A callback provider's job waits in AwaitResult for the
    // callback; a polled provider's job waits in WaitForProvider (a Wait state: no Lambda, no task token) and then
    // polls. One Choice after each routes its result: CheckResult after AwaitResult, CheckPoll after PollStatus.
    const timedOut = (stateName: string, cause: string, ...args: string[]) => {
      const pass = new sfn.Pass(this, stateName, {
        parameters: { Error: POLL_BUDGET_EXHAUSTED, Cause: sfn.JsonPath.format(cause, ...args.map((a) => sfn.JsonPath.stringAt(a))) },
        resultPath: '$.error',
      });
      pass.next(markFailed);
      return pass;
    };
    const pollBudgetExhausted = timedOut(
      STATES.pollBudgetExhausted,
      // "Checks made: N" reads right for 1 as for 3 (States.Format cannot choose a plural).
      'No terminal result from the provider within the checks allowed (checks made: {}).',
      '$.next.polls',
    );
    const deadlinePassed = timedOut(
      STATES.deadlinePassed,
      "No terminal result from the provider by the job's deadline (checks made: {}).",
      '$.next.polls',
    );

    // Counts the check and plans the next; while the completion is near it polls again itself (a few seconds apart,
    // within one invocation), so a round of the workflow (three transitions) is not spent per poll.
    const pollStatus = invoke(STATES.pollStatus, 'poll-status', {
      payload: sfn.TaskInput.fromObject({
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        polls: sfn.JsonPath.numberAt('$.next.polls'),
      }),
      resultPath: '$.next',
    });
    retryTransientProvider(pollStatus);
    retryLambdaService(pollStatus);
    catchIntoMarkFailed(pollStatus);

    // Waits for the callback handler's SendTaskSuccess, $.next.seconds (half the time to the deadline): then once
    // more (the one retry, whose handler polls the provider first: the safety check for a lost callback), then
    // PollStatus at the deadline.
    const awaitResult = new tasks.LambdaInvoke(this, STATES.awaitResult, {
      lambdaFunction: functions['await-result'],
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        taskToken: sfn.JsonPath.taskToken,
        waitSeconds: sfn.JsonPath.numberAt('$.next.seconds'),
      }),
      resultPath: '$.next.result',
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.at('$.next.seconds'),
    });
    awaitResult.addRetry({
      errors: [sfn.Errors.TIMEOUT],
      interval: Duration.seconds(1),
      maxAttempts: 1,
      jitterStrategy: sfn.JitterType.FULL,
    });
    retryLambdaService(awaitResult);
    awaitResult.addCatch(pollStatus, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
    catchIntoMarkFailed(awaitResult);

    const waitForProvider = new sfn.Wait(this, STATES.waitForProvider, { time: sfn.WaitTime.timestampPath('$.next.at') });
    waitForProvider.next(pollStatus);

    const status = (value: string) => sfn.Condition.stringEquals('$.next.result.status', value);
    const ended = sfn.Condition.or(status('failed'), status('cancelled'));
    const checkPoll = new sfn.Choice(this, STATES.checkPoll)
      .when(status('succeeded'), archive)
      .when(ended, markFailed)
      // Still running: PollStatus counted the check and planned the next.
      .when(sfn.Condition.booleanEquals('$.next.deadlinePassed', true), deadlinePassed)
      .when(sfn.Condition.numberGreaterThanEqualsJsonPath('$.next.polls', '$.config.maxPolls'), pollBudgetExhausted)
      .when(sfn.Condition.booleanEquals('$.next.callbacks', true), awaitResult)
      .otherwise(waitForProvider);
    pollStatus.next(checkPoll);
    // A callback wakes the wait with a terminal result; anything else (a running result) is checked by a poll, which
    // counts it: no loop around AwaitResult goes uncounted.
    const checkResult = new sfn.Choice(this, STATES.checkResult)
      .when(status('succeeded'), archive)
      .when(ended, markFailed)
      .otherwise(pollStatus);
    awaitResult.next(checkResult);

    // --- the way in -------------------------------------------------------------------------------------------
    // Submit takes a slot of the provider's pool first (admission control), then sends the job. It answers with the
    // task and the plan of its first check; or `queued` (no slot free: the job waits in AwaitSlot, woken by the job
    // that frees one, or after $.config.slotWaitSeconds, and then Submit asks again and refreshes its queue position);
    // or how long to wait before the next attempt (the provider's retry hint, with jitter; lambdas/domain/retry.ts): a
    // refusal worth retrying never fails the job before Submit's schedule runs out. The next Submit renews the slot's
    // lease (or queues the job again if it lost its slot). `$.submitRetries` starts at 0 in the execution input.
    const submit = invoke(STATES.submit, 'submit', {
      payload: sfn.TaskInput.fromObject({
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        retries: sfn.JsonPath.numberAt('$.submitRetries.count'),
      }),
      resultPath: '$.next',
    });
    retryLambdaService(submit);
    catchIntoMarkFailed(submit);
    const waitToResubmit = new sfn.Wait(this, STATES.waitToResubmit, {
      time: sfn.WaitTime.secondsPath('$.next.retryInSeconds'),
    });
    const countSubmitRetry = new sfn.Pass(this, STATES.countSubmitRetry, {
      parameters: { count: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.submitRetries.count'), 1) },
      resultPath: '$.submitRetries',
    });
    const awaitSlot = new tasks.LambdaInvoke(this, STATES.awaitSlot, {
      lambdaFunction: functions['await-slot'],
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        taskToken: sfn.JsonPath.taskToken,
      }),
      // Woken by the job that handed it a slot (or by itself): Submit finds the slot its own.
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.at('$.config.slotWaitSeconds'),
    });
    retryLambdaService(awaitSlot);
    awaitSlot.addCatch(submit, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
    catchIntoMarkFailed(awaitSlot);
    awaitSlot.next(submit);
    const submitted = new sfn.Choice(this, STATES.submitted)
      .when(sfn.Condition.isPresent('$.next.queued'), awaitSlot)
      .when(sfn.Condition.isPresent('$.next.retryInSeconds'), waitToResubmit)
      .when(sfn.Condition.booleanEquals('$.next.callbacks', true), awaitResult)
      .otherwise(waitForProvider);
    submit.next(submitted);

    const validate = invoke(STATES.validate, 'validate', { payload: jobRef(), resultPath: sfn.JsonPath.DISCARD });
    // Reading stored images can be cut short (a network error): retried like a provider's.
    retryTransientProvider(validate);
    retryLambdaService(validate);
    catchIntoMarkFailed(validate);

    waitToResubmit.next(countSubmitRetry).next(submit);

    validate.next(submit);

    // The reconciler starts a finished job that owes its notice or webhook with `resume` (lambdas/jobs/reconcile.ts).
    const resumeNotice = new sfn.Choice(this, STATES.resumeNotice)
      .when(sfn.Condition.stringEquals('$.resume', 'notice-succeeded'), notify)
      .otherwise(notifyFailure);
    const definition = new sfn.Choice(this, STATES.begin).when(sfn.Condition.isPresent('$.resume'), resumeNotice).otherwise(validate);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment:
        'klingflow job: validate, submit (after a provider slot), await the result (callback or poll), archive (the slot ' +
        'released, the job completed), notify, webhook',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: EXECUTION_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}
