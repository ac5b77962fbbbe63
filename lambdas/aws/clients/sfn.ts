// The Step Functions API (JSON 1.0) through aws-lite (see aws-lite.ts and per-settings.ts).
import { type AwsLiteClient, awsLiteClient, callJsonApi } from './aws-lite.ts';
import { perSettings } from './per-settings.ts';

// Answers are plain JSON under an AWS JSON content type: read as JSON, not as DynamoDB's typed values.
const client = perSettings('SFN', () => awsLiteClient('SFN', { responseContentType: 'application/json' }));

/**
 * Calls a Step Functions action (`StartExecution`, `DescribeExecution`, `SendTaskSuccess`…) with its request
 * fields, resolving to its answer's fields. Throws AWS's error with `name` set to its code (`ExecutionAlreadyExists`).
 */
export type StepFunctionsCall = <T = Record<string, unknown>>(action: string, request: Record<string, unknown>) => Promise<T>;

/** This deployment's (or the local stack's) Step Functions. */
export const sfn = (): StepFunctionsCall => {
  const connect = client();
  return async <T>(action: string, request: Record<string, unknown>) =>
    callJsonApi<T>((await connect()) as AwsLiteClient, 'states', `AWSStepFunctions.${action}`, '1.0', request);
};
