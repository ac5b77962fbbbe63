// Secrets Manager's GetSecretValue (JSON 1.1) through aws-lite (see aws-lite.ts), each value kept a while in a warm
// Lambda (kept-values.ts).
import { type AwsLiteClient, awsLiteClient, callJsonApi } from './aws-lite.ts';
import { keptValues } from './kept-values.ts';
import { perSettings } from './per-settings.ts';

const client = perSettings('SECRETS_MANAGER', () => awsLiteClient('SECRETS_MANAGER', { responseContentType: 'application/json' }));

const kept = keptValues<string>();

/**
 * The `SecretString` of secret `secretId` (an ARN or name), read at most once per `maxAgeSeconds` in this process.
 * Throws AWS's error (`ResourceNotFoundException`, `AccessDeniedException`…), or when the secret holds no string (a
 * binary secret); a failed read is not kept.
 */
export function secretString(secretId: string, maxAgeSeconds: number): Promise<string> {
  return kept(secretId, maxAgeSeconds, async () => {
    const answer = await callJsonApi<{ SecretString?: unknown }>(
      (await client()()) as AwsLiteClient,
      'secretsmanager',
      'secretsmanager.GetSecretValue',
      '1.1',
      { SecretId: secretId },
    );
    if (typeof answer.SecretString !== 'string') throw new Error(`the secret ${secretId} holds no text`);
    return answer.SecretString;
  });
}
