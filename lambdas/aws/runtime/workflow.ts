// The composition root's Step Functions side (see store.ts): starting and describing a job's execution, its budget
// and wait plan, and ending its waits.
import type { CheckPlanSettings } from '../../jobs/next-check.ts';
import type { DescribeExecution, FailWait, StartExecution } from '../../jobs/ports.ts';
import type { ExecutionInput, ProviderResult } from '../../workflow/contract.ts';
import { sfn } from '../clients/sfn.ts';
import { config } from '../env.ts';
import { describeJobExecution, failWait, resumeWithResult, startJobExecution } from '../step-functions.ts';

/** Starts a job's execution (named `name`) on this deployment's state machine. */
export const startExecution: StartExecution = (input: ExecutionInput, name: string) =>
  startJobExecution(sfn(), config.stateMachineArn(), input, name);

/** What this deployment's state machine knows of execution `name`. */
export const describeExecution: DescribeExecution = (name: string) => describeJobExecution(sfn(), config.stateMachineArn(), name);

/** The workflow's budget for a job, carried in its execution input. */
export const workflowConfig = (): ExecutionInput['config'] => ({
  maxPolls: config.maxPolls(),
  slotWaitSeconds: config.slotWaitSeconds(),
});

/** How this deployment plans a job's next look at its provider (lambdas/jobs/next-check.ts). */
export const checkPlanSettings = (): CheckPlanSettings => ({
  deadlines: config.deadlines(),
  timeScale: config.waitTimeScale(),
  leaseSeconds: config.slotLeaseSeconds(),
});

/** Ends a workflow wait with a named error. */
export const failWorkflowWait: FailWait = (taskToken, error, cause) => failWait(sfn(), taskToken, error, cause);

/** Wakes a workflow wait with a provider's terminal result; `false` when the wait had already ended. */
export const resumeWorkflowWait = (taskToken: string, result: ProviderResult): Promise<boolean> =>
  resumeWithResult(sfn(), taskToken, result);
