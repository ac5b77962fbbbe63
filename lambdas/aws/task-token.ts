// Waking the workflow's AwaitResult state with a provider's terminal result.
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ProviderResult } from '../workflow/contract.ts';

/** Token errors mean the wait already ended (timed out into a poll, or answered): nothing is lost. */
const STALE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Returns false when the token was stale. */
export async function resumeWithResult(client: SFNClient, taskToken: string, result: ProviderResult): Promise<boolean> {
  try {
    await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(result) }));
    return true;
  } catch (error) {
    if (STALE_TOKEN_ERRORS.has((error as Error).name)) return false;
    throw error;
  }
}

export async function failWait(client: SFNClient, taskToken: string, error: string, cause: string): Promise<void> {
  try {
    await client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  } catch (failure) {
    if (!STALE_TOKEN_ERRORS.has((failure as Error).name)) throw failure;
  }
}
