// The local workflow runtime on small hand-written definitions: what it adds to the interpreter (task tokens,
// AWS-shaped Lambda errors, unique execution names, TimeoutSecondsPath read from the state input, bounded memory).
import { describe, expect, it } from 'vitest';
import { WorkflowRuntime, WorkflowError } from '../../../local/workflow/runtime.ts';

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:test';
const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

const waitDefinition = {
  StartAt: 'Wait',
  States: {
    Wait: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: fn('Register'), Payload: { 'jobId.$': '$.jobId', 'taskToken.$': '$$.Task.Token' } },
      TimeoutSecondsPath: '$.config.waitSeconds',
      ResultPath: '$.result',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'TimedOut' }],
      End: true,
    },
    TimedOut: { Type: 'Pass', Result: 'timed out', ResultPath: '$.outcome', End: true },
  },
};

async function settled(runtime: WorkflowRuntime, name: string) {
  for (let i = 0; i < 200; i++) {
    const execution = runtime.list().find((e) => e.name === name)!;
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`execution ${name} did not finish`);
}

describe('WorkflowRuntime', () => {
  it('hands a .waitForTaskToken task a fresh token and resumes on SendTaskSuccess', async () => {
    const tokens: string[] = [];
    const runtime = new WorkflowRuntime(ARN, waitDefinition, async (arn, payload) => {
      expect(arn).toBe(fn('Register'));
      tokens.push((payload as { taskToken: string }).taskToken);
      return null;
    });
    runtime.start('job-1', { jobId: 'job-1', config: { waitSeconds: 30 } });
    await new Promise((r) => setTimeout(r, 50));
    expect(tokens).toHaveLength(1);
    runtime.sendTaskSuccess(tokens[0]!, { status: 'succeeded' });
    const execution = await settled(runtime, 'job-1');
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toEqual({ jobId: 'job-1', config: { waitSeconds: 30 }, result: { status: 'succeeded' } });
    // The wait is over: the same token again is what AWS calls TaskTimedOut.
    expect(() => runtime.sendTaskSuccess(tokens[0]!, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
    expect(() => runtime.sendTaskSuccess('not-a-token', {})).toThrow(expect.objectContaining({ name: 'InvalidToken' }));
  });

  it('accepts SendTaskFailure from inside the registering handler without an unhandled rejection (a cancel racing the wait)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let runtime: WorkflowRuntime;
      runtime = new WorkflowRuntime(ARN, waitDefinition, async (_arn, payload) => {
        runtime.sendTaskFailure((payload as { taskToken: string }).taskToken, 'JobAlreadyFinished', 'cancelled by the caller');
        // The handler is still running (it records its answer) when the wait is already failed.
        await new Promise((r) => setTimeout(r, 20));
        return null;
      });
      runtime.start('job-cancelled', { jobId: 'job-cancelled', config: { waitSeconds: 30 } });
      const execution = await settled(runtime, 'job-cancelled');
      expect(execution).toMatchObject({ status: 'FAILED', error: 'JobAlreadyFinished', cause: 'cancelled by the caller' });
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('accepts SendTaskSuccess from inside the registering handler (the result was already there)', async () => {
    let runtime: WorkflowRuntime;
    runtime = new WorkflowRuntime(ARN, waitDefinition, async (_arn, payload) => {
      runtime.sendTaskSuccess((payload as { taskToken: string }).taskToken, 'early');
      return null;
    });
    runtime.start('job-early', { jobId: 'job-early', config: { waitSeconds: 30 } });
    expect((await settled(runtime, 'job-early')).output).toMatchObject({ result: 'early' });
  });

  it('times a wait out after TimeoutSecondsPath seconds read from the state input, and drops its token', async () => {
    const tokens: string[] = [];
    const runtime = new WorkflowRuntime(ARN, waitDefinition, async (_arn, payload) => {
      tokens.push((payload as { taskToken: string }).taskToken);
      return null;
    });
    const started = Date.now();
    runtime.start('job-slow', { jobId: 'job-slow', config: { waitSeconds: 1 } });
    const execution = await settled(runtime, 'job-slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(execution.output).toMatchObject({ outcome: 'timed out', timedOut: { Error: 'States.Timeout' } });
    expect(() => runtime.sendTaskSuccess(tokens[0]!, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
  });

  it('reports a Lambda error to Catch as AWS does: its name, and a JSON Cause', async () => {
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: fn('Work'),
          Catch: [{ ErrorEquals: ['ProviderContentPolicy'], ResultPath: '$.error', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    };
    const runtime = new WorkflowRuntime(ARN, definition, async () => {
      const error = new Error('refused by policy');
      error.name = 'ProviderContentPolicy';
      throw error;
    });
    runtime.start('job-err', { jobId: 'job-err' });
    const execution = await settled(runtime, 'job-err');
    const caught = (execution.output as { error: { Error: string; Cause: string } }).error;
    expect(caught.Error).toBe('ProviderContentPolicy');
    expect(JSON.parse(caught.Cause)).toEqual({ errorType: 'ProviderContentPolicy', errorMessage: 'refused by policy', trace: [] });
  });

  it('ends a Wait whose TimestampPath has passed at once, as AWS does, without a negative-timeout warning', async () => {
    const definition = { StartAt: 'Wait', States: { Wait: { Type: 'Wait', TimestampPath: '$.at', End: true } } };
    const runtime = new WorkflowRuntime(ARN, definition as never, async () => null);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      runtime.start('past', { at: new Date(Date.now() - 60_000).toISOString() });
      expect(await settled(runtime, 'past')).toMatchObject({ status: 'SUCCEEDED' });
      await new Promise((r) => setTimeout(r, 50)); // a warning is emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutNegativeWarning');
  });

  it('starts an execution name once', () => {
    const runtime = new WorkflowRuntime(ARN, waitDefinition, async () => null);
    runtime.start('job-once', { jobId: 'job-once', config: { waitSeconds: 30 } });
    expect(() => runtime.start('job-once', {})).toThrow(WorkflowError);
    runtime.stopAll();
  });

  it('keeps only the last finished executions, forgetting older ones but for their names', async () => {
    const passDefinition = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };
    const runtime = new WorkflowRuntime(ARN, passDefinition as never, async () => null, 2);
    for (const name of ['a', 'b', 'c']) {
      runtime.start(name, { name });
      await settled(runtime, name);
    }
    expect(runtime.list().map((e) => e.name)).toEqual(['b', 'c']);
    const arnOf = (name: string) => `${ARN.replace(':stateMachine:', ':execution:')}:${name}`;
    expect(runtime.describe(arnOf('c'))).toMatchObject({ status: 'SUCCEEDED', output: { name: 'c' } });
    expect(() => runtime.describe(arnOf('a'))).toThrow(expect.objectContaining({ name: 'ExecutionDoesNotExist' }));
    // A forgotten name is still taken, as on AWS.
    expect(() => runtime.start('a', {})).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    // A running execution is never forgotten, however many finish after it started.
    runtime.start('waiting', { jobId: 'waiting', config: { waitSeconds: 30 } });
    expect(runtime.list().map((e) => e.name)).toEqual(['b', 'c', 'waiting']);
    runtime.stopAll();
  });
});
