// One client per AWS service per process, created on first use (cold starts pay only for what a handler uses).
// Endpoints come from the SDK's own settings: on one machine the local stack sets AWS_ENDPOINT_URL_<SERVICE>.
// A client is remade when those settings change, which only happens when the local stack starts again in the
// same process with new emulator ports (a Lambda's environment never changes). Every client is captured by the
// tracer (a subsegment per call on AWS; unchanged where tracing is off, as on the local stack).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './env.ts';
import { tracer } from './tracing.ts';

/** The settings a client is made from; a new value means a new client. */
const settingsOf = (service: string): string =>
  [
    process.env.AWS_REGION,
    process.env[`AWS_ENDPOINT_URL_${service}`],
    process.env.AWS_ENDPOINT_URL,
    process.env.AWS_ACCESS_KEY_ID,
    config.s3ForcePathStyle(),
  ].join('|');

const perSettings = <T>(service: string, make: () => T): (() => T) => {
  let made: { key: string; client: T } | undefined;
  return () => {
    const key = settingsOf(service);
    if (made?.key !== key) made = { key, client: make() };
    return made.client;
  };
};

export const dynamo = perSettings('DYNAMODB', () =>
  DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } }),
);

export const s3 = perSettings('S3', () =>
  tracer.captureAWSv3Client(
    new S3Client({
      forcePathStyle: config.s3ForcePathStyle(),
      // Checksums only where S3 requires them: identical on AWS, and the local emulator (s3rver) would otherwise
      // store the aws-chunked framing verbatim (docs/architecture.md, "Local emulators: known quirks").
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  ),
);

export const sfn = perSettings('SFN', () => tracer.captureAWSv3Client(new SFNClient({})));
export const sns = perSettings('SNS', () => tracer.captureAWSv3Client(new SNSClient({})));
