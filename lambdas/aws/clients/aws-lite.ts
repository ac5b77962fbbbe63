// The handlers' client for AWS's JSON APIs (DynamoDB, Step Functions, SNS, Secrets Manager): aws-lite, a small,
// maintained AWS client (Apache-2.0, https://aws-lite.org). S3 has its own client on aws-lite's signer, aws4
// (s3.ts: streamed bodies, multipart uploads and presigned URLs); docs/architecture.md, "Lambda bundles", says why:
// a bundle with the SDK's DynamoDB client alone was 207 KB and took 89–105 ms to load, with aws-lite's 118 KB and
// about 24 ms.
// One client per service and settings (per-settings.ts), made on first use; a failed start is not kept.
import awsLite from '@aws-lite/client';

/** An aws-lite client: call it with a request (service, headers, payload…); klingflow uses none of aws-lite's plugins. */
export type AwsLiteClient = Awaited<ReturnType<typeof awsLite>>;

/**
 * Attempts after the first, on throttling, 5xx and dropped connections: 2, as the AWS SDK's standard retry mode
 * (3 attempts in all), so a handler fails within its timeout and the workflow's own Retry takes over.
 */
export const AWS_RETRIES = 2;

/** The endpoint the AWS SDK would use for `service` (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`). */
export const endpointOf = (service: string): string | undefined =>
  process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL || undefined;

/**
 * A getter of the aws-lite client for `service` (its endpoint variable suffix, e.g. `DYNAMODB`), started on first
 * call. Credentials and region come from the environment, as a Lambda function has them. A start that failed
 * (no region, no credentials) is forgotten, so the next call tries again.
 */
export function awsLiteClient(service: string, settings: { responseContentType?: string } = {}): () => Promise<AwsLiteClient> {
  let started: Promise<AwsLiteClient> | undefined;
  return () => {
    if (!started) {
      const endpoint = endpointOf(service);
      const config: Parameters<typeof awsLite>[0] = { retries: AWS_RETRIES, ...settings, ...(endpoint ? { endpoint } : {}) };
      started = awsLite(config);
      started.catch(() => {
        started = undefined;
      });
    }
    return started;
  };
}

/**
 * The error code of an AWS error as the AWS SDK names it: `com.amazonaws…#ExecutionAlreadyExists` and
 * `Code:http://…` become `ExecutionAlreadyExists` (the JSON protocols' rule for `__type`), or undefined.
 */
export function awsErrorName(error: unknown): string | undefined {
  const raw = (error as { name?: unknown; __type?: unknown; code?: unknown } | null)?.__type ?? (error as { name?: unknown })?.name;
  if (typeof raw !== 'string' || !raw) return undefined;
  const value = raw.split(',')[0]?.split(':')[0] ?? raw;
  return value.slice(value.indexOf('#') + 1);
}

/**
 * Calls `target` (e.g. `AWSStepFunctions.StartExecution`) of an AWS JSON 1.0/1.1 API with `payload`, returning
 * the answer's JSON. Throws what aws-lite throws, with `name` set to the bare error code ({@link awsErrorName}).
 */
export async function callJsonApi<T>(
  client: AwsLiteClient,
  service: string,
  target: string,
  version: '1.0' | '1.1',
  payload: Record<string, unknown>,
): Promise<T> {
  try {
    const answer = await client({
      service,
      // awsjson false: the payload is plain JSON, not DynamoDB's typed attribute values.
      awsjson: false,
      headers: { 'X-Amz-Target': target, 'Content-Type': `application/x-amz-json-${version}` },
      payload,
    });
    return (answer.payload ?? {}) as T;
  } catch (error) {
    const name = awsErrorName(error);
    if (name && error instanceof Error) error.name = name;
    throw error;
  }
}
