// The workflow's Step Functions calls: starting a job's execution (named after the job id, so it is started once)
// and answering the task token of a wait (docs/workflow.md, "AwaitResult").
import type { ExecutionState } from '../jobs/ports.ts';
import type { ExecutionInput, ProviderResult } from '../workflow/contract.ts';
import type { StepFunctionsCall } from './clients/sfn.ts';

/** Starts the execution `name`. One that exists already (running or closed) counts as started. */
export async function startJobExecution(
  call: StepFunctionsCall,
  stateMachineArn: string,
  input: ExecutionInput,
  name: string,
): Promise<void> {
  try {
    await call('StartExecution', { stateMachineArn, name, input: JSON.stringify(input) });
  } catch (error) {
    // A closed execution with this name, or a running one with other input: the job was started before.
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
}

/** `arn:…:stateMachine:Name` + execution name → `arn:…:execution:Name:<name>`. */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** DescribeExecution's fields klingflow reads. */
interface ExecutionDescription {
  status?: string;
  error?: string;
  cause?: string;
}

/** Whether execution `name` runs, has closed (how, and why if it failed), or was never started. */
export async function describeJobExecution(call: StepFunctionsCall, stateMachineArn: string, name: string): Promise<ExecutionState> {
  try {
    const execution = await call<ExecutionDescription>('DescribeExecution', { executionArn: executionArnOf(stateMachineArn, name) });
    if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') return { status: 'RUNNING' };
    return {
      status: 'CLOSED',
      result: execution.status ?? 'UNKNOWN',
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.cause ? { cause: execution.cause } : {}),
    };
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return { status: 'MISSING' };
    throw error;
  }
}

/** Token errors mean the wait already ended (timed out into a poll, or answered): nothing is lost. */
const STALE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Wakes AwaitResult with a provider's terminal result. Returns `false` when the token was stale. */
export async function resumeWithResult(call: StepFunctionsCall, taskToken: string, result: ProviderResult): Promise<boolean> {
  return resumeWait(call, taskToken, result);
}

/** Wakes a wait (SendTaskSuccess) with `output` as JSON. Returns `false` when the token was stale. */
export async function resumeWait(call: StepFunctionsCall, taskToken: string, output: unknown): Promise<boolean> {
  try {
    await call('SendTaskSuccess', { taskToken, output: JSON.stringify(output) });
    return true;
  } catch (error) {
    if (STALE_TOKEN_ERRORS.has((error as Error).name)) return false;
    throw error;
  }
}

/** Ends a wait with the error `error` (matched by the workflow's Catch); a stale token is no error. */
export async function failWait(call: StepFunctionsCall, taskToken: string, error: string, cause: string): Promise<void> {
  try {
    await call('SendTaskFailure', { taskToken, error, cause });
  } catch (failure) {
    if (!STALE_TOKEN_ERRORS.has((failure as Error).name)) throw failure;
  }
}
