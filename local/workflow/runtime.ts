// Runs the synthesized state machine definition with aws-local-stepfunctions, every Task bound to the local
// handler its Lambda runs on AWS. What the interpreter lacks is covered here, outside the definition:
// - task tokens: `$$.Task.Token` reads a fresh token per read from the run context; `.waitForTaskToken` tasks
//   wait on a promise that SendTaskSuccess/SendTaskFailure (through the local Step Functions API) settles;
// - Lambda errors reach Catch with AWS's Cause shape (JSON `{errorType, errorMessage, trace}`);
// - executions are named and unique per state machine, as StartExecution promises on AWS;
// - history: the interpreter's event log, kept per execution and shaped like GetExecutionHistory;
// - memory: a finished execution is kept (for DescribeExecution and its history) among the last
//   `finishedKept` finished ones, then forgotten but for its name, so a stack that runs for days stays flat.
import { randomBytes } from 'node:crypto';
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';

/** The interpreter's event log entries (its type is not exported), the fields used here. */
interface EventLog {
  type: string;
  timestamp: number;
  state?: { name: string; type: string };
  Error?: unknown;
  Cause?: unknown;
}

export type InvokeHandler = (functionArn: string, payload: unknown) => Promise<unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Execution {
  executionArn: string;
  name: string;
  input: unknown;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  abort(): void;
}

export interface HistoryEvent {
  id: number;
  timestamp: Date;
  /** The interpreter's event type (StateEntered, StateRetried, ExecutionSucceeded...). */
  type: string;
  stateName?: string;
  stateType?: string;
  error?: string;
  cause?: string;
}

export class WorkflowError extends Error {
  constructor(
    override readonly name: 'ExecutionAlreadyExists' | 'ExecutionDoesNotExist' | 'TaskTimedOut' | 'InvalidToken' | 'InvalidExecutionInput',
    message: string,
  ) {
    super(message);
  }
}

interface PendingTask {
  executionName: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

interface TaskState {
  Type: string;
  Resource?: string;
  States?: Record<string, TaskState>;
  Branches?: { States: Record<string, TaskState> }[];
  Iterator?: { States: Record<string, TaskState> };
  ItemProcessor?: { States: Record<string, TaskState> };
}

/** Every Task state of a definition (nested ones too), by name. */
function taskStates(states: Record<string, TaskState>): [string, TaskState][] {
  return Object.entries(states).flatMap(([name, state]) => {
    const nested = [...(state.Branches ?? []).map((b) => b.States), state.Iterator?.States, state.ItemProcessor?.States].filter(
      (s): s is Record<string, TaskState> => Boolean(s),
    );
    return [...(state.Type === 'Task' ? [[name, state] as [string, TaskState]] : []), ...nested.flatMap(taskStates)];
  });
}

/** A Lambda error as Step Functions reports it: the name to match, a JSON Cause. */
function asLambdaError(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const wrapped = new Error(JSON.stringify({ errorType: original.name, errorMessage: original.message, trace: [] }));
  wrapped.name = original.name;
  return wrapped;
}

/** Finished executions kept in memory, with their history, by default. */
export const FINISHED_EXECUTIONS_KEPT = 1000;

export class WorkflowRuntime {
  private readonly machine: StateMachine;
  /** Running executions and the last `finishedKept` finished ones, by name. */
  private readonly executions = new Map<string, Execution>();
  /** Names of finished executions still in `executions`, oldest first. */
  private readonly finished: string[] = [];
  /** Names of every execution ever started here: a name is never reused (as on AWS), even once forgotten. */
  private readonly names = new Set<string>();
  private readonly pending = new Map<string, PendingTask>();
  private readonly overrides: Record<string, (input: unknown) => Promise<unknown>>;

  constructor(
    readonly stateMachineArn: string,
    /** The definition this runtime runs, as given (the synthesized one). */
    readonly definition: { States: Record<string, TaskState> },
    private readonly invoke: InvokeHandler,
    private readonly finishedKept = FINISHED_EXECUTIONS_KEPT,
  ) {
    // Validated by asl-validator in the CDK tests; the interpreter's own ARN check rejects nothing we use.
    this.machine = new StateMachine(structuredClone(definition) as never, { validationOptions: { checkArn: false } });
    this.overrides = Object.fromEntries(
      taskStates(definition.States).map(([name, state]) => [
        name,
        (input: unknown) => {
          const task = this.runTask(state.Resource ?? '', input);
          // An aborted execution (the stack stopping) no longer awaits its tasks; their failure is not unhandled.
          task.catch(() => undefined);
          return task;
        },
      ]),
    );
  }

  private async runTask(resource: string, input: unknown): Promise<unknown> {
    const params = structuredClone(input) as { FunctionName?: string; Payload?: unknown };
    if (resource === LAMBDA_INVOKE_WAIT) {
      const token = (params.Payload as { taskToken?: unknown } | undefined)?.taskToken;
      if (typeof token !== 'string') throw new Error('a .waitForTaskToken task must pass $$.Task.Token in its Payload');
      const waiting = new Promise<unknown>((resolve, reject) => {
        this.pending.set(token, { executionName: tokenExecution(token), resolve, reject });
      });
      // The wait can be failed while the handler still runs, before it is awaited below (the wait's end, a cancel,
      // or the registering handler answering its own token with SendTaskFailure for a job cancelled meanwhile): the
      // failure is awaited below, but an unobserved rejection until then would end the process.
      waiting.catch(() => undefined);
      try {
        await this.invoke(params.FunctionName ?? '', params.Payload);
      } catch (error) {
        this.pending.delete(token);
        throw asLambdaError(error);
      }
      try {
        return await waiting;
      } finally {
        this.pending.delete(token);
      }
    }
    try {
      if (resource === LAMBDA_INVOKE) {
        // Without payloadResponseOnly, AWS wraps the result in the Invoke response.
        const payload = await this.invoke(params.FunctionName ?? '', params.Payload);
        return { StatusCode: 200, Payload: payload ?? null, ExecutedVersion: '$LATEST' };
      }
      if (resource.startsWith('arn:aws:lambda:')) return (await this.invoke(resource, params)) ?? null;
    } catch (error) {
      throw asLambdaError(error);
    }
    throw new Error(`the local runtime cannot run Task resource ${resource}`);
  }

  start(name: string, input: unknown): Execution {
    if (this.names.has(name)) {
      throw new WorkflowError('ExecutionAlreadyExists', `Execution Already Exists: '${this.executionArn(name)}'`);
    }
    let tokens = 0;
    const execution: Execution = {
      executionArn: this.executionArn(name),
      name,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      events: [],
      abort: () => undefined,
    };
    this.executions.set(name, execution);
    this.names.add(name);
    const run = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.overrides as never },
      context: {
        Execution: { Id: execution.executionArn, Name: name },
        // Each read of $$.Task.Token is a new token naming its execution.
        Task: {
          get Token() {
            tokens += 1;
            return `${Buffer.from(name).toString('base64url')}.${tokens}.${randomBytes(12).toString('base64url')}`;
          },
        },
      } as never,
    });
    execution.abort = run.abort;
    void this.recordHistory(execution, run.eventLogs);
    run.result.then(
      (output) => this.settle(execution, 'SUCCEEDED', { output }),
      (error: Error & { cause?: { name?: string; message?: string } }) => {
        if (error instanceof ExecutionAbortedError) return this.settle(execution, 'ABORTED', {});
        const timedOut = error.name === 'ExecutionTimeoutError';
        this.settle(execution, timedOut ? 'TIMED_OUT' : 'FAILED', {
          error: error.cause?.name ?? error.name,
          cause: error.cause?.message ?? error.message,
        });
      },
    );
    return execution;
  }

  private settle(execution: Execution, status: ExecutionStatus, details: { output?: unknown; error?: string; cause?: string }): void {
    // The interpreter's run (its context, every state's input and output) is let go with its abort function.
    Object.assign(execution, { status, stopDate: new Date(), abort: () => undefined, ...details });
    this.dropPending(execution.name);
    this.finished.push(execution.name);
    while (this.finished.length > this.finishedKept) {
      const oldest = this.finished.shift();
      if (oldest !== undefined) this.executions.delete(oldest);
    }
  }

  private dropPending(executionName: string): void {
    for (const [token, task] of this.pending) {
      if (task.executionName === executionName) {
        this.pending.delete(token);
        task.reject(new Error('the wait has ended'));
      }
    }
  }

  private async recordHistory(execution: Execution, log: AsyncIterable<EventLog>): Promise<void> {
    for await (const event of log) {
      const state = event.state?.name;
      const failure = 'Error' in event ? { error: String(event.Error), cause: String(event.Cause ?? '') } : {};
      // A wait that failed (timed out) ends its token, as on AWS: a late SendTaskSuccess gets TaskTimedOut.
      if (event.type === 'StateFailed') this.dropPending(execution.name);
      execution.events.push({
        id: execution.events.length + 1,
        timestamp: new Date(event.timestamp),
        type: event.type,
        ...(state ? { stateName: state, stateType: event.state?.type } : {}),
        ...failure,
      });
    }
  }

  describe(executionArn: string): Execution {
    const name = executionArn.slice(executionArn.lastIndexOf(':') + 1);
    const execution = this.executions.get(name);
    if (!execution || execution.executionArn !== executionArn)
      throw new WorkflowError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  list(): Execution[] {
    return [...this.executions.values()];
  }

  stop(executionArn: string): Execution {
    const execution = this.describe(executionArn);
    if (execution.status === 'RUNNING') execution.abort();
    return execution;
  }

  sendTaskSuccess(token: string, output: unknown): void {
    this.takePending(token).resolve(output);
  }

  sendTaskFailure(token: string, error: string, cause: string): void {
    const failure = new Error(cause);
    failure.name = error;
    this.takePending(token).reject(failure);
  }

  private takePending(token: string): PendingTask {
    const task = this.pending.get(token);
    if (!task) {
      // AWS answers TaskTimedOut for a token whose wait has ended; an unknown token is InvalidToken.
      const known = this.names.has(tokenExecution(token));
      throw new WorkflowError(known ? 'TaskTimedOut' : 'InvalidToken', known ? 'Task Timed Out' : 'Invalid Token');
    }
    this.pending.delete(token);
    return task;
  }

  /** Aborts every running execution (the stack is shutting down). */
  stopAll(): void {
    for (const execution of this.executions.values()) if (execution.status === 'RUNNING') execution.abort();
  }

  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}

function tokenExecution(token: string): string {
  try {
    return Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8');
  } catch {
    return '';
  }
}
