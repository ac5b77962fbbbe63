// One client per AWS service per process, created on first use (cold starts pay only for what a handler uses).
// Endpoints come from the SDK's own settings: on one machine the local stack sets AWS_ENDPOINT_URL_<SERVICE>.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './env.ts';

const resets: (() => void)[] = [];

const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  resets.push(() => (value = undefined));
  return () => (value ??= make());
};

/**
 * Forget the clients, so the next call makes new ones from the current environment. Only the local stack needs
 * this: it can start again in one process with new endpoints (a Lambda's environment never changes).
 */
export function resetAwsClients(): void {
  resets.forEach((reset) => reset());
}

export const dynamo = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
);

export const s3 = once(
  () =>
    new S3Client({
      forcePathStyle: config.s3ForcePathStyle(),
      // Checksums only where S3 requires them: identical on AWS, and the local emulator stores aws-chunked
      // framing verbatim otherwise (reference/local-emulation.md §3).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
);

export const sfn = once(() => new SFNClient({}));
export const sns = once(() => new SNSClient({}));
