// The state machine: the definition docs/workflow.md describes, valid ASL, runnable by the local interpreter,
// and extractWorkflow's resolution of it for the local stack.
/// <reference path="../../types/asl-validator.d.ts" />
import { readFileSync } from 'node:fs';
import path from 'node:path';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_NAMES, RETRYABLE_ERROR_NAMES } from '../../lambdas/domain/errors.ts';
import {
  ARCHIVE_STORE_UNAVAILABLE,
  HANDLERS,
  POLL_BUDGET_EXHAUSTED,
  STATES,
  WEBHOOK_DELIVERY_FAILED,
} from '../../lambdas/workflow/contract.ts';
import type { HandlerName } from '../../lambdas/workflow/contract.ts';
import { SUBMIT_SETTLE_SECONDS } from '../../lambdas/jobs/submit-job.ts';
import { WorkflowExtractionError, extractWorkflow, lambdaTargets, localLambdaArn } from '../../lib/asl.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import { type CfnTemplate, functionsByHandler, onlyResourceOfType } from './template-queries.ts';

let template: CfnTemplate;
let definition: Record<string, any>;
let states: Record<string, any>;
let handlerByFunctionName: Record<string, HandlerName>;

beforeAll(() => {
  template = synthesizeTemplate();
  ({ definition, handlerByFunctionName } = extractWorkflow(template));
  states = definition.States;
});

const tasks = () => Object.entries(states).filter(([, state]) => state.Type === 'Task');

/** Every state a state can go to next. */
const successors = (state: Record<string, any>): string[] => [
  ...(state.Next ? [state.Next] : []),
  ...(state.Default ? [state.Default] : []),
  ...(state.Choices ?? []).map((choice: { Next: string }) => choice.Next),
  ...(state.Catch ?? []).map((c: { Next: string }) => c.Next),
];

describe('state machine resource', () => {
  it('is Standard, logs ALL without execution data, traces, and has an execution timeout', () => {
    const [, stateMachine] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
    expect(stateMachine.Properties!.StateMachineType).toBe('STANDARD');
    expect(stateMachine.Properties!.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(stateMachine.Properties!.TracingConfiguration).toEqual({ Enabled: true });
    expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(3600);
    expect(definition.TimeoutSeconds).toBeLessThanOrEqual(26 * 3600);
  });
});

describe('definition', () => {
  it('is valid ASL (asl-validator)', () => {
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('a broken copy (a Next to a missing state) is rejected, so the check can fail', () => {
    const broken = structuredClone(definition);
    broken.States[STATES.submit].Next = 'NoSuchState';
    const result = aslValidator(broken);
    expect(result.isValid).toBe(false);
    expect(result.errorsText()).toMatch(/MISSING_TRANSITION_TARGET|NoSuchState/);
  });

  it('has exactly the states of lambdas/workflow/contract.ts STATES, starting at Begin: Validate, or (resume) the notice', () => {
    expect(Object.keys(states).sort()).toEqual(Object.values(STATES).sort());
    expect(definition.StartAt).toBe(STATES.begin);
    expect(states[STATES.begin]).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.resume', IsPresent: true, Next: STATES.resumeNotice }],
      Default: STATES.validate,
    });
    expect(states[STATES.resumeNotice]).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.resume', StringEquals: 'notice-succeeded', Next: STATES.notify }],
      Default: STATES.notifyFailure,
    });
  });

  it('uses only what the local interpreter executes: no JSONata, Variables/Assign or Distributed Map', () => {
    const forbidden = new Set([
      'QueryLanguage',
      'Assign',
      'Output',
      'Arguments',
      'ItemReader',
      'ItemBatcher',
      'ResultWriter',
      'ProcessorConfig',
    ]);
    const keys: string[] = [];
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          keys.push(key);
          walk(child);
        }
      }
    };
    walk(definition);
    expect(keys.filter((key) => forbidden.has(key))).toEqual([]);
    expect(JSON.stringify(definition)).not.toMatch(/\{%|\$states\./);
  });

  it('gives every Task an explicit TimeoutSeconds or TimeoutSecondsPath', () => {
    expect(tasks().length).toBe(15);
    for (const [name, state] of tasks()) {
      expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath, name).toBeDefined();
    }
  });

  it('Submit: an attempt without an answer has certainly ended after SUBMIT_SETTLE_SECONDS (its Task timeout)', () => {
    expect(states[STATES.submit].TimeoutSeconds).toBeLessThanOrEqual(SUBMIT_SETTLE_SECONDS);
  });

  it('keeps each Task within its Lambda timeout plus a margin', () => {
    const functions = functionsByHandler(template);
    for (const [name, state] of tasks()) {
      if (state.TimeoutSecondsPath) continue;
      const handler = handlerOf(name);
      const lambdaTimeout = functions[handler].resource.Properties!.Timeout as number;
      expect(state.TimeoutSeconds, name).toBeGreaterThan(lambdaTimeout);
      expect(state.TimeoutSeconds, name).toBeLessThanOrEqual(lambdaTimeout + 60);
    }
  });

  it('stores results where docs/workflow.md says', () => {
    const resultPaths = Object.fromEntries(tasks().map(([name, state]) => [name, state.ResultPath]));
    expect(resultPaths).toEqual({
      [STATES.validate]: null,
      [STATES.awaitSlot]: null,
      [STATES.submit]: '$.next',
      [STATES.releaseSlotAfterFailure]: null,
      [STATES.awaitResult]: '$.next.result',
      [STATES.pollStatus]: '$.next',
      [STATES.archive]: null,
      [STATES.notify]: null,
      [STATES.sendWebhook]: null,
      [STATES.webhookGaveUp]: null,
      [STATES.markFailed]: null,
      [STATES.markFailedLastResort]: null,
      [STATES.notifyFailure]: null,
      [STATES.sendFailureWebhook]: null,
      [STATES.failureWebhookGaveUp]: null,
    });
  });

  it('invokes Lambdas for their own result (payloadResponseOnly) except the two waits and Archive', () => {
    for (const [name, state] of tasks()) {
      if (name === STATES.awaitResult || name === STATES.awaitSlot || name === STATES.archive) continue;
      expect(state.Resource, name).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:/);
    }
    expect(states[STATES.archive].Resource).toBe('arn:aws:states:::lambda:invoke');
  });

  it('sends each task the payload of the contract', () => {
    const jobRef = { 'jobId.$': '$.jobId' };
    for (const name of [
      STATES.validate,
      STATES.releaseSlotAfterFailure,
      STATES.notify,
      STATES.notifyFailure,
      STATES.sendWebhook,
      STATES.sendFailureWebhook,
    ]) {
      expect(states[name].Parameters, name).toEqual(jobRef);
    }
    for (const name of [STATES.webhookGaveUp, STATES.failureWebhookGaveUp]) {
      expect(states[name].Parameters, name).toEqual({ 'jobId.$': '$.jobId', 'gaveUp.$': '$.webhookError' });
    }
    expect(states[STATES.submit].Parameters).toEqual({ 'jobId.$': '$.jobId', 'retries.$': '$.submitRetries.count' });
    expect(states[STATES.pollStatus].Parameters).toEqual({ 'jobId.$': '$.jobId', 'polls.$': '$.next.polls' });
    // MarkFailed gets the whole state ({jobId, error?, result?, ...}).
    expect(states[STATES.markFailed].Parameters).toBeUndefined();
    expect(states[STATES.markFailed].InputPath).toBeUndefined();
    // Archive: the provider result merged with the execution input ({jobId, config, ...}).
    expect(states[STATES.archive].Parameters['Payload.$']).toBe('States.JsonMerge($.next.result, $$.Execution.Input, false)');
  });

  it('AwaitResult waits for a task token $.next.seconds, once more (the retry: a safety poll), then polls at the deadline', () => {
    const awaitResult = states[STATES.awaitResult];
    expect(awaitResult.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(awaitResult.TimeoutSecondsPath).toBe('$.next.seconds');
    expect(awaitResult.TimeoutSeconds).toBeUndefined();
    expect(awaitResult.Parameters.Payload).toEqual({
      'jobId.$': '$.jobId',
      'taskToken.$': '$$.Task.Token',
      'waitSeconds.$': '$.next.seconds',
    });
    expect(awaitResult.Retry[0]).toEqual({ ErrorEquals: ['States.Timeout'], IntervalSeconds: 1, MaxAttempts: 1, JitterStrategy: 'FULL' });
    expect(awaitResult.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: STATES.pollStatus },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATES.markFailed },
    ]);
    expect(awaitResult.Next).toBe(STATES.checkResult);
  });

  it('routes each result in one Choice: on $.next.result.status, then (after a poll) the deadline, the check budget and the provider kind', () => {
    const terminal = [
      { Variable: '$.next.result.status', StringEquals: 'succeeded', Next: STATES.archive },
      {
        Or: [
          { Variable: '$.next.result.status', StringEquals: 'failed' },
          { Variable: '$.next.result.status', StringEquals: 'cancelled' },
        ],
        Next: STATES.markFailed,
      },
    ];
    expect(states[STATES.pollStatus].Next).toBe(STATES.checkPoll);
    expect(states[STATES.checkPoll]).toEqual({
      Type: 'Choice',
      Choices: [
        ...terminal,
        { Variable: '$.next.deadlinePassed', BooleanEquals: true, Next: STATES.deadlinePassed },
        { Variable: '$.next.polls', NumericGreaterThanEqualsPath: '$.config.maxPolls', Next: STATES.pollBudgetExhausted },
        { Variable: '$.next.callbacks', BooleanEquals: true, Next: STATES.awaitResult },
      ],
      Default: STATES.waitForProvider,
    });
    // After a wait for the callback: a running result (not what a callback wakes it with) is checked by a poll.
    expect(states[STATES.awaitResult].Next).toBe(STATES.checkResult);
    expect(states[STATES.checkResult]).toEqual({ Type: 'Choice', Choices: terminal, Default: STATES.pollStatus });
    // The provider's task has ended: Archive releases the slot, copies the video and completes the job.
    expect(states[STATES.archive].Next).toBe(STATES.notify);
  });

  it('waits as planned in $.next: for the callback in AwaitResult, or in a Wait state until $.next.at before a poll', () => {
    expect(states[STATES.submitted]).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.next.queued', IsPresent: true, Next: STATES.awaitSlot },
        { Variable: '$.next.retryInSeconds', IsPresent: true, Next: STATES.waitToResubmit },
        { Variable: '$.next.callbacks', BooleanEquals: true, Next: STATES.awaitResult },
      ],
      Default: STATES.waitForProvider,
    });
    // A timestamp, not whole seconds: a local stack's scaled waits (1/30) keep their precision.
    expect(states[STATES.waitForProvider]).toEqual({ Type: 'Wait', TimestampPath: '$.next.at', Next: STATES.pollStatus });
    for (const name of [STATES.pollBudgetExhausted, STATES.deadlinePassed]) {
      expect(states[name], name).toMatchObject({
        Type: 'Pass',
        ResultPath: '$.error',
        Parameters: { Error: POLL_BUDGET_EXHAUSTED },
        Next: STATES.markFailed,
      });
    }
  });

  it('Submit ⇄ AwaitSlot: Submit admits the job or queues it; AwaitSlot waits $.config.slotWaitSeconds, then Submit asks again', () => {
    expect(states[STATES.validate].Next).toBe(STATES.submit);
    const awaitSlot = states[STATES.awaitSlot];
    expect(awaitSlot.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(awaitSlot.TimeoutSecondsPath).toBe('$.config.slotWaitSeconds');
    expect(awaitSlot.Parameters.Payload).toEqual({ 'jobId.$': '$.jobId', 'taskToken.$': '$$.Task.Token' });
    expect(awaitSlot.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: STATES.submit },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATES.markFailed },
    ]);
    // Woken (handed a slot, or not): Submit admits again, and finds the slot its own or queues the job again.
    expect(awaitSlot.ResultPath).toBeNull();
    expect(awaitSlot.Next).toBe(STATES.submit);
  });

  it('Submit ⇄ WaitToResubmit: a refusal worth retrying waits $.next.retryInSeconds, counts the retry, and goes back to Submit', () => {
    expect(states[STATES.submit].Next).toBe(STATES.submitted);
    expect(states[STATES.submitted].Choices[1]).toEqual({
      Variable: '$.next.retryInSeconds',
      IsPresent: true,
      Next: STATES.waitToResubmit,
    });
    expect(states[STATES.waitToResubmit]).toEqual({
      Type: 'Wait',
      SecondsPath: '$.next.retryInSeconds',
      Next: STATES.countSubmitRetry,
    });
    expect(states[STATES.countSubmitRetry]).toMatchObject({
      Type: 'Pass',
      Parameters: { 'count.$': 'States.MathAdd($.submitRetries.count, 1)' },
      ResultPath: '$.submitRetries',
      Next: STATES.submit,
    });
    // The provider's refusals are retried by Submit's own schedule (lambdas/domain/retry.ts), not by Retry rules.
    expect(states[STATES.submit].Retry.map((r: any) => r.ErrorEquals)).toEqual([expect.arrayContaining(['Lambda.ServiceException'])]);
  });

  it("has no cycle that skips both PollStatus and Submit (loops pay from the check budget, Submit's retries or the bounded queue wait)", () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (name: string, trail: string[]) => {
      // PollStatus counts every check (CheckResult ends the job at maxPolls); Submit gives up after its retries and fails
      // the job with QueueWaitExpired past maxQueueSeconds (test/unit/jobs/admission.test.ts).
      if (name === STATES.pollStatus || name === STATES.submit || done.has(name)) return;
      if (visiting.has(name)) {
        cycles.push([...trail, name].join(' → '));
        return;
      }
      visiting.add(name);
      for (const next of successors(states[name])) visit(next, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(states)) visit(name, []);
    expect(cycles).toEqual([]);
  });

  it('sends every failure to MarkFailed with the error at $.error, and ends the failure path in a Fail state', () => {
    for (const name of [STATES.validate, STATES.submit, STATES.pollStatus, STATES.archive]) {
      expect(states[name].Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATES.markFailed }]);
    }
    // The last resort: the same handler with a minimal payload and patient retries, then Stranded (the reconciler).
    expect(states[STATES.markFailed].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.markFailedError', Next: STATES.markFailedLastResort },
    ]);
    const lastResort = states[STATES.markFailedLastResort];
    expect(lastResort.Parameters).toEqual({ 'jobId.$': '$.jobId', 'error.$': '$.markFailedError' });
    expect(lastResort.Retry[0]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 5, JitterStrategy: 'FULL' });
    expect(lastResort.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.lastResortError', Next: STATES.stranded }]);
    expect(lastResort.Next).toBe(STATES.releaseSlotAfterFailure);
    expect(states[STATES.stranded]).toMatchObject({ Type: 'Fail', Error: 'JobStranded' });
    // Every Task that can leave a job unfinished has a Catch.
    for (const [name, state] of tasks()) expect(state.Catch, name).toBeDefined();
    // The failed job leaves its provider's pool; a release that fails does not stop the notice.
    expect(states[STATES.markFailed].Next).toBe(STATES.releaseSlotAfterFailure);
    expect(states[STATES.releaseSlotAfterFailure].Next).toBe(STATES.notifyFailure);
    expect(states[STATES.releaseSlotAfterFailure].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: null, Next: STATES.notifyFailure },
    ]);
    expect(states[STATES.notifyFailure].Next).toBe(STATES.sendFailureWebhook);
    // A failed notice still sends the webhook.
    expect(states[STATES.notifyFailure].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: null, Next: STATES.sendFailureWebhook },
    ]);
    expect(states[STATES.sendFailureWebhook].Next).toBe(STATES.failed);
    expect(states[STATES.failed].Type).toBe('Fail');
    // A notice never changes the outcome, and a failed one still sends the webhook.
    expect(states[STATES.notify].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: STATES.sendWebhook }]);
    expect(states[STATES.archive].Next).toBe(STATES.notify);
    expect(states[STATES.notify].Next).toBe(STATES.sendWebhook);
    // The execution ends with the webhook: no Succeed state to enter on the way. Done only when the give-up fails.
    expect(states[STATES.sendWebhook]).toMatchObject({ End: true });
    expect(states[STATES.sendWebhook].Next).toBeUndefined();
    expect(states[STATES.webhookGaveUp]).toMatchObject({ End: true });
    expect(states[STATES.succeeded].Type).toBe('Succeed');
  });
});

describe('webhook states', () => {
  // `after` undefined: the execution ends there (End: true); `ifGiveUpFails`: where a failing give-up goes.
  const PAIRS = [
    { send: STATES.sendWebhook, gaveUp: STATES.webhookGaveUp, after: undefined, ifGiveUpFails: STATES.succeeded },
    { send: STATES.sendFailureWebhook, gaveUp: STATES.failureWebhookGaveUp, after: STATES.failed, ifGiveUpFails: STATES.failed },
  ];

  it.each(PAIRS)('$send and $gaveUp run the webhook handler with an explicit timeout', ({ send, gaveUp }) => {
    expect(handlerOf(send)).toBe('webhook');
    expect(handlerOf(gaveUp)).toBe('webhook');
    const lambdaTimeout = functionsByHandler(template).webhook.resource.Properties!.Timeout as number;
    for (const name of [send, gaveUp]) expect(states[name].TimeoutSeconds, name).toBe(lambdaTimeout + 10);
  });

  it.each(PAIRS)(
    '$send: {jobId}, result discarded, redelivers WebhookDeliveryFailed 3 times (1 s, ×2, ≤30 s)',
    ({ send, gaveUp, after }) => {
      const state = states[send];
      expect(state.Parameters).toEqual({ 'jobId.$': '$.jobId' });
      expect(state.ResultPath).toBeNull();
      expect(state.Retry[0]).toEqual({
        ErrorEquals: [WEBHOOK_DELIVERY_FAILED],
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxAttempts: 3,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      });
      expect(state.Retry).toHaveLength(2); // and the Lambda service errors
      expect(state.Retry[1].ErrorEquals).toContain('Lambda.ServiceException');
      expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.webhookError', Next: gaveUp }]);
      expect(state.Next).toBe(after);
      expect(state.End).toBe(after ? undefined : true);
    },
  );

  it.each(PAIRS)('$gaveUp: {jobId, gaveUp: $.webhookError}, then ends or goes on, whatever happens', ({ gaveUp, after, ifGiveUpFails }) => {
    const state = states[gaveUp];
    expect(state.Parameters).toEqual({ 'jobId.$': '$.jobId', 'gaveUp.$': '$.webhookError' });
    expect(state.ResultPath).toBeNull();
    expect(state.Next).toBe(after);
    expect(state.End).toBe(after ? undefined : true);
    expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: ifGiveUpFails }]);
    expect(state.Retry.map((r: any) => r.ErrorEquals)).toEqual([expect.arrayContaining(['Lambda.ServiceException'])]);
  });

  /** Runs the definition in the local interpreter with every Task replaced by `tasks[name]` (default: `{}`). */
  async function runLocally(tasks: Record<string, (input: any) => unknown>, extraInput: Record<string, unknown> = {}) {
    const calls: { state: string; input: any }[] = [];
    const handlers = Object.fromEntries(
      Object.entries(states)
        .filter(([, state]) => state.Type === 'Task')
        .map(([name]) => [
          name,
          async (input: any) => {
            calls.push({ state: name, input });
            // Submit admits every job and plans a callback wait unless the test says otherwise.
            const fallback = name === STATES.submit ? () => plan({ callbacks: true }) : () => ({});
            return (tasks[name] ?? fallback)(input);
          },
        ]),
    );
    const machine = new StateMachine(structuredClone(definition) as never, { validationOptions: { checkArn: false } });
    const retryIntervalOverrides = Object.fromEntries(Object.keys(states).map((name) => [name, 0]));
    const input = { jobId: 'job_1', submitRetries: { count: 0 }, config: { maxPolls: 3, slotWaitSeconds: 5 } };
    const run = machine.run({ ...input, ...extraInput } as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      // The local runtime gives $$.Task.Token from its context; so does this run.
      context: { Task: { Token: 'token-1' } } as never,
    });
    const outcome = await run.result.then(
      (output) => ({ status: 'SUCCEEDED', output }),
      (error: Error) => ({ status: 'FAILED', error: error.name }),
    );
    return { ...outcome, calls };
  }
  /** A plan of the next check as Submit and PollStatus make it; `at` is now (the Wait does not hold the test up). */
  function plan(fields: { polls?: number; callbacks: boolean; deadlinePassed?: boolean; result?: unknown }) {
    return { polls: 0, seconds: 1, at: new Date().toISOString(), deadlinePassed: false, ...fields };
  }
  /** A job whose callback brings the video, and whose notice and webhook go out. */
  const deliveredJob = () => ({
    ...succeededJob,
    [STATES.notify]: () => ({}),
    [STATES.sendWebhook]: () => ({ delivered: true }),
  });
  const undelivered = () => {
    throw Object.assign(new Error('receiver answered 503'), { name: WEBHOOK_DELIVERY_FAILED });
  };
  const succeededJob = {
    [STATES.awaitResult]: () => ({
      providerTaskId: 't1',
      status: 'succeeded',
      videoUrl: 'https://v.example.com/v.mp4',
      source: 'callback',
    }),
    [STATES.archive]: () => ({ Payload: { video: { bucket: 'b', key: 'jobs/job_1/video.mp4' } } }),
    [STATES.notify]: () => {
      throw new Error('SNS is down');
    },
  };

  it('in the local interpreter: a failed notice still sends the webhook; 1 + 3 attempts, then WebhookGaveUp, which ends it', async () => {
    const { status, calls } = await runLocally({ ...succeededJob, [STATES.sendWebhook]: undelivered });
    expect(status).toBe('SUCCEEDED');
    const tail = calls
      .map((c) => c.state)
      .filter((name) => [STATES.notify, STATES.sendWebhook, STATES.webhookGaveUp].includes(name as never));
    expect(tail.filter((n) => n === STATES.notify).length).toBeGreaterThanOrEqual(1);
    expect(tail.filter((n) => n === STATES.sendWebhook)).toHaveLength(4);
    expect(calls.filter((c) => c.state === STATES.sendWebhook).every((c) => JSON.stringify(c.input) === '{"jobId":"job_1"}')).toBe(true);
    const gaveUp = calls.filter((c) => c.state === STATES.webhookGaveUp);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]!.input).toEqual({ jobId: 'job_1', gaveUp: expect.objectContaining({ Error: WEBHOOK_DELIVERY_FAILED }) });
  });

  it('in the local interpreter: a queued job waits in AwaitSlot, asks again when the wait times out, and goes on when handed a slot', async () => {
    let submits = 0;
    let waits = 0;
    const { status, calls } = await runLocally({
      ...deliveredJob(),
      // Submit admits first: queued twice, then admitted (the slot handed over) and submitted.
      [STATES.submit]: () => (++submits <= 2 ? { admitted: false, pool: 'kling', position: 1, queued: true } : plan({ callbacks: true })),
      [STATES.awaitSlot]: () => {
        waits += 1;
        if (waits === 1) throw Object.assign(new Error('no slot within slotWaitSeconds'), { name: 'States.Timeout' });
        return { admitted: true };
      },
      [STATES.sendWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('SUCCEEDED');
    const order = calls.map((c) => c.state);
    expect(order).toEqual([
      STATES.validate,
      STATES.submit,
      STATES.awaitSlot,
      STATES.submit,
      STATES.awaitSlot,
      STATES.submit,
      STATES.awaitResult,
      STATES.archive,
      STATES.notify,
      STATES.sendWebhook,
    ]);
    expect(calls.find((c) => c.state === STATES.awaitSlot)!.input.Payload).toEqual({ jobId: 'job_1', taskToken: 'token-1' });
    // Every Submit of the job is its first attempt: waiting for a slot is no retry.
    expect(calls.filter((c) => c.state === STATES.submit).every((c) => c.input.retries === 0)).toBe(true);
  });

  it('in the local interpreter: a Submit that answers retryInSeconds waits, counts the retry and comes back to Submit', async () => {
    let attempts = 0;
    const { status, calls } = await runLocally({
      ...succeededJob,
      [STATES.submit]: () => (++attempts === 1 ? { retryInSeconds: 1, reason: 'Kling 1302' } : plan({ callbacks: true })),
      [STATES.sendWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('SUCCEEDED');
    const order = calls.map((c) => c.state);
    expect(order.slice(0, 4)).toEqual([STATES.validate, STATES.submit, STATES.submit, STATES.awaitResult]);
    expect(calls.filter((c) => c.state === STATES.submit).map((c) => c.input)).toEqual([
      { jobId: 'job_1', retries: 0 },
      { jobId: 'job_1', retries: 1 },
    ]);
  });

  it("in the local interpreter: a callback job waits in AwaitResult; the callback's result goes to Archive, which completes the job", async () => {
    const run = await runLocally(deliveredJob());
    const { status, calls } = run;
    expect(status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.state)).toEqual([
      STATES.validate,
      STATES.submit,
      STATES.awaitResult,
      STATES.archive,
      STATES.notify,
      STATES.sendWebhook,
    ]);
    expect(calls.find((c) => c.state === STATES.awaitResult)!.input.Payload).toEqual({
      jobId: 'job_1',
      taskToken: 'token-1',
      waitSeconds: 1,
    });
    // Archive gets the provider's result with the execution input: the video to copy and the reported cost.
    expect(calls.find((c) => c.state === STATES.archive)!.input.Payload).toMatchObject({
      jobId: 'job_1',
      videoUrl: 'https://v.example.com/v.mp4',
      status: 'succeeded',
    });
    expect('output' in run && (run.output as any).next.result).toMatchObject({ status: 'succeeded', source: 'callback' });
  });

  it('in the local interpreter: no callback within the wait: AwaitResult once more (its safety poll), then PollStatus; TIMED_OUT at the deadline', async () => {
    const timeout = () => {
      throw Object.assign(new Error('no callback'), { name: 'States.Timeout' });
    };
    const { status, calls } = await runLocally({
      [STATES.awaitResult]: timeout,
      [STATES.pollStatus]: ({ polls }: { polls: number }) =>
        plan({
          polls: polls + 1,
          callbacks: true,
          deadlinePassed: true,
          result: { providerTaskId: 't1', status: 'processing', source: 'poll' },
        }),
      [STATES.sendFailureWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('FAILED');
    const order = calls.map((c) => c.state);
    expect(order.slice(0, 5)).toEqual([STATES.validate, STATES.submit, STATES.awaitResult, STATES.awaitResult, STATES.pollStatus]);
    expect(calls.find((c) => c.state === STATES.pollStatus)!.input).toEqual({ jobId: 'job_1', polls: 0 });
    const markFailed = calls.find((c) => c.state === STATES.markFailed);
    expect(markFailed?.input.error).toMatchObject({
      Error: POLL_BUDGET_EXHAUSTED,
      Cause: expect.stringMatching(/deadline \(checks made: 1\)/),
    });
  });

  it('in the local interpreter: a callback job whose safety poll finds it done goes on from the second wait', async () => {
    let waits = 0;
    const { status, calls } = await runLocally({
      ...succeededJob,
      [STATES.awaitResult]: () => {
        if (++waits === 1) throw Object.assign(new Error('no callback'), { name: 'States.Timeout' });
        return { providerTaskId: 't1', status: 'succeeded', videoUrl: 'https://v.example.com/v.mp4', source: 'poll' };
      },
      [STATES.sendWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.state).slice(0, 5)).toEqual([
      STATES.validate,
      STATES.submit,
      STATES.awaitResult,
      STATES.awaitResult,
      STATES.archive,
    ]);
  });

  it('in the local interpreter: a running result from a callback is counted by PollStatus, never looped on uncounted', async () => {
    const { status, calls } = await runLocally({
      [STATES.awaitResult]: () => ({ providerTaskId: 't1', status: 'processing', source: 'callback' }),
      [STATES.pollStatus]: ({ polls }: { polls: number }) =>
        plan({ polls: polls + 1, callbacks: true, result: { providerTaskId: 't1', status: 'processing', source: 'poll' } }),
      [STATES.sendFailureWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('FAILED');
    // maxPolls 3: three checks, each after a wait that answered a running result.
    expect(calls.filter((c) => c.state === STATES.pollStatus).map((c) => c.input.polls)).toEqual([0, 1, 2]);
    expect(calls.find((c) => c.state === STATES.markFailed)?.input.error).toMatchObject({
      Error: POLL_BUDGET_EXHAUSTED,
      Cause: expect.stringMatching(/within the checks allowed \(checks made: 3\)/),
    });
  });

  it('in the local interpreter: a polled job waits in WaitForProvider as planned, never in AwaitResult, and polls until done', async () => {
    let polls = 0;
    const { status, calls } = await runLocally({
      ...deliveredJob(),
      [STATES.submit]: () => plan({ callbacks: false }),
      [STATES.pollStatus]: (input: { polls: number }) =>
        plan({
          polls: input.polls + 1,
          callbacks: false,
          result:
            ++polls < 2
              ? { providerTaskId: 't1', status: 'processing', source: 'poll' }
              : { providerTaskId: 't1', status: 'succeeded', videoUrl: 'https://v.example.com/v.mp4', source: 'poll' },
        }),
      [STATES.sendWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('SUCCEEDED');
    const order = calls.map((c) => c.state);
    expect(order).toEqual([
      STATES.validate,
      STATES.submit,
      STATES.pollStatus,
      STATES.pollStatus,
      STATES.archive,
      STATES.notify,
      STATES.sendWebhook,
    ]);
    expect(calls.filter((c) => c.state === STATES.pollStatus).map((c) => c.input)).toEqual([
      { jobId: 'job_1', polls: 0 },
      { jobId: 'job_1', polls: 1 },
    ]);
    expect(calls.find((c) => c.state === STATES.archive)!.input.Payload).toMatchObject({ videoUrl: 'https://v.example.com/v.mp4' });
  });

  it('in the local interpreter: a polled job whose provider fails ends through MarkFailed with the result', async () => {
    const failed = {
      providerTaskId: 't1',
      status: 'failed',
      source: 'poll',
      error: { code: 'PROVIDER_FAILED', message: 'x', retryable: false },
    };
    const { status, calls } = await runLocally({
      [STATES.submit]: () => plan({ callbacks: false }),
      [STATES.pollStatus]: () => plan({ polls: 1, callbacks: false, result: failed }),
      [STATES.sendFailureWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('FAILED');
    expect(calls.find((c) => c.state === STATES.markFailed)?.input.next.result).toEqual(failed);
  });

  it('in the local interpreter: a job whose deadline passed ends through MarkFailed with PollBudgetExhausted (TIMED_OUT)', async () => {
    const { status, calls } = await runLocally({
      [STATES.submit]: () => plan({ callbacks: false }),
      [STATES.pollStatus]: () =>
        plan({ polls: 1, callbacks: false, deadlinePassed: true, result: { providerTaskId: 't1', status: 'processing', source: 'poll' } }),
      [STATES.sendFailureWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('FAILED');
    expect(calls.filter((c) => c.state === STATES.pollStatus)).toHaveLength(1);
    const markFailed = calls.find((c) => c.state === STATES.markFailed);
    expect(markFailed?.input.error).toMatchObject({ Error: POLL_BUDGET_EXHAUSTED, Cause: expect.stringMatching(/deadline/) });
  });

  it('in the local interpreter: the check budget (maxPolls) ends a polled job TIMED_OUT', async () => {
    const { status, calls } = await runLocally({
      [STATES.submit]: () => plan({ callbacks: false }),
      [STATES.pollStatus]: ({ polls }: { polls: number }) =>
        plan({ polls: polls + 1, callbacks: false, result: { providerTaskId: 't1', status: 'processing', source: 'poll' } }),
      [STATES.sendFailureWebhook]: () => ({ delivered: true }),
    });
    expect(status).toBe('FAILED');
    expect(calls.filter((c) => c.state === STATES.pollStatus)).toHaveLength(3);
    expect(calls.find((c) => c.state === STATES.markFailed)?.input.error).toMatchObject({ Error: POLL_BUDGET_EXHAUSTED });
  });

  it('in the local interpreter: resume skips to the notice and webhook, on the success or the failure path', async () => {
    const succeeded = await runLocally({ [STATES.sendWebhook]: () => ({ delivered: true }) }, { resume: 'notice-succeeded' });
    expect(succeeded.status).toBe('SUCCEEDED');
    expect(succeeded.calls.map((c) => c.state)).toEqual([STATES.notify, STATES.sendWebhook]);
    const failed = await runLocally({ [STATES.sendFailureWebhook]: () => ({ delivered: true }) }, { resume: 'notice-failed' });
    expect(failed.status).toBe('FAILED');
    expect(failed.calls.map((c) => c.state)).toEqual([STATES.notifyFailure, STATES.sendFailureWebhook]);
  });

  it('in the local interpreter: when MarkFailed fails, the last resort ends the job; when that fails too, Stranded', async () => {
    const broken = () => {
      throw new Error('the jobs table is unavailable');
    };
    const rescued = await runLocally({ [STATES.validate]: broken, [STATES.markFailed]: broken });
    expect(rescued.calls.map((c) => c.state).slice(0, 5)).toEqual([
      STATES.validate,
      STATES.markFailed,
      STATES.markFailedLastResort,
      STATES.releaseSlotAfterFailure,
      STATES.notifyFailure,
    ]);
    expect(rescued.calls.find((c) => c.state === STATES.markFailedLastResort)!.input).toEqual({
      jobId: 'job_1',
      error: expect.objectContaining({ Error: 'Error' }),
    });
    const stranded = await runLocally({ [STATES.validate]: broken, [STATES.markFailed]: broken, [STATES.markFailedLastResort]: broken });
    expect(stranded.status).toBe('FAILED');
    expect(stranded.calls.filter((c) => c.state === STATES.markFailedLastResort)).toHaveLength(6);
    expect(stranded.calls.some((c) => c.state === STATES.notifyFailure)).toBe(false);
  });

  it('in the local interpreter: a delivered webhook ends the execution; a failing WebhookGaveUp does not change the outcome', async () => {
    const delivered = await runLocally({ ...succeededJob, [STATES.sendWebhook]: () => ({ delivered: true }) });
    expect(delivered.status).toBe('SUCCEEDED');
    const givenUp = await runLocally({
      ...succeededJob,
      [STATES.sendWebhook]: undelivered,
      [STATES.webhookGaveUp]: () => {
        throw new Error('table unavailable');
      },
    });
    expect(givenUp.status).toBe('SUCCEEDED');
    expect(delivered.calls.filter((c) => c.state === STATES.sendWebhook)).toHaveLength(1);
    expect(delivered.calls.some((c) => c.state === STATES.webhookGaveUp)).toBe(false);

    const failedJob = await runLocally({
      [STATES.validate]: () => {
        throw Object.assign(new Error('bad request'), { name: 'ValidationFailed' });
      },
      [STATES.sendFailureWebhook]: undelivered,
      [STATES.failureWebhookGaveUp]: () => {
        throw new Error('table unavailable');
      },
    });
    expect(failedJob).toMatchObject({ status: 'FAILED' });
    const order = failedJob.calls.map((c) => c.state);
    expect(order.filter((n) => n === STATES.sendFailureWebhook)).toHaveLength(4);
    expect(order.slice(0, 4)).toEqual([STATES.validate, STATES.markFailed, STATES.releaseSlotAfterFailure, STATES.notifyFailure]);
    expect(order.at(-1)).toBe(STATES.failureWebhookGaveUp);
  });
});

describe('Retry rules', () => {
  const retriers = () => tasks().flatMap(([name, state]) => (state.Retry ?? []).map((retrier: any) => ({ name, ...retrier })));

  it('use exactly the retryable error names of lambdas/domain/errors.ts, WebhookDeliveryFailed and ArchiveStoreUnavailable (besides Lambda.*, States.*)', () => {
    const used = new Set(
      retriers()
        .flatMap((r) => r.ErrorEquals as string[])
        .filter((e) => !/^(Lambda|States)\./.test(e)),
    );
    // Submit retries provider refusals itself (WaitToResubmit); polls and downloads retry the transient ones.
    expect([...used].sort()).toEqual([...RETRYABLE_ERROR_NAMES.transient, WEBHOOK_DELIVERY_FAILED, ARCHIVE_STORE_UNAVAILABLE].sort());
    const ownNames = [WEBHOOK_DELIVERY_FAILED, ARCHIVE_STORE_UNAVAILABLE];
    for (const name of used) if (!ownNames.includes(name)) expect(Object.values(ERROR_NAMES)).toContain(name);
    // ArchiveStoreUnavailable (S3 failing Archive's copy, lambdas/aws/s3-archive.ts) is retried by Archive alone.
    expect(
      retriers()
        .filter((r) => r.ErrorEquals.includes(ARCHIVE_STORE_UNAVAILABLE))
        .map((r) => r.name),
    ).toEqual([STATES.archive]);
    // WebhookDeliveryFailed is retried only where a webhook is sent.
    const webhookRetriers = retriers()
      .filter((r) => r.ErrorEquals.includes(WEBHOOK_DELIVERY_FAILED))
      .map((r) => r.name);
    expect(webhookRetriers.sort()).toEqual([STATES.sendFailureWebhook, STATES.sendWebhook].sort());
  });

  it('every Retry rule has jitter, so jobs refused together do not come back together', () => {
    expect(retriers().length).toBeGreaterThan(0);
    for (const retrier of retriers()) expect(retrier.JitterStrategy, `${retrier.name} ${retrier.ErrorEquals}`).toBe('FULL');
    expect(states[STATES.pollStatus].Retry).toContainEqual(expect.objectContaining({ ErrorEquals: [...RETRYABLE_ERROR_NAMES.transient] }));
  });

  it('every Task retries Lambda service errors', () => {
    for (const [name, state] of tasks()) {
      expect(
        (state.Retry ?? []).some(
          (r: any) => r.ErrorEquals.includes('Lambda.ServiceException') && r.ErrorEquals.includes('Lambda.TooManyRequestsException'),
        ),
        name,
      ).toBe(true);
    }
  });

  it('never lists States.ALL in a Retry (terminal provider errors must reach MarkFailed at once)', () => {
    for (const retrier of retriers()) expect(retrier.ErrorEquals, retrier.name).not.toContain('States.ALL');
    for (const name of [STATES.validate, STATES.submit, STATES.pollStatus, STATES.archive, STATES.markFailed]) {
      for (const retrier of states[name].Retry) expect(retrier.ErrorEquals).not.toContain('States.TaskFailed');
    }
    // Only the last resort retries any failure of its handler (it has no terminal provider errors to pass on).
    const taskFailedRetriers = retriers()
      .filter((r) => r.ErrorEquals.includes('States.TaskFailed'))
      .map((r) => r.name);
    expect(new Set(taskFailedRetriers)).toEqual(new Set([STATES.notify, STATES.notifyFailure, STATES.markFailedLastResort]));
  });
});

/** The handler each Task runs, by state name. */
function handlerOf(stateName: string): HandlerName {
  const target = lambdaTargets(definition).find((t) => t.stateName === stateName);
  if (!target) throw new Error(`${stateName} invokes no Lambda`);
  return handlerByFunctionName[target.functionName]!;
}

describe('extractWorkflow', () => {
  it('resolves every intrinsic into plain ASL', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"Ref"|Fn::|\$\{Token|AWS::/);
  });

  it('resolves every Task to a function with a handler in HANDLERS', () => {
    const targets = lambdaTargets(definition);
    expect(targets).toHaveLength(tasks().length);
    for (const { stateName, functionName } of targets) {
      expect(functionName, stateName).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:[A-Za-z0-9]+$/);
      expect(HANDLERS).toContain(handlerByFunctionName[functionName]);
    }
    expect(Object.fromEntries(targets.map((t) => [t.stateName, handlerOf(t.stateName)]))).toEqual({
      [STATES.validate]: 'validate',
      [STATES.awaitSlot]: 'await-slot',
      [STATES.releaseSlotAfterFailure]: 'release-slot',
      [STATES.submit]: 'submit',
      [STATES.awaitResult]: 'await-result',
      [STATES.pollStatus]: 'poll-status',
      [STATES.archive]: 'archive',
      [STATES.notify]: 'notify',
      [STATES.sendWebhook]: 'webhook',
      [STATES.webhookGaveUp]: 'webhook',
      [STATES.markFailed]: 'mark-failed',
      [STATES.markFailedLastResort]: 'mark-failed',
      [STATES.notifyFailure]: 'notify',
      [STATES.sendFailureWebhook]: 'webhook',
      [STATES.failureWebhookGaveUp]: 'webhook',
    });
  });

  it('maps both the ARN and the bare logical id of every handler function', () => {
    const functions = functionsByHandler(template);
    for (const name of HANDLERS) {
      const { logicalId } = functions[name];
      expect(handlerByFunctionName[logicalId]).toBe(name);
      expect(handlerByFunctionName[localLambdaArn(logicalId)]).toBe(name);
    }
  });

  it('throws clearly on what it cannot resolve', () => {
    const withUnknownRef = structuredClone(template);
    const [stateMachineId] = onlyResourceOfType(withUnknownRef, 'AWS::StepFunctions::StateMachine');
    withUnknownRef.Resources[stateMachineId].Properties.DefinitionString['Fn::Join'][1].push({ Ref: 'NoSuchResource' });
    expect(() => extractWorkflow(withUnknownRef)).toThrow(WorkflowExtractionError);
    expect(() => extractWorkflow(withUnknownRef)).toThrow(/NoSuchResource/);

    const withoutMetadata = structuredClone(template);
    delete withoutMetadata.Resources[functionsByHandler(template).submit.logicalId].Metadata;
    expect(() => extractWorkflow(withoutMetadata)).toThrow(/State Submit invokes .* not a function with klingflow:handler metadata/);

    expect(() => extractWorkflow({ Resources: {} })).toThrow(/exactly one AWS::StepFunctions::StateMachine/);
  });

  it('does not import aws-cdk-lib (the local stack loads it)', () => {
    const source = readFileSync(path.join(import.meta.dirname, '../../lib/asl.ts'), 'utf8');
    expect(source).not.toMatch(/from ['"]aws-cdk-lib|from ['"]constructs|from ['"]\.\/(?!\.)/);
  });
});
