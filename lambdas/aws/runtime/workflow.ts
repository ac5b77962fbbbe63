// The composition root's Step Functions side (see store.ts): starting a job's execution and ending its waits.
import type { FailWait, StartExecution } from '../../jobs/ports.ts';
import type { ExecutionInput, ProviderResult } from '../../workflow/contract.ts';
import { sfn } from '../clients/sfn.ts';
import { config } from '../env.ts';
import { failWait, resumeWithResult, startJobExecution } from '../step-functions.ts';

/** Starts a job's execution on this deployment's state machine. */
export const startExecution: StartExecution = (input: ExecutionInput) => startJobExecution(sfn(), config.stateMachineArn(), input);

/** The workflow's budget for a job, carried in its execution input. */
export const workflowConfig = (): ExecutionInput['config'] => ({ awaitSeconds: config.awaitSeconds(), maxPolls: config.maxPolls() });

/** Ends a workflow wait with a named error. */
export const failWorkflowWait: FailWait = (taskToken, error, cause) => failWait(sfn(), taskToken, error, cause);

/** Wakes a workflow wait with a provider's terminal result; `false` when the wait had already ended. */
export const resumeWorkflowWait = (taskToken: string, result: ProviderResult): Promise<boolean> =>
  resumeWithResult(sfn(), taskToken, result);
