// Starting the execution of a job (named after the job id, so it is started once).
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionInput } from '../workflow/contract.ts';

export async function startJobExecution(client: SFNClient, stateMachineArn: string, input: ExecutionInput): Promise<void> {
  try {
    await client.send(new StartExecutionCommand({ stateMachineArn, name: input.jobId, input: JSON.stringify(input) }));
  } catch (error) {
    // A closed execution with this name, or a running one with other input: the job was started before.
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
}

/** `arn:…:stateMachine:Name` + job id → `arn:…:execution:Name:jobId`. */
export const executionArnOf = (stateMachineArn: string, jobId: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}`;
